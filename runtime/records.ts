/**
 * The run store: one JSON record per run under `results/runs/` (by default),
 * named `<kind>-<timestamp>-<shortid>.json`. A record is written to a
 * temporary file in the same directory and then renamed, so a reader never
 * sees half a file and an interrupted run leaves no record behind. A record's
 * `workKey` (a hash of everything that decides its results) lets a rerun of
 * the same work find it and reuse it instead of redoing it.
 */
import { basename, join } from "node:path";
import { writeAtomic } from "./files.ts";
import type { Fingerprint } from "./fingerprint.ts";

/** A run record: its kind (`bench`, `eval`, ...), when it was made, and the run's own fields. */
export interface RunRecord {
  /** Record type (`bench`, `eval`, `train`, ...): lower-case letters, digits, `-`, `_`. */
  kind: string;
  /** ISO 8601 time; `writeRecord` fills it in when absent. */
  createdAt?: string;
  /** What was run, where and with what; see `fingerprint`. */
  fingerprint?: Fingerprint;
  /** Hash of everything that decides the results; equal keys mean the same work. */
  workKey?: string;
  /** Set on one shard of a split run (`--shard i/n`); `merge` joins the shards. */
  shard?: Shard;
  /** The kind's own fields (metrics, timings, ...). */
  [key: string]: unknown;
}

/** Where `writeRecord` puts a record. */
export interface WriteRecordOptions {
  /** Directory of the record, created when missing; defaults to `results/runs`. */
  dir?: string;
  /** The record's path, from `newRecordPath` (files beside a record share its name). */
  path?: string;
}

/** Shard `index` (1-based, as in `--shard 2/3`) of `count`: the part of a split run one job does. */
export interface Shard {
  /** This shard, 1 to `count`. */
  index: number;
  /** Shards the run is split into, at least 1. */
  count: number;
}

/** The directory run records go to unless told otherwise. */
export const DEFAULT_RECORDS_DIR: string = join("results", "runs");

const KIND = /^[a-z][a-z0-9_-]*$/;

/** `2025-11-22T14:40:05.123Z` -> `20251122T144005Z`. */
function compactTimestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z").replaceAll("-", "").replaceAll(":", "");
}

/**
 * A fresh record path `DIR/<kind>-<timestamp>-<shortid>.json` (the directory is
 * created), for a run that writes files beside its record before the record.
 */
export async function newRecordPath(
  kind: string,
  dir: string = DEFAULT_RECORDS_DIR,
  createdAt: string = new Date().toISOString(),
): Promise<string> {
  if (!KIND.test(kind)) {
    throw new Error(
      `Cannot write run record: kind "${kind}" must be lower-case letters, digits, "-" or "_"`,
    );
  }
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`Cannot write run record: createdAt "${createdAt}" is not a valid date`);
  }
  const shortId = crypto.randomUUID().slice(0, 8);
  await Deno.mkdir(dir, { recursive: true });
  return join(dir, `${kind}-${compactTimestamp(date.toISOString())}-${shortId}.json`);
}

/** Write a record atomically (`writeAtomic`: flushed temp file + rename) and return its path. */
export async function writeRecord(
  record: RunRecord,
  options: WriteRecordOptions = {},
): Promise<string> {
  const createdAt = record.createdAt ?? new Date().toISOString();
  const path = options.path ??
    await newRecordPath(record.kind, options.dir ?? DEFAULT_RECORDS_DIR, createdAt);
  await writeAtomic(path, JSON.stringify({ ...record, createdAt }, null, 2) + "\n");
  return path;
}

/** Read a run record; the error names the file when it is not a record. */
export async function readRecord(path: string): Promise<RunRecord> {
  const text = await Deno.readTextFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot read run record "${path}": ${(error as Error).message}`);
  }
  if (
    typeof json !== "object" || json === null || Array.isArray(json) ||
    typeof (json as RunRecord).kind !== "string"
  ) {
    throw new Error(`Cannot read run record "${path}": expected an object with a "kind" string`);
  }
  return json as RunRecord;
}

/** A record and the file it was read from. */
export interface StoredRecord {
  /** The file the record was read from. */
  path: string;
  /** The parsed record. */
  record: RunRecord;
}

/** How `listRecords` treats a file that is not a run record. */
export interface ListRecordsOptions {
  /**
   * Called, in file-name order, with the error of each `.json` file that is
   * not a run record, which is then left out; without it such a file throws.
   */
  onUnreadable?: (error: Error) => void;
}

/** Every record directly in `dir` (not its subfolders), by file name; none when `dir` is missing. */
export async function listRecords(
  dir: string,
  options: ListRecordsOptions = {},
): Promise<StoredRecord[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".json") && !entry.name.startsWith(".")) {
        names.push(entry.name);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  names.sort();
  const { onUnreadable } = options;
  const read = await Promise.all(
    names.map((name) => {
      const path = join(dir, name);
      return readRecord(path).then(
        (record): StoredRecord | Error => ({ path, record }),
        (error) => {
          if (!onUnreadable) throw error;
          return error as Error;
        },
      );
    }),
  );
  const records: StoredRecord[] = [];
  for (const r of read) {
    if (r instanceof Error) onUnreadable!(r);
    else records.push(r);
  }
  return records;
}

/**
 * The newest record of `kind` in `dir` whose `workKey` is `workKey`, if any:
 * the work was done before and can be reused. A shard's record matches only
 * the same shard, and a whole run's only a whole run.
 */
export async function findRecord(
  dir: string,
  kind: string,
  workKey: string,
  options: { shard?: Shard } = {},
): Promise<StoredRecord | undefined> {
  const sameShard = (s: Shard | undefined) =>
    s?.index === options.shard?.index && s?.count === options.shard?.count;
  const found = (await listRecords(dir)).filter(({ record }) =>
    record.kind === kind && record.workKey === workKey && sameShard(record.shard)
  );
  found.sort((a, b) => String(a.record.createdAt).localeCompare(String(b.record.createdAt)));
  return found.at(-1);
}

/**
 * What tells a train record's method apart from other runs of the same model
 * and tasks: its adapter and schedule (multi-task), and "f16" for mixed precision.
 */
export function trainMethodParts(record: RunRecord): string[] {
  const parts = [record.adapter, record.schedule, record.dtype === "f16" ? "f16" : undefined];
  return parts.filter((x): x is string => typeof x === "string" && x.length > 0);
}

/**
 * What tells an eval record's setting apart from the default (our WebGPU
 * engine in f32): the ONNX Runtime backend, and "f16" storage.
 */
export function evalMethodParts(record: RunRecord): string[] {
  const parts = [
    record.backend === "onnx" ? "onnx" : undefined,
    record.dtype === "f16" ? "f16" : undefined,
  ];
  return parts.filter((x): x is string => x !== undefined);
}

/** The run id of a record path: its file name without `.json`. */
export function runId(path: string): string {
  return basename(path).replace(/\.json$/, "");
}
