/**
 * Run records: one JSON file per run under `results/` (by default), named
 * `<kind>-<timestamp>-<shortid>.json`. A record is written to a temporary file
 * in the same directory and then renamed, so a reader never sees half a file
 * and an interrupted run leaves no record behind.
 */
import { join } from "node:path";
import type { Fingerprint } from "./fingerprint.ts";

/** A run record: its kind (`bench`, `eval`, ...), when it was made, and the run's own fields. */
export interface RunRecord {
  kind: string;
  /** ISO 8601 time; `writeRecord` fills it in when absent. */
  createdAt?: string;
  fingerprint?: Fingerprint;
  [key: string]: unknown;
}

/** Where `writeRecord` puts a record. */
export interface WriteRecordOptions {
  /** Directory of the record, created when missing; defaults to `results`. */
  dir?: string;
}

/** The directory run records go to unless told otherwise. */
export const DEFAULT_RECORDS_DIR = "results";

const KIND = /^[a-z][a-z0-9_-]*$/;

/** `2025-11-22T14:40:05.123Z` -> `20251122T144005Z`. */
function compactTimestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z").replaceAll("-", "").replaceAll(":", "");
}

/** Write a record atomically (temp file + rename) and return its path. */
export async function writeRecord(
  record: RunRecord,
  options: WriteRecordOptions = {},
): Promise<string> {
  if (!KIND.test(record.kind)) {
    throw new Error(
      `Cannot write run record: kind "${record.kind}" must be lower-case letters, digits, "-" or "_"`,
    );
  }
  const dir = options.dir ?? DEFAULT_RECORDS_DIR;
  const createdAt = record.createdAt ?? new Date().toISOString();
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`Cannot write run record: createdAt "${createdAt}" is not a valid date`);
  }
  const shortId = crypto.randomUUID().slice(0, 8);
  const name = `${record.kind}-${compactTimestamp(date.toISOString())}-${shortId}.json`;
  const path = join(dir, name);
  const temp = join(dir, `.${name}.${shortId}.tmp`);
  await Deno.mkdir(dir, { recursive: true });
  const text = JSON.stringify({ ...record, createdAt }, null, 2) + "\n";
  try {
    await Deno.writeTextFile(temp, text, { createNew: true });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
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
