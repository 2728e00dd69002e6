/** The train command's summary over seeds, including undefined (NaN) dev scores. */
import { deepStrictEqual } from "node:assert/strict";
import { summarise } from "./train.ts";
import type { TrainOutcome } from "../train/run.ts";

function outcome(seed: number, scores: (number | null)[]): TrainOutcome {
  return {
    seed,
    steps: 10,
    tasks: scores.map((score, index) => ({
      task: `task${index}`,
      index,
      metric: "accuracy",
      // null is how a NaN score comes back from a reused record's JSON.
      best: { score: score as number, epoch: 1, metrics: {} },
      checkpoint: `ckpt/${index}`,
    })),
    adapter: null,
    schedule: null,
    parameters: 1,
    multiplier: 1,
    logPath: "log",
    recordPath: "record",
    seconds: 1,
    tokensPerSecond: 1,
    reused: false,
  };
}

Deno.test("summarise spreads each task's best score over seeds, plus the task average", () => {
  const summary = summarise([outcome(0, [80, 60]), outcome(1, [90, 70]), outcome(2, [85, 50])]);
  deepStrictEqual(summary.map((s) => [s.task, s.median, s.min, s.max]), [
    ["task0", 85, 80, 90],
    ["task1", 60, 50, 70],
    ["average", 70, 67.5, 80],
  ]);
});

Deno.test("an undefined score (NaN, or null from a record) leaves its spread undefined", () => {
  const summary = summarise([outcome(0, [NaN, 60]), outcome(1, [null, 70])]);
  deepStrictEqual(summary.map((s) => [s.task, s.median, s.min, s.max]), [
    ["task0", NaN, NaN, NaN],
    ["task1", 65, 60, 70],
    ["average", NaN, NaN, NaN],
  ]);
});
