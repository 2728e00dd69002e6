/** `deno task harness eval`: flags to `runEval` options, and the printed summary. */
import Table from "cli-table3";
import {
  dtypeFlag,
  integerFlag,
  outputDirFlag,
  outputFileFlag,
  parseFlags,
  shardFlag,
  UsageError,
} from "./flags.ts";
import { modelConfigFlag } from "./_model_flag.ts";
import type { EvalOptions, EvalOutcome } from "../evaluate/eval.ts";
import { exitOnInterrupt } from "./exit.ts";
import { dataDir } from "../tasks/task.ts";
import { taskAndSplit } from "./_task_flags.ts";
import { taskNames } from "../tasks/registry.ts";

const HELP = `Usage: deno task harness eval --model DIR|NAME --task NAME [flags]

Run a model on a task end to end: predictions file (the format "score" reads),
metrics.json, a run record under results/runs/, and optionally a per-example
log. An interrupted run resumes where it stopped when rerun with the same
flags; a finished one is reused (its record and files) unless --force.

Flags:
  --model DIR|NAME      Checkpoint directory, config.json or zoo name (random weights)
  --task NAME           One of: ${taskNames().join(", ")}
  --split dev|test|train  Data split (default dev)
  --data DIR            Data directory (default $HARNESS_DATA or ./data)
  --limit N             Only the first N examples
  --backend B           webgpu (default) or onnx
  --dtype f32|f16       WebGPU storage precision (default f32); f16 keeps f32 arithmetic
                        and needs the adapter's shader-f16 feature
  --batch-size N        Rows per batch (default 32; RACE counts 4 rows per question)
  --max-seq-length N    Longest input (GLUE 128, SQuAD 384, RACE 512 by default)
  --out DIR             Output directory (default results/runs/eval/<model>/<task>-<split>,
                        with -limitN, -onnx and -f16 added for those settings; <model> is the
                        --model value with "/" as "-")
  --log-samples FILE    Write one JSON line per example (inputs, logits, prediction, label);
                        the run then always scores, never reusing an earlier record
  --init-head SEED      Evaluate a seeded random head when the checkpoint lacks the task's
  --task-index N        Which task of a multi-task (PAL) model serves this task (default: the
                        head trained on --task, when the checkpoint names its heads' tasks)
  --tokenizer PATH      Tokenizer directory or file (default: the checkpoint's, else
                        DATA/vocab/albert-base-v2 or DATA/vocab/bert-base-uncased)
  --seed N              Seed of the weights of a zoo name or config.json (default 0)
  --shard i/n           Run only shard i of n (1-based) of the batches; "harness merge"
                        joins the shard records into the full run's predictions and metrics
  --force               Run again even when a record of this work exists
  --records DIR         Directory of run records (default results/runs)
  --json                Print the outcome as JSON; no progress bar
  -h, --help`;

/** Parse `eval` flags and run it; prints metrics and where files went. */
export async function evalCommand(args: string[]): Promise<number> {
  const flags = parseFlags("eval", args, {
    model: { type: "string" },
    task: { type: "string" },
    split: { type: "string" },
    data: { type: "string" },
    limit: { type: "string" },
    backend: { type: "string" },
    dtype: { type: "string" },
    "batch-size": { type: "string" },
    "max-seq-length": { type: "string" },
    out: { type: "string" },
    "log-samples": { type: "string" },
    "init-head": { type: "string" },
    "task-index": { type: "string" },
    tokenizer: { type: "string" },
    seed: { type: "string" },
    shard: { type: "string" },
    force: { type: "boolean" },
    records: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (!flags.model) throw new UsageError(`eval needs --model DIR|NAME (see --help)`);
  await modelConfigFlag(flags.model);
  const { task, split } = taskAndSplit("eval", flags);
  const backend = flags.backend ?? "webgpu";
  if (backend !== "webgpu" && backend !== "onnx") {
    throw new UsageError(`Flag "--backend" must be webgpu or onnx, got "${backend}"`);
  }
  const dtype = dtypeFlag(flags.dtype);
  if (dtype === "f16" && backend === "onnx") {
    throw new UsageError(`Flag "--dtype f16" is for the webgpu backend; onnx runs f32`);
  }
  const { runEval } = await import("../evaluate/eval.ts");
  const options: EvalOptions = {
    model: flags.model,
    task,
    split,
    data: dataDir(flags.data),
    limit: integerFlag("limit", flags.limit, 1),
    backend,
    dtype,
    batchSize: integerFlag("batch-size", flags["batch-size"], 1) ?? 32,
    maxSeqLength: integerFlag("max-seq-length", flags["max-seq-length"], 8),
    out: outputDirFlag("out", flags.out),
    logSamples: outputFileFlag("log-samples", flags["log-samples"]),
    initHead: integerFlag("init-head", flags["init-head"], 0),
    taskIndex: integerFlag("task-index", flags["task-index"], 0),
    tokenizer: flags.tokenizer,
    seed: integerFlag("seed", flags.seed, 0) ?? 0,
    silent: flags.json ?? false,
    shard: shardFlag(flags.shard),
    force: flags.force ?? false,
    recordsDir: outputDirFlag("records", flags.records),
  };
  const stopCatching = exitOnInterrupt(
    "the batches finished so far are saved; run the same command again to resume from them",
  );
  let outcome;
  try {
    outcome = await runEval(options);
  } finally {
    stopCatching();
  }
  if (flags.json) {
    console.log(JSON.stringify(outcome, null, 2));
    return 0;
  }
  printOutcome(outcome);
  return 0;
}

/** The metrics as a table (with 95% bootstrap intervals), then where the files went. */
export function printOutcome(outcome: EvalOutcome): void {
  const lines = [`${outcome.task} ${outcome.split}: ${outcome.examples} examples`];
  if (outcome.shard) {
    lines.push(
      `shard ${outcome.shard.index}/${outcome.shard.count}: logits ${outcome.shard.logitsPath}`,
      `merge all shards with: deno task harness merge RECORDS...`,
    );
  } else if (outcome.metrics) {
    const table = new Table({
      head: ["metric", "value", "95% CI"],
      colAligns: ["left", "right", "right"],
      style: { head: [], border: [], compact: true },
    });
    for (const [name, value] of Object.entries(outcome.metrics)) {
      const ci = outcome.metricsCi?.[name];
      const interval = ci && Number.isFinite(ci.low)
        ? `${ci.low.toFixed(2)}–${ci.high.toFixed(2)}`
        : "—";
      // SQuAD's counts (total, HasAns_total, NoAns_total) are whole numbers, not scores.
      const shown = /total$/.test(name) && Number.isInteger(value)
        ? String(value)
        : value.toFixed(2);
      table.push([name, shown, interval]);
    }
    console.log(table.toString());
  }
  if (!outcome.shard) {
    lines.push(`predictions: ${outcome.predictionsPath}`);
    if (outcome.naProbsPath) lines.push(`no-answer probabilities: ${outcome.naProbsPath}`);
  }
  lines.push(
    `${
      outcome.reused ? "reused run record (--force runs again)" : "run record"
    }: ${outcome.recordPath} (${outcome.seconds.toFixed(1)} s)`,
  );
  console.error(lines.join("\n"));
}
