/**
 * The end of an epoch: every task's dev metrics under the current weights,
 * through the inference engine `eval` uses, whether a score beats the task's
 * best so far (the papers early-stop on dev, per task), and keeping the best
 * checkpoint with its tokenizer beside it.
 */
import { join } from "node:path";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { runRows } from "../evaluate/runner.ts";
import { saveCheckpoint } from "../models/checkpoint.ts";
import type { Model } from "../models/model.ts";
import { statOrUndefined, writeAtomic } from "../runtime/files.ts";
import type { Gpu } from "../runtime/device.ts";
import type { Dtype } from "../runtime/kernel.ts";
import type { Metrics } from "../tasks/task.ts";
import type { TrainingTask } from "./task_data.ts";

/** Best dev metrics of one task and the epoch they came from. */
export type BestScore = { score: number; epoch: number; metrics: Metrics } | null;

/** Dev metrics of every task; `batchSize` counts examples (RACE: questions of four rows). */
export async function evaluateDev(
  gpu: Gpu,
  model: Model,
  tasks: readonly TrainingTask[],
  options: { batchSize: number; padId: number; dtype?: Dtype },
): Promise<Metrics[]> {
  const backend = await createWebGpuBackend(model, { gpu, dtype: options.dtype });
  try {
    const results: Metrics[] = [];
    for (const t of tasks) {
      const logits = await runRows(backend, t.dev.rows, {
        batchSize: options.batchSize * t.dev.groupSize,
        padId: options.padId,
        head: t.entry.head,
        task: t.index,
        groupSize: t.dev.groupSize,
        label: `dev ${t.entry.name}`,
        silent: true,
      });
      const metrics = t.dev.finish(logits).metrics;
      if (!metrics) throw new Error(`The ${t.entry.name} dev split has no labels`);
      results.push(metrics);
    }
    return results;
  } finally {
    backend.dispose();
  }
}

/**
 * True when `score` should replace `best`: the first score, a higher one, or
 * any real score after a NaN (a constant prediction has no correlation).
 */
export function improves(score: number, best: BestScore): boolean {
  if (best === null) return true;
  // A NaN comes back from JSON (a resume point) as null.
  const previous = best.score as number | null;
  if (previous === null || Number.isNaN(previous)) return !Number.isNaN(score);
  return score > previous;
}

/** Save `model` in Hugging Face layout under `dir` with its tokenizer file, so `eval` finds both. */
export async function keepCheckpoint(dir: string, model: Model, tokenizer: string): Promise<void> {
  await saveCheckpoint(dir, model);
  const info = await statOrUndefined(tokenizer);
  if (!info?.isFile) return;
  const name = tokenizer.endsWith(".model") ? "spiece.model" : "vocab.txt";
  await writeAtomic(join(dir, name), [await Deno.readFile(tokenizer)]);
}
