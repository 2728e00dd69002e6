import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { max, mean, median, min, percentile, summarize } from "./stats.ts";

// Expected values are derived by hand from numpy's linear rule:
// position = (n - 1) · p / 100 in the sorted list, interpolated between neighbours.

function close(actual: number, expected: number, tolerance = 1e-12) {
  ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `expected ${expected}, got ${actual}`,
  );
}

Deno.test("median of odd and even lengths", () => {
  strictEqual(median([5, 1, 3]), 3);
  strictEqual(median([4, 1, 3, 2]), 2.5); // mean of 2 and 3
  strictEqual(median([7]), 7);
});

Deno.test("percentiles interpolate linearly like numpy", () => {
  const values = [15, 20, 35, 40, 50];
  // p90: position 4 · 0.9 = 3.6 -> 40 + 0.6 · (50 - 40) = 46
  close(percentile(values, 90), 46);
  // p99: position 3.96 -> 40 + 0.96 · 10 = 49.6
  close(percentile(values, 99), 49.6);
  // p25: position 1 -> exactly 20
  strictEqual(percentile(values, 25), 20);
  // p40: position 1.6 -> 20 + 0.6 · 15 = 29
  close(percentile(values, 40), 29);
  strictEqual(percentile(values, 0), 15);
  strictEqual(percentile(values, 100), 50);
});

Deno.test("percentiles of 1..10", () => {
  const values = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  // p90: position 9 · 0.9 = 8.1 -> 9 + 0.1 = 9.1; p99: 8.91 -> 9.91; p50: 4.5 -> 5.5
  close(percentile(values, 90), 9.1);
  close(percentile(values, 99), 9.91);
  strictEqual(percentile(values, 50), 5.5);
});

Deno.test("summarize reports every field and leaves its input unsorted", () => {
  const values = [12.8, 11.9, 12.3, 12.1, 12.5];
  const summary = summarize(values);
  deepStrictEqual(values, [12.8, 11.9, 12.3, 12.1, 12.5]);
  strictEqual(summary.n, 5);
  strictEqual(summary.min, 11.9);
  strictEqual(summary.max, 12.8);
  strictEqual(summary.median, 12.3);
  strictEqual(summary.p50, 12.3);
  // p90: position 3.6 -> 12.5 + 0.6 · 0.3 = 12.68; p99: 3.96 -> 12.5 + 0.96 · 0.3 = 12.788
  close(summary.p90, 12.68);
  close(summary.p99, 12.788);
  close(summary.mean, 12.32);
});

Deno.test("min, max and mean", () => {
  strictEqual(min([3, -1, 2]), -1);
  strictEqual(max([3, -1, 2]), 3);
  strictEqual(mean([1, 2, 3, 4]), 2.5);
});

Deno.test("empty lists, NaN and bad percentiles are rejected", () => {
  throws(() => median([]), /empty/);
  throws(() => summarize([1, NaN]), /NaN/);
  throws(() => percentile([1, 2], 101), /between 0 and 100/);
  throws(() => percentile([1, 2], -1), /between 0 and 100/);
});
