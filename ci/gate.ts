/**
 * The regression gate: run records become checks, and a baseline's checks are
 * compared with the current ones.
 *
 * - Scores (eval and train records): a metric fails when it drops by more
 *   than its tolerance in points (default 0.5).
 * - Speed (bench records): never an absolute time, always a ratio to a
 *   reference measured in the same run (WebGPU over ONNX Runtime for
 *   inference and GEMM, a model over BERT-large for training), with the
 *   interval its five-run ranges allow. A check fails only when the median
 *   ratio falls by more than the tolerance (default 10%) *and* the current
 *   interval lies wholly below the baseline's, so noise alone does not fail
 *   it and a slower machine (both sides slower) does not either.
 */
import { evalMethodParts, type RunRecord, trainMethodParts } from "../runtime/records.ts";
import type { Metrics } from "../tasks/task.ts";
import { isSpread, ratioSpread, type Spread } from "../runtime/stats.ts";
import { trainOutcomes } from "../report/validate.ts";

/** One metric of one evaluation. */
export interface ScoreCheck {
  /** Which evaluation, e.g. `eval albert-base-v2 glue/sst2 dev`; with `metric`, the match key. */
  id: string;
  /** Metric name, e.g. `accuracy`, `f1`. */
  metric: string;
  /** Metric value as records store it (scores ×100, SQuAD's too); NaN when undefined. */
  value: number;
  /** Record the value came from. */
  run: string;
}

/** One throughput ratio measured within a single run. */
export interface SpeedCheck {
  /** Which measurement, e.g. `gemm 1024x768x768`, `bench <suite> <model> b8s128`; the match key. */
  id: string;
  /** What the ratio is relative to, e.g. `onnxruntime` or `bert-large-uncased`. */
  reference: string;
  /** Throughput over the reference's, with the widest interval the two ranges allow. */
  ratio: Spread;
  /** Record the ratio came from. */
  run: string;
}

/** Everything a gate compares; `results/baseline.json` holds one. */
export interface GateSnapshot {
  /** Always `gate-baseline`: `checksOfRecord` takes a baseline file like a run record. */
  kind: "gate-baseline";
  /** Format version; `parseSnapshot` accepts only 1. */
  version: 1;
  /** Score checks, one per (id, metric). */
  scores: ScoreCheck[];
  /** Speed checks, one per id. */
  speed: SpeedCheck[];
}

/** Tolerances of the comparison. */
export interface GateTolerances {
  /** Allowed score drop in points. */
  score: number;
  /** Allowed relative slowdown of a median ratio (0.1 = 10%). */
  speed: number;
}

/** The defaults of the issue and the README. */
export const DEFAULT_TOLERANCES: GateTolerances = { score: 0.5, speed: 0.1 };

/** Raised for input the gate cannot use (exit 2). */
export class GateInputError extends Error {
  override name = "GateInputError";
}

/** The checks one run record provides (`run` names it in the summary). */
export function checksOfRecord(record: RunRecord, run: string): GateSnapshot {
  const snapshot = emptySnapshot();
  const addScores = (id: string, metrics: Metrics | undefined) => {
    for (const [metric, value] of Object.entries(metrics ?? {})) {
      // Records are JSON, which writes NaN (a metric that became undefined) as null.
      if (typeof value === "number" || value === null) {
        snapshot.scores.push({ id, metric, value: value ?? NaN, run });
      }
    }
  };
  if (record.kind === "gate-baseline") return parseSnapshot(record, run);
  if (record.kind === "eval") {
    const limit = record.limit ? ` limit ${record.limit}` : "";
    // ONNX Runtime and f16 runs get their own ids; the default setting's stay as they were.
    const method = evalMethodParts(record).map((x) => ` ${x}`).join("");
    addScores(
      `eval ${record.model}${method} ${record.task} ${record.split ?? "dev"}${limit}`,
      record.metrics as Metrics,
    );
  } else if (record.kind === "train") {
    // Multi-task runs name their adapter and schedule, f16 runs their precision.
    const method = trainMethodParts(record).map((x) => ` ${x}`).join("");
    // Records before multi-task training hold one task; the report reads them too.
    for (const t of trainOutcomes(record)) {
      const metrics = t.best?.metrics as Metrics | undefined;
      addScores(`train ${record.model}${method} ${t.task} seed ${record.seed ?? 0}`, metrics);
    }
  } else if (record.kind === "bench") {
    // An f16 run is a different engine setting: its ratios get their own ids, never an f32 baseline's.
    const f16 = record.dtype === "f16" ? " f16" : "";
    const suite = `${record.suite}${f16}`;
    for (const g of (record.gemm ?? []) as Record<string, unknown>[]) {
      if (!isSpread(g.webgpuGflops) || !isSpread(g.ortGflops)) continue;
      snapshot.speed.push({
        id: `gemm${f16} ${g.m}x${g.n}x${g.k}`,
        reference: "onnxruntime",
        ratio: ratioSpread(g.webgpuGflops, g.ortGflops),
        run,
      });
    }
    const models = (record.models ?? []) as Record<string, unknown>[];
    if (record.mode === "train") {
      const referenceName = record.speedupReference as string;
      const reference = models.find((m) => m.name === referenceName);
      for (const m of models) {
        if (m === reference || !reference) continue;
        if (!isSpread(m.tokensPerSecond) || !isSpread(reference.tokensPerSecond)) continue;
        snapshot.speed.push({
          id: `bench --train ${suite} ${m.name} b${m.batch}s${m.seqLen}`,
          reference: referenceName,
          ratio: ratioSpread(m.tokensPerSecond, reference.tokensPerSecond),
          run,
        });
      }
    } else {
      for (const m of models) {
        if (!isSpread(m.webgpu) || !isSpread(m.ort)) continue;
        snapshot.speed.push({
          id: `bench ${suite} ${m.name} b${m.batch}s${m.seqLen}`,
          reference: "onnxruntime",
          ratio: ratioSpread(m.webgpu, m.ort),
          run,
        });
      }
    }
  } else {
    throw new GateInputError(`${run}: a "${record.kind}" record has nothing the gate compares`);
  }
  return snapshot;
}

/** A snapshot with no checks. */
export function emptySnapshot(): GateSnapshot {
  return { kind: "gate-baseline", version: 1, scores: [], speed: [] };
}

/** Validate a stored snapshot (a baseline file). */
export function parseSnapshot(json: unknown, file: string): GateSnapshot {
  const s = json as GateSnapshot;
  const bad = (what: string) => new GateInputError(`${file}: not a gate baseline (${what})`);
  if (typeof s !== "object" || s === null || s.kind !== "gate-baseline") throw bad("kind");
  if (s.version !== 1) throw bad(`version ${JSON.stringify(s.version)}, expected 1`);
  if (!Array.isArray(s.scores) || !Array.isArray(s.speed)) throw bad("scores/speed arrays");
  for (const c of s.scores) {
    if (typeof c?.id !== "string" || typeof c.metric !== "string" || typeof c.value !== "number") {
      throw bad(`score entry ${JSON.stringify(c)}`);
    }
  }
  for (const c of s.speed) {
    if (typeof c?.id !== "string" || typeof c.reference !== "string" || !isSpread(c.ratio)) {
      throw bad(`speed entry ${JSON.stringify(c)}`);
    }
  }
  return s;
}

/** One key per score check: its run identity and metric. */
function scoreKey(c: ScoreCheck): string {
  return `${c.id}\u0000${c.metric}`;
}

/** Combine snapshots; a later check of the same id (and metric) replaces an earlier one. */
export function mergeSnapshots(list: readonly GateSnapshot[]): GateSnapshot {
  const scores = new Map<string, ScoreCheck>();
  const speed = new Map<string, SpeedCheck>();
  for (const s of list) {
    for (const c of s.scores) scores.set(scoreKey(c), c);
    for (const c of s.speed) speed.set(c.id, c);
  }
  return { ...emptySnapshot(), scores: [...scores.values()], speed: [...speed.values()] };
}

/** One line of the verdict. */
export interface GateLine {
  /** Which kind of check the line compares. */
  kind: "score" | "speed";
  /** The check's id. */
  id: string;
  /** Metric name, or `ratio to <reference>` for speed. */
  metric: string;
  /** Baseline value, formatted: a score to 2 decimals, a ratio as `median (min–max)`. */
  baseline: string;
  /** Current value, formatted as `baseline`; `—` when not measured. */
  current: string;
  /** Score change in points (`+0.12 pt`) or ratio change in percent; `—` when not measured. */
  change: string;
  /** Verdict; `not measured` when the current run lacks the baseline's check. */
  status: "pass" | "regression" | "not measured";
}

/** Outcome of a comparison. */
export interface GateResult {
  /** One line per baseline check: its scores first, then its speed ratios. */
  lines: GateLine[];
  /** Lines with status `regression`. */
  regressions: number;
  /** Lines that were measured (status not `not measured`). */
  compared: number;
}

const fmt = (x: number) => x.toFixed(2);
const fmtRange = (r: Spread) => `${r.median.toFixed(3)} (${r.min.toFixed(3)}–${r.max.toFixed(3)})`;

/** Compare the current checks with the baseline's. */
export function compareSnapshots(
  baseline: GateSnapshot,
  current: GateSnapshot,
  tolerances: GateTolerances = DEFAULT_TOLERANCES,
): GateResult {
  const lines: GateLine[] = [];
  const scores = new Map(current.scores.map((c) => [scoreKey(c), c]));
  const speed = new Map(current.speed.map((c) => [c.id, c]));
  for (const b of baseline.scores) {
    const c = scores.get(scoreKey(b));
    if (!c) {
      lines.push({
        kind: "score",
        id: b.id,
        metric: b.metric,
        baseline: fmt(b.value),
        current: "—",
        change: "—",
        status: "not measured",
      });
      continue;
    }
    const drop = b.value - c.value;
    lines.push({
      kind: "score",
      id: b.id,
      metric: b.metric,
      baseline: fmt(b.value),
      current: fmt(c.value),
      change: `${c.value >= b.value ? "+" : "−"}${fmt(Math.abs(c.value - b.value))} pt`,
      // NaN (a metric that became undefined) counts as a regression.
      status: !(drop <= tolerances.score) ? "regression" : "pass",
    });
  }
  for (const b of baseline.speed) {
    const c = speed.get(b.id);
    const metric = `ratio to ${b.reference}`;
    if (!c) {
      lines.push({
        kind: "speed",
        id: b.id,
        metric,
        baseline: fmtRange(b.ratio),
        current: "—",
        change: "—",
        status: "not measured",
      });
      continue;
    }
    const relative = c.ratio.median / b.ratio.median - 1;
    const slower = relative < -tolerances.speed;
    const separated = c.ratio.max < b.ratio.min;
    lines.push({
      kind: "speed",
      id: b.id,
      metric,
      baseline: fmtRange(b.ratio),
      current: fmtRange(c.ratio),
      change: `${relative >= 0 ? "+" : "−"}${(Math.abs(relative) * 100).toFixed(1)}%`,
      status: slower && separated ? "regression" : "pass",
    });
  }
  const compared = lines.filter((l) => l.status !== "not measured").length;
  return { lines, regressions: lines.filter((l) => l.status === "regression").length, compared };
}

/** The verdict as Markdown for a pull-request comment. */
export function gateMarkdown(result: GateResult, tolerances: GateTolerances): string {
  const head = result.regressions > 0
    ? `### ❌ Regression gate: ${result.regressions} regression(s) in ${result.compared} checks`
    : `### ✅ Regression gate: ${result.compared} checks pass`;
  const rows = result.lines.map((l) =>
    `| ${
      l.status === "regression" ? "❌" : l.status === "pass" ? "✅" : "➖"
    } ${l.status} | ${l.kind} | ${
      l.id.replaceAll("|", "\\|")
    } | ${l.metric} | ${l.baseline} | ${l.current} | ${l.change} |`
  );
  return [
    head,
    "",
    `Scores fail on a drop of more than ${tolerances.score} points; speed ratios fail when the ` +
    `median falls by more than ${tolerances.speed * 100}% and the ranges do not overlap.`,
    "",
    "| status | kind | check | metric | baseline | current | change |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
