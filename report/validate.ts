/**
 * What the report (`report/*.ts`) and the regression gate (`ci/gate.ts`) read
 * of each kind of run record, checked before either uses it. A field that is
 * present but of the wrong type (a median that is a string, a metric that is
 * text, an unknown kind or dtype) would otherwise be skipped as "not measured"
 * and let an older record fill the cell or a check pass unseen, so it is an
 * error naming the field. A figure that is absent (or null) where records
 * legitimately lack one, such as ONNX Runtime's throughput or an unlabelled
 * split's metrics, stays "not measured".
 */
import type { RunRecord } from "../runtime/records.ts";

/** Every kind of record the run store holds. */
const RECORD_KINDS = ["bench", "eval", "train", "pals-table", "gate-baseline"] as const;

/** The precisions a record may name (`dtype`); records without one are f32. */
export const DTYPES = ["f32", "f16"] as const;

/** One task's result in a train record: its best dev epoch, if any. */
export interface TrainTaskResult {
  task: string;
  best?: { score?: number | null; metrics?: Record<string, number | null> } | null;
}

/** A train record's task results; records before multi-task training hold one `task` and `best`. */
export function trainOutcomes(record: RunRecord): TrainTaskResult[] {
  if (Array.isArray(record.tasks)) return record.tasks as TrainTaskResult[];
  return [{ task: record.task as string, best: record.best as TrainTaskResult["best"] }];
}

/** Raised inside `recordProblem` by the first bad field. */
class FieldError extends Error {}

/** A plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;

/**
 * Whether a record is (or claims to be) one shard of a split run: its `shard`
 * is set. Checked records (`checkRecord`) hold a valid one; `merge` asks
 * before checking, so a damaged `shard` is an error rather than a whole run.
 */
export const isShardRecord = (record: RunRecord): boolean => !absent(record.shard);

/** Throw a `FieldError` unless `ok`: `"field" must be <what>, not <value>`. */
function expect(ok: boolean, field: string, what: string, value: unknown): void {
  if (ok) return;
  const shown = value === undefined ? "missing" : JSON.stringify(value);
  const short = shown.length > 60 ? `${shown.slice(0, 60)}…` : shown;
  throw new FieldError(`"${field}" must be ${what}, not ${short}`);
}

function string(value: unknown, field: string): string {
  expect(typeof value === "string", field, "a string", value);
  return value as string;
}

function optionalString(value: unknown, field: string): void {
  if (!absent(value)) string(value, field);
}

function object(value: unknown, field: string): Record<string, unknown> {
  expect(isObject(value), field, "an object", value);
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string): unknown[] {
  expect(Array.isArray(value), field, "an array", value);
  return value as unknown[];
}

function oneOf(value: unknown, field: string, allowed: readonly string[]): void {
  expect(allowed.includes(value as string), field, `one of ${allowed.join(", ")}`, value);
}

function finite(value: unknown, field: string): void {
  expect(typeof value === "number" && Number.isFinite(value), field, "a finite number", value);
}

function positiveInteger(value: unknown, field: string): void {
  expect(Number.isInteger(value) && (value as number) > 0, field, "a positive integer", value);
}

/** A positive integer, or absent/null (e.g. `limit` of a full run). */
function optionalPositiveInteger(value: unknown, field: string): void {
  if (!absent(value)) positiveInteger(value, field);
}

/** A metric: a number, or null where it became undefined (JSON writes NaN as null). */
function metric(value: unknown, field: string): void {
  expect(value === null || typeof value === "number", field, "a number (or null)", value);
}

function metrics(value: unknown, field: string): void {
  for (const [name, v] of Object.entries(object(value, field))) metric(v, `${field}.${name}`);
}

/** A throughput's median, min and max over repetitions: positive and finite, so ratios are too. */
function spread(value: unknown, field: string): void {
  const s = object(value, field);
  for (const key of ["median", "min", "max"]) {
    const v = s[key];
    expect(
      typeof v === "number" && Number.isFinite(v) && v > 0,
      `${field}.${key}`,
      "a positive finite number",
      v,
    );
  }
}

function optionalSpread(value: unknown, field: string): void {
  if (!absent(value)) spread(value, field);
}

/** Peer name -> spread (a GEMM row's `peerGflops`). */
function optionalSpreads(value: unknown, field: string): void {
  if (absent(value)) return;
  for (const [name, v] of Object.entries(object(value, field))) spread(v, `${field}.${name}`);
}

/** Entries of `record[key]`, each an object, with their field names. */
function entries(record: RunRecord, key: string): [Record<string, unknown>, string][] {
  return array(record[key], key).map((e, i) => [object(e, `${key}[${i}]`), `${key}[${i}]`]);
}

/** Fields of every kind: kind, createdAt, shard, dtype. */
function checkCommon(record: RunRecord): void {
  oneOf(record.kind, "kind", RECORD_KINDS);
  if (record.createdAt !== undefined) {
    const at = string(record.createdAt, "createdAt");
    // The newest record fills a cell, so a time that does not parse would reorder them.
    expect(!Number.isNaN(Date.parse(at)), "createdAt", "an ISO 8601 time", at);
  }
  if (isShardRecord(record)) {
    const shard = object(record.shard, "shard");
    positiveInteger(shard.count, "shard.count");
    positiveInteger(shard.index, "shard.index");
    expect(
      (shard.index as number) <= (shard.count as number),
      "shard.index",
      "≤ shard.count",
      shard.index,
    );
  }
  // An unknown precision would be filed under f32 (the gate) or under no table (the report).
  if (!absent(record.dtype)) oneOf(record.dtype, "dtype", DTYPES);
}

/** An eval record: identity, limit, backend, metrics and their intervals. */
function checkEval(record: RunRecord): void {
  string(record.model, "model");
  string(record.task, "task");
  optionalString(record.split, "split"); // records before --split are dev runs
  optionalPositiveInteger(record.limit, "limit");
  // Anything but "onnx" would be read as our WebGPU engine's score.
  if (!absent(record.backend)) oneOf(record.backend, "backend", ["webgpu", "onnx"]);
  if (!absent(record.initialisedHead)) finite(record.initialisedHead, "initialisedHead");
  // A shard has no metrics until merged; an unlabelled split (test) has none at all.
  if (!isShardRecord(record) && record.metrics !== null) metrics(record.metrics, "metrics");
  if (!absent(record.metricsCi)) {
    for (const [name, ci] of Object.entries(object(record.metricsCi, "metricsCi"))) {
      if (ci === null) continue;
      const { low, high } = object(ci, `metricsCi.${name}`);
      metric(low, `metricsCi.${name}.low`);
      metric(high, `metricsCi.${name}.high`);
    }
  }
}

/** A train record: each task's best dev epoch, seed, limits, method, loss curve. */
function checkTrain(record: RunRecord): void {
  string(record.model, "model");
  // A record from before multi-task training holds one `task` and `best` at its top level.
  const outcomes: [Record<string, unknown>, string][] = record.tasks === undefined
    ? [[record, ""]]
    : entries(record, "tasks");
  for (const [t, field] of outcomes) {
    const at = (key: string) => field ? `${field}.${key}` : key;
    string(t.task, at("task"));
    if (absent(t.best)) continue;
    const best = object(t.best, at("best"));
    if (best.score !== undefined) metric(best.score, at("best.score"));
    if (best.metrics !== undefined) metrics(best.metrics, at("best.metrics"));
  }
  if (record.seed !== undefined) {
    expect(Number.isInteger(record.seed), "seed", "an integer", record.seed);
  }
  optionalPositiveInteger(record.limit, "limit");
  optionalPositiveInteger(record.evalLimit, "evalLimit");
  optionalString(record.adapter, "adapter");
  optionalString(record.schedule, "schedule");
  if (record.lossCurve !== undefined) {
    array(record.lossCurve, "lossCurve").forEach((point, i) => {
      const pair = array(point, `lossCurve[${i}]`);
      expect(pair.length === 2, `lossCurve[${i}]`, "a [step, loss] pair", point);
      finite(pair[0], `lossCurve[${i}][0]`);
      finite(pair[1], `lossCurve[${i}][1]`);
    });
  }
}

/** A bench record: each model's throughputs, each GEMM shape's GFLOP/s. */
function checkBench(record: RunRecord): void {
  string(record.suite, "suite");
  if (record.mode !== undefined) oneOf(record.mode, "mode", ["inference", "train"]);
  optionalString(record.speedupReference, "speedupReference");
  expect(
    record.models !== undefined || record.gemm !== undefined,
    "models",
    'an array when there is no "gemm"',
    record.models,
  );
  if (record.models !== undefined) {
    for (const [m, field] of entries(record, "models")) {
      string(m.name, `${field}.name`);
      positiveInteger(m.batch, `${field}.batch`);
      positiveInteger(m.seqLen, `${field}.seqLen`);
      optionalPositiveInteger(m.params, `${field}.params`);
      // The measured figure is always written; the references beside it may be missing.
      if (record.mode === "train") spread(m.tokensPerSecond, `${field}.tokensPerSecond`);
      else spread(m.webgpu, `${field}.webgpu`);
      optionalSpread(m.ort, `${field}.ort`);
    }
  }
  if (record.gemm !== undefined) {
    for (const [g, field] of entries(record, "gemm")) {
      for (const dim of ["m", "n", "k"]) positiveInteger(g[dim], `${field}.${dim}`);
      optionalString(g.label, `${field}.label`);
      spread(g.webgpuGflops, `${field}.webgpuGflops`);
      optionalSpread(g.ortGflops, `${field}.ortGflops`);
      optionalSpreads(g.peerGflops, `${field}.peerGflops`);
    }
  }
}

/** A pals-table record: each method's row of GLUE dev scores. */
function checkPalsTable(record: RunRecord): void {
  if (record.settings !== undefined) object(record.settings, "settings");
  for (const [row, field] of entries(record, "rows")) {
    const method = object(row.method, `${field}.method`);
    optionalString(method.label, `${field}.method.label`);
    optionalString(method.name, `${field}.method.name`);
    optionalString(method.schedule, `${field}.method.schedule`);
    if (!absent(row.multiplier)) finite(row.multiplier, `${field}.multiplier`);
    if (row.average !== undefined) metric(row.average, `${field}.average`);
    array(row.scores, `${field}.scores`).forEach((entry, i) => {
      const score = object(entry, `${field}.scores[${i}]`);
      string(score.task, `${field}.scores[${i}].task`);
      if (score.score !== undefined) metric(score.score, `${field}.scores[${i}].score`);
      if (score.metrics !== undefined) metrics(score.metrics, `${field}.scores[${i}].metrics`);
    });
  }
}

/**
 * Why `record` cannot be read by the report or the gate, naming the field
 * (e.g. `"models[0].webgpu.median" must be a positive finite number, not "x"`),
 * or undefined when it can. A gate baseline's own checks are `parseSnapshot`'s.
 */
export function recordProblem(record: RunRecord): string | undefined {
  try {
    checkCommon(record);
    if (record.kind === "eval") checkEval(record);
    else if (record.kind === "train") checkTrain(record);
    else if (record.kind === "bench") checkBench(record);
    else if (record.kind === "pals-table") checkPalsTable(record);
    return undefined;
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
}

/**
 * Throw a `Failure` (the caller's error class, `Error` by default) naming the
 * file and the field when `recordProblem` finds one:
 * `Cannot read run record "<path>": <why>`.
 */
export function checkRecord(
  path: string,
  record: RunRecord,
  Failure: new (message: string) => Error = Error,
): void {
  const why = recordProblem(record);
  if (why) throw new Failure(`Cannot read run record "${path}": ${why}`);
}
