/**
 * Global gradient-norm clipping without read-back (PyTorch `clip_grad_norm_`):
 * each gradient tensor adds its sum of squares into its own slot of
 * `partials` (one workgroup per tensor), then one workgroup sums the slots and
 * writes `scale = min(1, maxNorm / (norm + 1e-6))` into the optimiser's step
 * buffer, where the AdamW kernel multiplies every gradient by it. The norm is
 * also stored (slot `count` of `partials`) for the training log.
 */
import { workgroupSumWgsl } from "./_reduce.ts";
import type { KernelRuntime, KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/** Sum of squares of one tensor into `partials[params.slot]`. */
export const SUM_SQUARES_KERNEL: KernelSpec = {
  name: "sum_squares",
  key: "sum_squares",
  storage: [
    { name: "x", element: "f32", access: "read" },
    { name: "partials", element: "f32", access: "read_write" },
  ],
  uniforms: [
    { name: "size", type: "u32" },
    { name: "slot", type: "u32" },
  ],
  workgroupSize: WORKGROUP,
  body: `${workgroupSumWgsl(WORKGROUP)}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) { s += x[i] * x[i]; }
  let total = workgroup_sum(s, lid);
  if (lid == 0u) { partials[params.slot] = total; }
}
`,
};

/** Norm of all slots, and the clipping scale into `hyper[params.scaleSlot]`. */
export const CLIP_SCALE_KERNEL: KernelSpec = {
  name: "clip_scale",
  key: "clip_scale",
  storage: [
    { name: "partials", element: "f32", access: "read_write" },
    { name: "hyper", element: "f32", access: "read_write" },
  ],
  uniforms: [
    { name: "count", type: "u32" },
    { name: "scaleSlot", type: "u32" },
    { name: "maxNorm", type: "f32" },
  ],
  workgroupSize: WORKGROUP,
  body: `${workgroupSumWgsl(WORKGROUP)}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < params.count; i += WORKGROUP_SIZE) { s += partials[i]; }
  let norm = sqrt(workgroup_sum(s, lid));
  if (lid == 0u) {
    partials[params.count] = norm;
    hyper[params.scaleSlot] = min(1.0, params.maxNorm / (norm + 1e-6));
  }
}
`,
};

/**
 * Record the dispatches that clip by global norm: one per gradient, then the
 * scale. `partials` holds at least `grads.length + 1` floats.
 */
export async function dispatchClipByGlobalNorm(
  runtime: KernelRuntime,
  args: {
    grads: { buffer: GPUBuffer; size: number }[];
    partials: GPUBuffer;
    hyper: GPUBuffer;
    scaleSlot: number;
    maxNorm: number;
  },
) {
  const dispatches = [];
  for (const [slot, grad] of args.grads.entries()) {
    dispatches.push(
      await runtime.dispatch(SUM_SQUARES_KERNEL, [grad.buffer, args.partials], [grad.size, slot], [
        1,
        1,
        1,
      ]),
    );
  }
  dispatches.push(
    await runtime.dispatch(
      CLIP_SCALE_KERNEL,
      [args.partials, args.hyper],
      [args.grads.length, args.scaleSlot, args.maxNorm],
      [1, 1, 1],
    ),
  );
  return dispatches;
}
