/** The `--task` and `--split` flags shared by `eval`, `score` and `train`. */
import { UsageError } from "./flags.ts";
import { taskEntry, taskNames } from "../tasks/registry.ts";
import type { Split } from "../tasks/task.ts";

/** A task name from the command line, checked: an unknown task is a usage error (exit 2). */
export function taskFlag(name: string): string {
  if (!taskNames().includes(name)) {
    throw new UsageError(`Unknown task "${name}": known tasks are ${taskNames().join(", ")}`);
  }
  return name;
}

/** Validate `--task` (required) and `--split` (default dev), as usage errors. */
export function taskAndSplit(
  command: string,
  flags: { task?: string; split?: string },
): { task: string; split: Split } {
  if (!flags.task) throw new UsageError(`${command} needs --task NAME (see --help)`);
  taskFlag(flags.task);
  const split = flags.split ?? "dev";
  const splits = taskEntry(flags.task).splits as string[];
  if (!splits.includes(split)) {
    throw new UsageError(
      `Flag "--split": ${flags.task} has the splits ${splits.join(", ")}, not "${split}"`,
    );
  }
  return { task: flags.task, split: split as Split };
}
