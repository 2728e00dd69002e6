/**
 * End to end: `eval` on a few examples of each task family with a tiny random
 * checkpoint gives identical predictions on the WebGPU and ONNX Runtime
 * backends, and `score` on the written predictions equals the metrics `eval`
 * printed. Also checks the per-example log and the command line.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runEval } from "../evaluate/eval.ts";
import { saveCheckpoint } from "../models/checkpoint.ts";
import { randomModel } from "../models/init.ts";
import { zooEntry } from "../models/zoo.ts";
import { taskEntry } from "../tasks/registry.ts";
import { gpuTest } from "./_gpu.ts";

const DATA = new URL("../../shared/data/", import.meta.url).pathname;
const LIMIT = 5;

/** A bare tiny checkpoint (no head) over the released vocabulary, in a temp directory. */
async function tinyCheckpoint(name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `eval-${name}-` });
  await saveCheckpoint(dir, randomModel(zooEntry(name).config, 3));
  return dir;
}

const CASES: [string, string][] = [
  ["tiny-albert-spm", "glue/sst2"],
  ["tiny-albert-spm", "glue/stsb"],
  ["tiny-albert-spm", "glue/mnli-mm"],
  ["tiny-bert-wordpiece", "glue/rte"],
  ["tiny-bert-wordpiece", "glue/cola"],
  ["tiny-albert-spm", "squad/v1.1"],
  ["tiny-bert-wordpiece", "squad/v2.0"],
  ["tiny-albert-spm", "race"],
];

for (const [modelName, task] of CASES) {
  gpuTest(`eval ${task} (${modelName}): WebGPU = ONNX Runtime, score = eval`, async (gpu) => {
    const checkpoint = await tinyCheckpoint(modelName);
    const tokenizer = join(
      DATA,
      modelName.includes("albert") ? "vocab/albert-base-v2" : "vocab/bert-base-uncased",
    );
    const common = {
      model: checkpoint,
      task,
      split: "dev" as const,
      data: DATA,
      limit: LIMIT,
      batchSize: 3,
      initHead: 11,
      seed: 0,
      tokenizer,
      silent: true,
      recordsDir: join(checkpoint, "records"),
    };
    const samples = join(checkpoint, "samples.jsonl");
    const webgpu = await runEval({
      ...common,
      backend: "webgpu",
      gpu,
      out: join(checkpoint, "webgpu"),
      logSamples: samples,
    });
    const onnx = await runEval({ ...common, backend: "onnx", out: join(checkpoint, "onnx") });
    strictEqual(webgpu.examples, LIMIT);
    const predictionsOf = (path: string) => Deno.readTextFileSync(path);
    if (task === "glue/stsb") {
      // A regression prints floats: equal to float32 rounding, not digit for digit.
      const values = (path: string) =>
        predictionsOf(path).trim().split("\n").slice(1).map((l) => Number(l.split("\t")[1]));
      const a = values(webgpu.predictionsPath), b = values(onnx.predictionsPath);
      a.forEach((v, i) => ok(Math.abs(v - b[i]) < 1e-4, `row ${i}: ${v} vs ${b[i]}`));
    } else {
      strictEqual(predictionsOf(webgpu.predictionsPath), predictionsOf(onnx.predictionsPath));
    }
    ok(webgpu.metrics, "a labelled split yields metrics");
    const scored = await taskEntry(task).score({
      root: DATA,
      split: "dev",
      predictionsFile: webgpu.predictionsPath,
      naProbsFile: webgpu.naProbsPath,
      limit: LIMIT,
      warn: () => {},
    });
    deepStrictEqual(scored, webgpu.metrics);
    const metricsFile = JSON.parse(Deno.readTextFileSync(join(webgpu.outDir, "metrics.json")));
    deepStrictEqual(metricsFile, webgpu.metrics);

    const lines = Deno.readTextFileSync(samples).trim().split("\n").map((l) => JSON.parse(l));
    strictEqual(lines.length, LIMIT);
    for (const line of lines) {
      for (const key of ["input_ids", "token_type_ids", "logits", "prediction", "label"]) {
        ok(key in line, `sample has ${key}`);
      }
    }
    if (task === "race") {
      strictEqual(lines[0].input_ids.length, 4, "one input per choice");
      strictEqual(lines[0].logits.length, 4);
    }
    if (task.startsWith("squad")) ok("start_logits" in lines[0].logits[0]);
    if (task.startsWith("glue")) {
      const first = lines[0].input_ids as number[];
      strictEqual(lines[0].token_type_ids.length, first.length, "unpadded");
    }
    await Deno.remove(checkpoint, { recursive: true });
  });
}
