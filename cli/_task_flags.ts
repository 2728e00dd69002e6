/** The `--task` and `--split` flags shared by `eval` and `score`. */
import { UsageError } from "./flags.ts";
import { taskEntry, taskNames } from "../tasks/registry.ts";
import type { Split } from "../tasks/task.ts";

/** Validate `--task` (required) and `--split` (default dev), as usage errors. */
export function taskAndSplit(
  command: string,
  flags: { task?: string; split?: string },
): { task: string; split: Split } {
  if (!flags.task) throw new UsageError(`${command} needs --task NAME (see --help)`);
  if (!taskNames().includes(flags.task)) {
    throw new UsageError(`Unknown task "${flags.task}": known tasks are ${taskNames().join(", ")}`);
  }
  const split = flags.split ?? "dev";
  const splits = taskEntry(flags.task).splits as string[];
  if (!splits.includes(split)) {
    throw new UsageError(
      `Flag "--split": ${flags.task} has the splits ${splits.join(", ")}, not "${split}"`,
    );
  }
  return { task: flags.task, split: split as Split };
}
