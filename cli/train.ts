/** `deno task harness train`: flags to `runTrain` options, seeds, and the printed summary. */
import { join } from "node:path";
import Table from "cli-table3";
import { integerFlag, numberFlag, parseFlags, UsageError } from "./flags.ts";
import { dataDir } from "../tasks/task.ts";
import { taskEntry, taskNames } from "../tasks/registry.ts";
import { max, median, min } from "../runtime/stats.ts";

const HELP = `Usage: deno task harness train --model DIR|NAME --task NAME [flags]

Fine-tune a model on a task's train split on WebGPU, evaluating on dev after
every epoch and keeping the best checkpoint (Hugging Face layout, loadable by
"eval"). Writes OUT/best/, OUT/train_log.jsonl and a run record; with --seeds N
each seed trains into OUT/seed-S/ and the summary gives the median, min and
max of the best dev score. An interrupted run continues with --resume.

Flags:
  --model DIR|NAME      Checkpoint directory, config.json or zoo name (seeded random weights)
  --task NAME           One of: ${taskNames().join(", ")}
  --data DIR            Data directory (default $HARNESS_DATA or ./data)
  --epochs N            Passes over the training set (default 3)
  --max-steps N         Stop after N optimiser steps
  --limit N             Train on the first N training examples only
  --eval-limit N        Evaluate on the first N dev examples only
  --batch-size N        Examples per step (default 32)
  --lr X                Peak learning rate (default 2e-5)
  --warmup X            Fraction of steps warming up linearly (default 0.1)
  --weight-decay X      Decoupled weight decay (default 0.01)
  --optimizer adamw|lamb  Optimiser (default adamw)
  --max-seq-length N    Longest input (GLUE 128 by default)
  --seed N              First seed (weights of a zoo model, head, shuffling, dropout; default 0)
  --seeds N             Train N seeds (seed, seed+1, ...) and report their median (default 1)
  --out DIR             Output directory (default results/runs/train/<model>/<task>)
  --save-steps N        Steps between resume points (default 500; also at each epoch's end)
  --log-steps N         Steps between training-log lines (default 50)
  --resume              Continue from OUT's last resume point
  --tokenizer PATH      Tokenizer directory or file (default as for eval)
  --json                Print the outcome as JSON; no progress bar
  -h, --help`;

/** Parse `train` flags and run every seed; prints the best dev scores. */
export async function trainCommand(args: string[]): Promise<number> {
  const flags = parseFlags("train", args, {
    model: { type: "string" },
    task: { type: "string" },
    data: { type: "string" },
    epochs: { type: "string" },
    "max-steps": { type: "string" },
    limit: { type: "string" },
    "eval-limit": { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    warmup: { type: "string" },
    "weight-decay": { type: "string" },
    optimizer: { type: "string" },
    "max-seq-length": { type: "string" },
    seed: { type: "string" },
    seeds: { type: "string" },
    out: { type: "string" },
    "save-steps": { type: "string" },
    "log-steps": { type: "string" },
    resume: { type: "boolean" },
    tokenizer: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (!flags.model) throw new UsageError(`train needs --model DIR|NAME (see --help)`);
  if (!flags.task) throw new UsageError(`train needs --task NAME (see --help)`);
  const entry = taskEntry(flags.task);
  const optimizer = flags.optimizer ?? "adamw";
  if (optimizer !== "adamw" && optimizer !== "lamb") {
    throw new UsageError(`Flag "--optimizer" must be adamw or lamb, got "${optimizer}"`);
  }
  const firstSeed = integerFlag("seed", flags.seed, 0) ?? 0;
  const seeds = integerFlag("seeds", flags.seeds, 1) ?? 1;
  const { slug } = await import("../evaluate/eval.ts");
  const out = flags.out ??
    join("results", "runs", "train", slug(flags.model), entry.name.replace("/", "-"));
  const { runTrain } = await import("../train/run.ts");
  // Ctrl-C stops after the current step with a resume point saved.
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  const outcomes = [];
  try {
    for (let s = firstSeed; s < firstSeed + seeds; s++) {
      outcomes.push(
        await runTrain({
          model: flags.model,
          task: entry.name,
          data: dataDir(flags.data),
          out: seeds > 1 ? join(out, `seed-${s}`) : out,
          epochs: integerFlag("epochs", flags.epochs, 1) ?? 3,
          maxSteps: integerFlag("max-steps", flags["max-steps"], 1),
          limit: integerFlag("limit", flags.limit, 1),
          evalLimit: integerFlag("eval-limit", flags["eval-limit"], 1),
          batchSize: integerFlag("batch-size", flags["batch-size"], 1) ?? 32,
          lr: numberFlag("lr", flags.lr, 2e-5),
          warmup: numberFlag("warmup", flags.warmup, 0.1),
          weightDecay: numberFlag("weight-decay", flags["weight-decay"], 0.01),
          optimizer,
          maxSeqLength: integerFlag("max-seq-length", flags["max-seq-length"], 8),
          seed: s,
          saveSteps: integerFlag("save-steps", flags["save-steps"], 1) ?? 500,
          logSteps: integerFlag("log-steps", flags["log-steps"], 1) ?? 50,
          resume: flags.resume ?? false,
          tokenizer: flags.tokenizer,
          silent: flags.json ?? false,
          signal: controller.signal,
        }),
      );
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  const metric = entry.metrics[0];
  const scores = outcomes.map((o) => o.best?.score ?? NaN);
  const summary = { metric, median: median(scores), min: min(scores), max: max(scores) };
  if (flags.json) {
    console.log(JSON.stringify({ task: entry.name, summary, runs: outcomes }, null, 2));
    return 0;
  }
  const table = new Table({
    head: ["seed", `best dev ${metric}`, "epoch", "steps", "tokens/s", "minutes"],
    style: { compact: true },
  });
  for (const o of outcomes) {
    table.push([
      o.seed,
      o.best ? o.best.score.toFixed(2) : "n/a",
      o.best?.epoch ?? "n/a",
      o.steps,
      o.tokensPerSecond.toFixed(0),
      (o.seconds / 60).toFixed(1),
    ]);
  }
  console.log(table.toString());
  if (outcomes.length > 1) {
    console.log(
      `${entry.name} dev ${metric}: median ${summary.median.toFixed(2)} (min ${
        summary.min.toFixed(2)
      }, max ${summary.max.toFixed(2)}) over ${outcomes.length} seeds`,
    );
  }
  for (const o of outcomes) {
    console.error(`seed ${o.seed}: ${o.checkpoint}, record ${o.recordPath}`);
  }
  return 0;
}
