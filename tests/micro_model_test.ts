/** The hand-worked micro models on both engines. */
import assert from "node:assert/strict";
import { createOnnxBackend } from "../backends/onnx/mod.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { gpuTest } from "./_gpu.ts";
import { checkMicroModel } from "./_micro_model.ts";

Deno.test("onnx backend matches the hand-worked micro models", async () => {
  await checkMicroModel(async (model, input) => {
    const backend = createOnnxBackend(model);
    try {
      return await backend.run(input);
    } finally {
      backend.dispose();
    }
  });
});

gpuTest("webgpu engine matches the hand-worked micro models", async (gpu) => {
  await checkMicroModel(async (model, input) => {
    const backend = await createWebGpuBackend(model, { gpu });
    try {
      return await backend.run(input);
    } finally {
      backend.dispose();
    }
  });
});

gpuTest("webgpu engine fails a forward pass that WebGPU rejects, naming the shape", async (gpu) => {
  const { device } = gpu;
  const { queue } = device;
  const submit = queue.submit;
  // A copy from a destroyed buffer rides along with the engine's own submit: a real
  // validation error, which must surface as an error rather than as stale outputs.
  const stale = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_SRC });
  const target = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST });
  stale.destroy();
  await assert.rejects(
    checkMicroModel(async (model, input) => {
      const backend = await createWebGpuBackend(model, { gpu });
      queue.submit = (buffers) => {
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(stale, 0, target, 0, 16);
        return submit.call(queue, [...buffers, encoder.finish()]);
      };
      try {
        return await backend.run(input);
      } finally {
        queue.submit = submit;
        backend.dispose();
      }
    }),
    /WebGPU rejected the forward pass \(batch 2, sequence 3\)/,
  );
  target.destroy();
});
