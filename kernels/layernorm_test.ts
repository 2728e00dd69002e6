/**
 * The inference LayerNorm against a float64 reference, with 0, 1 and 2
 * residual inputs, on rows shorter and longer than a workgroup and not a
 * multiple of it, of lengths that take the scalar and the vec4 kernel, kept
 * in registers or re-read in each pass; with a
 * 64-invocation tree reduction and with one subgroup per row (`subgroupAdd`,
 * llvmpipe's default), in f32 and f16 storage.
 */
import assert from "node:assert/strict";
import { dispatchLayerNorm } from "./layernorm.ts";
import { KernelRuntime, submitDispatches } from "../runtime/kernel.ts";
import { fixedSubgroupSize } from "../runtime/device.ts";
import { readValues, roundTo, storageBuffer, uniformValues } from "../tests/_buffers.ts";
import { gpuTest } from "../tests/_gpu.ts";

/** LayerNorm of one row in float64: mean, then the variance of the centred values. */
function layerNormReference(row: number[], gamma: Float32Array, beta: Float32Array, eps: number) {
  const mean = row.reduce((a, b) => a + b, 0) / row.length;
  const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
  return row.map((v, i) => (v - mean) / Math.sqrt(variance + eps) * gamma[i] + beta[i]);
}

for (const [subgroups, dtype] of [[false, "f32"], [true, "f32"], [true, "f16"]] as const) {
  gpuTest(
    `layernorm (${
      subgroups ? "one subgroup per row" : "workgroup tree sum"
    }, ${dtype}) matches float64 reference`,
    async ({ device }) => {
      // A software adapter with fixed-size subgroups (lavapipe) runs both; elsewhere this fails.
      if (subgroups) assert.ok(fixedSubgroupSize(device), "the device has no fixed-size subgroups");
      const runtime = new KernelRuntime(device);
      const eps = 1e-12;
      // f16 stores the output rounded to 11 significant bits: half an ulp is 2⁻¹¹ relative.
      const tolerance = dtype === "f16" ? 2 ** -11 : 1e-5;
      // Sizes 5, 102 and 4102 take the scalar kernel, 100, 768 and 8200 the vec4 one; 4102
      // and 8200 are too long to keep in registers (the looping kernel), the rest are kept.
      for (
        const [rows, size] of [[3, 5], [4, 102], [7, 100], [13, 768], [2, 4102], [2, 8200]]
      ) {
        for (const residuals of [0, 1, 2]) {
          // Offset values so the mean is far from zero, as after a residual add; f16 inputs
          // are rounded first, so the reference sees the stored values.
          const inputs = [0, 1, 2].slice(0, residuals + 1).map((s) =>
            roundTo(dtype, uniformValues(rows * size, 10 * s + size, 2).map((v) => v + 3))
          );
          const gamma = uniformValues(size, 1), beta = uniformValues(size, 2);
          const buffers = inputs.map((values) => storageBuffer(device, values, dtype));
          const out = storageBuffer(device, new Float32Array(rows * size), dtype);
          const dispatch = await dispatchLayerNorm(runtime, {
            x: buffers[0],
            residuals: buffers.slice(1),
            gamma: storageBuffer(device, gamma),
            beta: storageBuffer(device, beta),
            out,
            rows,
            size,
            eps,
            subgroups,
            dtype,
          });
          submitDispatches(device, [dispatch]);
          const got = await readValues(device, out, rows * size, dtype);
          for (let r = 0; r < rows; r++) {
            const row = [...Array(size).keys()].map((i) =>
              inputs.reduce((sum, values) => sum + values[r * size + i], 0)
            );
            const want = layerNormReference(row, gamma, beta, eps);
            for (let i = 0; i < size; i++) {
              assert.ok(
                Math.abs(got[r * size + i] - want[i]) <= tolerance * (1 + Math.abs(want[i])),
                `${rows}×${size}, ${residuals} residuals: out[${r}, ${i}] = ${
                  got[r * size + i]
                }, expected ${want[i]}`,
              );
            }
          }
        }
      }
    },
  );
}
