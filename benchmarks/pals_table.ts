/**
 * The BERT-and-PALs table at reduced scale: the same backbone trained on the
 * same GLUE tasks as separate single-task models, as one shared backbone
 * with per-task heads, and with PALs under each of the four sampling
 * schedules; each row gives the method, its parameter multiplier (computed
 * from the configs), per-task dev scores (best epoch, as the paper
 * early-stops) and their average.
 *
 * Every method gets the same number of optimiser steps: a multi-task run's
 * `epochs × stepsPerEpoch`, and each single-task model an equal share of it.
 * Finished methods are kept in `OUT/<method>/outcome.json` and reused by a
 * rerun; an interrupted method continues from its resume point.
 *
 *   deno task pals-table [--epochs N] [--steps-per-epoch N] [--out DIR] [--force] [--json]
 *
 * The table goes to `OUT/pals-table.md` (and `.json`); OUT defaults to
 * `results/runs/pals-table`. A run record of kind `pals-table` (the rows and
 * the settings) goes to the run store (`--records DIR`, default
 * `results/runs`), where `harness report` finds it.
 */
import { join } from "node:path";
import type { AdapterChoice } from "../models/multitask.ts";
import { statOrUndefined, writeAtomic } from "../runtime/files.ts";
import { DEFAULT_RECORDS_DIR, writeRecord } from "../runtime/records.ts";
import { canonicalJson } from "../runtime/fingerprint.ts";
import { taskEntry } from "../tasks/registry.ts";
import { dataDir, type Metrics } from "../tasks/task.ts";
import { runTrain, type TrainOptions, type TrainOutcome } from "../train/run.ts";
import { type Schedule, SCHEDULES } from "../train/sampling.ts";
import {
  integerFlag,
  learningRateFlag,
  outputDirFlag,
  parseFlags,
  UsageError,
} from "../cli/flags.ts";
import { exitWith } from "../cli/exit.ts";

/** The paper's GLUE tasks that train offline here (QQP, QNLI and MNLI are too big for minutes). */
export const PALS_TABLE_TASKS = [
  "glue/cola",
  "glue/sst2",
  "glue/mrpc",
  "glue/stsb",
  "glue/rte",
  "glue/wnli",
];

/** One row of the table: how the tasks were trained. */
export interface Method {
  /** Directory name and row key. */
  name: string;
  label: string;
  adapter: AdapterChoice | "separate";
  schedule: Schedule | null;
}

/** The table's rows: both baselines, then PALs under each schedule. */
export function methods(): Method[] {
  return [
    { name: "single-task", label: "Separate models", adapter: "separate", schedule: null },
    { name: "shared", label: "Shared backbone", adapter: "none", schedule: "round-robin" },
    ...SCHEDULES.map((schedule) => ({
      name: `pals-${schedule}`,
      label: "PALs",
      adapter: "pals" as const,
      schedule,
    })),
  ];
}

/** A row's figures. */
export interface MethodResult {
  method: Method;
  multiplier: number;
  /** Per task: the task score (mean of its GLUE metrics, ×100) and its metrics. */
  scores: { task: string; score: number; metrics: Metrics }[];
  average: number;
  steps: number;
  minutes: number;
}

/** What the table runs. */
export interface PalsTableOptions {
  model: string;
  data: string;
  tasks: string[];
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  lr: number;
  seed: number;
  maxSeqLength: number;
  out: string;
  silent: boolean;
  /** Train every method again instead of reusing finished ones. */
  force: boolean;
  /** Train on the first N examples of each task (tests). */
  limit?: number;
  /** Evaluate on the first N dev examples of each task (tests). */
  evalLimit?: number;
}

/** GLUE's task score: the mean of the task's metrics (MRPC accuracy and F1, STS-B both correlations). */
export function taskScore(task: string, metrics: Metrics): number {
  const names = taskEntry(task).metrics;
  return names.reduce((sum, m) => sum + metrics[m], 0) / names.length;
}

/** Train every method (reusing finished ones) and return the table's rows. */
export async function runPalsTable(options: PalsTableOptions): Promise<MethodResult[]> {
  const totalSteps = options.epochs * options.stepsPerEpoch;
  const common = {
    model: options.model,
    data: options.data,
    batchSize: options.batchSize,
    lr: options.lr,
    warmup: 0.1,
    seed: options.seed,
    maxSeqLength: options.maxSeqLength,
    limit: options.limit,
    evalLimit: options.evalLimit,
    optimizer: "adamw" as const,
    weightDecay: 0.01,
    saveSteps: 500,
    logSteps: 50,
    silent: options.silent,
  };
  const results: MethodResult[] = [];
  for (const method of methods()) {
    const dir = join(options.out, method.name);
    const runs: TrainOutcome[] = [];
    if (method.adapter === "separate") {
      // Each task's model gets an equal share of the multi-task step budget (the
      // remainder one step each to the first tasks), evaluated after each pass over its data.
      const n = options.tasks.length;
      for (const [i, task] of options.tasks.entries()) {
        const share = Math.floor(totalSteps / n) + (i < totalSteps % n ? 1 : 0);
        runs.push(
          await trainOnce(join(dir, task.replace("/", "-")), {
            ...common,
            tasks: [task],
            epochs: Number.MAX_SAFE_INTEGER,
            maxSteps: share,
          }, options.force),
        );
      }
    } else {
      runs.push(
        await trainOnce(dir, {
          ...common,
          tasks: options.tasks,
          adapter: method.adapter,
          schedule: method.schedule!,
          epochs: options.epochs,
          stepsPerEpoch: options.stepsPerEpoch,
        }, options.force),
      );
    }
    const outcomes = runs.flatMap((r) => r.tasks);
    const scores = outcomes.map((t) => {
      if (!t.best) throw new Error(`${method.name}: ${t.task} has no dev score`);
      return { task: t.task, score: taskScore(t.task, t.best.metrics), metrics: t.best.metrics };
    });
    // Separate models: one encoder per task; multi-task: one encoder and its adapters.
    const multiplier = runs.reduce((n, r) => n + r.multiplier, 0);
    results.push({
      method,
      multiplier,
      scores,
      average: scores.reduce((s, t) => s + t.score, 0) / scores.length,
      steps: runs.reduce((n, r) => n + r.steps, 0),
      minutes: runs.reduce((n, r) => n + r.seconds, 0) / 60,
    });
  }
  return results;
}

/**
 * Run one training, or reuse its finished outcome when it was made with the
 * same settings; an interrupted one resumes. `force` starts it over.
 */
async function trainOnce(
  out: string,
  options: Omit<TrainOptions, "out" | "resume">,
  force: boolean,
): Promise<TrainOutcome> {
  const done = join(out, "outcome.json");
  const settings = JSON.parse(JSON.stringify({ ...options, silent: undefined }));
  if (force) await Deno.remove(out, { recursive: true }).catch(() => {});
  if (await statOrUndefined(done)) {
    const saved = JSON.parse(await Deno.readTextFile(done));
    if (canonicalJson(saved.settings) === canonicalJson(settings)) return saved.outcome;
    throw new Error(
      `${out} holds a run made with other settings; pass --force to train it again, or another --out`,
    );
  }
  const resume = (await statOrUndefined(join(out, "resume", "state.json"))) !== undefined;
  // Each method's training records stay beside its checkpoints (OUT/<method>/records).
  const outcome = await runTrain({ ...options, out, resume, recordsDir: join(out, "records") });
  await writeAtomic(done, JSON.stringify({ settings, outcome }, null, 2) + "\n");
  return outcome;
}

/** The table as Markdown: method, schedule, multiplier, per-task scores, average. */
export function palsTableMarkdown(results: readonly MethodResult[], note: string): string {
  const tasks = results[0].scores.map((s) => s.task);
  const short = (task: string) => task.replace("glue/", "").toUpperCase();
  const lines = [
    `| method | schedule | params | ${tasks.map(short).join(" | ")} | avg |`,
    `|---|---|---|${tasks.map(() => "---|").join("")}---|`,
  ];
  for (const r of results) {
    const cells = r.scores.map((s) => {
      const names = taskEntry(s.task).metrics;
      return names.map((m) => s.metrics[m].toFixed(1)).join("/");
    });
    lines.push(
      `| ${r.method.label} | ${r.method.schedule ?? "—"} | ${r.multiplier.toFixed(2)}× | ${
        cells.join(" | ")
      } | ${r.average.toFixed(1)} |`,
    );
  }
  return [...lines, "", note].join("\n");
}

const HELP = `Usage: deno task pals-table [flags]

Train the BERT-and-PALs table at reduced scale: separate single-task models, a
shared backbone with per-task heads, and PALs under each sampling schedule, on
${PALS_TABLE_TASKS.join(", ")}; every method gets the same number of steps.
Finished methods are reused by a rerun (--force trains them again).

Flags:
  --model FILE|DIR         Backbone config or checkpoint (default benchmarks/configs/bert-glue-small.json)
  --data DIR               Datasets and vocabularies (default ./data; e.g. ../shared/data)
  --epochs N               Epochs per multi-task method (default 4)
  --steps-per-epoch N      Steps per epoch (default 400)
  --batch-size N           Sequences per step (default 32)
  --lr X                   Peak learning rate (default 1e-3)
  --seed N                 Seed of initialisation, dropout and sampling (default 0)
  --out DIR                Table and per-method outcomes (default results/runs/pals-table)
  --records DIR            Run store for the pals-table record (default results/runs)
  --json                   Print the rows as JSON
  --force                  Train every method again
  -h, --help`;

/** `deno task pals-table`: train every method, print the table and write its record. */
async function palsTableCommand(args: string[]): Promise<number> {
  const flags = parseFlags("pals-table", args, {
    help: { type: "boolean", short: "h" },
    model: { type: "string" },
    data: { type: "string" },
    epochs: { type: "string" },
    "steps-per-epoch": { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    records: { type: "string" },
    json: { type: "boolean" },
    force: { type: "boolean" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const options: PalsTableOptions = {
    model: flags.model ?? "benchmarks/configs/bert-glue-small.json",
    data: dataDir(flags.data),
    tasks: PALS_TABLE_TASKS,
    epochs: integerFlag("epochs", flags.epochs, 1) ?? 4,
    stepsPerEpoch: integerFlag("steps-per-epoch", flags["steps-per-epoch"], 1) ?? 400,
    batchSize: integerFlag("batch-size", flags["batch-size"], 1) ?? 32,
    lr: learningRateFlag("lr", flags.lr, 1e-3),
    seed: integerFlag("seed", flags.seed, 0) ?? 0,
    maxSeqLength: 128,
    out: outputDirFlag("out", flags.out) ?? join("results", "runs", "pals-table"),
    silent: flags.json ?? false,
    force: flags.force ?? false,
  };
  // Each separate single-task model gets an equal share of the steps: at least one each.
  const steps = options.epochs * options.stepsPerEpoch;
  if (steps < options.tasks.length) {
    throw new UsageError(
      `--epochs × --steps-per-epoch is ${steps} steps, fewer than the ${options.tasks.length} ` +
        `tasks: each separate single-task model needs at least one step`,
    );
  }
  const recordsDir = outputDirFlag("records", flags.records) ?? DEFAULT_RECORDS_DIR;
  const results = await runPalsTable(options);
  const note = `Backbone ${options.model} trained from scratch, seed ${options.seed}: ` +
    `${options.epochs} epochs of ${options.stepsPerEpoch} steps (batch ${options.batchSize}, ` +
    `lr ${options.lr}) per method; separate models share the same steps equally and are ` +
    `evaluated after each pass over their own data. Scores are best-epoch GLUE dev ×100 ` +
    `(MRPC acc/F1, STS-B Pearson/Spearman; avg of each task's mean).`;
  const markdown = palsTableMarkdown(results, note);
  await writeAtomic(join(options.out, "pals-table.md"), markdown + "\n");
  await writeAtomic(join(options.out, "pals-table.json"), JSON.stringify(results, null, 2) + "\n");
  const recordPath = await writeRecord({
    kind: "pals-table",
    model: options.model,
    settings: {
      tasks: options.tasks,
      epochs: options.epochs,
      stepsPerEpoch: options.stepsPerEpoch,
      batchSize: options.batchSize,
      lr: options.lr,
      seed: options.seed,
      maxSeqLength: options.maxSeqLength,
    },
    note,
    rows: results,
  }, { dir: recordsDir });
  console.log(flags.json ? JSON.stringify(results, null, 2) : markdown);
  if (!flags.json) console.error(`Run record: ${recordPath}`);
  return 0;
}

if (import.meta.main) await exitWith(() => palsTableCommand(Deno.args));
