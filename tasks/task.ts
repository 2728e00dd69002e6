/**
 * What every task family (GLUE, SQuAD, RACE) shares: metric objects, the data
 * directory, and the two errors a user can cause (bad data, bad predictions).
 */
import { join } from "node:path";
import type { Encoding, Tokenizer } from "../tokenizers/tokenizer.ts";

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

/** Read a predictions file; a PredictionsError names it when it cannot be read. */
export async function readPredictions(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    throw new PredictionsError(`Cannot read predictions "${file}": ${(error as Error).message}`);
  }
}

/**
 * Parse text that must be one JSON object; `fail` turns "not valid JSON (...)" or
 * "expected ..." into the caller's own error naming its file.
 */
export function parseJsonObject(
  text: string,
  fail: (why: string) => never,
  expected: string,
): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return fail(expected);
  return data as Record<string, unknown>;
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

/** The head a task needs on top of the encoder. */
export type TaskHead =
  | { kind: "sequence-classification"; numLabels: number }
  | { kind: "question-answering" }
  | { kind: "multiple-choice" };

/** What `prepare` needs to build model inputs. */
export interface PrepareOptions {
  root: string;
  split: Split;
  tokenizer: Tokenizer;
  /** Take the first N examples (in file order) only. */
  limit?: number;
  /** Longest model input; each family has its paper default (GLUE 128, SQuAD 384, RACE 512). */
  maxSeqLength?: number;
}

/** Model inputs of one evaluation, and how to turn the model's outputs into results. */
export interface PreparedTask {
  /** Unpadded model rows, in order. */
  rows: Encoding[];
  /** Rows that belong together in one batch (4 choices for RACE). */
  groupSize: number;
  /** Number of examples the rows come from. */
  examples: number;
  /** Data files read, for the run record's fingerprint. */
  dataFiles: string[];
  /**
   * A hash of the examples read, where `dataFiles` does not name the files
   * (RACE's thousands of small files), so work keys still change with the data.
   */
  contentDigest?: string;
  /**
   * Training targets of each row, when the split has labels: the label index
   * or regression value (GLUE), the question's answer index (RACE). Absent
   * for unlabelled splits and for families that do not train yet (SQuAD).
   */
  targets?: number[];
  /** Per-row logits (see `runRows`) to predictions, metrics and per-example log lines. */
  finish(logits: Float32Array[]): TaskResult;
}

/** What an evaluation produces. */
export interface TaskResult {
  /** Output files by name: the predictions file `score` reads, and any companion. */
  files: Record<string, string>;
  /** Which of `files` is the predictions file. */
  predictionsFile: string;
  /** Which of `files`, if any, holds SQuAD v2.0 no-answer probabilities. */
  naProbsFile?: string;
  /** Metrics, when the split has labels. */
  metrics?: Metrics;
  /**
   * The task's metrics over the given example indices (with repetition), for bootstrap
   * intervals; absent for unlabelled splits. Identity indices give `metrics` exactly, for the
   * metrics it returns.
   */
  metricsOf?(examples: Int32Array): Metrics;
  /** One JSON-able object per example for `--log-samples`. */
  samples: Record<string, unknown>[];
}

/** Options of `score`. */
export interface ScoreOptions {
  root: string;
  split: Split;
  predictionsFile: string;
  naProbsFile?: string;
  /** Score against the first N examples only (what `eval --limit N` ran). */
  limit?: number;
  /** Receives warnings such as "no prediction for question X (scored 0)". */
  warn?: (message: string) => void;
}

/** One registered task. */
export interface TaskEntry {
  /** `glue/sst2`, `squad/v2.0`, `race`, ... */
  name: string;
  family: "glue" | "squad" | "race";
  head: TaskHead;
  /** Keys of the metrics object, in print order. */
  metrics: string[];
  /** Splits the task defines (present or not under a given data directory). */
  splits: Split[];
  /** Files of a split, relative to the data directory. */
  files(split: Split): string[];
  /** Number of examples of a split under `root`, or undefined when its files are missing. */
  size(root: string, split: Split): Promise<number | undefined>;
  prepare(options: PrepareOptions): Promise<PreparedTask>;
  score(options: ScoreOptions): Promise<Metrics>;
}
