/**
 * The WebGPU engine against the ONNX Runtime reference: last hidden state,
 * pooled output and head logits within 1e-4 max abs (fp32) for tiny configs
 * of every architecture the engine runs, on a batch of three sequences of
 * different lengths padded to one length, with each Linear kernel (the
 * register-blocked one for CPU adapters, the workgroup-tiled one for GPUs).
 */
import { createOnnxBackend } from "../backends/onnx/engine.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { configToJson, parseConfig, taskCount } from "../models/config.ts";
import { zooEntry } from "../models/zoo.ts";
import { gpuTest } from "./_gpu.ts";
import { randomBatch, unitScaleModel } from "./_reference_forward.ts";
import { assertParity } from "./_parity.ts";
import { VARIANTS_BY_MATMUL } from "./_variants.ts";

for (const [[label, base, overrides], matmulVariant] of VARIANTS_BY_MATMUL) {
  gpuTest(`WebGPU (${matmulVariant} Linears) matches ONNX Runtime: ${label}`, async (gpu) => {
    const config = parseConfig({ ...configToJson(zooEntry(base).config), ...overrides }, label);
    // Unit-scale weights: 0.02-scale ones make every layer nearly the identity and hide bugs.
    const model = unitScaleModel(config, 1234);
    const webgpu = await createWebGpuBackend(model, { gpu, matmulVariant });
    const ort = createOnnxBackend(model);
    try {
      const input = randomBatch(model, { lengths: [7, 4, 2], seqLen: 7 });
      for (let task = 0; task < taskCount(config); task++) {
        const batch = { ...input, task };
        assertParity(
          `${label} (task ${task})`,
          await webgpu.run(batch),
          await ort.run(batch),
          { hasHead: config.head.kind !== "none", referenceName: "ONNX Runtime" },
        );
      }
    } finally {
      webgpu.dispose();
      ort.dispose();
    }
  });
}
