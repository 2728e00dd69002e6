/**
 * The train run record's derived parts: the loss curve the report draws, and
 * the outcome of an earlier run of the same work read back for reuse.
 */
import { join } from "node:path";
import { statOrUndefined } from "../models/checkpoint.ts";
import type { AdapterChoice } from "../models/multitask.ts";
import type { StoredRecord } from "../runtime/records.ts";
import type { TaskOutcome, TrainOutcome } from "./run.ts";
import type { Schedule } from "./sampling.ts";

/** The outcome recorded by an earlier run of the same work, when its checkpoints are still there. */
export async function reusedOutcome(found: StoredRecord): Promise<TrainOutcome | undefined> {
  const r = found.record as Record<string, unknown>;
  const tasks = r.tasks as TaskOutcome[];
  for (const t of tasks) {
    if (t.best && !(await statOrUndefined(join(t.checkpoint, "config.json")))) return undefined;
  }
  return {
    seed: r.seed as number,
    steps: r.steps as number,
    tasks,
    adapter: r.adapter as AdapterChoice | null,
    schedule: r.schedule as Schedule | null,
    parameters: r.parameters as number,
    multiplier: r.multiplier as number,
    logPath: r.log as string,
    recordPath: found.path,
    seconds: r.seconds as number,
    tokensPerSecond: r.tokensPerSecond as number,
    reused: true,
  };
}

/** The training loss as `[step, loss]` pairs, thinned to at most `points` evenly spaced ones. */
export function lossCurve(log: readonly string[], points = 200): [number, number][] {
  const curve: [number, number][] = [];
  for (const line of log) {
    const entry = JSON.parse(line) as { step: number; loss?: number };
    if (typeof entry.loss === "number") curve.push([entry.step, entry.loss]);
  }
  if (curve.length <= points) return curve;
  const stride = (curve.length - 1) / (points - 1);
  return Array.from({ length: points }, (_, i) => curve[Math.round(i * stride)]);
}
