import assert from "node:assert/strict";
import { GLUE_TASKS, glueTask } from "./tasks.ts";

Deno.test("the table has the eleven GLUE tasks", () => {
  assert.deepEqual(GLUE_TASKS.map((t) => t.name), [
    "glue/cola",
    "glue/sst2",
    "glue/mrpc",
    "glue/stsb",
    "glue/qqp",
    "glue/mnli-m",
    "glue/mnli-mm",
    "glue/qnli",
    "glue/rte",
    "glue/wnli",
    "glue/ax",
  ]);
});

Deno.test("labels follow the HF glue processors and numLabels matches", () => {
  assert.deepEqual(glueTask("glue/mnli-mm").labels, ["contradiction", "entailment", "neutral"]);
  assert.deepEqual(glueTask("glue/ax").labels, ["contradiction", "entailment", "neutral"]);
  assert.deepEqual(glueTask("glue/qnli").labels, ["entailment", "not_entailment"]);
  assert.deepEqual(glueTask("glue/rte").labels, ["entailment", "not_entailment"]);
  for (const name of ["glue/cola", "glue/sst2", "glue/mrpc", "glue/qqp", "glue/wnli"]) {
    assert.deepEqual(glueTask(name).labels, ["0", "1"], name);
  }
  for (const task of GLUE_TASKS) {
    assert.equal(task.numLabels, task.regression ? 1 : task.labels.length, task.name);
  }
  assert.equal(glueTask("glue/stsb").regression, true);
});

Deno.test("metrics follow DESIGN §4", () => {
  const metrics = Object.fromEntries(GLUE_TASKS.map((t) => [t.name, t.metrics]));
  assert.deepEqual(metrics["glue/cola"], ["mcc"]);
  assert.deepEqual(metrics["glue/ax"], ["mcc"]);
  assert.deepEqual(metrics["glue/mrpc"], ["accuracy", "f1"]);
  assert.deepEqual(metrics["glue/qqp"], ["accuracy", "f1"]);
  assert.deepEqual(metrics["glue/stsb"], ["pearson", "spearmanr"]);
  for (const name of ["sst2", "mnli-m", "mnli-mm", "qnli", "rte", "wnli"]) {
    assert.deepEqual(metrics[`glue/${name}`], ["accuracy"], name);
  }
});

Deno.test("MNLI dev files differ by task; AX reads the labelled diagnostic set", () => {
  assert.equal(glueTask("glue/mnli-m").splits.dev?.file, "dev_matched.tsv");
  assert.equal(glueTask("glue/mnli-mm").splits.dev?.file, "dev_mismatched.tsv");
  assert.equal(glueTask("glue/ax").folder, "glue/diagnostic");
  assert.equal(glueTask("glue/ax").splits.dev?.file, "diagnostic-full.tsv");
  for (const task of GLUE_TASKS) {
    assert.equal(task.splits.test?.label, undefined, `${task.name} test is unlabelled`);
  }
});

Deno.test("an unknown task name lists the valid ones", () => {
  assert.throws(() => glueTask("glue/mnli"), (error: Error) => {
    assert.match(error.message, /^Unknown GLUE task "glue\/mnli"; valid names: glue\/cola, /);
    assert.match(error.message, /glue\/mnli-m, glue\/mnli-mm, .*glue\/ax$/);
    return true;
  });
});
