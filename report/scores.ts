/**
 * Dev-set scores from run records, one per (model, method, task): a full
 * dev-split `eval` record, or the best dev epoch of `train` records (the
 * median, min and max over their seeds). Runs on part of the data (`limit`,
 * `evalLimit`) do not count. When several records fill the same score, the
 * newest wins; the seeds of a training are the newest record's settings run
 * with other seeds.
 */
import { evalMethodParts, type RunRecord } from "../runtime/records.ts";
import { max, median, min } from "../runtime/stats.ts";
import { type LoadedRecord, ofKind, type RunSet } from "./records.ts";
import { isObject, trainOutcomes } from "./validate.ts";

/** One metric over the runs of a score: median, min, max, and a bootstrap interval when known. */
export interface MetricStat {
  median: number;
  min: number;
  max: number;
  /** Number of runs (seeds). */
  n: number;
  /** 95% bootstrap interval of a single evaluation (`metricsCi` of eval records). */
  ci?: { low: number; high: number };
}

/** A run a score comes from, with its seed for training runs. */
export interface ScoreRun {
  file: string;
  seed?: number;
}

/** The dev score of one model (and training method) on one task. */
export interface DevScore {
  model: string;
  /** "" for a single-task model; otherwise the multi-task adapter and schedule. */
  method: string;
  task: string;
  source: "eval" | "train";
  metrics: Record<string, MetricStat>;
  /** The records, by seed for training runs. */
  runs: ScoreRun[];
  /** `createdAt` of the newest of them. */
  createdAt: string;
}

type Metrics = Record<string, unknown>;

const numeric = (m: Metrics | undefined): Record<string, number> =>
  Object.fromEntries(
    Object.entries(m ?? {}).filter(([, v]) => typeof v === "number" && Number.isFinite(v)),
  ) as Record<string, number>;

/** How a train record trained: "" for one task without adapters, else adapter and schedule. */
function methodOf(record: RunRecord): string {
  const adapter = record.adapter as string | null | undefined;
  // Mixed-precision training is its own method, never a row of the f32 paper tables.
  const precision = record.dtype === "f16" ? "f16" : undefined;
  if (trainOutcomes(record).length === 1 && !adapter) return precision ?? "";
  const schedule = record.schedule as string | null | undefined;
  return [adapter && adapter !== "none" ? adapter : "shared backbone", schedule, precision]
    .filter((x) => x).join(", ");
}

/** The settings that make two train records seeds of the same training. */
function settingsKey(record: RunRecord): string {
  const keys = [
    "model",
    "adapter",
    "schedule",
    "steps",
    "epochs",
    "stepsPerEpoch",
    "batchSize",
    "lr",
    "adapterLr",
    "warmup",
    "optimizer",
    "dtype",
    "weightDecay",
  ];
  const tasks = trainOutcomes(record).map((t) => t.task);
  return JSON.stringify([tasks, ...keys.map((k) => record[k] ?? null)]);
}

const partial = (record: RunRecord) =>
  (record.limit !== null && record.limit !== undefined) ||
  (record.evalLimit !== null && record.evalLimit !== undefined);

const keyOf = (model: string, method: string, task: string) => `${model}\0${method}\0${task}`;

/** Median, min and max of each metric every run has. */
function combine(runs: Record<string, number>[]): Record<string, MetricStat> {
  const names = Object.keys(runs[0]).filter((name) => runs.every((r) => name in r)).sort();
  return Object.fromEntries(names.map((name) => {
    const values = runs.map((r) => r[name]);
    return [name, {
      median: median(values),
      min: min(values),
      max: max(values),
      n: values.length,
    }];
  }));
}

/** Scores of full dev-split eval records, the newest per (model, task). */
function evalScores(set: RunSet): DevScore[] {
  const found = new Map<string, DevScore>();
  for (const { file, record } of ofKind(set, "eval")) {
    if (partial(record) || (record.split ?? "dev") !== "dev") continue;
    // A randomly initialised head (--init-head) checks the pipeline; its score means nothing.
    if (record.initialisedHead !== undefined && record.initialisedHead !== null) continue;
    // ONNX Runtime and f16 runs are their own rows, never the default setting's score.
    const method = evalMethodParts(record).join(" ");
    const key = keyOf(record.model as string, method, record.task as string);
    if (found.has(key)) continue;
    if (!isObject(record.metrics)) continue; // an unlabelled split
    const values = numeric(record.metrics as Metrics);
    if (Object.keys(values).length === 0) continue;
    const metrics = combine([values]);
    const ci = (record.metricsCi ?? {}) as Record<string, { low?: unknown; high?: unknown }>;
    for (const [name, stat] of Object.entries(metrics)) {
      const { low, high } = ci[name] ?? {};
      if (typeof low === "number" && typeof high === "number") stat.ci = { low, high };
    }
    found.set(key, {
      model: record.model as string,
      method,
      task: record.task as string,
      source: "eval",
      metrics,
      runs: [{ file }],
      createdAt: String(record.createdAt ?? ""),
    });
  }
  return [...found.values()];
}

/** Scores of full-data train records: per (model, method, task), the newest training's seeds. */
function trainScores(set: RunSet): DevScore[] {
  const newest = new Map<string, { settings: string; seeds: Map<number, LoadedRecord> }>();
  for (const loaded of ofKind(set, "train")) {
    const { record } = loaded;
    if (partial(record)) continue;
    const method = methodOf(record);
    for (const t of trainOutcomes(record)) {
      if (!t.best?.metrics) continue;
      const key = keyOf(record.model as string, method, t.task);
      const settings = settingsKey(record);
      const group = newest.get(key) ?? { settings, seeds: new Map() };
      newest.set(key, group);
      const seed = typeof record.seed === "number" ? record.seed : 0;
      if (group.settings === settings && !group.seeds.has(seed)) group.seeds.set(seed, loaded);
    }
  }
  const scores: DevScore[] = [];
  for (const [key, group] of newest) {
    const [model, method, task] = key.split("\0");
    const seeds = [...group.seeds.entries()].sort(([a], [b]) => a - b);
    const values = seeds.map(([, l]) =>
      numeric(trainOutcomes(l.record).find((t) => t.task === task)!.best!.metrics)
    );
    scores.push({
      model,
      method,
      task,
      source: "train",
      metrics: combine(values),
      runs: seeds.map(([seed, l]) => ({ file: l.file, seed })),
      createdAt: seeds.map(([, l]) => String(l.record.createdAt ?? "")).sort().at(-1)!,
    });
  }
  return scores;
}

/** Every dev score of the run set: per (model, method, task) the newest eval or training. */
export function devScores(set: RunSet): DevScore[] {
  const best = new Map<string, DevScore>();
  for (const score of [...trainScores(set), ...evalScores(set)]) {
    const key = keyOf(score.model, score.method, score.task);
    const held = best.get(key);
    if (!held || score.createdAt > held.createdAt) best.set(key, score);
  }
  const order = (s: DevScore) => keyOf(s.model, s.method, s.task);
  return [...best.values()].sort((a, b) => order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0);
}

/** The score of a single-task model on a task, if any run measured it. */
export function scoreOf(
  scores: readonly DevScore[],
  model: string,
  task: string,
): DevScore | undefined {
  return scores.find((s) => s.model === model && s.method === "" && s.task === task);
}
