/**
 * Backward of the activations: `dz = dy · act'(z)` from the saved
 * pre-activation `z`. The derivatives reuse the forward's WGSL helpers so
 * the two cannot drift apart (exact GELU keeps its erfc-based tail).
 */
import { type Activation, ACTIVATION_WGSL } from "./activation.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/** WGSL derivative expressions of `z`, per activation. */
const DERIVATIVE: Record<Exclude<Activation, "none">, string> = {
  // Φ(z) + z·φ(z)
  gelu: "gelu_cdf(z) + z * exp(-0.5 * z * z) * 0.3989422804014327",
  // 0.5(1 + t) + 0.5·z·(1 − t²)·√(2/π)(1 + 3·0.044715·z²), t = tanh(√(2/π)(z + 0.044715 z³))
  gelu_new: "gelu_new_grad(z)",
  tanh: "1.0 - act_tanh(z) * act_tanh(z)",
};

/** Element-wise `dz[i] (+)= dy[i] · act'(z[i])`. */
export function activationGradKernel(
  activation: Exclude<Activation, "none">,
  dtype: Dtype = "f32",
): KernelSpec {
  return {
    name: "activation_grad",
    key: `activation_grad,${activation}`,
    dtype,
    storage: [
      { name: "dy", element: "act_t", access: "read" },
      { name: "pre", element: "act_t", access: "read" },
      { name: "dz", element: "act_t", access: "read_write" },
    ],
    uniforms: [
      { name: "count", type: "u32" },
      { name: "accumulate", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `${ACTIVATION_WGSL}
fn gelu_cdf(z: f32) -> f32 {
  let c = erfc_nonnegative(abs(z) * 0.7071067811865476);
  return 0.5 * select(2.0 - c, c, z < 0.0);
}
fn gelu_new_grad(z: f32) -> f32 {
  let c = 0.7978845608028654;
  let t = tanh_safe(c * (z + 0.044715 * z * z * z));
  return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * c * (1.0 + 0.134145 * z * z);
}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count) { return; }
  let z = f32(pre[i]);
  var v = f32(dy[i]) * (${DERIVATIVE[activation]});
  if (params.accumulate != 0u) { v += f32(dz[i]); }
  dz[i] = act_t(v);
}
`,
  };
}

/** Record `dz (+)= dy · act'(pre)` over `count` elements. */
export function dispatchActivationGrad(
  runtime: KernelRuntime,
  args: {
    activation: Exclude<Activation, "none">;
    dy: GPUBuffer;
    pre: GPUBuffer;
    dz: GPUBuffer;
    count: number;
    accumulate?: boolean;
    dtype?: Dtype;
  },
) {
  return runtime.dispatch(
    activationGradKernel(args.activation, args.dtype),
    [args.dy, args.pre, args.dz],
    [args.count, args.accumulate ? 1 : 0],
    grid1d(Math.ceil(args.count / WORKGROUP)),
  );
}
