/**
 * What every task family (GLUE, SQuAD, RACE) shares: metric objects, the data
 * directory, and the two errors a user can cause (bad data, bad predictions).
 */
import { dirname, join } from "node:path";
import { directoryProblem } from "../runtime/files.ts";
import type { Encoding, Tokenizer } from "../tokenizers/tokenizer.ts";

/** Metric name to value, as `score` and `eval` print them (GLUE and RACE ×100). */
export type Metrics = Record<string, number>;

/** Which part of a dataset. MNLI's dev is dev_matched or dev_mismatched by task. */
export type Split = "train" | "dev" | "test";

/** A data file is missing, unreadable or has a malformed row; the message names the file. */
export class DataError extends Error {
  /** `"DataError"`, so `error.name` and stack traces tell it from other errors. */
  override name = "DataError";
}

/** A predictions file does not fit the task's data; the message names the file. */
export class PredictionsError extends Error {
  /** `"PredictionsError"`, so `error.name` and stack traces tell it from other errors. */
  override name = "PredictionsError";
}

/** Read a predictions file as UTF-8 text; a PredictionsError names it when it cannot be read. */
export async function readPredictions(file: string): Promise<string> {
  const fail = (why: string): never => {
    throw new PredictionsError(`Cannot read predictions "${file}": ${why}`);
  };
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    return fail(readErrorMessage(error));
  }
  return decodeText(bytes, fail);
}

/**
 * Read a data or predictions file as UTF-8 text (a BOM is dropped); `fail` gets why it cannot be
 * read ("file not found", "not valid UTF-8 ...") and throws the caller's error naming the file.
 */
export function readTextSync(path: string, fail: (why: string) => never): string {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    return fail(readErrorMessage(error));
  }
  return decodeText(bytes, fail);
}

function readErrorMessage(error: unknown): string {
  return error instanceof Deno.errors.NotFound
    ? "file not found"
    : error instanceof Error
    ? error.message
    : String(error);
}

// Fatal: a Latin-1 or UTF-16 file must be refused, not read with U+FFFD in place of its letters.
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const SAVE_AS_UTF8 = "save the file as UTF-8";

/**
 * `bytes` as UTF-8 text without a BOM; `fail` gets why they are not UTF-8 text, with the byte
 * offset and line of the first bad byte. A NUL byte is refused too: it is valid UTF-8 but no
 * data file holds one, and UTF-16 text without a byte-order mark is full of them.
 */
export function decodeText(bytes: Uint8Array, fail: (why: string) => never): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe || bytes[0] === 0xfe && bytes[1] === 0xff) {
    fail(`not valid UTF-8: it starts with a UTF-16 byte-order mark; ${SAVE_AS_UTF8}`);
  }
  // Before decoding: UTF-16 text of any non-ASCII letter is also ill-formed UTF-8.
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    fail(`not UTF-8 text: a NUL byte at ${where(bytes, nul)} (UTF-16 text?); ${SAVE_AS_UTF8}`);
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const byte = bytes[at].toString(16).toUpperCase().padStart(2, "0");
    return fail(`not valid UTF-8 (byte 0x${byte} at ${where(bytes, at)}); ${SAVE_AS_UTF8}`);
  }
}

/** "offset N, line L" of a byte, for error messages. */
function where(bytes: Uint8Array, offset: number): string {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return `offset ${offset}, line ${line}`;
}

// Not fatal, and keeping a BOM: each ill-formed sequence becomes one U+FFFD at its start.
const UTF8_LENIENT = new TextDecoder("utf-8", { ignoreBOM: true });
const ENCODER = new TextEncoder();

/**
 * Offset of the first byte that starts no well-formed UTF-8 sequence, or -1: the first U+FFFD
 * of the lenient decoding that the bytes do not spell out (EF BF BD is a real U+FFFD). Only
 * run once the fatal decoder has refused the bytes, to say where.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const text = UTF8_LENIENT.decode(bytes);
  let offset = 0, from = 0;
  for (let i = text.indexOf("\ufffd"); i >= 0; i = text.indexOf("\ufffd", i + 1)) {
    offset += ENCODER.encode(text.slice(from, i)).length;
    from = i;
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) {
      return offset;
    }
  }
  return -1;
}

/** Longest quoted text in an error message: a row of a file with bad line endings is the file. */
const QUOTE_MAX = 80;

/**
 * `text` in double quotes for an error message, control characters escaped (JSON style) and cut
 * after `max` characters with "…", so a message never carries a whole row or raw NUL bytes.
 */
export function quoted(text: string, max = QUOTE_MAX): string {
  if (text.length <= max) return JSON.stringify(text);
  // Never split a surrogate pair, which would print as an escape.
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return JSON.stringify(`${text.slice(0, end)}…`);
}

/**
 * Any JSON value as JSON for an error message, cut after `max` characters with "…"; a string
 * is `quoted`, so its closing quote survives the cut.
 */
export function jsonSnippet(value: unknown, max = QUOTE_MAX): string {
  if (typeof value === "string") return quoted(value, max);
  const json = JSON.stringify(value) ?? String(value);
  return json.length <= max ? json : `${json.slice(0, max)}…`;
}

/** Up to `shown` values quoted and comma-separated, then how many there are in all. */
export function quoteSome(values: readonly string[], shown = 10): string {
  const list = values.slice(0, shown).map((v) => quoted(v)).join(", ");
  return values.length > shown ? `${list}, … (${values.length} in all)` : list;
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

/**
 * When exactly the first N of the items (N > 0, fewer than all) have predictions, as after
 * `eval --limit N`, the hint to score that subset with `--limit N`: a clause to append to a
 * message ("; the predictions cover ...") or a sentence of its own ("The predictions cover
 * ..."); otherwise "".
 */
export function limitHint(
  predicted: readonly boolean[],
  what: string,
  form: "clause" | "sentence" = "clause",
): string {
  const n = predicted.indexOf(false);
  if (n <= 0 || predicted.indexOf(true, n) >= 0) return "";
  return `${form === "clause" ? "; the" : "The"} predictions cover exactly the first ${n} ` +
    `${what}: if they come from "eval --limit ${n}", score with --limit ${n}`;
}

/** `--data DIR`, else `$HARNESS_DATA`, else `./data`. */
export function dataDir(flag?: string): string {
  return flag ?? Deno.env.get("HARNESS_DATA") ?? "data";
}

/** How to point the harness at the data, for messages that blame the data directory. */
export const DATA_HINT =
  "set --data DIR or HARNESS_DATA to the folder holding glue/, squad/ and race/";

/** The entries of a directory (sorted), or undefined when it is not there. */
export function listDir(dir: string): string[] | undefined {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return undefined;
  }
}

/**
 * The message for data that is not where a task looks, `task` its first words: a data directory
 * that does not exist is named first; `missing` paths whose folders are there (with the task's
 * other splits) are said to be absent from this copy of the data, since `--data` is then right;
 * otherwise the message names them, then `layout`, what the task expects under `root` and how
 * to point `--data` elsewhere (by default a list of `expected`, which is relative to `root`).
 */
export function missingDataMessage(
  root: string,
  task: string,
  missing: readonly string[],
  expected: readonly string[],
  layout: string = `the task expects these files under ${root}:\n` +
    `${expected.map((f) => `  ${f}`).join("\n")}\n(${DATA_HINT})`,
): string {
  const problem = directoryProblem(root);
  if (problem !== undefined) {
    return `${task}: the data directory "${root}" ${problem}; ${DATA_HINT} ` +
      `(the task reads ${expected.join(", ")} there)`;
  }
  const folders = missing.map((p) => ({ p, has: listDir(dirname(p)) }));
  if (folders.every(({ has }) => has !== undefined)) {
    const lines = folders.map(({ p, has }) =>
      `${task}: "${p}" is not in this copy of the data; its folder ` +
      (has!.length === 0 ? "is empty" : `holds ${quoteSome(has!, 5)}`)
    );
    const hint = `\`deno task harness tasks --data ${root}\` lists the splits found`;
    return `${lines.join("\n")} (${hint})`;
  }
  return `${task}: missing ${missing.join(", ")}; ${layout}`;
}

/**
 * Check that a task's files exist under the data directory; if any is missing, throw one
 * DataError saying why (see `missingDataMessage`) and listing every file the task expects.
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
  if (missing.length > 0) throw new DataError(missingDataMessage(root, task, missing, files));
  return paths;
}

/** The head a task needs on top of the encoder. */
export type TaskHead =
  | { kind: "sequence-classification"; numLabels: number }
  | { kind: "question-answering" }
  | { kind: "multiple-choice" };

/** What `prepare` needs to build model inputs. */
export interface PrepareOptions {
  /** Data directory holding glue/, squad/ and race/ (see `dataDir`). */
  root: string;
  /** Split to read; must be one of the task's `splits`. */
  split: Split;
  /** Turns the text into token ids (the model's own vocabulary). */
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
  /** Data directory holding the gold labels (glue/, squad/, race/). */
  root: string;
  /** Split whose labels to score against (SQuAD: always dev). */
  split: Split;
  /** Path of the predictions file, in the format `eval` writes. */
  predictionsFile: string;
  /** SQuAD v2.0 only: path of the no-answer probabilities (`na_probs.json`) for `best_*`. */
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
  /** Benchmark it belongs to: GLUE, SQuAD or RACE. */
  family: "glue" | "squad" | "race";
  /** The head it needs on the encoder. */
  head: TaskHead;
  /** Keys of the metrics object, in print order. */
  metrics: string[];
  /** Splits the task defines (present or not under a given data directory). */
  splits: Split[];
  /** Files of a split, relative to the data directory. */
  files(split: Split): string[];
  /** Number of examples of a split under `root`, or undefined when its files are missing. */
  size(root: string, split: Split): Promise<number | undefined>;
  /** Read and tokenise a split into model rows; a DataError when its files are missing or bad. */
  prepare(options: PrepareOptions): Promise<PreparedTask>;
  /** Score a predictions file with the official metrics; PredictionsError when it does not fit. */
  score(options: ScoreOptions): Promise<Metrics>;
}
