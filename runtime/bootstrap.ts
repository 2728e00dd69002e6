/**
 * Seeded percentile bootstrap for evaluation metrics: resample the examples with replacement,
 * recompute the metrics on each resample, and report the central `confidence` share of the
 * resampled values. Percentiles are numpy's default linear interpolation (`runtime/stats.ts`):
 * the 95% interval is `np.percentile(values, [2.5, 97.5])`.
 *
 * A resample whose metric is NaN (e.g. Pearson of a constant) or missing (e.g. RACE's middle
 * accuracy when no middle question was drawn) is dropped from that metric's percentiles, so its
 * interval is over the resamples where the metric is defined; if none is, both bounds are NaN.
 */
import { percentile } from "./stats.ts";

/** How many resamples, which coverage, and which seed. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Coverage of the interval, strictly between 0 and 1 (default 0.95). */
  confidence?: number;
  /** Seed of the resampling PRNG (default 0); equal seeds give equal intervals. */
  seed?: number;
}

/** A percentile interval; NaN bounds when no resample defined the metric. */
export interface Interval {
  /** Lower bound (the 2.5th percentile of the resampled scores for 95%). */
  low: number;
  /** Upper bound (the 97.5th percentile for 95%). */
  high: number;
}

/** mulberry32: a tiny 32-bit PRNG giving floats in [0, 1); plenty for resampling indices. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The central `confidence` interval of `values` (numpy linear percentiles at (1−c)/2 and
 * (1+c)/2), ignoring NaN; NaN bounds when nothing else is left.
 */
export function percentileInterval(values: readonly number[], confidence = 0.95): Interval {
  checkConfidence(confidence);
  const defined = values.filter((v) => !Number.isNaN(v));
  if (defined.length === 0) return { low: NaN, high: NaN };
  const tail = (1 - confidence) / 2;
  return { low: percentile(defined, 100 * tail), high: percentile(defined, 100 * (1 - tail)) };
}

/**
 * Percentile bootstrap intervals of `metricsOf` over `n` examples: `resamples` draws of n
 * indices with replacement, one interval per metric name any resample returned.
 */
export function bootstrapInterval(
  n: number,
  metricsOf: (indices: Int32Array) => Record<string, number>,
  options: BootstrapOptions = {},
): Record<string, Interval> {
  const { resamples = 1000, confidence = 0.95, seed = 0 } = options;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Cannot bootstrap ${n} examples`);
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`Resamples must be a positive integer, got ${resamples}`);
  }
  checkConfidence(confidence);
  const random = mulberry32(seed);
  // Per metric, one value per resample; NaN where a resample did not return the metric.
  const values = new Map<string, number[]>();
  for (let r = 0; r < resamples; r++) {
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = Math.floor(random() * n);
    for (const [name, value] of Object.entries(metricsOf(indices))) {
      let list = values.get(name);
      if (!list) values.set(name, list = new Array<number>(resamples).fill(NaN));
      list[r] = value;
    }
  }
  const out: Record<string, Interval> = {};
  for (const [name, list] of values) out[name] = percentileInterval(list, confidence);
  return out;
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`Confidence must be between 0 and 1, got ${confidence}`);
  }
}
