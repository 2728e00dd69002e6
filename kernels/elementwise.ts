/**
 * Zero-filling a buffer that the backward pass then writes only in part (a
 * gradient whose consumers each write a column slice).
 */
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/** `out[i] = 0` over elements of `dtype`. */
export function zeroKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "zero",
    key: `zero,${dtype}`,
    dtype,
    storage: [{ name: "out", element: "act_t", access: "read_write" }],
    uniforms: [{ name: "count", type: "u32" }],
    workgroupSize: WORKGROUP,
    body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count) { return; }
  out[i] = act_t(0.0);
}
`,
  };
}

/** Record `out = 0` over `count` elements (f32 unless `dtype` says otherwise). */
export function dispatchZero(
  runtime: KernelRuntime,
  args: { out: GPUBuffer; count: number; dtype?: Dtype },
) {
  return runtime.dispatch(
    zeroKernel(args.dtype),
    [args.out],
    [args.count],
    grid1d(Math.ceil(args.count / WORKGROUP)),
  );
}
