/**
 * The PALs table runner on a tiny backbone: every method trains, the
 * multipliers follow from the configs (separate models = one per task,
 * shared = 1, PALs above 1), each row has a score per task, and a rerun
 * reuses the finished methods instead of training again (only when their
 * settings match).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gpuTest } from "../tests/_gpu.ts";
import { methods, palsTableMarkdown, runPalsTable, taskScore } from "./pals_table.ts";

const DATA = new URL("../../shared/data", import.meta.url).pathname;

gpuTest("The PALs table trains each method once and reports computed multipliers", async () => {
  const out = await Deno.makeTempDir();
  try {
    const options = {
      model: "tiny-bert-wordpiece",
      data: DATA,
      tasks: ["glue/rte", "glue/stsb"],
      epochs: 1,
      stepsPerEpoch: 4,
      batchSize: 8,
      lr: 1e-3,
      seed: 1,
      maxSeqLength: 64,
      out,
      silent: true,
      force: false,
      limit: 16,
      evalLimit: 16,
    };
    const results = await runPalsTable(options);
    assert.deepEqual(results.map((r) => r.method.name), methods().map((m) => m.name));
    const by = Object.fromEntries(results.map((r) => [r.method.name, r]));
    assert.equal(by["single-task"].multiplier, 2);
    assert.equal(by["shared"].multiplier, 1);
    assert(by["pals-sqrt"].multiplier > 1 && by["pals-sqrt"].multiplier < 2);
    for (const r of results) {
      assert.equal(r.steps, 4, `${r.method.name} trains the same number of steps`);
      assert.deepEqual(r.scores.map((s) => s.task), options.tasks);
      const stsb = r.scores[1];
      assert.equal(stsb.score, (stsb.metrics.pearson + stsb.metrics.spearmanr) / 2);
      assert.equal(r.average, (r.scores[0].score + r.scores[1].score) / 2);
    }
    const markdown = palsTableMarkdown(results, "note");
    assert.equal(markdown.split("\n").filter((l) => l.startsWith("| ")).length, 1 + 6);

    // A rerun reads the finished outcomes: no training, so no new logs are written.
    const log = join(out, "shared", "train_log.jsonl");
    const before = (await Deno.stat(log)).mtime;
    const again = await runPalsTable(options);
    assert.deepEqual(again, results);
    assert.deepEqual((await Deno.stat(log)).mtime, before);
    // ...but not a run made with other settings.
    await assert.rejects(runPalsTable({ ...options, lr: 2e-3 }), /other settings; pass --force/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("GLUE task score is the mean of the task's metrics", () => {
  assert.equal(taskScore("glue/mrpc", { accuracy: 80, f1: 90 }), 85);
  assert.equal(taskScore("glue/cola", { mcc: 12 }), 12);
});

Deno.test("pals-table refuses a zero learning rate and too few steps before training", async () => {
  const script = new URL("./pals_table.ts", import.meta.url).pathname;
  const run = async (...args: string[]) => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--data", DATA, ...args],
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code, stderr: new TextDecoder().decode(stderr).trim() };
  };
  assert.deepEqual(await run("--lr", "0"), {
    code: 2,
    stderr: `error: Flag "--lr" must be above 0: at 0 no weight would change`,
  });
  // Six tasks, two steps: four separate single-task models would get no step at all.
  assert.deepEqual(await run("--epochs", "1", "--steps-per-epoch", "2"), {
    code: 2,
    stderr: "error: --epochs × --steps-per-epoch is 2 steps, fewer than the 6 tasks: " +
      "each separate single-task model needs at least one step",
  });
  assert.equal((await run("--records", script)).code, 2);
});
