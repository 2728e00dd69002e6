/** `deno task harness train`: flags to `runTrain` options, seeds, and the printed summary. */
import { dirname, join } from "node:path";
import Table from "cli-table3";
import {
  aliasedFlag,
  dtypeFlag,
  fractionFlag,
  integerFlag,
  learningRateFlag,
  numberFlag,
  outputDirFlag,
  parseFlags,
  UsageError,
} from "./flags.ts";
import { modelConfigFlag } from "./_model_flag.ts";
import { taskFlag } from "./_task_flags.ts";
import { dataDir } from "../tasks/task.ts";
import { taskNames } from "../tasks/registry.ts";
import { pathSlug } from "../runtime/files.ts";
import { max, median, min } from "../runtime/stats.ts";
import type { AdapterChoice } from "../models/multitask.ts";
import { type Schedule, SCHEDULES } from "../train/sampling.ts";
import type { TrainOutcome } from "../train/run.ts";

const HELP = `Usage: deno task harness train --model DIR|NAME --task NAME [flags]
       deno task harness train --model DIR|NAME --tasks A,B,... --adapter KIND [flags]

Fine-tune a model on a task's train split on WebGPU, evaluating on dev after
every epoch and keeping the best checkpoint (Hugging Face layout, loadable by
"eval"). Writes OUT/best/, OUT/train_log.jsonl and a run record; with --runs N
each seed trains into OUT/seed-S/ and the summary gives the median, min and
max of the best dev score. An interrupted run continues with --resume.

With --tasks, one model trains on several tasks (BERT and PALs): a shared
backbone, one classifier per task and, per --adapter, per-task PALs,
low-rank or top-projected adapters (none: the shared-backbone baseline). Each
step's task is drawn by --schedule; every epoch has --steps-per-epoch steps;
each task keeps its own best checkpoint in OUT/best/<task>/, whose config
names each head's task, so eval finds the head (--task-index, the position
in --tasks counting from 0, picks one explicitly).

Flags:
  --model DIR|NAME      Checkpoint directory, config.json or zoo name (seeded random weights)
  --task NAME           One of: ${taskNames().join(", ")}
  --tasks A,B,...       Several GLUE tasks trained jointly (multi-task)
  --adapter KIND        pals, low-rank, top (top-projected) or none (the shared-backbone
                        baseline; the default for several tasks unless --model has task heads)
  --task-index N        Which head of a multi-task --model trains the single --task (default:
                        the head trained on it, when the checkpoint names its tasks, else 0)
  --hidden-size-aug N   Adapter size d_s (default: the paper's d_s/H ratio, e.g. 204 at H = 768)
  --schedule NAME       round-robin (default), proportional, sqrt or annealed
  --steps-per-epoch N   Multi-task steps per epoch (default: all tasks' examples / batch size)
  --data DIR            Data directory (default $HARNESS_DATA or ./data)
  --epochs N            Passes over the training set (multi-task: epochs of --steps-per-epoch; default 3)
  --max-steps N         Stop after N optimiser steps
  --limit N             Train on the first N training examples (of each task) only
  --eval-limit N        Evaluate on the first N dev examples only
  --batch-size N        Examples per step (default 32)
  --lr X                Peak learning rate (default 2e-5)
  --adapter-lr X        Peak learning rate of adapter parameters (default: --lr)
  --warmup X            Fraction of steps warming up linearly (default 0.1)
  --weight-decay X      Decoupled weight decay (default 0.01)
  --optimizer adamw|lamb  Optimiser (default adamw)
  --max-seq-length N    Longest input (GLUE 128 by default)
  --seed N              First seed (weights of a zoo model, head, shuffling, dropout; default 0)
  --runs N              Train N seeds (seed, seed+1, ...), one record each, and report their
                        median, min and max (default 1; --seeds is the same flag)
  --out DIR             Output directory (default results/runs/train/<model>/<task or tasks>)
  --save-steps N        Steps between resume points (default 500; also at each epoch's end)
  --log-steps N         Steps between training-log lines (default 50)
  --resume              Continue from OUT's last resume point
  --force               Train again even when this run's record and checkpoints exist (they
                        are reused otherwise); start over in an OUT that holds another run's
                        files or an unfinished run (refused otherwise)
  --records DIR         Directory of run records (default results/runs)
  --tokenizer PATH      Tokenizer directory or file (default as for eval)
  --dtype f32|f16       Training precision (default f32). f16 is mixed precision: activations
                        and their gradients in f16, f32 master weights and optimiser state,
                        dynamic loss scaling (steps whose gradients overflow are skipped);
                        dev evaluation also runs in f16. Needs the adapter's shader-f16
  --json                Print the outcome as JSON; no progress bar
  -h, --help`;

/** `--adapter` values; `top` is the and the paper's short name for top-projected. */
const ADAPTERS: Record<string, AdapterChoice> = {
  "pals": "pals",
  "low-rank": "low-rank",
  "top": "top-projected",
  "top-projected": "top-projected",
  "none": "none",
};

/** Parse `train` flags and run every seed; prints the best dev scores. */
export async function trainCommand(args: string[]): Promise<number> {
  const flags = parseFlags("train", args, {
    model: { type: "string" },
    task: { type: "string" },
    tasks: { type: "string" },
    adapter: { type: "string" },
    "hidden-size-aug": { type: "string" },
    "task-index": { type: "string" },
    schedule: { type: "string" },
    "steps-per-epoch": { type: "string" },
    data: { type: "string" },
    epochs: { type: "string" },
    "max-steps": { type: "string" },
    limit: { type: "string" },
    "eval-limit": { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    "adapter-lr": { type: "string" },
    warmup: { type: "string" },
    "weight-decay": { type: "string" },
    optimizer: { type: "string" },
    "max-seq-length": { type: "string" },
    seed: { type: "string" },
    seeds: { type: "string" },
    runs: { type: "string" },
    force: { type: "boolean" },
    records: { type: "string" },
    out: { type: "string" },
    "save-steps": { type: "string" },
    "log-steps": { type: "string" },
    resume: { type: "boolean" },
    tokenizer: { type: "string" },
    dtype: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const dtype = dtypeFlag(flags.dtype);
  if (!flags.model) throw new UsageError(`train needs --model DIR|NAME (see --help)`);
  await modelConfigFlag(flags.model);
  if (!flags.task === !flags.tasks) {
    throw new UsageError(`train needs --task NAME or --tasks A,B,... (one of them; see --help)`);
  }
  const tasks = (flags.tasks ?? flags.task!).split(",").map((t) => taskFlag(t.trim()));
  const multiTask = flags.tasks !== undefined;
  let adapter: AdapterChoice | undefined;
  if (flags.adapter !== undefined) {
    adapter = ADAPTERS[flags.adapter];
    if (!adapter) {
      throw new UsageError(
        `Flag "--adapter" must be one of ${
          Object.keys(ADAPTERS).join(", ")
        }, got "${flags.adapter}"`,
      );
    }
  }
  const schedule = (flags.schedule ?? "round-robin") as Schedule;
  if (!SCHEDULES.includes(schedule)) {
    throw new UsageError(
      `Flag "--schedule" must be one of ${SCHEDULES.join(", ")}, got "${flags.schedule}"`,
    );
  }
  if (!multiTask && (flags.schedule || flags["steps-per-epoch"])) {
    throw new UsageError(
      `--schedule and --steps-per-epoch apply to multi-task runs (--tasks)`,
    );
  }
  if (flags["hidden-size-aug"] && (adapter === undefined || adapter === "none")) {
    throw new UsageError(`--hidden-size-aug sizes adapters; pass --adapter pals|low-rank|top`);
  }
  if (flags["adapter-lr"] && adapter === "none") {
    throw new UsageError(`--adapter-lr has no adapter parameters to apply to with --adapter none`);
  }
  if (flags["task-index"] && multiTask) {
    throw new UsageError(
      `--task-index picks one head for a single --task; --tasks use their order`,
    );
  }
  const optimizer = flags.optimizer ?? "adamw";
  if (optimizer !== "adamw" && optimizer !== "lamb") {
    throw new UsageError(`Flag "--optimizer" must be adamw or lamb, got "${optimizer}"`);
  }
  const lr = learningRateFlag("lr", flags.lr, 2e-5);
  const firstSeed = integerFlag("seed", flags.seed, 0) ?? 0;
  const seeds = integerFlag(...aliasedFlag(flags, "runs", "seeds"), 1) ?? 1;
  const shortNames = tasks.map((t) => t.replace(/^glue\//, "")).join("-");
  const runName = multiTask
    ? `${adapter ?? "heads"}-${schedule}-${shortNames}`
    : tasks[0].replace("/", "-");
  const out = outputDirFlag("out", flags.out) ??
    join("results", "runs", "train", pathSlug(flags.model), runName);
  const { runTrain } = await import("../train/run.ts");
  // Ctrl-C stops after the current step with a resume point saved.
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  const outcomes: TrainOutcome[] = [];
  try {
    for (let s = firstSeed; s < firstSeed + seeds; s++) {
      outcomes.push(
        await runTrain({
          model: flags.model,
          tasks,
          adapter,
          // --tasks is multi-task even for one task; otherwise --adapter decides.
          multiTask: multiTask || undefined,
          hiddenSizeAug: integerFlag("hidden-size-aug", flags["hidden-size-aug"], 1),
          taskIndex: integerFlag("task-index", flags["task-index"], 0),
          schedule: multiTask ? schedule : undefined,
          stepsPerEpoch: integerFlag("steps-per-epoch", flags["steps-per-epoch"], 1),
          data: dataDir(flags.data),
          out: seeds > 1 ? join(out, `seed-${s}`) : out,
          epochs: integerFlag("epochs", flags.epochs, 1) ?? 3,
          maxSteps: integerFlag("max-steps", flags["max-steps"], 1),
          limit: integerFlag("limit", flags.limit, 1),
          evalLimit: integerFlag("eval-limit", flags["eval-limit"], 1),
          batchSize: integerFlag("batch-size", flags["batch-size"], 1) ?? 32,
          lr,
          adapterLr: flags["adapter-lr"] === undefined
            ? undefined
            : numberFlag("adapter-lr", flags["adapter-lr"], lr),
          warmup: fractionFlag("warmup", flags.warmup, 0.1),
          weightDecay: numberFlag("weight-decay", flags["weight-decay"], 0.01),
          optimizer,
          maxSeqLength: integerFlag("max-seq-length", flags["max-seq-length"], 8),
          seed: s,
          saveSteps: integerFlag("save-steps", flags["save-steps"], 1) ?? 500,
          logSteps: integerFlag("log-steps", flags["log-steps"], 1) ?? 50,
          resume: flags.resume ?? false,
          force: flags.force ?? false,
          recordsDir: outputDirFlag("records", flags.records),
          tokenizer: flags.tokenizer,
          silent: flags.json ?? false,
          signal: controller.signal,
          dtype,
        }),
      );
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  const summary = summarise(outcomes);
  if (flags.json) {
    console.log(
      JSON.stringify({ tasks, adapter: adapter ?? null, summary, runs: outcomes }, null, 2),
    );
    return 0;
  }
  console.log(runsTable(outcomes));
  if (outcomes.length > 1 || tasks.length > 1) console.log(summaryTable(summary, outcomes.length));
  for (const o of outcomes) {
    const where = o.tasks.length === 1 ? o.tasks[0].checkpoint : dirname(o.tasks[0].checkpoint);
    console.error(`seed ${o.seed}: ${where}, record ${o.recordPath}`);
  }
  return 0;
}

/** Median, min and max of one task's best dev score over the seeds. */
export interface TaskSummary {
  task: string;
  metric: string;
  median: number;
  min: number;
  max: number;
}

/** Per-task spread over seeds, plus the average of the tasks' scores (per seed, then spread). */
export function summarise(outcomes: readonly TrainOutcome[]): TaskSummary[] {
  // An undefined score (NaN, or null once read back from a record) leaves the spread undefined.
  const spread = (task: string, metric: string, scores: (number | null)[]) => {
    const defined = scores.every((x): x is number => Number.isFinite(x));
    return {
      task,
      metric,
      median: defined ? median(scores) : NaN,
      min: defined ? min(scores) : NaN,
      max: defined ? max(scores) : NaN,
    };
  };
  const first = outcomes[0].tasks;
  const rows = first.map((t, i) =>
    spread(t.task, t.metric, outcomes.map((o) => o.tasks[i].best?.score ?? NaN))
  );
  if (first.length > 1) {
    const averages = outcomes.map((o) =>
      o.tasks.reduce((sum, t) => sum + (t.best?.score ?? NaN), 0) / o.tasks.length
    );
    rows.push(spread("average", "", averages));
  }
  return rows;
}

/** One line per seed and task: best dev score, its epoch, steps, speed and time. */
function runsTable(outcomes: readonly TrainOutcome[]): string {
  const table = new Table({
    head: ["seed", "task", "best dev", "epoch", "steps", "tokens/s", "minutes"],
    style: { head: [], border: [], compact: true }, // no colour codes in logs and pipes
  });
  for (const o of outcomes) {
    for (const t of o.tasks) {
      table.push([
        o.seed,
        t.task,
        t.best ? `${t.metric} ${scoreText(t.best.score)}` : "n/a",
        t.best?.epoch ?? "n/a",
        o.steps,
        o.tokensPerSecond.toFixed(0),
        `${(o.seconds / 60).toFixed(1)}${o.reused ? " (reused)" : ""}`,
      ]);
    }
  }
  return table.toString();
}

/** One line per task (and the average): the best dev score, or its median, min and max over seeds. */
function summaryTable(summary: readonly TaskSummary[], seeds: number): string {
  const head = seeds > 1
    ? ["task", "metric", `median of ${seeds}`, "min", "max"]
    : ["task", "metric", "best dev"];
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const s of summary) {
    const cells = [s.task, s.metric, scoreText(s.median)];
    if (seeds > 1) cells.push(scoreText(s.min), scoreText(s.max));
    table.push(cells);
  }
  return table.toString();
}

/** A score to two decimals, or "n/a" when it is undefined (NaN, or null from a record). */
function scoreText(score: number | null): string {
  return typeof score === "number" && Number.isFinite(score) ? score.toFixed(2) : "n/a";
}
