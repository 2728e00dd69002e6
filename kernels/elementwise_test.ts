/** The zero-fill kernel on both of its paths (vec4 and scalar) and both dtypes. */
import assert from "node:assert/strict";
import { dispatchZero } from "./elementwise.ts";
import { type Dtype, KernelRuntime, submitDispatches } from "../runtime/kernel.ts";
import { readValues, storageBuffer, uniformValues } from "../tests/_buffers.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { assertDtypeSupported } from "../runtime/device.ts";

for (const dtype of ["f32", "f16"] as Dtype[]) {
  gpuTest(`zero fills exactly count ${dtype} elements (vec4 and scalar paths)`, async (gpu) => {
    assertDtypeSupported(gpu, dtype);
    const runtime = new KernelRuntime(gpu.device);
    // 1024 takes the vec4 kernel, 1027 the scalar one; 8 more values must stay as they were.
    for (const count of [1024, 1027]) {
      const values = uniformValues(count + 8, count, 1).map((x) => x + 2); // none is 0
      const buffer = storageBuffer(gpu.device, values, dtype);
      submitDispatches(gpu.device, [await dispatchZero(runtime, { out: buffer, count, dtype })]);
      const got = await readValues(gpu.device, buffer, count + 8, dtype);
      assert.ok(got.subarray(0, count).every((x) => x === 0), `count ${count}: not all zero`);
      for (let i = count; i < count + 8; i++) {
        assert.equal(
          got[i],
          dtype === "f16" ? Math.fround(new Float16Array([values[i]])[0]) : values[i],
        );
      }
      buffer.destroy();
    }
  });
}
