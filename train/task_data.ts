/**
 * The data of each task being trained: its train split with targets, its dev
 * split, and the checks that must hold before any step runs (the task has
 * both splits, trains at all, and fits the model's positions).
 */
import type { PreparedTask, TaskEntry } from "../tasks/task.ts";
import type { Tokenizer } from "../tokenizers/tokenizer.ts";
import { LENGTH_MULTIPLE } from "./batches.ts";

/** One task of a training run. */
export interface TrainingTask {
  entry: TaskEntry;
  /** Which of the model's task heads (and adapters) serves it. */
  index: number;
  train: PreparedTask;
  targets: number[];
  dev: PreparedTask;
  /** Longest training row, padded to the length multiple. */
  longest: number;
}

/** How to read the splits. */
export interface TaskDataOptions {
  data: string;
  limit?: number;
  evalLimit?: number;
  maxSeqLength?: number;
  /** `--model` as the user typed it, for messages. */
  model: string;
  maxPositions: number;
}

/** Tokenise the train and dev splits of a task and check they can be trained on. */
export async function loadTrainingTask(
  entry: TaskEntry,
  index: number,
  tokenizer: Tokenizer,
  options: TaskDataOptions,
): Promise<TrainingTask> {
  for (const split of ["train", "dev"] as const) {
    if (!entry.splits.includes(split)) throw new Error(`${entry.name} has no ${split} split`);
  }
  const prepare = (split: "train" | "dev", limit?: number) =>
    entry.prepare({
      root: options.data,
      split,
      tokenizer,
      limit,
      maxSeqLength: options.maxSeqLength,
    });
  const train = await prepare("train", options.limit);
  const targets = train.targets;
  if (!targets) {
    throw new Error(`${entry.name}: training is not available for this task family yet`);
  }
  if (train.rows.length === 0) throw new Error(`${entry.name}: the train split has no rows`);
  const dev = await prepare("dev", options.evalLimit);
  const rowsLongest = train.rows.reduce((n, r) => Math.max(n, r.inputIds.length), 0);
  const longest = Math.ceil(rowsLongest / LENGTH_MULTIPLE) * LENGTH_MULTIPLE;
  if (longest > options.maxPositions) {
    throw new Error(
      `${entry.name} rows reach ${rowsLongest} tokens but ${options.model} has only ${options.maxPositions} positions; pass a smaller --max-seq-length`,
    );
  }
  return { entry, index, train, targets, dev, longest };
}
