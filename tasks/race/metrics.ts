/**
 * RACE accuracy, overall and per school level, as the ALBERT and RACE papers report it
 * (RACE, RACE-M, RACE-H): the share of questions whose predicted label is the gold one.
 */
import type { Metrics } from "../task.ts";
import type { RaceQuestion } from "./load.ts";

/**
 * `{accuracy, middle, high}` ×100 over the whole set; a group with no questions (a subset of
 * one level, or no questions at all) is left out, since an accuracy of nothing is undefined
 * and NaN would print as a score.
 */
export function raceMetrics(questions: RaceQuestion[], predictions: string[]): Metrics {
  if (predictions.length !== questions.length) {
    throw new RangeError(
      `RACE has ${questions.length} questions but ${predictions.length} predictions`,
    );
  }
  const groups: Record<string, { right: number; total: number }> = {
    accuracy: { right: 0, total: 0 },
    middle: { right: 0, total: 0 },
    high: { right: 0, total: 0 },
  };
  questions.forEach((q, i) => {
    const right = predictions[i] === q.answer ? 1 : 0;
    for (const group of [groups.accuracy, groups[q.level]]) {
      group.right += right;
      group.total += 1;
    }
  });
  const metrics: Metrics = {};
  for (const [name, { right, total }] of Object.entries(groups)) {
    if (total > 0) metrics[name] = (100 * right) / total;
  }
  return metrics;
}
