/**
 * One AdamW step over a tensor, in place on the GPU (Loshchilov & Hutter;
 * the BERT/ALBERT fine-tuning optimiser):
 *
 *   g = grad · clipScale
 *   m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
 *   p = p − lr · ( (m / bc1) / (sqrt(v / bc2) + ε) + wd·p )
 *
 * with bias corrections bc1 = 1 − β1^t and bc2 = 1 − β2^t, and decoupled
 * weight decay only where `decay` is set (not on biases and LayerNorm). The
 * per-step values (learning rate, bias corrections, the global-norm clipping
 * scale) live in a small storage buffer the trainer rewrites each step, so
 * recorded dispatches are reused and nothing is read back.
 */
import { grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/** Layout of the per-step buffer, in f32 slots. */
export const ADAMW_STEP_SLOTS = {
  lr: 0,
  beta1: 1,
  beta2: 2,
  eps: 3,
  weightDecay: 4,
  biasCorrection1: 5,
  biasCorrection2: 6,
  clipScale: 7,
  /** 0 skips the update (the f16 gradients overflowed); written by the clipping kernel. */
  apply: 8,
} as const;

const S = ADAMW_STEP_SLOTS;

/** Elements each invocation of the AdamW and LAMB-moments kernels updates. */
export const ELEMENTS_PER_INVOCATION = 4;

/**
 * WGSL shared by AdamW and LAMB: `adam_hyper()` reads the step's values once
 * (on llvmpipe every storage load is a loop over the lanes, so an invocation
 * reads them once for `ELEMENTS_PER_INVOCATION` elements), and
 * `adam_direction(i, h)` updates the moments of element `i` (of type
 * `element`: f32, or vec4f for 4 values at once) and returns its
 * bias-corrected Adam direction, plus decoupled weight decay where set.
 * Needs bindings `param`, `grad`, `m` (read_write), `v` (read_write) and
 * `hyper` (`ADAMW_STEP_SLOTS`), and uniform `decay`.
 */
export function adamDirectionWgsl(element: "f32" | "vec4f" = "f32"): string {
  return `
struct AdamHyper { beta1: f32, beta2: f32, clipScale: f32, bc1: f32, bc2: f32, eps: f32, decay: f32 }
fn adam_hyper() -> AdamHyper {
  return AdamHyper(hyper[${S.beta1}], hyper[${S.beta2}], hyper[${S.clipScale}],
    hyper[${S.biasCorrection1}], hyper[${S.biasCorrection2}], hyper[${S.eps}], hyper[${S.weightDecay}]);
}
fn adam_direction(i: u32, h: AdamHyper) -> ${element} {
  let g = grad[i] * h.clipScale;
  let mi = h.beta1 * m[i] + (1.0 - h.beta1) * g;
  let vi = h.beta2 * v[i] + (1.0 - h.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  var u = (mi / h.bc1) / (sqrt(vi / h.bc2) + h.eps);
  if (params.decay != 0u) { u += h.decay * param[i]; }
  return u;
}
// Invocation gid updates the elements from first_element(gid, nwg) on, those below params.size.
fn first_element(gid: vec3u, nwg: vec3u) -> u32 {
  return (gid.x + gid.y * nwg.x * WORKGROUP_SIZE) * ${ELEMENTS_PER_INVOCATION}u;
}
`;
}

/** Workgroups of a kernel that updates `size` elements, `ELEMENTS_PER_INVOCATION` per invocation. */
export function elementGrid(size: number, workgroupSize: number) {
  return grid1d(Math.ceil(size / (workgroupSize * ELEMENTS_PER_INVOCATION)));
}

/** Number of f32 values in the per-step buffer. */
export const ADAMW_STEP_SIZE = 12;

/**
 * The AdamW kernel; with `half`, it also refreshes an f16 copy of the weights
 * (mixed-precision training reads Linear weights in f16, keeping f32 masters).
 * With `vector` (the tensor's size a multiple of 4) every tensor is read and
 * written as vec4s, one per invocation: on llvmpipe a load costs a loop over
 * the lanes whatever its width, so this reads a quarter as many times.
 */
export function adamWKernel(half = false, vector = false): KernelSpec {
  const [f32, f16] = vector ? ["vec4<f32>", "vec4<f16>"] : ["f32", "f16"];
  const storage: KernelSpec["storage"] = [
    { name: "param", element: f32, access: "read_write" },
    { name: "grad", element: f32, access: "read" },
    { name: "m", element: f32, access: "read_write" },
    { name: "v", element: f32, access: "read_write" },
    { name: "hyper", element: "f32", access: "read" },
  ];
  if (half) storage.push({ name: "half", element: f16, access: "read_write" });
  // One vec4 per invocation, or ELEMENTS_PER_INVOCATION scalars with the step's values read once.
  const main = vector
    ? `let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.size / 4u || hyper[${S.apply}] == 0.0) { return; }
  let p = param[i] - hyper[${S.lr}] * adam_direction(i, adam_hyper());
  param[i] = p;
  ${half ? "half[i] = vec4<f16>(p);" : ""}`
    : `let i0 = first_element(gid, nwg);
  if (i0 >= params.size || hyper[${S.apply}] == 0.0) { return; }
  let h = adam_hyper();
  let lr = hyper[${S.lr}];
  for (var i = i0; i < min(i0 + ${ELEMENTS_PER_INVOCATION}u, params.size); i++) {
    let p = param[i] - lr * adam_direction(i, h);
    param[i] = p;
    ${half ? "half[i] = f16(p);" : ""}
  }`;
  return {
    name: "adamw",
    key: `adamw,half=${half}${vector ? ",vec4" : ""}`,
    dtype: half ? "f16" : "f32",
    storage,
    uniforms: [
      { name: "size", type: "u32" },
      { name: "decay", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `${adamDirectionWgsl(vector ? "vec4f" : "f32")}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${main}
}
`,
  };
}

/** Record one AdamW update of `size` values; `hyper` holds `ADAMW_STEP_SLOTS`. */
export function dispatchAdamW(
  runtime: KernelRuntime,
  args: {
    param: GPUBuffer;
    grad: GPUBuffer;
    m: GPUBuffer;
    v: GPUBuffer;
    hyper: GPUBuffer;
    size: number;
    decay: boolean;
    /** An f16 copy of the weights to refresh. */
    half?: GPUBuffer;
  },
) {
  const buffers = [args.param, args.grad, args.m, args.v, args.hyper];
  if (args.half) buffers.push(args.half);
  const vector = args.size % 4 === 0;
  return runtime.dispatch(
    adamWKernel(args.half !== undefined, vector),
    buffers,
    [args.size, args.decay ? 1 : 0],
    vector ? grid1d(Math.ceil(args.size / 4 / WORKGROUP)) : elementGrid(args.size, WORKGROUP),
  );
}

/** The per-step values of step `t` (1-based). */
export function adamWStepValues(options: {
  lr: number;
  step: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  clipScale?: number;
}): Float32Array<ArrayBuffer> {
  const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999;
  const values = new Float32Array(ADAMW_STEP_SIZE);
  values[ADAMW_STEP_SLOTS.lr] = options.lr;
  values[ADAMW_STEP_SLOTS.beta1] = beta1;
  values[ADAMW_STEP_SLOTS.beta2] = beta2;
  values[ADAMW_STEP_SLOTS.eps] = options.eps ?? 1e-6;
  values[ADAMW_STEP_SLOTS.weightDecay] = options.weightDecay ?? 0.01;
  values[ADAMW_STEP_SLOTS.biasCorrection1] = 1 - Math.pow(beta1, options.step);
  values[ADAMW_STEP_SLOTS.biasCorrection2] = 1 - Math.pow(beta2, options.step);
  values[ADAMW_STEP_SLOTS.clipScale] = options.clipScale ?? 1;
  values[ADAMW_STEP_SLOTS.apply] = 1;
  return values;
}
