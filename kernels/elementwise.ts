/**
 * Small element-wise kernels: zero-filling a buffer that the backward pass
 * then writes only in part (a gradient whose consumers each write a column
 * slice), and rounding f32 values to an f16 copy on the GPU (the same
 * rounding the optimiser applies when it refreshes the copy).
 */
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/**
 * `out[i] = 0` over elements of `dtype`; with `vector` (a count that is a
 * multiple of 4) four at a time, as on llvmpipe every store is a loop over
 * the lanes whatever its width.
 */
export function zeroKernel(dtype: Dtype = "f32", vector = false): KernelSpec {
  return {
    name: "zero",
    key: `zero,vec4=${vector}`,
    dtype,
    storage: [{ name: "out", element: vector ? "vec4<act_t>" : "act_t", access: "read_write" }],
    uniforms: [{ name: "count", type: "u32" }],
    workgroupSize: WORKGROUP,
    body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count${vector ? " / 4u" : ""}) { return; }
  out[i] = ${vector ? "vec4<act_t>" : "act_t"}(0.0);
}
`,
  };
}

/** Record `out = 0` over `count` elements (f32 unless `dtype` says otherwise). */
export function dispatchZero(
  runtime: KernelRuntime,
  args: { out: GPUBuffer; count: number; dtype?: Dtype },
) {
  const vector = args.count % 4 === 0;
  return runtime.dispatch(
    zeroKernel(args.dtype, vector),
    [args.out],
    [args.count],
    grid1d(Math.ceil(args.count / (vector ? 4 : 1) / WORKGROUP)),
  );
}

/** `out[i] = f16(x[i])`. */
export const TO_F16_KERNEL: KernelSpec = {
  name: "to_f16",
  key: "to_f16",
  dtype: "f16",
  storage: [
    { name: "x", element: "f32", access: "read" },
    { name: "out", element: "f16", access: "read_write" },
  ],
  uniforms: [{ name: "count", type: "u32" }],
  workgroupSize: WORKGROUP,
  body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count) { return; }
  out[i] = f16(x[i]);
}
`,
};

/** Record `out = f16(x)` over `count` values. */
export function dispatchToF16(
  runtime: KernelRuntime,
  args: { x: GPUBuffer; out: GPUBuffer; count: number },
) {
  return runtime.dispatch(
    TO_F16_KERNEL,
    [args.x, args.out],
    [args.count],
    grid1d(Math.ceil(args.count / WORKGROUP)),
  );
}
