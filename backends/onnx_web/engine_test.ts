/**
 * onnxruntime-web (wasm and WebGPU providers) against onnxruntime-node on the
 * same ONNX graph: last hidden state, pooled output and head logits within
 * 1e-4 max abs for tiny configs of every architecture, on a batch of three
 * sequences of different lengths padded to one length.
 *
 * Without a WebGPU adapter the WebGPU cases are ignored with a printed reason
 * on a developer machine and fail under CI (`CI=true`), where an adapter must
 * exist (as in `tests/_gpu.ts`).
 */
import assert from "node:assert/strict";
import { createOnnxBackend } from "../onnx/engine.ts";
import { configToJson, parseConfig, taskCount } from "../../models/config.ts";
import { zooEntry } from "../../models/zoo.ts";
import { hasWebGpuAdapter } from "../../runtime/device.ts";
import { randomBatch, unitScaleModel } from "../../tests/_reference_forward.ts";
import { assertParity } from "../../tests/_parity.ts";
import { VARIANTS } from "../../tests/_variants.ts";
import { createOnnxWebBackend, type OnnxWebProvider } from "./engine.ts";

const noAdapter = !(await hasWebGpuAdapter());
const ignoreWebGpu = noAdapter && !Deno.env.get("CI");
if (ignoreWebGpu) {
  console.warn(
    "onnxruntime-web webgpu parity tests ignored: no WebGPU adapter in this runtime " +
      "(install mesa-vulkan-drivers; under CI=true they run and fail instead)",
  );
}

for (const provider of ["wasm", "webgpu"] as OnnxWebProvider[]) {
  for (const [label, base, overrides] of VARIANTS) {
    Deno.test({
      name: `onnxruntime-web ${provider} matches onnxruntime-node: ${label}`,
      ignore: provider === "webgpu" && ignoreWebGpu,
      // onnxruntime-web keeps its wasm instance, worker threads and GPU device for the process.
      sanitizeResources: false,
      sanitizeOps: false,
      async fn() {
        const config = parseConfig({ ...configToJson(zooEntry(base).config), ...overrides }, label);
        const model = unitScaleModel(config, 1234);
        const web = createOnnxWebBackend(model, { provider });
        const node = createOnnxBackend(model);
        try {
          const input = randomBatch(model, { lengths: [7, 4, 2], seqLen: 7 });
          for (let task = 0; task < taskCount(config); task++) {
            const batch = { ...input, task };
            assertParity(
              `${label} (${provider}, task ${task})`,
              await web.run(batch),
              await node.run(batch),
              { hasHead: config.head.kind !== "none", referenceName: "onnxruntime-node" },
            );
          }
        } finally {
          web.dispose();
          node.dispose();
        }
      },
    });
  }
}

Deno.test("onnxruntime-web rejects an unknown provider", () => {
  const model = unitScaleModel(zooEntry("tiny-bert").config, 1);
  assert.throws(
    () => createOnnxWebBackend(model, { provider: "webgl" as OnnxWebProvider }),
    /Unknown onnxruntime-web provider "webgl"/,
  );
});
