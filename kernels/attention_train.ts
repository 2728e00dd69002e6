/**
 * Masked multi-head self-attention for training: the forward stores the
 * attention probabilities `P [B, heads, T, T]` for the backward, and applies
 * attention-probability dropout (mask regenerated from the RNG, never
 * stored). With `s = scale·q·kᵀ`, `P = softmax(s)` over unmasked keys,
 * `P' = dropout(P)` and `ctx = P'·v`:
 *
 *   dP' = dctx·vᵀ,  dP = dropout(dP'),  dS = P ⊙ (dP − Σ_j P·dP)
 *   dq = scale·dS·k,  dk = scale·dSᵀ·q,  dv = P'ᵀ·dctx
 *
 * Three kernels, one thread per (batch, head, position): the forward and the
 * row pass (query side, which also stores dS) loop over keys; the column
 * pass (key side) loops over queries. Q, K and V and their gradients live
 * side by side in `[B·T, 3W]` buffers as in the inference kernel.
 */
import { DROPOUT_WGSL, dropoutThreshold } from "./dropout.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

const UNIFORMS: KernelSpec["uniforms"] = [
  { name: "count", type: "u32" },
  { name: "seqLen", type: "u32" },
  { name: "heads", type: "u32" },
  { name: "width", type: "u32" },
  { name: "scale", type: "f32" },
  { name: "site", type: "u32" },
  { name: "threshold", type: "u32" },
  { name: "dropScale", type: "f32" },
];

// Thread index -> (b, h, position), and the row bases of q, k, v in the QKV layout.
const PROLOGUE = /* wgsl */ `
  let g = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (g >= params.count) { return; }
  let T = params.seqLen;
  let pos = g % T;
  let h = (g / T) % params.heads;
  let b = g / (T * params.heads);
  let stride = 3u * params.width;
  let head = h * D;
  let probBase = (b * params.heads + h) * T * T;`;

/** WGSL `kept(i, j)`: the dropout factor of probability (i, j) of this (b, h). */
const KEPT = /* wgsl */ `
fn kept(probBase: u32, i: u32, j: u32) -> f32 {
  let index = probBase + i * params.seqLen + j;
  return select(0.0, params.dropScale, dropout_keep(index, params.site));
}`;

function spec(
  name: string,
  headSize: number,
  dtype: Dtype,
  storage: KernelSpec["storage"],
  body: string,
): KernelSpec {
  return {
    name,
    key: `${name},d=${headSize}`,
    dtype,
    storage: [...storage, { name: "rng", element: "u32", access: "read" } as const],
    uniforms: UNIFORMS,
    workgroupSize: WORKGROUP,
    body: `const D = ${headSize}u;${DROPOUT_WGSL}${KEPT}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {${PROLOGUE}
${body}
}
`,
  };
}

/** Forward: `probs` (before dropout) and `out = dropout(P)·v`. */
export function attentionForwardKernel(headSize: number, dtype: Dtype = "f32"): KernelSpec {
  return spec(
    "attention_forward",
    headSize,
    dtype,
    [
      { name: "qkv", element: "act_t", access: "read" },
      { name: "mask", element: "u32", access: "read" },
      { name: "probs", element: "f32", access: "read_write" },
      { name: "out", element: "act_t", access: "read_write" },
    ],
    /* wgsl */ `
  let i = pos;
  let qBase = (b * T + i) * stride + head;
  let pBase = probBase + i * T;
  var rowMax = -3.0e38;
  for (var j = 0u; j < T; j++) {
    var s = 0.0;
    if (mask[b * T + j] != 0u) {
      let kBase = (b * T + j) * stride + params.width + head;
      for (var e = 0u; e < D; e++) { s += f32(qkv[qBase + e]) * f32(qkv[kBase + e]); }
      s *= params.scale;
      rowMax = max(rowMax, s);
    }
    probs[pBase + j] = s;
  }
  var total = 0.0;
  for (var j = 0u; j < T; j++) {
    var p = 0.0;
    if (mask[b * T + j] != 0u) { p = exp(probs[pBase + j] - rowMax); }
    probs[pBase + j] = p;
    total += p;
  }
  var acc: array<f32, D>;
  let inv = 1.0 / total;
  for (var j = 0u; j < T; j++) {
    let p = probs[pBase + j] * inv;
    probs[pBase + j] = p;
    let pd = p * kept(probBase, i, j);
    if (pd == 0.0) { continue; }
    let vBase = (b * T + j) * stride + 2u * params.width + head;
    for (var e = 0u; e < D; e++) { acc[e] += pd * f32(qkv[vBase + e]); }
  }
  let outBase = (b * T + i) * params.width + head;
  for (var e = 0u; e < D; e++) { out[outBase + e] = act_t(acc[e]); }`,
  );
}

/** Backward, query side: stores `dS` and writes `dq` into `dqkv`. */
export function attentionBackwardRowsKernel(headSize: number, dtype: Dtype = "f32"): KernelSpec {
  return spec(
    "attention_backward_rows",
    headSize,
    dtype,
    [
      { name: "qkv", element: "act_t", access: "read" },
      { name: "probs", element: "f32", access: "read" },
      { name: "dout", element: "act_t", access: "read" },
      { name: "dscores", element: "f32", access: "read_write" },
      { name: "dqkv", element: "act_t", access: "read_write" },
    ],
    /* wgsl */ `
  let i = pos;
  let pBase = probBase + i * T;
  let dBase = (b * T + i) * params.width + head;
  var dctx: array<f32, D>;
  for (var e = 0u; e < D; e++) { dctx[e] = f32(dout[dBase + e]); }
  var r = 0.0;
  for (var j = 0u; j < T; j++) {
    let p = probs[pBase + j];
    var dp = 0.0;
    if (p != 0.0) {
      let vBase = (b * T + j) * stride + 2u * params.width + head;
      for (var e = 0u; e < D; e++) { dp += dctx[e] * f32(qkv[vBase + e]); }
      dp *= kept(probBase, i, j);
    }
    dscores[pBase + j] = dp;
    r += p * dp;
  }
  var dq: array<f32, D>;
  for (var j = 0u; j < T; j++) {
    let p = probs[pBase + j];
    let ds = p * (dscores[pBase + j] - r);
    dscores[pBase + j] = ds;
    if (ds == 0.0) { continue; }
    let kBase = (b * T + j) * stride + params.width + head;
    for (var e = 0u; e < D; e++) { dq[e] += ds * f32(qkv[kBase + e]); }
  }
  let qBase = (b * T + i) * stride + head;
  for (var e = 0u; e < D; e++) { dqkv[qBase + e] = act_t(dq[e] * params.scale); }`,
  );
}

/** Backward, key side: writes `dk` and `dv` into `dqkv`. */
export function attentionBackwardColumnsKernel(headSize: number, dtype: Dtype = "f32"): KernelSpec {
  return spec(
    "attention_backward_columns",
    headSize,
    dtype,
    [
      { name: "qkv", element: "act_t", access: "read" },
      { name: "probs", element: "f32", access: "read" },
      { name: "dout", element: "act_t", access: "read" },
      { name: "dscores", element: "f32", access: "read" },
      { name: "dqkv", element: "act_t", access: "read_write" },
    ],
    /* wgsl */ `
  let j = pos;
  var dk: array<f32, D>;
  var dv: array<f32, D>;
  for (var i = 0u; i < T; i++) {
    let index = probBase + i * T + j;
    let p = probs[index];
    if (p == 0.0) { continue; }
    let ds = dscores[index];
    let qBase = (b * T + i) * stride + head;
    for (var e = 0u; e < D; e++) { dk[e] += ds * f32(qkv[qBase + e]); }
    let pd = p * kept(probBase, i, j);
    let dBase = (b * T + i) * params.width + head;
    for (var e = 0u; e < D; e++) { dv[e] += pd * f32(dout[dBase + e]); }
  }
  let kBase = (b * T + j) * stride + params.width + head;
  for (var e = 0u; e < D; e++) {
    dqkv[kBase + e] = act_t(dk[e] * params.scale);
    dqkv[kBase + params.width + e] = act_t(dv[e]);
  }`,
  );
}

/** Shape and dropout of one attention application. */
export interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  headSize: number;
  /** Attention-probability dropout and its site in the step's RNG stream. */
  dropout: number;
  site: number;
  rng: GPUBuffer;
  /** Storage of Q, K, V, the context and their gradients (probabilities stay f32). */
  dtype?: Dtype;
}

function uniforms(s: AttentionShape): number[] {
  return [
    s.batch * s.heads * s.seqLen,
    s.seqLen,
    s.heads,
    s.heads * s.headSize,
    1 / Math.sqrt(s.headSize),
    s.site,
    dropoutThreshold(s.dropout),
    1 / (1 - s.dropout),
  ];
}

function grid(s: AttentionShape) {
  return grid1d(Math.ceil((s.batch * s.heads * s.seqLen) / WORKGROUP));
}

/** Floats of the probabilities (and score-gradient) buffer of a shape. */
export function attentionProbsSize(s: { batch: number; seqLen: number; heads: number }): number {
  return s.batch * s.heads * s.seqLen * s.seqLen;
}

/** Record the training forward. */
export function dispatchAttentionForward(
  runtime: KernelRuntime,
  args: AttentionShape & { qkv: GPUBuffer; mask: GPUBuffer; probs: GPUBuffer; out: GPUBuffer },
) {
  return runtime.dispatch(
    attentionForwardKernel(args.headSize, args.dtype),
    [args.qkv, args.mask, args.probs, args.out, args.rng],
    uniforms(args),
    grid(args),
  );
}

/** Record the backward: `dqkv` is written in full (Q, K and V parts). */
export async function dispatchAttentionBackward(
  runtime: KernelRuntime,
  args: AttentionShape & {
    qkv: GPUBuffer;
    probs: GPUBuffer;
    dout: GPUBuffer;
    dscores: GPUBuffer;
    dqkv: GPUBuffer;
  },
) {
  const buffers = [args.qkv, args.probs, args.dout, args.dscores, args.dqkv, args.rng];
  return [
    await runtime.dispatch(
      attentionBackwardRowsKernel(args.headSize, args.dtype),
      buffers,
      uniforms(args),
      grid(args),
    ),
    await runtime.dispatch(
      attentionBackwardColumnsKernel(args.headSize, args.dtype),
      buffers,
      uniforms(args),
      grid(args),
    ),
  ];
}
