/** The kernel runtime's pipeline cache keeps each storage dtype of a variant apart. */
import assert from "node:assert/strict";
import { gpuTest } from "../tests/_gpu.ts";
import { assertDtypeSupported } from "./device.ts";
import { type Dtype, KernelRuntime, type KernelSpec } from "./kernel.ts";

/** One spec whose key does not name its dtype, as the kernels' specs now leave it to the runtime. */
const spec = (dtype: Dtype): KernelSpec => ({
  name: "copy",
  key: "copy",
  storage: [
    { name: "x", access: "read", element: "act_t" },
    { name: "y", access: "read_write", element: "act_t" },
  ],
  uniforms: [],
  workgroupSize: 1,
  body: "@compute @workgroup_size(1) fn main() { y[0] = x[0]; }",
  dtype,
});

gpuTest("pipelines are cached per key and dtype: f32 and f16 never share one", async (gpu) => {
  const runtime = new KernelRuntime(gpu.device);
  const f32 = await runtime.pipeline(spec("f32"));
  assert.equal(await runtime.pipeline(spec("f32")), f32, "the same variant is compiled once");
  assertDtypeSupported(gpu, "f16");
  assert.notEqual(await runtime.pipeline(spec("f16")), f32, "f16 compiles its own pipeline");
});
