/**
 * Small element-wise kernels the backward pass needs: accumulating one
 * gradient into another (a value read by two ops receives the sum of both
 * gradients) and zero-filling a buffer that is then written only in part.
 */
import { grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/** `out[i] += x[i]`. */
export const ADD_KERNEL: KernelSpec = {
  name: "add",
  key: "add",
  storage: [
    { name: "x", element: "f32", access: "read" },
    { name: "out", element: "f32", access: "read_write" },
  ],
  uniforms: [{ name: "count", type: "u32" }],
  workgroupSize: WORKGROUP,
  body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count) { return; }
  out[i] += x[i];
}
`,
};

/** `out[i] = 0`. */
export const ZERO_KERNEL: KernelSpec = {
  name: "zero",
  key: "zero",
  storage: [{ name: "out", element: "f32", access: "read_write" }],
  uniforms: [{ name: "count", type: "u32" }],
  workgroupSize: WORKGROUP,
  body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count) { return; }
  out[i] = 0.0;
}
`,
};

/** Record `out += x` over `count` elements. */
export function dispatchAdd(
  runtime: KernelRuntime,
  args: { x: GPUBuffer; out: GPUBuffer; count: number },
) {
  return runtime.dispatch(
    ADD_KERNEL,
    [args.x, args.out],
    [args.count],
    grid1d(Math.ceil(args.count / WORKGROUP)),
  );
}

/** Record `out = 0` over `count` elements. */
export function dispatchZero(runtime: KernelRuntime, args: { out: GPUBuffer; count: number }) {
  return runtime.dispatch(
    ZERO_KERNEL,
    [args.out],
    [args.count],
    grid1d(Math.ceil(args.count / WORKGROUP)),
  );
}
