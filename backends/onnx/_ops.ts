/**
 * Model building blocks as standard ONNX ops: Linear, LayerNorm, the two GELU
 * forms and multi-head self-attention. Activations are `[B, T, C]` float32.
 */
import type { HiddenAct } from "../../models/config.ts";
import type { LinearNames, NormNames } from "../../models/layout.ts";
import type { Weights } from "../../models/model.ts";
import type { GraphBuilder } from "./_builder.ts";

/**
 * Additive attention-mask value for padded keys, as in Hugging Face BERT/ALBERT:
 * exp(-10000) underflows to exactly zero in float32, so padded keys get zero weight.
 */
export const MASK_VALUE = -10000;

/** What the building blocks share: the graph, the weights and the model's LayerNorm eps. */
export interface OpContext {
  g: GraphBuilder;
  weights: Weights;
  eps: number;
  /** Additive mask `[B, 1, 1, T]`: 0 for real keys, `MASK_VALUE` for padding. */
  mask: string;
}

function weight(ctx: OpContext, name: string): Float32Array {
  const data = ctx.weights.get(name);
  if (!data) throw new Error(`Cannot build ONNX graph: missing tensor "${name}"`);
  return data;
}

/** `y = x·Wᵀ + b`: PyTorch `[out, in]` weights are stored transposed as `[in, out]` for MatMul. */
export function linear(ctx: OpContext, x: string, names: LinearNames): string {
  const { inFeatures: n, outFeatures: m } = names;
  const transposed = `${names.weight}.T`;
  if (!ctx.g.has(transposed)) {
    const w = weight(ctx, names.weight);
    const t = new Float32Array(n * m);
    for (let o = 0; o < m; o++) {
      for (let i = 0; i < n; i++) t[i * m + o] = w[o * n + i];
    }
    ctx.g.float(transposed, [n, m], t);
  }
  const bias = ctx.g.float(names.bias, [m], weight(ctx, names.bias));
  return ctx.g.node("Add", [ctx.g.node("MatMul", [x, transposed]), bias]);
}

/** LayerNorm over the last axis with the model's eps. */
export function layerNorm(ctx: OpContext, x: string, names: NormNames): string {
  const scale = ctx.g.float(names.weight, [names.size], weight(ctx, names.weight));
  const bias = ctx.g.float(names.bias, [names.size], weight(ctx, names.bias));
  return ctx.g.node("LayerNormalization", [x, scale, bias], {
    axis: { int: -1 },
    epsilon: ctx.eps,
  });
}

/** `gelu`: exact `0.5x(1+erf(x/√2))`; `gelu_new`: `0.5x(1+tanh(√(2/π)(x+0.044715x³)))`. */
export function gelu(ctx: OpContext, x: string, act: HiddenAct): string {
  const { g } = ctx;
  let inner: string;
  if (act === "gelu") {
    inner = g.node("Erf", [g.node("Div", [x, g.scalar(Math.SQRT2)])]);
  } else {
    const cube = g.node("Mul", [g.node("Mul", [x, x]), x]);
    const poly = g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715)])]);
    inner = g.node("Tanh", [g.node("Mul", [poly, g.scalar(Math.sqrt(2 / Math.PI))])]);
  }
  const half = g.node("Mul", [x, g.scalar(0.5)]);
  return g.node("Mul", [half, g.node("Add", [inner, g.scalar(1)])]);
}

/** The Q, K, V projections of one self-attention. */
export interface AttentionNames {
  query: LinearNames;
  key: LinearNames;
  value: LinearNames;
}

/**
 * Multi-head self-attention without output projection: `[B, T, C]` -> `[B, T, C]`,
 * heads of size C/heads, `softmax(QKᵀ/√d + mask)·V`, heads concatenated.
 */
export function selfAttention(
  ctx: OpContext,
  x: string,
  names: AttentionNames,
  heads: number,
): string {
  const { g } = ctx;
  const size = names.query.outFeatures;
  const d = size / heads;
  // [B, T, C] -> [B, T, heads, d]; Reshape's 0 copies B and T from the input.
  const split = (y: string) => g.node("Reshape", [y, g.ints([0, 0, heads, d])]);
  const q = g.node("Transpose", [split(linear(ctx, x, names.query))], { perm: [0, 2, 1, 3] });
  const kT = g.node("Transpose", [split(linear(ctx, x, names.key))], { perm: [0, 2, 3, 1] });
  const v = g.node("Transpose", [split(linear(ctx, x, names.value))], { perm: [0, 2, 1, 3] });
  // scores [B, heads, T, T]; the mask broadcasts over heads and query rows.
  const scores = g.node("Div", [g.node("MatMul", [q, kT]), g.scalar(Math.sqrt(d))]);
  const probs = g.node("Softmax", [g.node("Add", [scores, ctx.mask])], { axis: { int: -1 } });
  const context = g.node("Transpose", [g.node("MatMul", [probs, v])], { perm: [0, 2, 1, 3] });
  return g.node("Reshape", [context, g.ints([0, 0, size])]);
}
