/**
 * The f16 storage path (`--dtype f16`) against the f32 ONNX Runtime reference:
 * for tiny configs of every architecture and both Linear kernels, each output
 * within 1e-2 max abs and the same argmax in every row; and on the task
 * fixtures, `eval` with WebGPU f16 writes the same predictions as ONNX
 * Runtime f32.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createOnnxBackend } from "../backends/onnx/engine.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { runEval } from "../evaluate/eval.ts";
import { saveCheckpoint } from "../models/checkpoint.ts";
import { configToJson, parseConfig, taskCount } from "../models/config.ts";
import { zooEntry } from "../models/zoo.ts";
import { assertDtypeSupported, DtypeUnsupportedError } from "../runtime/device.ts";
import { gpuTest } from "./_gpu.ts";
import { randomBatch, unitScaleModel } from "./_reference_forward.ts";
import { VARIANTS_BY_MATMUL } from "./_variants.ts";
import { assertParity } from "./_parity.ts";

/** Issue 6's f16 tolerance: max abs difference from fp32. */
const F16_TOLERANCE = 1e-2;
const DATA = new URL("../../shared/data/", import.meta.url).pathname;

/** Index of the largest of `count` values of `values` from `offset`, `stride` apart. */
function argmax(values: Float32Array, offset: number, count: number, stride = 1): number {
  let best = 0;
  for (let j = 1; j < count; j++) {
    if (values[offset + j * stride] > values[offset + best * stride]) best = j;
  }
  return best;
}

for (const [[label, base, overrides], matmulVariant] of VARIANTS_BY_MATMUL) {
  gpuTest(
    `WebGPU f16 (${matmulVariant} Linears) matches ONNX Runtime f32 within 1e-2: ${label}`,
    async (gpu) => {
      assertDtypeSupported(gpu, "f16");
      const config = parseConfig({ ...configToJson(zooEntry(base).config), ...overrides }, label);
      const model = unitScaleModel(config, 1234);
      const webgpu = await createWebGpuBackend(model, { gpu, dtype: "f16", matmulVariant });
      const ort = createOnnxBackend(model);
      try {
        const input = randomBatch(model, { lengths: [7, 4, 2], seqLen: 7 });
        const hasHead = config.head.kind !== "none";
        for (let task = 0; task < taskCount(config); task++) {
          const batch = { ...input, task };
          const f16 = await webgpu.run(batch), f32 = await ort.run(batch);
          assertParity(`${label} (task ${task}), f16`, f16, f32, {
            hasHead,
            referenceName: "ONNX Runtime f32",
            tolerance: F16_TOLERANCE,
          });
          if (!hasHead || !f32.logits || f32.logits.length === batch.batchSize) continue;
          // The predicted label of each row; for QA, the start and the end token among the row's
          // real tokens (logits interleaved per position; a span never starts in the padding).
          const qa = config.head.kind === "question-answering";
          const width = f32.logits.length / batch.batchSize;
          for (let row = 0; row < batch.batchSize; row++) {
            const real = batch.attentionMask.slice(row * batch.seqLen, (row + 1) * batch.seqLen)
              .reduce((sum, m) => sum + m, 0);
            const picks = qa ? [[0, real, 2], [1, real, 2]] : [[0, width, 1]]; // [first, count, stride]
            for (const [first, count, stride] of picks) {
              const offset = row * width + first;
              assert.equal(
                argmax(f16.logits!, offset, count, stride),
                argmax(f32.logits, offset, count, stride),
                `${label} (task ${task}): row ${row} predicts differently in f16`,
              );
            }
          }
        }
      } finally {
        webgpu.dispose();
        ort.dispose();
      }
    },
  );
}

/**
 * Checkpoints with the task's head and unit-scale weights: a 0.02-scale random
 * model's logits differ by less than f16's rounding, so its "predictions"
 * would be coin flips in either precision.
 */
const EVAL_CASES: [string, string, Record<string, unknown>][] = [
  ["tiny-albert-spm", "glue/sst2", {
    architectures: ["AlbertForSequenceClassification"],
    num_labels: 2,
  }],
  ["tiny-albert-spm", "glue/mnli-mm", {
    architectures: ["AlbertForSequenceClassification"],
    num_labels: 3,
  }],
  ["tiny-bert-wordpiece", "glue/stsb", {
    architectures: ["BertForSequenceClassification"],
    num_labels: 1,
  }],
  ["tiny-bert-wordpiece", "squad/v2.0", { architectures: ["BertForQuestionAnswering"] }],
  ["tiny-albert-spm", "race", { architectures: ["AlbertForMultipleChoice"] }],
];

for (const [modelName, task, head] of EVAL_CASES) {
  gpuTest(`eval ${task} (${modelName}): WebGPU f16 predicts as ONNX Runtime f32`, async (gpu) => {
    assertDtypeSupported(gpu, "f16");
    const checkpoint = await Deno.makeTempDir({ prefix: "eval-f16-" });
    try {
      const config = parseConfig({ ...configToJson(zooEntry(modelName).config), ...head }, task);
      await saveCheckpoint(checkpoint, unitScaleModel(config, 3));
      const common = {
        model: checkpoint,
        task,
        split: "dev" as const,
        data: DATA,
        limit: task === "race" ? 6 : 16,
        batchSize: 4,
        seed: 0,
        tokenizer: join(
          DATA,
          modelName.includes("albert") ? "vocab/albert-base-v2" : "vocab/bert-base-uncased",
        ),
        silent: true,
        recordsDir: join(checkpoint, "records"),
      };
      const f16 = await runEval({
        ...common,
        backend: "webgpu",
        dtype: "f16",
        gpu,
        out: join(checkpoint, "f16"),
      });
      const f32 = await runEval({ ...common, backend: "onnx", out: join(checkpoint, "onnx") });
      const read = (path: string) => Deno.readTextFileSync(path);
      if (task === "glue/stsb") {
        // A regression prints floats: within the f16 tolerance, not digit for digit.
        const values = (path: string) =>
          read(path).trim().split("\n").slice(1).map((l) => Number(l.split("\t")[1]));
        const a = values(f16.predictionsPath), b = values(f32.predictionsPath);
        assert.equal(a.length, b.length);
        a.forEach((v, i) =>
          assert.ok(Math.abs(v - b[i]) <= F16_TOLERANCE, `row ${i}: ${v} vs ${b[i]}`)
        );
        // Moving each of 16 scores by ≤ 1e-2 moves their correlations (in points) by well under one.
        for (const [name, value] of Object.entries(f32.metrics!)) {
          const moved = Math.abs(f16.metrics![name] - value);
          assert.ok(moved < 1, `${name}: f16 ${f16.metrics![name]} vs f32 ${value}`);
        }
      } else {
        assert.equal(read(f16.predictionsPath), read(f32.predictionsPath));
        assert.deepEqual(f16.metrics, f32.metrics);
      }
    } finally {
      await Deno.remove(checkpoint, { recursive: true });
    }
  });
}

gpuTest("f16 on an adapter without shader-f16 is refused with the adapter named", async (gpu) => {
  const model = unitScaleModel(zooEntry("tiny-bert").config, 1);
  const withoutF16 = { ...gpu, hasF16: false, features: ["timestamp-query"] };
  await assert.rejects(
    createWebGpuBackend(model, { gpu: withoutF16, dtype: "f16" }),
    (error: Error) =>
      error instanceof DtypeUnsupportedError &&
      error.message.includes("shader-f16") && error.message.includes(gpu.description),
  );
});
