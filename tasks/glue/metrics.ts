/**
 * GLUE metrics with the semantics of the scripts that produce the published numbers: HF
 * `transformers` `glue_compute_metrics`, which calls scikit-learn (`accuracy_score`, `f1_score`,
 * `matthews_corrcoef`) and SciPy (`pearsonr`, `spearmanr`). Every metric is a corpus-level
 * aggregate over the whole set, never a mean of per-batch values.
 */
import type { Metrics } from "../task.ts";
import { parseScore } from "./_text.ts";
import type { GlueTask } from "./tasks.ts";

function checkLengths(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot score ${a.length} predictions against ${b.length} golds`);
  }
  if (a.length === 0) throw new RangeError("Cannot score an empty set");
}

/** Fraction of predictions equal to their gold label. */
export function accuracy(predictions: readonly string[], golds: readonly string[]): number {
  checkLengths(predictions, golds);
  let right = 0;
  for (let i = 0; i < golds.length; i++) if (predictions[i] === golds[i]) right++;
  return right / golds.length;
}

/**
 * Binary F1 of the class `positive`, as sklearn `f1_score(average="binary")`: 2tp / (2tp+fp+fn),
 * and 0 when that is 0/0 (no positive predicted and none true).
 */
export function f1Binary(
  predictions: readonly string[],
  golds: readonly string[],
  positive = "1",
): number {
  checkLengths(predictions, golds);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < golds.length; i++) {
    const p = predictions[i] === positive, g = golds[i] === positive;
    if (p && g) tp++;
    else if (p) fp++;
    else if (g) fn++;
  }
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

/**
 * Matthews correlation for any number of classes, as sklearn `matthews_corrcoef`:
 * (c·s − Σ pₖtₖ) / √((s² − Σ pₖ²)(s² − Σ tₖ²)) with c correct, s samples, pₖ / tₖ the predicted
 * / true counts of class k; 0 (not NaN) when either factor of the denominator is 0.
 */
export function matthewsCorrcoef(predictions: readonly string[], golds: readonly string[]): number {
  checkLengths(predictions, golds);
  const predicted = new Map<string, number>(), truth = new Map<string, number>();
  let correct = 0;
  for (let i = 0; i < golds.length; i++) {
    predicted.set(predictions[i], (predicted.get(predictions[i]) ?? 0) + 1);
    truth.set(golds[i], (truth.get(golds[i]) ?? 0) + 1);
    if (predictions[i] === golds[i]) correct++;
  }
  const s = golds.length;
  let pt = 0, pp = 0, tt = 0;
  for (const [k, p] of predicted) pt += p * (truth.get(k) ?? 0);
  for (const p of predicted.values()) pp += p * p;
  for (const t of truth.values()) tt += t * t;
  const covYtYp = correct * s - pt, covYpYp = s * s - pp, covYtYt = s * s - tt;
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

/**
 * Pearson correlation, as SciPy `pearsonr` (centred two-pass sums); NaN when either input is
 * constant, as SciPy returns, since no correlation is defined there.
 */
export function pearson(x: readonly number[], y: readonly number[]): number {
  checkLengths(x, y);
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  // Rounding can push |r| a hair past 1; SciPy clips the same way.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** 1-based ranks with ties given their average rank, as SciPy `rankdata(method="average")`. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // Positions start..end-1 hold one tied value; ranks start+1..end average to this.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman rank correlation, as SciPy `spearmanr`: Pearson of the average ranks. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  checkLengths(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

function scores(values: readonly string[], what: string): number[] {
  return values.map((v, i) => {
    const x = parseScore(v);
    if (x === undefined) throw new RangeError(`${what} ${i} "${v}" is not a number`);
    return x;
  });
}

function unknown(task: GlueTask, name: string): never {
  throw new Error(`GLUE task "${task.name}" names unknown metric "${name}"`);
}

/** The task's metrics (DESIGN §4) over the whole set, ×100; STS-B values are float strings. */
export function glueMetrics(
  task: GlueTask,
  predictions: readonly string[],
  golds: readonly string[],
): Metrics {
  checkLengths(predictions, golds);
  const metrics: Metrics = {};
  if (task.regression) {
    const p = scores(predictions, "Prediction"), g = scores(golds, "Gold");
    for (const name of task.metrics) {
      if (name === "pearson") metrics[name] = 100 * pearson(p, g);
      else if (name === "spearmanr") metrics[name] = 100 * spearman(p, g);
      else unknown(task, name);
    }
    return metrics;
  }
  for (const name of task.metrics) {
    if (name === "accuracy") metrics[name] = 100 * accuracy(predictions, golds);
    // The positive class is label index 1, as HF's glue processors order the labels.
    else if (name === "f1") metrics[name] = 100 * f1Binary(predictions, golds, task.labels[1]);
    else if (name === "mcc") metrics[name] = 100 * matthewsCorrcoef(predictions, golds);
    else unknown(task, name);
  }
  return metrics;
}
