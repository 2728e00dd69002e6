import assert from "node:assert/strict";
import {
  accuracy,
  averageRanks,
  f1Binary,
  glueMetrics,
  matthewsCorrcoef,
  pearson,
  spearman,
} from "./metrics.ts";
import { glueTask } from "./tasks.ts";

/** One tolerance for every float comparison here: the hand values are exact up to rounding. */
function close(actual: number, expected: number, what = "") {
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} != ${expected}`,
  );
}

const split = (s: string) => s.split("");

Deno.test("accuracy counts exact label matches", () => {
  close(accuracy(split("1101"), split("1001")), 3 / 4);
  assert.throws(() => accuracy(["1"], ["1", "0"]), RangeError);
  assert.throws(() => accuracy([], []), RangeError);
});

Deno.test("f1Binary: tp 3, fp 1, fn 1 gives 2·3 / (2·3 + 1 + 1)", () => {
  // gold 1 1 1 1 0 0 0 0, predicted 1 1 1 0 1 0 0 0: precision 3/4, recall 3/4, F1 3/4.
  close(f1Binary(split("11101000"), split("11110000")), 0.75);
  // The positive class can be any label; here "a" with tp 1, fp 0, fn 1: 2 / (2 + 1).
  close(f1Binary(split("ab"), split("aa"), "a"), 2 / 3);
});

Deno.test("f1Binary is 0, as sklearn, when no positive is predicted", () => {
  assert.equal(f1Binary(split("000"), split("000")), 0);
  assert.equal(f1Binary(split("000"), split("010")), 0);
});

Deno.test("matthewsCorrcoef of a binary confusion matrix", () => {
  // tp 3, fn 1, fp 1, tn 3: (tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = 8 / 16.
  close(matthewsCorrcoef(split("11101000"), split("11110000")), 0.5);
  close(matthewsCorrcoef(split("1100"), split("1100")), 1);
  close(matthewsCorrcoef(split("0011"), split("1100")), -1);
});

Deno.test("matthewsCorrcoef is 0, not NaN, for a degenerate confusion matrix", () => {
  // One predicted class: s² − Σ pₖ² = 0.
  assert.equal(matthewsCorrcoef(split("1111"), split("1010")), 0);
  // One true class: s² − Σ tₖ² = 0.
  assert.equal(matthewsCorrcoef(split("1010"), split("0000")), 0);
});

Deno.test("matthewsCorrcoef over three classes, by the general formula", () => {
  // gold a a b b c c, predicted a b b b c a: c = 4 correct of s = 6;
  // true counts t = (2, 2, 2), predicted counts p = (2, 3, 1).
  // cov(yt, yp) = c·s − Σ pₖtₖ = 24 − (4 + 6 + 2) = 12
  // cov(yp, yp) = s² − Σ pₖ² = 36 − 14 = 22; cov(yt, yt) = s² − Σ tₖ² = 36 − 12 = 24
  close(matthewsCorrcoef(split("abbbca"), split("aabbcc")), 12 / Math.sqrt(22 * 24));
});

Deno.test("pearson by hand", () => {
  // x − x̄ = (−2, −1, 0, 1, 2), y − ȳ = (−2, 0, 1, 0, 1): Σdxdy 6, Σdx² 10, Σdy² 6.
  close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60));
  close(pearson([1, 2, 3], [6, 4, 2]), -1);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), "constant input has no correlation");
});

Deno.test("averageRanks gives ties their mean rank", () => {
  assert.deepEqual(averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
  assert.deepEqual(averageRanks([3, 1, 3, 3]), [3, 1, 3, 3]);
});

Deno.test("spearman with ties uses average ranks", () => {
  // SciPy's documented example: y ranks (1, 2, 3.5, 5, 3.5) against (1..5):
  // Σdxdy = 8, Σdx² = 10, Σdy² = 9.5, so ρ = 8 / √95 = 0.8207826816681233.
  close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 8 / Math.sqrt(95));
  close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 0.8207826816681233);
  // y ranks (1, 2.5, 4.5, 2.5, 4.5): Σdxdy = 7, Σdy² = 9, ρ = 7 / √90.
  close(spearman([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 7 / Math.sqrt(90));
  // Monotone but not linear: ρ = 1 where Pearson is below 1.
  close(spearman([1, 2, 3, 4], [1, 10, 100, 1000]), 1);
});

Deno.test("glueMetrics reports each task's metrics ×100", () => {
  assert.deepEqual(Object.keys(glueMetrics(glueTask("glue/mrpc"), ["1"], ["1"])), [
    "accuracy",
    "f1",
  ]);
  const mrpc = glueMetrics(glueTask("glue/mrpc"), split("11101000"), split("11110000"));
  close(mrpc.accuracy, 75);
  close(mrpc.f1, 75);
  const cola = glueMetrics(glueTask("glue/cola"), split("11101000"), split("11110000"));
  assert.deepEqual(Object.keys(cola), ["mcc"]);
  close(cola.mcc, 50);
  const ax = glueMetrics(glueTask("glue/ax"), ["entailment", "neutral"], [
    "entailment",
    "contradiction",
  ]);
  // t = (1, 1, 0) over (contradiction, entailment, neutral), p = (0, 1, 1), c = 1, s = 2:
  // (2 − 1) / √((4 − 2)(4 − 2)) = 1/2.
  close(ax.mcc, 50);
  const stsb = glueMetrics(glueTask("glue/stsb"), ["1", "2", "3", "4", "5"], [
    "5.000",
    "6",
    "7",
    "8",
    "7.0",
  ]);
  close(stsb.pearson, 100 * pearson([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]));
  close(stsb.spearmanr, 100 * 8 / Math.sqrt(95));
  assert.throws(() => glueMetrics(glueTask("glue/stsb"), ["x"], ["1"]), /"x" is not a number/);
  assert.throws(() => glueMetrics(glueTask("glue/rte"), [], []), /empty/);
});
