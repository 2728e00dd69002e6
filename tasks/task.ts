/**
 * What every task family (GLUE, SQuAD, RACE) shares: metric objects, the data
 * directory, and the two errors a user can cause (bad data, bad predictions).
 */
import { join } from "node:path";

/** Metric name to value, as `score` and `eval` print them (GLUE and RACE ×100). */
export type Metrics = Record<string, number>;

/** Which part of a dataset. MNLI's dev is dev_matched or dev_mismatched by task. */
export type Split = "train" | "dev" | "test";

/** A data file is missing, unreadable or has a malformed row; the message names the file. */
export class DataError extends Error {
  override name = "DataError";
}

/** A predictions file does not fit the task's data; the message names the file. */
export class PredictionsError extends Error {
  override name = "PredictionsError";
}

/** `--data DIR`, else `$HARNESS_DATA`, else `./data`. */
export function dataDir(flag?: string): string {
  return flag ?? Deno.env.get("HARNESS_DATA") ?? "data";
}

/**
 * Check that a task's files exist under the data directory; if any is missing,
 * throw one DataError that lists every file the task expects there.
 */
export function requireFiles(root: string, task: string, files: string[]): string[] {
  const paths = files.map((f) => join(root, f));
  const missing = paths.filter((p) => {
    try {
      return !Deno.statSync(p).isFile;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new DataError(
      `${task}: missing ${missing.join(", ")}; the task expects these files under ${root}:\n` +
        files.map((f) => `  ${f}`).join("\n") +
        `\n(set --data DIR or HARNESS_DATA to the folder holding glue/, squad/ and race/)`,
    );
  }
  return paths;
}
