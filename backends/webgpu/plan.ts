/**
 * A forward plan: every dispatch of one forward pass for a (batch, sequence
 * length, task) shape, recorded once and replayed for each batch of that
 * shape. Activation buffers, and split-K's partial sums (`kernels/matmul_split_k.ts`),
 * come from a pool shared by all plans (runs are sequential), so layers and
 * batches reuse the same memory; a plan owns only its dispatches' uniforms.
 *
 * Data flow of one applied layer (rows = B·T, all buffers row-major):
 *   qkv = h·Wqkvᵀ          [rows, 3H]
 *   ctx = attention(qkv)   [rows, H]
 *   a   = LN(ctx·Woᵀ + h)  [rows, H]
 *   out = LN(act(a·Wiᵀ)·Wfᵀ + a (+ adapter(h)))
 */
import { dispatchAttention } from "../../kernels/attention.ts";
import { dispatchEmbeddings } from "../../kernels/embeddings.ts";
import { dispatchLayerNorm } from "../../kernels/layernorm.ts";
import { dispatchMatmul, type MatmulArgs, type MatmulVariant } from "../../kernels/matmul.ts";
import type { LayerNames, LinearNames, NormNames, TopLayerNames } from "../../models/layout.ts";
import { type Dispatch, dtypeBytes, type KernelRuntime } from "../../runtime/kernel.ts";
import { createTexels, texelRows } from "../../runtime/texels.ts";
import type { GpuWeights } from "./weights.ts";

/** Activation buffers (and texel views) by role, grown on demand and shared by all plans. */
export class ActivationPool {
  #buffers = new Map<string, GPUBuffer>();
  #textures = new Map<string, GPUTexture>();
  /** Bumped whenever a buffer is replaced, which makes older plans stale. */
  generation = 0;

  constructor(readonly device: GPUDevice) {}

  /** A storage buffer of at least `count` elements of `elementBytes` (4: f32, u32; 2: f16) for `role`. */
  get(role: string, count: number, elementBytes = 4): GPUBuffer {
    const bytes = Math.max(16, count * elementBytes);
    const existing = this.#buffers.get(role);
    if (existing && existing.size >= bytes) return existing;
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new Error(
        `Activation "${role}" needs ${bytes} bytes, more than this device allows in one binding (${limit}): use a smaller batch or sequence length`,
      );
    }
    existing?.destroy();
    // Power-of-two capacities keep a stream of slightly different shapes from reallocating.
    const size = Math.min(limit, 2 ** Math.ceil(Math.log2(bytes)));
    const buffer = this.device.createBuffer({
      label: role,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.#buffers.set(role, buffer);
    this.generation++;
    return buffer;
  }

  /**
   * A texel view of at least `bytes` for `role` (the Linear GEMMs' copy of
   * A, `kernels/matmul.ts`): one per power-of-two size class of the role,
   * allocated once at the class's size and never replaced, so a plan's
   * earlier dispatches stay bound to live views and no plan goes stale.
   */
  texels(role: string, bytes: number): GPUTexture {
    const rows = Math.min(
      2 ** Math.ceil(Math.log2(texelRows(bytes))),
      this.device.limits.maxTextureDimension2D,
    );
    const key = `${role}@${rows}`;
    let texture = this.#textures.get(key);
    if (!texture) {
      texture = createTexels(this.device, bytes, key, rows);
      this.#textures.set(key, texture);
    }
    return texture;
  }

  /** Free every buffer and texture. */
  destroy(): void {
    for (const buffer of this.#buffers.values()) buffer.destroy();
    for (const texture of this.#textures.values()) texture.destroy();
    this.#buffers.clear();
    this.#textures.clear();
  }
}

/** The recorded forward pass of one shape. */
export interface ForwardPlan {
  batch: number;
  seqLen: number;
  task: number;
  generation: number;
  dispatches: Dispatch[];
  inputs: { ids: GPUBuffer; types: GPUBuffer; mask: GPUBuffer };
  /** Output buffers, `floats` values each in the weights' dtype. */
  outputs: {
    lastHiddenState: { buffer: GPUBuffer; floats: number };
    pooledOutput: { buffer: GPUBuffer; floats: number };
    logits?: { buffer: GPUBuffer; floats: number };
  };
}

/** Record the forward pass of `config` for one shape. */
export async function buildPlan(
  runtime: KernelRuntime,
  weights: GpuWeights,
  pool: ActivationPool,
  shape: { batch: number; seqLen: number; task: number },
  options: { matmulVariant?: MatmulVariant } = {},
): Promise<ForwardPlan> {
  const { config, layout } = weights.model;
  const { batch, seqLen, task } = shape;
  const rows = batch * seqLen;
  const H = config.hiddenSize;
  const eps = config.layerNormEps;
  const dtype = weights.dtype;
  const dispatches: Dispatch[] = [];
  const record = async (d: Dispatch | Promise<Dispatch> | Promise<Dispatch[]>) => {
    const result = await d;
    if (Array.isArray(result)) dispatches.push(...result);
    else dispatches.push(result);
  };
  // Activations (and outputs) are stored in the weights' dtype; ids and the mask stay u32.
  const stored = (role: string, count: number) => pool.get(role, count, dtypeBytes(dtype));
  const act = (role: string, width: number) => stored(role, rows * width);
  const linear = (names: LinearNames) => weights.linear(names);
  // Skinny Linears may split K; their partial sums live in the pool, like activations.
  const matmul = (args: MatmulArgs) =>
    dispatchMatmul(runtime, { ...args, scratch: pool, variant: options.matmulVariant });
  const norm = (names: NormNames) => ({
    gamma: weights.tensor(names.weight),
    beta: weights.tensor(names.bias),
  });

  const inputs = {
    ids: pool.get("input_ids", rows),
    types: pool.get("token_type_ids", rows),
    mask: pool.get("attention_mask", rows),
  };

  // Embeddings (E wide), then ALBERT's projection to H.
  const E = config.embeddingSize;
  const emb = layout.embeddings;
  let h = act("hidden.0", H);
  let spare = act("hidden.1", H);
  const embOut = layout.embeddingProjection ? act("embeddings", E) : h;
  await record(dispatchEmbeddings(runtime, {
    ...inputs,
    word: weights.tensor(emb.word),
    position: weights.tensor(emb.position),
    tokenType: weights.tensor(emb.tokenType),
    ...norm(emb.norm),
    out: embOut,
    rows,
    seqLen,
    size: E,
    eps,
    dtype,
  }));
  if (layout.embeddingProjection) {
    await record(matmul({
      linear: linear(layout.embeddingProjection),
      a: embOut,
      c: h,
      m: rows,
    }));
  }

  // Q, K, V in one GEMM, then fused masked attention: the context, `width` wide.
  const selfAttention = async (
    x: GPUBuffer,
    qkvNames: [LinearNames, LinearNames, LinearNames],
    dims: { width: number; heads: number; prefix: string },
  ) => {
    const qkv = act(`${dims.prefix}qkv`, 3 * dims.width);
    const ctx = act(`${dims.prefix}context`, dims.width);
    await record(
      matmul({ linear: weights.linear(...qkvNames), a: x, c: qkv, m: rows }),
    );
    await record(dispatchAttention(runtime, {
      qkv,
      mask: inputs.mask,
      out: ctx,
      batch,
      seqLen,
      heads: dims.heads,
      headSize: dims.width / dims.heads,
      dtype,
    }));
    return ctx;
  };

  // `out = LN(x + dense(attention(x)))`: encoder layers and the top-projected adapter.
  const attentionBlock = async (
    x: GPUBuffer,
    out: GPUBuffer,
    names: LayerNames | TopLayerNames,
    dims: { width: number; heads: number; prefix: string },
  ) => {
    const ctx = await selfAttention(x, [names.query, names.key, names.value], dims);
    const projected = act(`${dims.prefix}projected`, dims.width);
    await record(matmul({
      linear: linear(names.attentionOutput),
      a: ctx,
      c: projected,
      m: rows,
    }));
    await record(dispatchLayerNorm(runtime, {
      x: projected,
      residuals: [x],
      ...norm(names.attentionNorm),
      out,
      rows,
      size: dims.width,
      eps,
      dtype,
    }));
  };

  const adapter = config.adapter;
  for (const layer of layout.layers) {
    const names = layer.names;
    const attended = act("attended", H);
    await attentionBlock(h, attended, names, {
      width: H,
      heads: config.numAttentionHeads,
      prefix: "",
    });
    const intermediate = act("intermediate", config.intermediateSize);
    await record(matmul({
      linear: linear(names.intermediate),
      a: attended,
      c: intermediate,
      m: rows,
      activation: config.hiddenAct,
    }));
    const ffn = act("ffn", H);
    await record(matmul({
      linear: linear(names.output),
      a: intermediate,
      c: ffn,
      m: rows,
    }));
    const residuals = [attended];
    const layerAdapter = layer.adapters?.[task];
    if (layerAdapter && adapter) {
      // PAL / low-rank read the layer's input h and are added inside the output LayerNorm.
      const d = adapter.hiddenSizeAug;
      const small = act("adapter.small", d);
      const palOut = act("adapter.out", H);
      if (layerAdapter.kind === "pals") {
        await record(matmul({
          linear: linear(layerAdapter.encoder),
          a: h,
          c: small,
          m: rows,
        }));
        // PAL attention in the small space: no output projection.
        const ctx = await selfAttention(
          small,
          [layerAdapter.query, layerAdapter.key, layerAdapter.value],
          { width: d, heads: adapter.numAttentionHeadsAug, prefix: "adapter." },
        );
        await record(matmul({
          linear: linear(layerAdapter.decoder),
          a: ctx,
          c: palOut,
          m: rows,
          activation: "gelu",
        }));
      } else {
        await record(matmul({
          linear: linear(layerAdapter.encoder),
          a: h,
          c: small,
          m: rows,
          activation: "gelu",
        }));
        await record(matmul({
          linear: linear(layerAdapter.decoder),
          a: small,
          c: palOut,
          m: rows,
        }));
      }
      residuals.push(palOut);
    }
    await record(dispatchLayerNorm(runtime, {
      x: ffn,
      residuals,
      ...norm(names.outputNorm),
      out: spare,
      rows,
      size: H,
      eps,
      dtype,
    }));
    [h, spare] = [spare, h];
  }

  const top = layout.top?.[task];
  if (top && adapter) {
    // Top-projected attention replaces the last hidden state (no residual around it).
    const d = adapter.hiddenSizeAug;
    let x = act("top.x.0", d);
    let xSpare = act("top.x.1", d);
    await record(matmul({ linear: linear(top.down), a: h, c: x, m: rows }));
    for (const topLayer of top.layers) {
      await attentionBlock(x, xSpare, topLayer, {
        width: d,
        heads: adapter.numAttentionHeadsAug,
        prefix: "top.",
      });
      [x, xSpare] = [xSpare, x];
    }
    await record(matmul({ linear: linear(top.up), a: x, c: spare, m: rows }));
    [h, spare] = [spare, h];
  }

  // Pooler reads each sequence's first row in place (row stride T·H).
  const pooled = stored("pooled", batch * H);
  await record(matmul({
    linear: linear(layout.pooler),
    a: h,
    c: pooled,
    m: batch,
    lda: seqLen * H,
    activation: "tanh",
  }));

  let logits: ForwardPlan["outputs"]["logits"];
  if (layout.qaOutputs) {
    const buffer = stored("logits", rows * 2);
    await record(
      matmul({ linear: linear(layout.qaOutputs), a: h, c: buffer, m: rows }),
    );
    logits = { buffer, floats: rows * 2 };
  } else if (layout.classifiers.length > 0) {
    const classifier = layout.classifiers[config.head.kind === "multi-task" ? task : 0];
    const buffer = stored("logits", batch * classifier.outFeatures);
    await record(
      matmul({ linear: linear(classifier), a: pooled, c: buffer, m: batch }),
    );
    logits = { buffer, floats: batch * classifier.outFeatures };
  }

  return {
    batch,
    seqLen,
    task,
    generation: pool.generation,
    dispatches,
    inputs,
    outputs: {
      lastHiddenState: { buffer: h, floats: rows * H },
      pooledOutput: { buffer: pooled, floats: batch * H },
      logits,
    },
  };
}
