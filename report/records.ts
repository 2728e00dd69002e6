/**
 * The run records a report is made from: every `*.json` directly in one
 * directory (subdirectories are not read), every field a table reads checked
 * first (`validate.ts`) so that a table never meets a record of the wrong
 * shape, and ordered newest first so that "the newest record fills the cell"
 * is one `find`. Records of one shard of a split run are kept apart: only
 * merged or unsharded runs count.
 */
import { basename } from "node:path";
import { listRecords, type RunRecord, type StoredRecord } from "../runtime/records.ts";
import { isSpread, ratioSpread, type Spread } from "../runtime/stats.ts";
import { checkRecord, DTYPES, isShardRecord } from "./validate.ts";

/** One record and the file it came from. */
export interface LoadedRecord {
  /** File name inside the runs directory, e.g. `bench-20261122T145854Z-03ec107c.json`. */
  file: string;
  record: RunRecord;
}

/** Every record of a runs directory. */
export interface RunSet {
  /** Unsharded (or merged) records, newest first (`createdAt`, then file name). */
  records: LoadedRecord[];
  /** Records of one shard of a split run: read and checked, left out of every table. */
  shards: LoadedRecord[];
}

/** A record the report cannot use; the message names the file. */
export class RecordError extends Error {
  override name = "RecordError";
}

/** Newest first: by `createdAt`, then by file name (which carries the timestamp). */
function newestFirst(a: LoadedRecord, b: LoadedRecord): number {
  const at = String(a.record.createdAt ?? "");
  const bt = String(b.record.createdAt ?? "");
  if (at !== bt) return at < bt ? 1 : -1;
  return a.file < b.file ? 1 : a.file > b.file ? -1 : 0;
}

/** Read every `*.json` directly in `dir`; a malformed one throws a `RecordError` naming it. */
export async function loadRecords(dir: string): Promise<RunSet> {
  if (!(await Deno.stat(dir).catch(() => undefined))?.isDirectory) {
    throw new RecordError(`No run records directory at ${dir}`);
  }
  let stored: StoredRecord[];
  try {
    stored = await listRecords(dir);
  } catch (error) {
    throw new RecordError((error as Error).message);
  }
  const loaded: LoadedRecord[] = [];
  for (const { path, record } of stored) {
    checkRecord(path, record, RecordError);
    loaded.push({ file: basename(path), record });
  }
  loaded.sort(newestFirst);
  const sharded = (l: LoadedRecord) => isShardRecord(l.record);
  return { records: loaded.filter((l) => !sharded(l)), shards: loaded.filter(sharded) };
}

/** The records of one kind, newest first. */
export function ofKind(set: RunSet, kind: string): LoadedRecord[] {
  return set.records.filter((l) => l.record.kind === kind);
}

/** One model's entry of a bench record. */
export interface BenchModel {
  name: string;
  params?: number;
  batch?: number;
  seqLen?: number;
  webgpu?: unknown;
  ort?: unknown;
  tokensPerSecond?: unknown;
  [key: string]: unknown;
}

/** A bench record's model entries. */
export function benchModels(record: RunRecord): BenchModel[] {
  return (record.models ?? []) as BenchModel[];
}

/** Inference (default) or training (`mode: "train"`) bench records, newest first. */
export function benchRecords(
  set: RunSet,
  mode: "inference" | "train",
  dtype: string = "f32",
): LoadedRecord[] {
  // f16 runs are kept apart so the paper tables and speed-ups compare f32 with f32.
  return ofKind(set, "bench").filter((l) =>
    (l.record.mode === "train") === (mode === "train") && Array.isArray(l.record.models) &&
    recordDtype(l.record) === dtype
  );
}

/** Models of the inference or training bench runs in `dtype` (default f32), each named once, in run order. */
export function benchedModels(set: RunSet, mode: "inference" | "train", dtype = "f32"): string[] {
  const names = new Set<string>();
  for (const run of benchRecords(set, mode, dtype)) {
    for (const m of benchModels(run.record)) names.add(m.name);
  }
  return [...names];
}

/** The WebGPU storage precision of a bench record (records before `--dtype` are f32). */
export function recordDtype(record: RunRecord): string {
  return typeof record.dtype === "string" ? record.dtype : "f32";
}

/**
 * The newest bench measurement of `model` of `mode` in `dtype`: WebGPU
 * sequences/s for inference, tokens/s for training.
 */
export function newestMeasurement(
  set: RunSet,
  model: string,
  mode: "inference" | "train",
  dtype: string = "f32",
): { run: LoadedRecord; entry: BenchModel } | undefined {
  const field = mode === "train" ? "tokensPerSecond" : "webgpu";
  for (const run of benchRecords(set, mode, dtype)) {
    const entry = benchModels(run.record).find((m) => m.name === model && isSpread(m[field]));
    if (entry) return { run, entry };
  }
  return undefined;
}

/** One model's newest bench measurement in one precision. */
export interface Measurement {
  model: string;
  dtype: string;
  run: LoadedRecord;
  entry: BenchModel;
}

/**
 * The newest bench measurement of every model benched in `mode`, per
 * precision: models in `order` (each once, whichever precision benched it),
 * f32 before f16, and a precision left out where no run measured the model.
 */
export function newestMeasurements(
  set: RunSet,
  mode: "inference" | "train",
  order: (a: string, b: string) => number,
): Measurement[] {
  // Models benched in either precision, so one measured only in f16 still gets its row.
  const models = new Set(DTYPES.flatMap((dtype) => benchedModels(set, mode, dtype)));
  return [...models].sort(order).flatMap((model) =>
    DTYPES.flatMap((dtype) => {
      const found = newestMeasurement(set, model, mode, dtype);
      return found ? [{ model, dtype, ...found }] : [];
    })
  );
}

/** A speed-up over the run's reference model, measured in one bench run. */
export interface Speedup {
  ratio: Spread;
  reference: string;
  run: LoadedRecord;
}

/**
 * The speed-up of `model` over `run`'s reference (BERT-large) measured in that
 * run: WebGPU sequences/s for inference, tokens/s for training.
 */
export function speedupInRun(
  run: LoadedRecord,
  model: string,
  mode: "inference" | "train",
): Speedup | undefined {
  const field = mode === "train" ? "tokensPerSecond" : "webgpu";
  const reference = run.record.speedupReference;
  if (typeof reference !== "string") return undefined;
  const models = benchModels(run.record);
  const mine = models.find((m) => m.name === model);
  const ref = models.find((m) => m.name === reference);
  if (!mine || !ref || !isSpread(mine[field]) || !isSpread(ref[field])) return undefined;
  return { ratio: ratioSpread(mine[field], ref[field]), reference, run };
}

/** The speed-up of `model` from the newest f32 bench record of `mode` that measured it and its reference. */
export function newestSpeedup(
  set: RunSet,
  model: string,
  mode: "inference" | "train",
): Speedup | undefined {
  for (const run of benchRecords(set, mode)) {
    const speedup = speedupInRun(run, model, mode);
    if (speedup) return speedup;
  }
  return undefined;
}

/** One GEMM shape of a bench record. */
export interface GemmRow {
  m: number;
  n: number;
  k: number;
  label?: string;
  webgpuGflops: Spread;
  ortGflops?: Spread;
  /** onnxruntime-web peers' GFLOP/s by peer name (`--peers`). */
  peerGflops?: Record<string, Spread>;
}

/** Every GEMM shape measured, each from the newest record that has it, in the newest record's order. */
export function newestGemm(set: RunSet): { row: GemmRow; run: LoadedRecord }[] {
  const byShape = new Map<string, { row: GemmRow; run: LoadedRecord }>();
  for (const run of ofKind(set, "bench")) {
    for (const g of (run.record.gemm ?? []) as GemmRow[]) {
      const key = `${recordDtype(run.record)}:${g.m}x${g.n}x${g.k}`;
      if (!byShape.has(key) && isSpread(g.webgpuGflops)) byShape.set(key, { row: g, run });
    }
  }
  return [...byShape.values()];
}

/** The adapter a record was measured on: its description and features. */
export function adapterOf(record: RunRecord): { description: string; features: string[] } {
  const adapter = (record.adapter ?? {}) as { description?: unknown; features?: unknown };
  const fingerprint = (record.fingerprint ?? {}) as { adapter?: unknown; features?: unknown };
  const description = adapter.description ?? fingerprint.adapter ?? record.device;
  const features = adapter.features ?? fingerprint.features;
  return {
    description: typeof description === "string" ? description : "unknown adapter",
    features: Array.isArray(features) ? features.map(String).sort() : [],
  };
}

/** The newest record of a kind, if any. */
export function newestOfKind(set: RunSet, kind: string): LoadedRecord | undefined {
  return ofKind(set, kind)[0];
}
