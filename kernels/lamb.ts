/**
 * One LAMB step over a tensor, in place on the GPU (You et al. 2019; the
 * optimiser ALBERT was pre-trained with):
 *
 *   g = grad · clipScale
 *   m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
 *   u = (m / bc1) / (sqrt(v / bc2) + ε) + wd·p
 *   p = p − lr · (‖p‖ / ‖u‖) · u
 *
 * It is AdamW whose step is rescaled per tensor by the trust ratio ‖p‖/‖u‖,
 * so every layer moves by about lr times its own scale, which is what keeps
 * very large batches stable. The ratio falls back to 1 when either norm is
 * zero (fresh zero-initialised tensors, or no gradient at all), where it would
 * otherwise be 0 or NaN. Weight decay applies only where `decay` is set (not
 * on biases and LayerNorm).
 *
 * The norms need the whole update first, so there are two kernels: one over
 * all elements writes m, v and u (into a scratch buffer), and one workgroup
 * reduces both norms and then applies the step. The per-step values share
 * AdamW's buffer layout (`ADAMW_STEP_SLOTS`, filled by `adamWStepValues`), so
 * the trainer and global-norm clipping work unchanged, and nothing is read back.
 */
import {
  adamDirectionWgsl,
  ADAMW_STEP_SLOTS,
  elementGrid,
  ELEMENTS_PER_INVOCATION,
} from "./adamw.ts";
import { workgroupSumWgsl } from "./_reduce.ts";
import type { Dispatch, KernelRuntime, KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;
const S = ADAMW_STEP_SLOTS;

/** LAMB's first kernel: updates the moments and writes the unscaled update `u`. */
export const LAMB_MOMENTS_KERNEL: KernelSpec = {
  name: "lamb_moments",
  key: "lamb_moments",
  storage: [
    { name: "param", element: "f32", access: "read" },
    { name: "grad", element: "f32", access: "read" },
    { name: "m", element: "f32", access: "read_write" },
    { name: "v", element: "f32", access: "read_write" },
    { name: "update", element: "f32", access: "read_write" },
    { name: "hyper", element: "f32", access: "read" },
  ],
  uniforms: [
    { name: "size", type: "u32" },
    { name: "decay", type: "u32" },
  ],
  workgroupSize: WORKGROUP,
  body: `${adamDirectionWgsl()}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i0 = first_element(gid, nwg);
  if (i0 >= params.size || hyper[${S.apply}] == 0.0) { return; }
  let h = adam_hyper();
  for (var i = i0; i < min(i0 + ${ELEMENTS_PER_INVOCATION}u, params.size); i++) {
    update[i] = adam_direction(i, h);
  }
}
`,
};

/**
 * LAMB's second kernel (one workgroup): both norms, the trust ratio, and the
 * step; with `half`, it also refreshes an f16 copy of the weights.
 */
export function lambApplyKernel(half = false): KernelSpec {
  const storage: KernelSpec["storage"] = [
    { name: "param", element: "f32", access: "read_write" },
    { name: "update", element: "f32", access: "read" },
    { name: "hyper", element: "f32", access: "read" },
  ];
  if (half) storage.push({ name: "half", element: "f16", access: "read_write" });
  return {
    name: "lamb_apply",
    key: `lamb_apply,half=${half}`,
    dtype: half ? "f16" : "f32",
    storage,
    uniforms: [{ name: "size", type: "u32" }],
    workgroupSize: WORKGROUP,
    body: `${workgroupSumWgsl(WORKGROUP)}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (hyper[${S.apply}] == 0.0) { return; }
  var pp = 0.0;
  var uu = 0.0;
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) {
    pp += param[i] * param[i];
    uu += update[i] * update[i];
  }
  let r1 = sqrt(workgroup_sum(pp, lid));
  let r2 = sqrt(workgroup_sum(uu, lid));
  var trust = 1.0;
  if (r1 > 0.0 && r2 > 0.0) { trust = r1 / r2; }
  let step = hyper[${S.lr}] * trust;
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) {
    let p = param[i] - step * update[i];
    param[i] = p;
    ${half ? "half[i] = f16(p);" : ""}
  }
}
`,
  };
}

/**
 * Record one LAMB update of `size` values: the moments dispatch, then the
 * norm-and-apply dispatch. `update` is scratch of `size` floats; `hyper` holds
 * `ADAMW_STEP_SLOTS`.
 */
export async function dispatchLamb(
  runtime: KernelRuntime,
  args: {
    param: GPUBuffer;
    grad: GPUBuffer;
    m: GPUBuffer;
    v: GPUBuffer;
    update: GPUBuffer;
    hyper: GPUBuffer;
    size: number;
    decay: boolean;
    /** An f16 copy of the weights to refresh. */
    half?: GPUBuffer;
  },
): Promise<Dispatch[]> {
  return [
    await runtime.dispatch(
      LAMB_MOMENTS_KERNEL,
      [args.param, args.grad, args.m, args.v, args.update, args.hyper],
      [args.size, args.decay ? 1 : 0],
      elementGrid(args.size, WORKGROUP),
    ),
    await runtime.dispatch(
      lambApplyKernel(args.half !== undefined),
      args.half
        ? [args.param, args.update, args.hyper, args.half]
        : [args.param, args.update, args.hyper],
      [args.size],
      [1, 1, 1],
    ),
  ];
}
