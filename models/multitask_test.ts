/**
 * Multi-task configs from a backbone: the paper's d_s at H = 768 and its
 * ratio kept for smaller widths, per-task classifiers, and the shared
 * backbone without adapters on any model type.
 */
import assert from "node:assert/strict";
import { taskCount } from "./config.ts";
import { defaultHiddenSizeAug, multiTaskConfig } from "./multitask.ts";
import { parameterMultiplier } from "./params.ts";
import { zooEntry } from "./zoo.ts";

Deno.test("default d_s is the paper's at H = 768 and keeps its ratio below", () => {
  assert.equal(defaultHiddenSizeAug("pals", 768), 204);
  assert.equal(defaultHiddenSizeAug("low-rank", 768), 100);
  assert.equal(defaultHiddenSizeAug("top-projected", 768), 204);
  assert.equal(defaultHiddenSizeAug("pals", 128), 36); // 34 rounded to 6 heads
  assert.equal(defaultHiddenSizeAug("top-projected", 64), 12); // 17 rounded to 12 heads
});

Deno.test("a PALs model built from bert-base matches the zoo's PALs model for 8 tasks", () => {
  const backbone = zooEntry("bert-base-uncased").config;
  const built = multiTaskConfig(
    backbone,
    { adapter: "pals", taskNumLabels: Array(8).fill(2) },
    "b",
  );
  const zoo = zooEntry("bert-base-pals").config;
  assert.deepEqual(built.adapter, zoo.adapter);
  assert.equal(parameterMultiplier(built), parameterMultiplier(zoo));
  assert.deepEqual(built.head, { kind: "multi-task", taskNumLabels: Array(8).fill(2) });
});

Deno.test("the shared backbone has per-task heads and no adapters, on ALBERT too", () => {
  const albert = zooEntry("tiny-albert").config;
  const shared = multiTaskConfig(albert, { adapter: "none", taskNumLabels: [2, 1, 3] }, "a");
  assert.equal(shared.adapter, undefined);
  assert.equal(taskCount(shared), 3);
  assert.equal(parameterMultiplier(shared), 1);
  assert.throws(
    () => multiTaskConfig(albert, { adapter: "pals", taskNumLabels: [2, 2] }, "a"),
    /PAL adapters .* apply to BERT models only/,
  );
});
