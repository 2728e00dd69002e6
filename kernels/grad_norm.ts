/**
 * Global gradient-norm clipping without read-back (PyTorch `clip_grad_norm_`):
 * each gradient tensor adds its sum of squares into its own slot of
 * `partials` (one workgroup per tensor), then one workgroup sums the slots and
 * writes `scale = min(1, maxNorm / (norm + 1e-6))` into the optimiser's step
 * buffer, where the AdamW kernel multiplies every gradient by it. The norm is
 * also stored (slot `count` of `partials`) for the training log.
 *
 * Gradients may carry a loss scale (`loss_scale.ts`): the norm is divided by
 * it and so is the written scale, which unscales the gradients in the same
 * multiply. With dynamic scaling, a non-finite norm (the f16 backward
 * overflowed) clears the step buffer's `apply` flag, and the bias corrections
 * are computed here from the count of updates actually applied.
 */
import { ADAMW_STEP_SLOTS } from "./adamw.ts";
import { LOSS_SCALE_SLOTS, NON_FINITE_WGSL } from "./loss_scale.ts";
import { workgroupSumWgsl } from "./_reduce.ts";
import type { KernelRuntime, KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/**
 * Sum of squares of one tensor into `partials[params.slot]`; with `vector` (a
 * size that is a multiple of 4) read as vec4s, a quarter of the loads, each
 * a loop over the lanes on llvmpipe.
 */
export function sumSquaresKernel(vector = false): KernelSpec {
  return {
    name: "sum_squares",
    key: `sum_squares,vec4=${vector}`,
    storage: [
      { name: "x", element: vector ? "vec4<f32>" : "f32", access: "read" },
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
  for (var i = lid; i < params.size${vector ? " / 4u" : ""}; i += WORKGROUP_SIZE) {
    s += ${vector ? "dot(x[i], x[i])" : "x[i] * x[i]"};
  }
  let total = workgroup_sum(s, lid);
  if (lid == 0u) { partials[params.slot] = total; }
}
`,
  };
}

const H = ADAMW_STEP_SLOTS, L = LOSS_SCALE_SLOTS;

/** Norm of all slots, and the clipping scale (over the loss scale) into `hyper[params.scaleSlot]`. */
export const CLIP_SCALE_KERNEL: KernelSpec = {
  name: "clip_scale",
  key: "clip_scale",
  storage: [
    { name: "partials", element: "f32", access: "read_write" },
    { name: "hyper", element: "f32", access: "read_write" },
    { name: "scaler", element: "f32", access: "read_write" },
  ],
  uniforms: [
    { name: "count", type: "u32" },
    { name: "scaleSlot", type: "u32" },
    { name: "maxNorm", type: "f32" },
  ],
  workgroupSize: WORKGROUP,
  body: `${workgroupSumWgsl(WORKGROUP)}${NON_FINITE_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < params.count; i += WORKGROUP_SIZE) { s += partials[i]; }
  let scaledNorm = sqrt(workgroup_sum(s, lid));
  if (lid == 0u) {
    let lossScale = scaler[${L.scale}];
    let norm = scaledNorm / lossScale;
    partials[params.count] = norm;
    hyper[params.scaleSlot] = min(1.0, params.maxNorm / (norm + 1e-6)) / lossScale;
    if (scaler[${L.dynamic}] != 0.0) {
      hyper[${H.apply}] = select(1.0, 0.0, non_finite(norm));
      // β^t for t = the updates applied counting this one; kept by the scale update if applied.
      let p1 = scaler[${L.beta1Power}] * hyper[${H.beta1}];
      let p2 = scaler[${L.beta2Power}] * hyper[${H.beta2}];
      scaler[${L.nextBeta1Power}] = p1;
      scaler[${L.nextBeta2Power}] = p2;
      hyper[${H.biasCorrection1}] = 1.0 - p1;
      hyper[${H.biasCorrection2}] = 1.0 - p2;
    }
  }
}
`,
};

/**
 * Record the dispatches that clip by global norm: one per gradient, then the
 * scale into each step buffer of `hypers` (one per learning-rate group; each
 * gets the same clip scale, apply flag and bias corrections). `partials`
 * holds at least `grads.length + 1` floats; `scaler` is the loss-scale state
 * (`LOSS_SCALE_SLOTS`).
 */
export async function dispatchClipByGlobalNorm(
  runtime: KernelRuntime,
  args: {
    grads: { buffer: GPUBuffer; size: number }[];
    partials: GPUBuffer;
    hypers: GPUBuffer[];
    scaler: GPUBuffer;
    scaleSlot: number;
    maxNorm: number;
  },
) {
  const dispatches = [];
  for (const [slot, grad] of args.grads.entries()) {
    dispatches.push(
      await runtime.dispatch(
        sumSquaresKernel(grad.size % 4 === 0),
        [grad.buffer, args.partials],
        [grad.size, slot],
        [1, 1, 1],
      ),
    );
  }
  // Each pass recomputes the same values: the kernel reads only this step's sums and the
  // scaler's applied-update products, never what an earlier pass wrote.
  for (const hyper of args.hypers) {
    dispatches.push(
      await runtime.dispatch(
        CLIP_SCALE_KERNEL,
        [args.partials, hyper, args.scaler],
        [args.grads.length, args.scaleSlot, args.maxNorm],
        [1, 1, 1],
      ),
    );
  }
  return dispatches;
}
