/**
 * The training step of one (batch, sequence length, task) shape: the encoder
 * forward as `backends/webgpu/plan.ts` runs it (same math, Hugging Face
 * dropout placement), the head, the task's loss, and the backward, recorded
 * once through `TrainGraph` and replayed for every batch of that shape.
 *
 * Dropout sites (when enabled): the embedding output, attention
 * probabilities, each attention output projection, BERT's FFN output (ALBERT
 * has none there), and the classifier input.
 */
import { dispatchCrossEntropy, dispatchSquaredError } from "../kernels/loss.ts";
import { embeddingGroups, groupsSize } from "../kernels/embeddings_train.ts";
import type { ActivationPool } from "../backends/webgpu/plan.ts";
import type { LayerNames, LinearNames, TopLayerNames } from "../models/layout.ts";
import type { Dispatch, Dtype, KernelRuntime } from "../runtime/kernel.ts";
import { type Act, columns, everyRow, TrainGraph } from "./graph.ts";
import type { TrainableParams } from "./params.ts";

/** How the head's logits become a loss. */
export type LossKind = "cross-entropy" | "squared-error" | "span" | "multiple-choice";

/** Shape of one recorded step. */
export interface StepShape {
  /** Rows in the batch (RACE: questions × choices). */
  batch: number;
  /** Padded sequence length of every row. */
  seqLen: number;
  /** Index of the task head (and adapters) the batch trains; 0 for a single-task model. */
  task: number;
  /** Rows per multiple-choice question (RACE: 4). */
  choices?: number;
}

/** A recorded training step. */
export interface StepPlan {
  shape: StepShape;
  loss: LossKind;
  generation: number;
  forward: Dispatch[];
  backward: Dispatch[];
  inputs: {
    ids: GPUBuffer;
    types: GPUBuffer;
    mask: GPUBuffer;
    groups: { word: GPUBuffer; position: GPUBuffer; tokenType: GPUBuffer };
    labels: GPUBuffer;
  };
  /** Grouping of the rows by position, the same for every batch of this shape. */
  positionGroups: Uint32Array<ArrayBuffer>;
  /** Per-row (per-question) weighted losses; their sum is the batch's mean loss. */
  losses: { buffer: GPUBuffer; count: number };
}

/** The loss a model's head trains with for a task. */
export function lossKind(params: TrainableParams, task: number): LossKind {
  const { config, layout } = params.model;
  if (config.head.kind === "question-answering") return "span";
  if (config.head.kind === "multiple-choice") return "multiple-choice";
  const classifier = layout.classifiers[config.head.kind === "multi-task" ? task : 0];
  if (!classifier) throw new Error("This model has no task head to train; give it one first");
  return classifier.outFeatures === 1 ? "squared-error" : "cross-entropy";
}

/** Number of labels (and loss slots) a batch of `batch` rows needs. */
export function labelCount(loss: LossKind, shape: StepShape): number {
  if (loss === "span") return 2 * shape.batch;
  if (loss === "multiple-choice") return shape.batch / (shape.choices ?? 1);
  return shape.batch;
}

/** Record the training step of one shape. */
export async function buildStepPlan(
  runtime: KernelRuntime,
  params: TrainableParams,
  pool: ActivationPool,
  rng: GPUBuffer,
  shape: StepShape,
  options: {
    dropout: boolean;
    /** Storage of activations and their gradients (default f32). */
    dtype?: Dtype;
    /** Loss-scale state the losses multiply their gradients by (`kernels/loss_scale.ts`). */
    scaler: GPUBuffer;
  },
): Promise<StepPlan> {
  const { config, layout } = params.model;
  const { batch, seqLen, task } = shape;
  const rows = batch * seqLen;
  const H = config.hiddenSize, E = config.embeddingSize, eps = config.layerNormEps;
  const g = new TrainGraph(runtime, pool, params, rng, options.dropout, options.dtype);
  const loss = lossKind(params, task);
  const labels = labelCount(loss, shape);
  const inputs = {
    ids: pool.get("input_ids", rows),
    types: pool.get("token_type_ids", rows),
    mask: pool.get("attention_mask", rows),
    groups: {
      word: pool.get("groups.word", groupsSize(rows)),
      position: pool.get("groups.position", groupsSize(rows)),
      tokenType: pool.get("groups.token_type", groupsSize(rows)),
    },
    labels: pool.get("labels", labels),
  };
  const hiddenDropout = config.hiddenDropoutProb;

  let h = await g.embeddingSum({
    ids: inputs.ids,
    types: inputs.types,
    groups: inputs.groups,
    names: layout.embeddings,
    rows,
    seqLen,
    size: E,
  });
  h = await g.layerNorm([h], layout.embeddings.norm, eps);
  h = await g.dropoutOp(h, hiddenDropout);
  if (layout.embeddingProjection) h = await g.linear(h, layout.embeddingProjection);

  const selfAttention = async (
    x: Act,
    names: { query: LinearNames; key: LinearNames; value: LinearNames },
    width: number,
    heads: number,
  ) => {
    const qkv = g.act("qkv", rows, 3 * width);
    await g.linear(x, names.query, columns(qkv, 0, width));
    await g.linear(x, names.key, columns(qkv, width, width));
    await g.linear(x, names.value, columns(qkv, 2 * width, width));
    return g.attention(qkv, {
      batch,
      seqLen,
      heads,
      mask: inputs.mask,
      dropout: config.attentionProbsDropoutProb,
    });
  };
  // LN(x + dropout(dense(attention(x)))): encoder layers and top-projected blocks.
  const attentionBlock = async (
    x: Act,
    names: LayerNames | TopLayerNames,
    width: number,
    heads: number,
  ) => {
    const ctx = await selfAttention(x, names, width, heads);
    const projected = await g.dropoutOp(await g.linear(ctx, names.attentionOutput), hiddenDropout);
    return g.layerNorm([projected, x], names.attentionNorm, eps);
  };

  const adapter = config.adapter;
  for (const layer of layout.layers) {
    const names = layer.names;
    const attended = await attentionBlock(h, names, H, config.numAttentionHeads);
    const intermediate = await g.activation(
      await g.linear(attended, names.intermediate),
      config.hiddenAct,
    );
    let ffn = await g.linear(intermediate, names.output);
    if (config.modelType === "bert") ffn = await g.dropoutOp(ffn, hiddenDropout);
    const residuals = [ffn, attended];
    const pal = layer.adapters?.[task];
    if (pal && adapter) {
      const d = adapter.hiddenSizeAug;
      if (pal.kind === "pals") {
        const small = await g.linear(h, pal.encoder);
        const ctx = await selfAttention(small, pal, d, adapter.numAttentionHeadsAug);
        residuals.push(await g.activation(await g.linear(ctx, pal.decoder), "gelu"));
      } else {
        const small = await g.activation(await g.linear(h, pal.encoder), "gelu");
        residuals.push(await g.linear(small, pal.decoder));
      }
    }
    h = await g.layerNorm(residuals, names.outputNorm, eps);
  }

  const top = layout.top?.[task];
  if (top && adapter) {
    let x = await g.linear(h, top.down);
    for (const block of top.layers) {
      x = await attentionBlock(x, block, adapter.hiddenSizeAug, adapter.numAttentionHeadsAug);
    }
    h = await g.linear(x, top.up);
  }

  let logits: Act;
  if (loss === "span") {
    logits = await g.linear(h, layout.qaOutputs!);
  } else {
    const pooled = await g.activation(await g.linear(everyRow(h, seqLen), layout.pooler), "tanh");
    const classifier = layout.classifiers[config.head.kind === "multi-task" ? task : 0];
    const dropped = await g.dropoutOp(pooled, config.classifierDropoutProb);
    logits = await g.linear(dropped, classifier);
  }

  const losses = pool.get("losses", labels);
  const common = {
    logits: logits.value.buffer,
    labels: inputs.labels,
    dlogits: logits.grad.buffer,
    losses,
    scaler: options.scaler,
    dtype: options.dtype,
  };
  if (loss === "squared-error") {
    await g.loss(
      logits,
      dispatchSquaredError(runtime, { ...common, rows: batch, weight: 1 / batch }),
    );
  } else if (loss === "span") {
    // Start and end: rows of T logits at stride 2 in `[B, T, 2]`; labels are starts then ends.
    for (const side of [0, 1]) {
      await g.loss(
        logits,
        dispatchCrossEntropy(runtime, {
          ...common,
          rows: batch,
          width: seqLen,
          rowStride: seqLen * 2,
          colStride: 2,
          offset: side,
          weight: 0.5 / batch,
          lossOffset: side * batch,
          labelOffset: side * batch,
        }),
      );
    }
  } else {
    const width = loss === "multiple-choice" ? (shape.choices ?? 1) : logits.value.cols;
    await g.loss(
      logits,
      dispatchCrossEntropy(runtime, {
        ...common,
        rows: labels,
        width,
        rowStride: width,
        weight: 1 / labels,
      }),
    );
  }
  await g.recordBackward();
  return {
    shape,
    loss,
    generation: pool.generation,
    forward: g.forward,
    backward: g.backward,
    inputs,
    positionGroups: embeddingGroups(Array.from({ length: rows }, (_, r) => r % seqLen), rows),
    losses: { buffer: losses, count: labels },
  };
}
