/**
 * Masked multi-head self-attention from a fused QKV buffer, in one kernel:
 * scores `q·kᵀ · scale`, padding keys skipped, softmax, weighted sum of `v`.
 *
 * Shapes: `qkv` is `[B·T, 3W]` holding Q, K and V side by side (W = heads × d),
 * `mask` is `[B·T]` (1 = token, 0 = padding), `out` is `[B·T, W]` with heads
 * concatenated. One thread per (batch, head, query); the softmax is computed
 * online (running max and sum), so memory does not grow with T². Skipping a
 * padded key is exactly Hugging Face's additive mask, whose weight underflows
 * to zero. The same kernel serves the PAL attention in the small space.
 */
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

/**
 * Kernel variant for a head size (the per-thread accumulators are sized at
 * compile time) and activation dtype (scores and softmax are always f32).
 */
export function attentionKernel(headSize: number, dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "attention",
    key: `attention,d=${headSize},${dtype}`,
    dtype,
    storage: [
      { name: "qkv", element: "act_t", access: "read" },
      { name: "mask", element: "u32", access: "read" },
      { name: "out", element: "act_t", access: "read_write" },
    ],
    uniforms: [
      { name: "count", type: "u32" },
      { name: "seqLen", type: "u32" },
      { name: "heads", type: "u32" },
      { name: "width", type: "u32" },
      { name: "scale", type: "f32" },
    ],
    workgroupSize: WORKGROUP,
    body: /* wgsl */ `
const D = ${headSize}u;
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (g >= params.count) { return; }
  let T = params.seqLen;
  let i = g % T;
  let h = (g / T) % params.heads;
  let b = g / (T * params.heads);
  let stride = 3u * params.width;
  let qBase = (b * T + i) * stride + h * D;
  var q: array<f32, D>;
  for (var e = 0u; e < D; e++) { q[e] = f32(qkv[qBase + e]) * params.scale; }
  var acc: array<f32, D>;
  var runningMax = -3.0e38;
  var runningSum = 0.0;
  for (var j = 0u; j < T; j++) {
    if (mask[b * T + j] == 0u) { continue; }
    let kBase = (b * T + j) * stride + params.width + h * D;
    var s = 0.0;
    for (var e = 0u; e < D; e++) { s += q[e] * f32(qkv[kBase + e]); }
    let newMax = max(runningMax, s);
    let correction = exp(runningMax - newMax);
    let p = exp(s - newMax);
    runningSum = runningSum * correction + p;
    let vBase = kBase + params.width;
    for (var e = 0u; e < D; e++) { acc[e] = acc[e] * correction + p * f32(qkv[vBase + e]); }
    runningMax = newMax;
  }
  let outBase = (b * T + i) * params.width + h * D;
  let inv = 1.0 / runningSum;
  for (var e = 0u; e < D; e++) { out[outBase + e] = act_t(acc[e] * inv); }
}
`,
  };
}

/** Record attention over `batch × seqLen` tokens with `heads` heads of `headSize`. */
export function dispatchAttention(
  runtime: KernelRuntime,
  args: {
    qkv: GPUBuffer;
    mask: GPUBuffer;
    out: GPUBuffer;
    batch: number;
    seqLen: number;
    heads: number;
    headSize: number;
    dtype?: Dtype;
  },
) {
  const count = args.batch * args.heads * args.seqLen;
  return runtime.dispatch(
    attentionKernel(args.headSize, args.dtype),
    [args.qkv, args.mask, args.out],
    [count, args.seqLen, args.heads, args.heads * args.headSize, 1 / Math.sqrt(args.headSize)],
    grid1d(Math.ceil(count / WORKGROUP)),
  );
}
