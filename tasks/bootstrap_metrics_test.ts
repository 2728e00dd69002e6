/**
 * `TaskResult.metricsOf` of every family on real dev data with seeded logits: identity indices
 * give `metrics` exactly, repeated indices weigh examples as hand-worked, and unlabelled splits
 * have none.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bootstrapInterval, mulberry32 } from "../runtime/bootstrap.ts";
import { GLUE_ENTRIES } from "./glue/entry.ts";
import { RACE_ENTRY } from "./race/entry.ts";
import { SQUAD_ENTRIES } from "./squad/entry.ts";
import { WhitespaceTokenizer } from "./squad/_testing.ts";
import type { Metrics, PreparedTask, TaskEntry, TaskResult } from "./task.ts";

const root = fileURLToPath(new URL("../../shared/data/", import.meta.url));

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** Prepare `entry`'s split (first `limit` examples) with a whitespace tokenizer. */
function prepare(entry: TaskEntry, limit: number, split: "dev" | "test" = "dev") {
  return entry.prepare({ root, split, tokenizer: new WhitespaceTokenizer(), limit });
}

/** Seeded logits, one per label (RACE: per option row), with a head start for the target. */
function noisyLogits(task: PreparedTask, width: number, seed: number): Float32Array[] {
  const random = mulberry32(seed);
  return task.rows.map((_, r) => {
    const logits = Float32Array.from({ length: width }, () => random());
    const target = task.targets![r];
    if (width === 1 && task.groupSize === 1) logits[0] = target + 2 * (random() - 0.5); // STS-B
    else if (task.groupSize === 1) logits[target] += 0.6;
    else if (r % 4 === target) logits[0] += 0.6; // RACE: the answer's option row
    return logits;
  });
}

/** `metricsOf(0..n-1)` equals `metrics` exactly on the keys it returns; the keys it returns. */
function assertIdentity(result: TaskResult, n: number): string[] {
  ok(result.metrics && result.metricsOf, "labelled split without metricsOf");
  const again = result.metricsOf(identity(n));
  const picked: Metrics = {};
  for (const key of Object.keys(again)) picked[key] = result.metrics[key];
  deepStrictEqual(again, picked);
  return Object.keys(again);
}

for (const entry of GLUE_ENTRIES) {
  Deno.test(`${entry.name}: metricsOf(identity) equals metrics on every GLUE metric`, async () => {
    const task = await prepare(entry, 300);
    const width = entry.head.kind === "sequence-classification" ? entry.head.numLabels : 1;
    const result = task.finish(noisyLogits(task, width, 1));
    deepStrictEqual(assertIdentity(result, task.examples), entry.metrics);
  });
}

Deno.test("GLUE metricsOf weighs a repeated example by its count", async () => {
  const entry = GLUE_ENTRIES.find((e) => e.name === "glue/mrpc")!;
  const task = await prepare(entry, 300);
  const result = task.finish(noisyLogits(task, 2, 2));
  const right = result.samples.findIndex((s) => s.prediction === "1" && s.label === "1");
  const wrong = result.samples.findIndex((s) => s.prediction === "1" && s.label === "0");
  ok(right >= 0 && wrong >= 0);
  // Two true positives and one false positive: accuracy 2/3, F1 = 2·2 / (2·2 + 1) = 0.8.
  const metrics = result.metricsOf!(Int32Array.of(right, wrong, right));
  strictEqual(metrics.accuracy, 100 * (2 / 3)); // as glueMetrics computes it
  strictEqual(metrics.f1, 80);
});

Deno.test("GLUE: an unlabelled test split has neither metrics nor metricsOf", async () => {
  const entry = GLUE_ENTRIES.find((e) => e.name === "glue/rte")!;
  const task = await prepare(entry, 20, "test");
  const result = task.finish(task.rows.map(() => Float32Array.of(0.2, 0.1)));
  strictEqual(result.metrics, undefined);
  strictEqual(result.metricsOf, undefined);
});

Deno.test("STS-B intervals contain the point correlations", async () => {
  const entry = GLUE_ENTRIES.find((e) => e.name === "glue/stsb")!;
  const task = await prepare(entry, 300);
  const result = task.finish(noisyLogits(task, 1, 3));
  const intervals = bootstrapInterval(task.examples, result.metricsOf!, { resamples: 200 });
  for (const name of ["pearson", "spearmanr"]) {
    const { low, high } = intervals[name];
    const point = result.metrics![name];
    ok(low < point && point < high, `${name} ${point} not in [${low}, ${high}]`);
  }
});

Deno.test("race: metricsOf(identity) equals accuracy, middle and high", async () => {
  // Middle questions come first (1,436 in dev): 1,500 takes some high ones too.
  const task = await prepare(RACE_ENTRY, 1500);
  const result = task.finish(noisyLogits(task, 1, 4));
  deepStrictEqual(assertIdentity(result, task.examples), ["accuracy", "middle", "high"]);
  // A right middle question drawn twice and a wrong one once: 2/3 right, so repeats count and
  // only the middle level is reported.
  const middle = (right: boolean) =>
    result.samples.findIndex((s) => s.level === "middle" && (s.prediction === s.label) === right);
  const [right, wrong] = [middle(true), middle(false)];
  ok(right >= 0 && wrong >= 0);
  deepStrictEqual(result.metricsOf!(Int32Array.of(right, wrong, right)), {
    accuracy: 200 / 3, // 100 · correct / total
    middle: 200 / 3,
  });
});

/**
 * Start/end logits (interleaved, as the QA head gives them) that plant the first gold answer of
 * two questions in three where a window holds it, so exact and F1 scores are mixed.
 */
function plantedSquadLogits(task: PreparedTask, tokenizer: WhitespaceTokenizer, seed: number) {
  const random = mulberry32(seed);
  // Rows come in question order, each question's windows together, as its sample lists them.
  const { samples } = task.finish(
    task.rows.map((row) => new Float32Array(2 * row.inputIds.length)),
  );
  const owner = samples.flatMap((s, x) => Array((s.input_ids as unknown[]).length).fill(x));
  // The test tokenizer splits on whitespace only, so compare words without punctuation.
  const words = (text: string) => text.toLowerCase().split(/\s+/).map((w) => w.replace(/\W/g, ""));
  return task.rows.map((row, r) => {
    const logits = Float32Array.from({ length: 2 * row.inputIds.length }, () => random());
    const gold = (samples[owner[r]].label as string[])[0];
    if (gold === undefined || owner[r] % 3 === 2) return logits;
    const context = row.inputIds.map((id, i) =>
      row.tokenTypeIds[i] === 1 ? words(tokenizer.idToToken(id))[0] : undefined
    );
    const want = words(gold);
    const start = context.findIndex((_, i) => want.every((w, k) => context[i + k] === w));
    if (start >= 0) {
      logits[2 * start] += 5;
      logits[2 * (start + want.length - 1) + 1] += 5;
    }
    return logits;
  });
}

for (const entry of SQUAD_ENTRIES) {
  const names = entry.name === "squad/v1.1" ? ["exact_match", "f1"] : ["exact", "f1"];
  Deno.test(`${entry.name}: metricsOf(identity) equals ${names.join(" and ")}`, async () => {
    const tokenizer = new WhitespaceTokenizer();
    const task = await entry.prepare({ root, split: "dev", tokenizer, limit: 150 });
    const result = task.finish(plantedSquadLogits(task, tokenizer, 5));
    deepStrictEqual(assertIdentity(result, task.examples), names);
    // Mixed scores, so the check is not 0 = 0 or 100 = 100.
    for (const name of names) {
      const value = result.metrics![name];
      ok(value > 10 && value < 90, `${name} = ${value}`);
    }
    // Question a twice and b once average as (2·a + b) / 3, for two questions whose scores differ
    // in every metric (so dropping the repeat, (a + b) / 2, would fail).
    const single = (i: number) => result.metricsOf!(Int32Array.of(i));
    const a = single(0);
    const other = [...Array(task.examples).keys()].find((x) =>
      names.every((name) => single(x)[name] !== a[name])
    );
    ok(other !== undefined, "two questions with different scores");
    const b = single(other);
    const mixed = result.metricsOf!(Int32Array.of(0, other, 0));
    for (const name of names) {
      const expected = (2 * a[name] + b[name]) / 3;
      ok(Math.abs(mixed[name] - expected) < 1e-9, `${name}: ${mixed[name]} vs ${expected}`);
    }
  });
}
