/**
 * Activation functions as WGSL snippets shared by the kernels' fused
 * epilogues, and a standalone element-wise kernel for tests and odd shapes.
 *
 * WGSL has no `erf`, so exact GELU uses the Chebyshev fit of erfc from
 * Numerical Recipes (fractional error below 1.2e-7 everywhere), which keeps
 * `gelu` within float32 rounding of PyTorch's erf GELU.
 */
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

/** Activations a kernel epilogue can apply. */
export type Activation = "none" | "gelu" | "gelu_new" | "tanh";

/** WGSL definitions of every activation (`act_gelu`, `act_gelu_new`, `act_tanh`). */
export const ACTIVATION_WGSL = /* wgsl */ `
// erfc(z) for z >= 0; relative error below 1.2e-7, also far in the tail.
fn erfc_nonnegative(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 +
    t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 +
    t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}
// tanh saturates to +-1 in float32 beyond |x| = 9; clamping avoids exp overflow.
fn tanh_safe(x: f32) -> f32 { return tanh(clamp(x, -10.0, 10.0)); }
// 1 + erf(x/√2) = erfc(-x/√2): written with erfc so the negative tail keeps its precision.
fn act_gelu(x: f32) -> f32 {
  let c = erfc_nonnegative(abs(x) * 0.7071067811865476);
  return 0.5 * x * select(2.0 - c, c, x < 0.0);
}
fn act_gelu_new(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanh_safe(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
fn act_tanh(x: f32) -> f32 { return tanh_safe(x); }
`;

/** WGSL expression applying `activation` to the f32 expression `x`. */
export function applyActivation(activation: Activation, x: string): string {
  return activation === "none" ? x : `act_${activation}(${x})`;
}

/** Float64 versions of the activations, for CPU references in tests. */
export const activationReference: Record<Activation, (x: number) => number> = {
  none: (x) => x,
  gelu: (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)),
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  tanh: Math.tanh,
};

// Abramowitz & Stegun 7.1.28 is too coarse for a reference; use the series/continued
// fraction split that is accurate to ~1e-15.
function erf64(x: number): number {
  const z = Math.abs(x);
  if (z < 2.5) {
    // Maclaurin series: erf(z) = 2/sqrt(pi) * sum (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z, sum = z;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc(z), evaluated bottom-up (Lentz not needed at this depth).
  let fraction = 0;
  for (let n = 60; n >= 1; n--) fraction = (n / 2) / (z + fraction);
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + fraction);
  return Math.sign(x) * (1 - erfc);
}

/** Element-wise `out[i] = act(x[i])`. */
export function activationKernel(activation: Activation, dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "activation",
    key: `activation,${activation}`,
    dtype,
    storage: [
      { name: "x", element: "act_t", access: "read" },
      { name: "out", element: "act_t", access: "read_write" },
    ],
    uniforms: [{ name: "count", type: "u32" }],
    workgroupSize: 64,
    body: `${ACTIVATION_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count) { return; }
  out[i] = act_t(${applyActivation(activation, "f32(x[i])")});
}
`,
  };
}

/** Record `out = act(x)` over `count` elements (f32 unless `dtype` says otherwise). */
export function dispatchActivation(
  runtime: KernelRuntime,
  args: { activation: Activation; x: GPUBuffer; out: GPUBuffer; count: number; dtype?: Dtype },
) {
  return runtime.dispatch(
    activationKernel(args.activation, args.dtype),
    [args.x, args.out],
    [args.count],
    grid1d(Math.ceil(args.count / 64)),
  );
}
