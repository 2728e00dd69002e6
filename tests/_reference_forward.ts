/**
 * A plain float64 forward pass of the encoder, pooler and heads (Hugging Face
 * semantics plus BERT-and-PALs adapters), written as straightforward loops so
 * it can be read against the papers. Backends are checked against it with
 * `assertClose`, the one tolerance check of the tests.
 */
import type { HiddenAct, ModelConfig } from "../models/config.ts";
import { type LinearNames, modelLayout, shapeSize } from "../models/layout.ts";
import { makeModel, type Model } from "../models/model.ts";
import { xoshiro128ss } from "../models/init.ts";
import type { EncoderInput } from "../backends/backend.ts";

/** Reference outputs in float64, laid out as `EncoderOutput`. */
export interface ReferenceOutput {
  lastHiddenState: Float64Array;
  pooledOutput: Float64Array;
  logits?: Float64Array;
}

/** Run the model on a batch in float64. */
export function referenceForward(model: Model, input: EncoderInput): ReferenceOutput {
  const { config, layout, weights } = model;
  const { batchSize: B, seqLen: T } = input;
  const task = input.task ?? 0;
  const W = (name: string) => weights.get(name)!;
  const eps = config.layerNormEps;
  const E = config.embeddingSize;
  const H = config.hiddenSize;
  const rows = B * T;

  // Embeddings: word[id] + position[t] + token_type[tt], then LayerNorm over E. x is (B*T, E).
  const emb = layout.embeddings;
  let x = new Float64Array(rows * E);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = b * T + t;
      for (let e = 0; e < E; e++) {
        x[r * E + e] = W(emb.word)[input.inputIds[r] * E + e] + W(emb.position)[t * E + e] +
          W(emb.tokenType)[input.tokenTypeIds[r] * E + e];
      }
    }
  }
  x = layerNorm(x, W(emb.norm.weight), W(emb.norm.bias), eps);
  if (layout.embeddingProjection) x = linear(x, layout.embeddingProjection, W);

  const attend = (h: Float64Array, names: AttentionLinears, heads: number) =>
    attention(h, names, heads, input, W);
  for (const layer of layout.layers) {
    const n = layer.names;
    const h = x;
    const a = layerNorm(
      add(h, linear(attend(h, n, config.numAttentionHeads), n.attentionOutput, W)),
      W(n.attentionNorm.weight),
      W(n.attentionNorm.bias),
      eps,
    );
    let sum = add(linear(act(linear(a, n.intermediate, W), config.hiddenAct), n.output, W), a);
    const adapter = layer.adapters?.[task];
    if (adapter?.kind === "pals") {
      // PAL(h) = gelu(V_D · SelfAttn(V_E · h)), from the layer's input, exact GELU.
      const small = attend(
        linear(h, adapter.encoder, W),
        adapter,
        config.adapter!.numAttentionHeadsAug,
      );
      sum = add(sum, act(linear(small, adapter.decoder, W), "gelu"));
    } else if (adapter?.kind === "low-rank") {
      sum = add(sum, linear(act(linear(h, adapter.encoder, W), "gelu"), adapter.decoder, W));
    }
    x = layerNorm(sum, W(n.outputNorm.weight), W(n.outputNorm.bias), eps);
  }
  if (layout.top) {
    // Top-projected: down, attention blocks in d_s, up replaces the last hidden state.
    const top = layout.top[task];
    let s = linear(x, top.down, W);
    for (const l of top.layers) {
      const att = linear(attend(s, l, config.adapter!.numAttentionHeadsAug), l.attentionOutput, W);
      s = layerNorm(add(s, att), W(l.attentionNorm.weight), W(l.attentionNorm.bias), eps);
    }
    x = linear(s, top.up, W);
  }

  // Pooler: tanh(Linear(h[b, 0])).
  const cls = new Float64Array(B * H);
  for (let b = 0; b < B; b++) cls.set(x.subarray(b * T * H, b * T * H + H), b * H);
  const pooled = linear(cls, layout.pooler, W).map(Math.tanh);

  const head = config.head;
  let logits: Float64Array | undefined;
  if (head.kind === "question-answering") logits = linear(x, layout.qaOutputs!, W);
  else if (head.kind === "multiple-choice") logits = linear(pooled, layout.classifiers[0], W);
  else if (head.kind === "sequence-classification") {
    logits = linear(pooled, layout.classifiers[0], W);
  } else if (head.kind === "multi-task") logits = linear(pooled, layout.classifiers[task], W);
  return { lastHiddenState: x, pooledOutput: pooled, logits };
}

interface AttentionLinears {
  query: LinearNames;
  key: LinearNames;
  value: LinearNames;
}

/** y = x·Wᵀ + b for rows of x: (N, in) -> (N, out). */
function linear(x: Float64Array, names: LinearNames, W: (name: string) => Float32Array) {
  const { inFeatures: n, outFeatures: m } = names;
  const w = W(names.weight);
  const bias = W(names.bias);
  const N = x.length / n;
  const y = new Float64Array(N * m);
  for (let r = 0; r < N; r++) {
    for (let o = 0; o < m; o++) {
      let acc = bias[o];
      for (let i = 0; i < n; i++) acc += x[r * n + i] * w[o * n + i];
      y[r * m + o] = acc;
    }
  }
  return y;
}

/** LayerNorm over the last axis (size of gamma), biased variance as in PyTorch. */
function layerNorm(x: Float64Array, gamma: Float32Array, beta: Float32Array, eps: number) {
  const C = gamma.length;
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[r * C + c] / C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (x[r * C + c] - mean) ** 2 / C;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - mean) * inv * gamma[c] + beta[c];
  }
  return y;
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

/** `gelu`: 0.5x(1+erf(x/√2)); `gelu_new`: 0.5x(1+tanh(√(2/π)(x+0.044715x³))). */
function act(x: Float64Array, kind: HiddenAct): Float64Array {
  if (kind === "gelu") return x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
  const k = Math.sqrt(2 / Math.PI);
  return x.map((v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v ** 3))));
}

/**
 * erf to about 1e-13: Maclaurin series for |x| < 3, and beyond it, where the
 * series loses digits to cancellation, the continued fraction for erfc (A&S 7.1.14).
 */
function erf(x: number): number {
  const z = Math.abs(x);
  let result: number;
  if (z < 3) {
    // erf(z) = 2/√π · Σ (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= -z * z / n;
      sum += term / (2 * n + 1);
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = exp(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + 2/(z + ...)))))
    let f = z;
    for (let k = 60; k >= 1; k--) f = z + (k / 2) / f;
    result = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -result : result;
}

/**
 * Self-attention without output projection on (B*T, C) rows: heads of size
 * C/heads, softmax(QKᵀ/√d + mask)·V.
 */
function attention(
  x: Float64Array,
  names: AttentionLinears,
  heads: number,
  input: EncoderInput,
  W: (name: string) => Float32Array,
): Float64Array {
  const { batchSize: B, seqLen: T, attentionMask } = input;
  const C = names.query.outFeatures;
  const d = C / heads;
  const q = linear(x, names.query, W);
  const k = linear(x, names.key, W);
  const v = linear(x, names.value, W);
  const out = new Float64Array(B * T * C);
  const scores = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let hd = 0; hd < heads; hd++) {
      for (let i = 0; i < T; i++) {
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) {
            s += q[(b * T + i) * C + hd * d + c] * k[(b * T + j) * C + hd * d + c];
          }
          // Hugging Face's additive mask; exp(-10000) is exactly 0 in float64 too.
          scores[j] = s / Math.sqrt(d) + (1 - attentionMask[b * T + j]) * -10000;
          max = Math.max(max, scores[j]);
        }
        let total = 0;
        for (let j = 0; j < T; j++) total += scores[j] = Math.exp(scores[j] - max);
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += scores[j] / total * v[(b * T + j) * C + hd * d + c];
          out[(b * T + i) * C + hd * d + c] = acc;
        }
      }
    }
  }
  return out;
}

/** Tolerance of a comparison: pass when |actual - expected| <= atol + rtol·|expected|. */
export interface Tolerance {
  atol: number;
  rtol?: number;
}

/**
 * Compare element by element; on failure the error names the first mismatches
 * and the worst one (as llm.c's `validate_result`).
 */
export function assertClose(
  actual: ArrayLike<number> | undefined,
  expected: ArrayLike<number>,
  options: Tolerance & { label: string },
): void {
  const { atol, rtol = 0, label } = options;
  if (!actual) throw new Error(`${label}: output is missing`);
  if (actual.length !== expected.length) {
    throw new Error(`${label}: got ${actual.length} values, expected ${expected.length}`);
  }
  const bad: string[] = [];
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= atol + rtol * Math.abs(expected[i]))) {
      if (bad.length < 5) bad.push(`[${i}] got ${actual[i]}, expected ${expected[i]}`);
      if (!(diff <= worstDiff)) [worst, worstDiff] = [i, diff];
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: values differ beyond atol ${atol}, rtol ${rtol}: ${bad.join("; ")}; ` +
        `worst [${worst}] differs by ${worstDiff}`,
    );
  }
}

/** A seeded standard-normal generator (the project's xoshiro128** + Box-Muller), local to the tests. */
export function seededNormal(seed: number): () => number {
  const random = xoshiro128ss(seed);
  const uniform = () => random() / 4294967296;
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * A model with seeded random weights, scaled so activations stay near unit size
 * (0.02-scale weights would make every layer close to the identity and hide bugs).
 */
export function unitScaleModel(config: ModelConfig, seed = 1): Model {
  const normal = seededNormal(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of modelLayout(config).tensors) {
    const data = new Float32Array(shapeSize(spec.shape));
    const fanIn = spec.shape[spec.shape.length - 1];
    for (let i = 0; i < data.length; i++) {
      const z = normal();
      data[i] = spec.role === "linear-weight"
        ? z / Math.sqrt(fanIn)
        : spec.role === "norm-weight"
        ? 1 + 0.2 * z
        : spec.role === "embedding"
        ? z
        : 0.2 * z;
    }
    weights.set(spec.name, data);
  }
  return makeModel(config, weights);
}

/** A padded batch: row b has `lengths[b]` real tokens (random ids), then padding. */
export function randomBatch(
  model: Model,
  options: { lengths: number[]; seqLen: number; seed?: number; task?: number },
): EncoderInput {
  const { lengths, seqLen } = options;
  const normal = seededNormal(options.seed ?? 7);
  const batchSize = lengths.length;
  const inputIds = new Int32Array(batchSize * seqLen).fill(model.config.padTokenId);
  const tokenTypeIds = new Int32Array(batchSize * seqLen);
  const attentionMask = new Int32Array(batchSize * seqLen);
  lengths.forEach((length, b) => {
    for (let t = 0; t < length; t++) {
      const id = 1 + Math.floor(Math.abs(normal()) * 1e6) % (model.config.vocabSize - 1);
      inputIds[b * seqLen + t] = id;
      // Second segment starts halfway, as in a sentence pair.
      tokenTypeIds[b * seqLen + t] = t >= length / 2 ? 1 : 0;
      attentionMask[b * seqLen + t] = 1;
    }
  });
  return { batchSize, seqLen, inputIds, tokenTypeIds, attentionMask, task: options.task };
}
