/**
 * The training losses and their logit gradients, in one pass per row:
 *
 *   cross-entropy  loss = w·(logsumexp(x) − x[label]),  dx = w·(softmax(x) − onehot)
 *   squared error  loss = w·(x − y)²,                    dx = 2w·(x − y)
 *
 * Cross-entropy reads a row of `width` logits at a stride, so one kernel
 * serves classification (`[B, C]`), multiple choice (`[B·C]` read as
 * `[B, C]`) and the span starts and ends of `[B, T, 2]` QA logits (stride 2,
 * offset 0 or 1, each weighted ½ as Hugging Face averages the two). `w` is
 * 1/B for a mean over the batch. Per-row losses are written to `losses` for
 * the training log; labels are floats (class indices are exact in f32).
 *
 * Logits and their gradients are activations (f32 or f16); the loss itself is
 * computed in f32, and the gradients are multiplied by the loss scale
 * (`loss_scale.ts`, 1 in f32 training) so small ones survive an f16 backward.
 */
import { LOSS_SCALE_SLOTS } from "./loss_scale.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

/** Both losses read logits, labels and the loss scale, and write logit gradients and per-row losses. */
const LOSS_BINDINGS: KernelSpec["storage"] = [
  { name: "logits", element: "act_t", access: "read" },
  { name: "labels", element: "f32", access: "read" },
  { name: "dlogits", element: "act_t", access: "read_write" },
  { name: "losses", element: "f32", access: "read_write" },
  { name: "scaler", element: "f32", access: "read" },
];

/** WGSL `logit(i)` (f32) and `gradient_weight()`: the loss weight times the loss scale. */
const LOSS_WGSL = /* wgsl */ `
fn logit(i: u32) -> f32 { return f32(logits[i]); }
fn gradient_weight() -> f32 { return params.weight * scaler[${LOSS_SCALE_SLOTS.scale}]; }
`;

/** Softmax cross-entropy over rows of strided logits. */
export function crossEntropyKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "cross_entropy",
    key: `cross_entropy`,
    dtype,
    storage: LOSS_BINDINGS,
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "width", type: "u32" },
      { name: "rowStride", type: "u32" },
      { name: "colStride", type: "u32" },
      { name: "offset", type: "u32" },
      { name: "weight", type: "f32" },
      { name: "lossOffset", type: "u32" },
      { name: "labelOffset", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `${LOSS_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= params.rows) { return; }
  let base = r * params.rowStride + params.offset;
  let label = u32(labels[params.labelOffset + r]);
  var rowMax = -3.0e38;
  for (var j = 0u; j < params.width; j++) { rowMax = max(rowMax, logit(base + j * params.colStride)); }
  var total = 0.0;
  for (var j = 0u; j < params.width; j++) { total += exp(logit(base + j * params.colStride) - rowMax); }
  let logZ = rowMax + log(total);
  let w = gradient_weight();
  for (var j = 0u; j < params.width; j++) {
    let index = base + j * params.colStride;
    let p = exp(logit(index) - logZ);
    dlogits[index] = act_t(w * (p - select(0.0, 1.0, j == label)));
  }
  losses[params.lossOffset + r] = params.weight * (logZ - logit(base + label * params.colStride));
}
`,
  };
}

/** Squared error of one output per row (STS-B regression). */
export function squaredErrorKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "squared_error",
    key: `squared_error`,
    dtype,
    storage: LOSS_BINDINGS,
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "weight", type: "f32" },
    ],
    workgroupSize: WORKGROUP,
    body: `${LOSS_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= params.rows) { return; }
  let diff = logit(r) - labels[r];
  dlogits[r] = act_t(2.0 * gradient_weight() * diff);
  losses[r] = params.weight * diff * diff;
}
`,
  };
}

/** Where a cross-entropy reads its rows of logits. */
export interface CrossEntropyLayout {
  rows: number;
  width: number;
  rowStride: number;
  colStride?: number;
  offset?: number;
  weight: number;
  /** First slot of `losses` this loss writes. */
  lossOffset?: number;
  /** First label this loss reads. */
  labelOffset?: number;
}

/** The buffers every loss binds; `scaler` is the loss-scale state (`LOSS_SCALE_SLOTS`). */
export interface LossBuffers {
  logits: GPUBuffer;
  labels: GPUBuffer;
  dlogits: GPUBuffer;
  losses: GPUBuffer;
  scaler: GPUBuffer;
  /** Storage of the logits and their gradient (default f32). */
  dtype?: Dtype;
}

const lossBuffers = (a: LossBuffers) => [a.logits, a.labels, a.dlogits, a.losses, a.scaler];

/** Record a cross-entropy; writes `dlogits` at the logits it reads. */
export function dispatchCrossEntropy(
  runtime: KernelRuntime,
  args: CrossEntropyLayout & LossBuffers,
) {
  return runtime.dispatch(
    crossEntropyKernel(args.dtype),
    lossBuffers(args),
    [
      args.rows,
      args.width,
      args.rowStride,
      args.colStride ?? 1,
      args.offset ?? 0,
      args.weight,
      args.lossOffset ?? 0,
      args.labelOffset ?? 0,
    ],
    grid1d(Math.ceil(args.rows / WORKGROUP)),
  );
}

/** Record a squared error over `rows` single outputs. */
export function dispatchSquaredError(
  runtime: KernelRuntime,
  args: LossBuffers & { rows: number; weight: number },
) {
  return runtime.dispatch(
    squaredErrorKernel(args.dtype),
    lossBuffers(args),
    [args.rows, args.weight],
    grid1d(Math.ceil(args.rows / WORKGROUP)),
  );
}
