/**
 * Dynamic loss scaling for f16 training (Micikevicius et al. 2018, "Mixed
 * Precision Training"; PyTorch's `GradScaler`), kept on the GPU so a step
 * needs no read-back. The loss kernels multiply the logit gradients by
 * `scale`, so small activation gradients stay above f16's smallest normal
 * value through the backward pass. The clipping kernel (`grad_norm.ts`)
 * divides the scale back out of the global norm and of the update, and when
 * the scaled gradients overflowed (a non-finite norm) it tells the optimiser
 * to skip the step. This kernel then halves the scale after an overflow, or
 * doubles it after `growthInterval` clean steps in a row.
 *
 * With `dynamic` 0 (f32 training) the scale stays 1 and no step is skipped,
 * so f32 training computes exactly what it did without scaling.
 *
 * Skipped steps do not count for Adam's bias correction: the clipping kernel
 * derives it from β1 and β2 to the power of the updates applied (running
 * products kept here, exact where WGSL's `pow` is not), as PyTorch's
 * optimiser, which a skipped step never reaches, does. Overflows at scale 1
 * are counted apart: halving cannot fix them, and the trainer stops.
 */
import type { KernelRuntime, KernelSpec } from "../runtime/kernel.ts";

/** Layout of the loss-scale state buffer, in f32 slots. */
export const LOSS_SCALE_SLOTS = {
  scale: 0,
  /** Clean steps since the scale last changed. */
  goodSteps: 1,
  /** Steps skipped because the scaled gradients overflowed. */
  skipped: 2,
  /** 1 for dynamic scaling (f16), 0 for a fixed scale of 1 (f32). */
  dynamic: 3,
  /** β1 and β2 to the power of the updates applied, for Adam's bias correction (exact running products). */
  beta1Power: 4,
  beta2Power: 5,
  /** Overflows at scale 1, where halving cannot help: the f16 model itself overflowed. */
  overflowsAtMinimum: 6,
  /** The products of this step, written by the clipping kernel, kept if the step is applied. */
  nextBeta1Power: 7,
  nextBeta2Power: 8,
} as const;

/** Number of f32 values in the state buffer. */
export const LOSS_SCALE_SIZE = 12;

/** Defaults of PyTorch's `GradScaler`: start at 2¹⁶, double after 2000 clean steps. */
export const DEFAULT_LOSS_SCALE = { initScale: 65536, growthInterval: 2000 };

/** The state buffer's initial values: dynamic from `initScale`, or fixed at 1. */
export function lossScaleInitialValues(
  dynamic: { initScale: number } | undefined,
): Float32Array<ArrayBuffer> {
  const values = new Float32Array(LOSS_SCALE_SIZE);
  values[LOSS_SCALE_SLOTS.scale] = dynamic ? dynamic.initScale : 1;
  values[LOSS_SCALE_SLOTS.dynamic] = dynamic ? 1 : 0;
  values[LOSS_SCALE_SLOTS.beta1Power] = 1;
  values[LOSS_SCALE_SLOTS.beta2Power] = 1;
  return values;
}

/** WGSL `non_finite(x)`: true for ±inf and NaN, by the bits (not a comparison fast math may drop). */
export const NON_FINITE_WGSL = /* wgsl */ `
fn non_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }
`;

const S = LOSS_SCALE_SLOTS;

/** After the update: adjust the scale from the step's global norm (`partials[count]`). */
export const LOSS_SCALE_UPDATE_KERNEL: KernelSpec = {
  name: "loss_scale_update",
  key: "loss_scale_update",
  storage: [
    { name: "partials", element: "f32", access: "read" },
    { name: "scaler", element: "f32", access: "read_write" },
  ],
  uniforms: [
    { name: "count", type: "u32" },
    { name: "growthInterval", type: "f32" },
  ],
  workgroupSize: 1,
  body: `${NON_FINITE_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main() {
  if (scaler[${S.dynamic}] == 0.0) { return; }
  if (non_finite(partials[params.count])) {
    // Halve, but never below 1: overflow at scale 1 means the model itself overflowed f16.
    if (scaler[${S.scale}] <= 1.0) { scaler[${S.overflowsAtMinimum}] += 1.0; }
    scaler[${S.scale}] = max(1.0, scaler[${S.scale}] * 0.5);
    scaler[${S.goodSteps}] = 0.0;
    scaler[${S.skipped}] += 1.0;
    return;
  }
  scaler[${S.beta1Power}] = scaler[${S.nextBeta1Power}];
  scaler[${S.beta2Power}] = scaler[${S.nextBeta2Power}];
  let good = scaler[${S.goodSteps}] + 1.0;
  if (good >= params.growthInterval) {
    scaler[${S.scale}] *= 2.0;
    scaler[${S.goodSteps}] = 0.0;
  } else {
    scaler[${S.goodSteps}] = good;
  }
}
`,
};

/** Record the scale update; `partials` is the clipping kernel's (norm at slot `count`). */
export function dispatchLossScaleUpdate(
  runtime: KernelRuntime,
  args: { partials: GPUBuffer; scaler: GPUBuffer; count: number; growthInterval: number },
) {
  return runtime.dispatch(
    LOSS_SCALE_UPDATE_KERNEL,
    [args.partials, args.scaler],
    [args.count, args.growthInterval],
    [1, 1, 1],
  );
}
