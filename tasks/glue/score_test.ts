import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError, PredictionsError } from "../task.ts";
import { loadGlue } from "./load.ts";
import { formatGluePredictions } from "./predictions.ts";
import { scoreGlue } from "./score.ts";
import { GLUE_TASKS, type GlueTask } from "./tasks.ts";
import { taskEntry } from "../registry.ts";

const ROOT = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

/** Write predictions for `task` dev made by `predict`, score them, clean up. */
async function scoreWith(task: GlueTask, predict: (gold: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), "glue-score-"));
  try {
    const rows = loadGlue(ROOT, task, "dev").map((e) => ({
      index: e.index,
      prediction: predict(e.label!),
    }));
    const file = join(dir, "predictions.tsv");
    writeFileSync(file, formatGluePredictions(task, rows));
    return await scoreGlue(ROOT, task.name, "dev", file);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

for (const task of GLUE_TASKS) {
  Deno.test(`${task.name}: gold labels as predictions score 100 on every metric`, async () => {
    const metrics = await scoreWith(task, (gold) => gold);
    assert.deepEqual(Object.keys(metrics), [...task.metrics]);
    for (const [name, value] of Object.entries(metrics)) {
      assert.ok(Math.abs(value - 100) < 1e-9, `${task.name} ${name} = ${value}`);
    }
  });
}

Deno.test("a constant prediction scores its class share, F1 2P/(2P+N) and MCC 0", async () => {
  const task = (name: string) => GLUE_TASKS.find((t) => t.name === name)!;
  const golds = loadGlue(ROOT, task("glue/mrpc"), "dev").map((e) => e.label);
  const p = golds.filter((g) => g === "1").length, n = golds.length - p;
  // All "1": tp = P, fp = N, fn = 0.
  const mrpc = await scoreWith(task("glue/mrpc"), () => "1");
  assert.ok(Math.abs(mrpc.accuracy - (100 * p) / (p + n)) < 1e-9, `${mrpc.accuracy}`);
  assert.ok(Math.abs(mrpc.f1 - (100 * 2 * p) / (2 * p + n)) < 1e-9, `${mrpc.f1}`);
  // One predicted class makes the MCC denominator 0.
  assert.equal((await scoreWith(task("glue/cola"), () => "1")).mcc, 0);
});

Deno.test("an unlabelled split cannot be scored", async () => {
  await assert.rejects(
    () => scoreGlue(ROOT, "glue/rte", "test", "unused.tsv"),
    (error: Error) => {
      assert.ok(error instanceof DataError);
      assert.match(
        error.message,
        /glue\/rte test: the split has no labels; labelled splits: train, dev$/,
      );
      return true;
    },
  );
});

Deno.test("a missing predictions file is a PredictionsError naming it", async () => {
  await assert.rejects(
    () => scoreGlue(ROOT, "glue/wnli", "dev", "/nonexistent/WNLI.tsv"),
    (error: Error) =>
      error instanceof PredictionsError && /"\/nonexistent\/WNLI\.tsv"/.test(error.message),
  );
});

Deno.test("an unknown task name is refused before any file is read", async () => {
  await assert.rejects(() => scoreGlue(ROOT, "glue/sts-b", "dev", "x"), /valid names: glue\/cola/);
});

Deno.test("sst2 predictions from an eval --limit 20 run suggest score --limit 20", async () => {
  const task = GLUE_TASKS.find((t) => t.name === "glue/sst2")!;
  const dir = mkdtempSync(join(tmpdir(), "glue-score-"));
  try {
    const file = join(dir, "SST-2.tsv");
    const rows = Array.from({ length: 20 }, (_, index) => `${index}\t1`);
    writeFileSync(file, ["index\tprediction", ...rows].join("\n") + "\n");
    const score = taskEntry("glue/sst2").score;
    await assert.rejects(score({ root: ROOT, split: "dev", predictionsFile: file }), (e: Error) => {
      assert.ok(e instanceof PredictionsError);
      assert.match(e.message, /: 852 of 872 glue\/sst2 examples have no prediction/);
      assert.match(e.message, /cover exactly the first 20 examples: .* score with --limit 20$/);
      return true;
    });
    const golds = loadGlue(ROOT, task, "dev").slice(0, 20).map((e) => e.label);
    const limited = await score({ root: ROOT, split: "dev", predictionsFile: file, limit: 20 });
    assert.equal(limited.accuracy, (100 * golds.filter((g) => g === "1").length) / 20);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("STS-B predictions outside [0, 5] are scored; non-decimal ones are refused", async () => {
  const stsb = GLUE_TASKS.find((t) => t.name === "glue/stsb")!;
  // Gold + 10 is outside the gold range but perfectly correlated: both metrics 100.
  const shifted = await scoreWith(stsb, (gold) => String(Number(gold) + 10));
  assert.ok(Math.abs(shifted.pearson - 100) < 1e-9 && Math.abs(shifted.spearmanr - 100) < 1e-9);
  const dir = mkdtempSync(join(tmpdir(), "glue-score-"));
  try {
    const file = join(dir, "STS-B.tsv");
    writeFileSync(file, "index\tprediction\n0\t0x3\n");
    await assert.rejects(
      scoreGlue(ROOT, "glue/stsb", "dev", file),
      /STS-B\.tsv" line 2: score "0x3" is not a number$/,
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});
