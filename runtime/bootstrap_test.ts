import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { bootstrapInterval, mulberry32, percentileInterval } from "./bootstrap.ts";

// Percentiles follow numpy's linear rule: position (n - 1) · p / 100 in the sorted values.

function close(actual: number, expected: number, tolerance: number, what = "value") {
  ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, got ${actual}`);
}

/** The mean of `values` over the resampled indices. */
const meanOf = (values: ArrayLike<number>) => (indices: Int32Array) => {
  let sum = 0;
  for (const i of indices) sum += values[i];
  return { mean: sum / indices.length };
};

Deno.test("percentileInterval reads numpy's linear percentiles", () => {
  // 50%: p25 and p75. Five values: positions 1 and 3 exactly.
  deepStrictEqual(percentileInterval([5, 1, 4, 2, 3], 0.5), { low: 2, high: 4 });
  // Sorted [0, 10, 20, 30]: positions 0.75 -> 7.5 and 2.25 -> 22.5.
  deepStrictEqual(percentileInterval([30, 0, 20, 10], 0.5), { low: 7.5, high: 22.5 });
  // 80% of 0..10: p10 and p90 at positions 1 and 9 (up to rounding of 1 - 0.8).
  const i80 = percentileInterval(Array.from({ length: 11 }, (_, i) => i), 0.8);
  close(i80.low, 1, 1e-12);
  close(i80.high, 9, 1e-12);
  // 95% of 0..40: positions 1 and 39.
  const i95 = percentileInterval(Array.from({ length: 41 }, (_, i) => i));
  close(i95.low, 1, 1e-12);
  close(i95.high, 39, 1e-12);
  deepStrictEqual(percentileInterval([7], 0.9), { low: 7, high: 7 });
});

Deno.test("percentileInterval drops NaN, and gives NaN bounds when nothing is left", () => {
  deepStrictEqual(percentileInterval([NaN, 30, 0, NaN, 20, 10], 0.5), { low: 7.5, high: 22.5 });
  const none = percentileInterval([NaN, NaN]);
  ok(Number.isNaN(none.low) && Number.isNaN(none.high));
  const empty = percentileInterval([]);
  ok(Number.isNaN(empty.low) && Number.isNaN(empty.high));
  throws(() => percentileInterval([1], 1), /Confidence/);
  throws(() => percentileInterval([1], 0), /Confidence/);
});

Deno.test("a constant metric has low = high = the constant", () => {
  const interval = bootstrapInterval(50, () => ({ c: 42.5 }), { resamples: 200 });
  deepStrictEqual(interval, { c: { low: 42.5, high: 42.5 } });
});

Deno.test("the mean of a 0/1 vector matches the normal approximation (n=2000, p=0.8)", () => {
  const n = 2000, p = 0.8;
  const values = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 1)); // mean 0.8
  const { mean } = bootstrapInterval(n, meanOf(values));
  const half = 1.96 * Math.sqrt((p * (1 - p)) / n); // 0.01753
  ok(mean.low < p && p < mean.high, `${p} not in [${mean.low}, ${mean.high}]`);
  // The percentile noise of 1000 resamples is about 0.0008; allow ~4 of it.
  close(mean.low, p - half, 0.003, "low");
  close(mean.high, p + half, 0.003, "high");
});

Deno.test("equal seeds give equal intervals, different seeds differ", () => {
  const values = Array.from({ length: 300 }, (_, i) => Math.sin(i) * 10);
  const a = bootstrapInterval(300, meanOf(values), { resamples: 200, seed: 7 });
  const b = bootstrapInterval(300, meanOf(values), { resamples: 200, seed: 7 });
  const c = bootstrapInterval(300, meanOf(values), { resamples: 200, seed: 8 });
  deepStrictEqual(a, b);
  notDeepStrictEqual(a, c);
  // The default seed is 0.
  deepStrictEqual(
    bootstrapInterval(300, meanOf(values), { resamples: 50 }),
    bootstrapInterval(300, meanOf(values), { resamples: 50, seed: 0 }),
  );
});

Deno.test("each resample holds n indices in [0, n), drawn about uniformly", () => {
  const n = 10, counts = new Array<number>(n).fill(0);
  let calls = 0;
  bootstrapInterval(n, (indices) => {
    calls++;
    strictEqual(indices.length, n);
    for (const i of indices) counts[i]++;
    return {};
  }, { resamples: 1000 });
  strictEqual(calls, 1000);
  // 10,000 draws, 1,000 expected per index, standard deviation 30.
  for (const count of counts) close(count, 1000, 150, "draws of one index");
});

Deno.test("NaN or missing resample values are dropped; all NaN gives NaN bounds", () => {
  // Two examples worth 0 and 1. "same" exists only when both draws are one example: then it is
  // that example's value, so its resamples are 0s and 1s and the interval is [0, 1].
  const result = bootstrapInterval(2, (indices) => ({
    nan: NaN,
    ...(indices[0] === indices[1] ? { same: indices[0] } : {}),
  }), { resamples: 400 });
  deepStrictEqual(Object.keys(result).sort(), ["nan", "same"]);
  ok(Number.isNaN(result.nan.low) && Number.isNaN(result.nan.high));
  deepStrictEqual(result.same, { low: 0, high: 1 });
});

Deno.test("mulberry32 is seeded and stays in [0, 1)", () => {
  const a = mulberry32(123), b = mulberry32(123), c = mulberry32(124);
  const xs = Array.from({ length: 1000 }, () => a());
  deepStrictEqual(Array.from({ length: 1000 }, () => b()), xs);
  notDeepStrictEqual(Array.from({ length: 1000 }, () => c()), xs);
  ok(xs.every((x) => x >= 0 && x < 1));
  close(xs.reduce((s, x) => s + x, 0) / xs.length, 0.5, 0.05, "mean draw");
});

Deno.test("bootstrapInterval refuses no examples, no resamples and a bad confidence", () => {
  throws(() => bootstrapInterval(0, () => ({})), /0 examples/);
  throws(() => bootstrapInterval(3, () => ({}), { resamples: 0 }), /Resamples/);
  throws(() => bootstrapInterval(3, () => ({}), { confidence: 95 }), /Confidence/);
});
