/**
 * The train run record's derived parts: the loss curve the report draws, and
 * the outcome of an earlier run of the same work read back for reuse.
 */
import { join } from "node:path";
import { CONFIG_FILE, WEIGHTS_FILE } from "../models/checkpoint.ts";
import { filesSha256 } from "../runtime/fingerprint.ts";
import type { AdapterChoice } from "../models/multitask.ts";
import type { StoredRecord } from "../runtime/records.ts";
import type { TaskOutcome, TrainOutcome } from "./run.ts";
import type { Schedule } from "./sampling.ts";

/** Hash of a kept checkpoint's config and weights, or undefined when either is missing. */
export function checkpointSha256(dir: string): Promise<string | undefined> {
  return filesSha256([join(dir, CONFIG_FILE), join(dir, WEIGHTS_FILE)]);
}

/**
 * The outcome recorded by an earlier run of the same work, while its kept
 * checkpoints are still the ones it wrote (another run with the same output
 * directory, e.g. with another `--task-index`, may have replaced them).
 */
export async function reusedOutcome(found: StoredRecord): Promise<TrainOutcome | undefined> {
  const r = found.record as Record<string, unknown>;
  const tasks = r.tasks as TaskOutcome[];
  for (const t of tasks) {
    if (!t.best) continue;
    const sha = await checkpointSha256(t.checkpoint);
    if (!sha || sha !== t.checkpointSha256) return undefined;
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
