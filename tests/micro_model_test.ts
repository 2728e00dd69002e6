/** The hand-worked micro models on both engines. */
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
