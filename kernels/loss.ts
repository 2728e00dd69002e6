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
 */
import { grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

/** Both losses read logits and labels and write logit gradients and per-row losses. */
const LOSS_BINDINGS: KernelSpec["storage"] = [
  { name: "logits", element: "f32", access: "read" },
  { name: "labels", element: "f32", access: "read" },
  { name: "dlogits", element: "f32", access: "read_write" },
  { name: "losses", element: "f32", access: "read_write" },
];

/** Softmax cross-entropy over rows of strided logits. */
export const CROSS_ENTROPY_KERNEL: KernelSpec = {
  name: "cross_entropy",
  key: "cross_entropy",
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
  body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= params.rows) { return; }
  let base = r * params.rowStride + params.offset;
  let label = u32(labels[params.labelOffset + r]);
  var rowMax = -3.0e38;
  for (var j = 0u; j < params.width; j++) { rowMax = max(rowMax, logits[base + j * params.colStride]); }
  var total = 0.0;
  for (var j = 0u; j < params.width; j++) { total += exp(logits[base + j * params.colStride] - rowMax); }
  let logZ = rowMax + log(total);
  for (var j = 0u; j < params.width; j++) {
    let index = base + j * params.colStride;
    let p = exp(logits[index] - logZ);
    dlogits[index] = params.weight * (p - select(0.0, 1.0, j == label));
  }
  losses[params.lossOffset + r] = params.weight * (logZ - logits[base + label * params.colStride]);
}
`,
};

/** Squared error of one output per row (STS-B regression). */
export const SQUARED_ERROR_KERNEL: KernelSpec = {
  name: "squared_error",
  key: "squared_error",
  storage: LOSS_BINDINGS,
  uniforms: [
    { name: "rows", type: "u32" },
    { name: "weight", type: "f32" },
  ],
  workgroupSize: WORKGROUP,
  body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= params.rows) { return; }
  let diff = logits[r] - labels[r];
  dlogits[r] = 2.0 * params.weight * diff;
  losses[r] = params.weight * diff * diff;
}
`,
};

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

/** Record a cross-entropy; writes `dlogits` at the logits it reads. */
export function dispatchCrossEntropy(
  runtime: KernelRuntime,
  args: CrossEntropyLayout & {
    logits: GPUBuffer;
    labels: GPUBuffer;
    dlogits: GPUBuffer;
    losses: GPUBuffer;
  },
) {
  return runtime.dispatch(
    CROSS_ENTROPY_KERNEL,
    [args.logits, args.labels, args.dlogits, args.losses],
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
  args: {
    logits: GPUBuffer;
    labels: GPUBuffer;
    dlogits: GPUBuffer;
    losses: GPUBuffer;
    rows: number;
    weight: number;
  },
) {
  return runtime.dispatch(
    SQUARED_ERROR_KERNEL,
    [args.logits, args.labels, args.dlogits, args.losses],
    [args.rows, args.weight],
    grid1d(Math.ceil(args.rows / WORKGROUP)),
  );
}
