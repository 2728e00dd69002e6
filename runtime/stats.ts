/**
 * Summary statistics for timings and scores: median, min, max and
 * percentiles. Percentiles use linear interpolation between the two closest
 * ranks, as numpy's default (`method="linear"`): for sorted values `a` of
 * length n, `percentile(p)` reads position `(n - 1) · p / 100`.
 */

/**
 * Median, min and max of a measurement's repetitions (or of seeds); for a
 * ratio of two spreads (`ratioSpread`), the ratio of the medians and the
 * widest bounds the two ranges allow.
 */
export interface Spread {
  /** Middle value (mean of the two middle ones for an even count); a ratio's: median/median. */
  median: number;
  /** Smallest value; a ratio's: min/max. */
  min: number;
  /** Largest value; a ratio's: max/min. */
  max: number;
}

/** True for `{median, min, max}` of finite numbers. */
export function isSpread(value: unknown): value is Spread {
  const v = value as Spread;
  return typeof v === "object" && v !== null &&
    [v.median, v.min, v.max].every((x) => typeof x === "number" && Number.isFinite(x));
}

/** Ratio a/b with the widest interval the two ranges allow (the leaderboard's and the gate's). */
export function ratioSpread(a: Spread, b: Spread): Spread {
  return { median: a.median / b.median, min: a.min / b.max, max: a.max / b.min };
}

/** The summary that run records and tables report for a list of measurements. */
export interface Summary {
  /** Number of values, at least 1. */
  n: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Arithmetic mean. */
  mean: number;
  /** Middle value; equal to `p50`. */
  median: number;
  /** 50th percentile, linearly interpolated (numpy's default). */
  p50: number;
  /** 90th percentile, linearly interpolated. */
  p90: number;
  /** 99th percentile, linearly interpolated. */
  p99: number;
}

function sortedCopy(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError("Cannot summarise an empty list of values");
  for (const v of values) {
    if (Number.isNaN(v)) throw new RangeError("Cannot summarise values containing NaN");
  }
  return [...values].sort((a, b) => a - b);
}

function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`Percentile must be between 0 and 100, got ${p}`);
  }
  const position = (sorted.length - 1) * p / 100;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  const fraction = position - lo;
  return fraction === 0 ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * fraction;
}

/** The p-th percentile (0 ≤ p ≤ 100) with numpy's default linear interpolation. */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(sortedCopy(values), p);
}

/** The median: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Smallest value; throws on an empty list. */
export function min(values: readonly number[]): number {
  return sortedCopy(values)[0];
}

/** Largest value; throws on an empty list. */
export function max(values: readonly number[]): number {
  const sorted = sortedCopy(values);
  return sorted[sorted.length - 1];
}

/** Arithmetic mean; throws on an empty list. */
export function mean(values: readonly number[]): number {
  const sorted = sortedCopy(values);
  return sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
}

/** Count, min, max, mean, median and p50/p90/p99 in one pass over a sorted copy. */
export function summarize(values: readonly number[]): Summary {
  const sorted = sortedCopy(values);
  const p50 = percentileOfSorted(sorted, 50);
  return {
    n: sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    median: p50,
    p50,
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
  };
}
