/**
 * Split-K inside the engine: a small BERT whose Linears have K = 256 or 512
 * and few rows, so on a device that runs more than one workgroup at once the
 * plan splits them (the pooler too, with its strided A). Against ONNX Runtime
 * in f32 (1e-4) and f16 (1e-2), with each Linear kernel, over shapes whose
 * scratch size classes differ, run in an order that makes the engine rebuild
 * a stale plan.
 */
import assert from "node:assert/strict";
import { createOnnxBackend } from "../backends/onnx/engine.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { createProfiler } from "../backends/webgpu/profiler.ts";
import { defaultParallelism } from "../kernels/matmul_split_k.ts";
import { configToJson, parseConfig } from "../models/config.ts";
import { zooEntry } from "../models/zoo.ts";
import { assertDtypeSupported } from "../runtime/device.ts";
import type { Dtype } from "../runtime/kernel.ts";
import { gpuTest } from "./_gpu.ts";
import { assertParity } from "./_parity.ts";
import { MATMUL_VARIANTS } from "./_variants.ts";
import { randomBatch, unitScaleModel } from "./_reference_forward.ts";

const config = parseConfig({
  ...configToJson(zooEntry("tiny-bert").config),
  hidden_size: 256,
  intermediate_size: 512,
  architectures: ["BertForSequenceClassification"],
  num_labels: 3,
}, "split-K BERT");
const model = unitScaleModel(config, 4321);
const TOLERANCE: Record<Dtype, number> = { f32: 1e-4, f16: 1e-2 };

for (const dtype of ["f32", "f16"] as const) {
  for (const matmulVariant of MATMUL_VARIANTS) {
    gpuTest(
      `engine with split-K ${matmulVariant} Linears matches ONNX Runtime (${dtype})`,
      async (gpu) => {
        // An adapter without shader-f16 fails here rather than passing without a check.
        assertDtypeSupported(gpu, dtype);
        const profiler = createProfiler(gpu, { timestamps: false });
        const webgpu = await createWebGpuBackend(model, { gpu, dtype, profiler, matmulVariant });
        const ort = createOnnxBackend(model);
        try {
          const small = randomBatch(model, { lengths: [5, 3], seqLen: 5 });
          const long = randomBatch(model, { lengths: [9], seqLen: 9, seed: 3 });
          for (
            const [label, input] of [["2×5", small], ["1×9", long], ["2×5 again", small]] as const
          ) {
            assertParity(`${label}, ${dtype}`, await webgpu.run(input), await ort.run(input), {
              hasHead: true,
              referenceName: "ONNX Runtime f32",
              tolerance: TOLERANCE[dtype],
            });
          }
          // Rows ≤ 16 make one output tile for most Linears, so any parallelism above 1 splits.
          const names = profiler.passes.flatMap((pass) => pass.timings.map((t) => t.name));
          const split = names.filter((name) => name === "matmul.partial").length;
          if (defaultParallelism(gpu.device) > 1) assert.ok(split > 0, `dispatches: ${names}`);
          else assert.equal(split, 0);
        } finally {
          webgpu.dispose();
          ort.dispose();
          profiler.destroy();
        }
      },
    );
  }
}
