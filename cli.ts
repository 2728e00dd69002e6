#!/usr/bin/env -S deno run --allow-all
/**
 * The harness's command line: `deno task harness <command> [flags]`, and
 * `deno task bench [flags]` for `bench`. Usage mistakes (unknown command or
 * flag, bad flag value, unknown model) print one `error:` line and exit 2;
 * Ctrl-C in `bench`, `eval` or `train` keeps the finished work and exits 130;
 * any other failure prints `error: <message>` and exits 1 (`HARNESS_DEBUG=1`
 * adds the stack).
 */
import Table from "cli-table3";
import type { ModelConfig } from "./models/config.ts";
import { zoo, type ZooEntry } from "./models/zoo.ts";
import { countEncoderParameters, parameterMultiplier } from "./models/params.ts";
import { formatCount, formatMultiplier, MISSING } from "./benchmarks/format.ts";
import { benchSuite, benchSuites, DEFAULT_SUITE } from "./benchmarks/suites.ts";
import type { BenchOptions } from "./benchmarks/run.ts";
import {
  aliasedFlag,
  dtypeFlag,
  integerFlag,
  outputDirFlag,
  parseFlags,
  shardFlag,
  UsageError,
} from "./cli/flags.ts";
import { modelConfigFlag } from "./cli/_model_flag.ts";
import { exitOnInterrupt, exitWith } from "./cli/exit.ts";
import { parsePeers, PEERS } from "./benchmarks/peers.ts";
import { DEFAULT_RECORDS_DIR } from "./runtime/records.ts";

export { UsageError };

/** Each command and its one-line summary for `--help`. */
const COMMANDS: Record<string, string> = {
  bench: "Time models or GEMM shapes of a benchmark suite",
  eval: "Evaluate a model on a task (GLUE, SQuAD, RACE)",
  score: "Score a predictions file with the official metric",
  train: "Fine-tune a model on a task on WebGPU",
  models: "List the model zoo with exact parameter counts",
  tasks: "List the tasks with metrics, splits and sizes found",
  report: "Generate LEADERBOARD.md and report.html from run records",
  gate: "Compare run records with baselines (CI regression gate)",
  merge: "Join the shard records of a split eval or bench run",
};

const MAIN_HELP = `Usage: deno task harness <command> [flags]

Commands:
${Object.entries(COMMANDS).map(([name, summary]) => `  ${name.padEnd(8)}${summary}`).join("\n")}

Run "deno task harness <command> --help" for a command's flags, and
"deno task harness --version" for the versions a run record would carry.
"deno task bench" is "deno task harness bench".
Set HARNESS_DEBUG=1 to print stack traces of errors.`;

const MODELS_HELP = `Usage: deno task harness models [--json] [--all]

List the model zoo: layers L, hidden size H, embedding size E, FFN size I,
heads, ALBERT groups and sharing, PAL adapters, exact parameter counts of the
bare encoder with pooler, and the papers' rounded figures.

Flags:
  --json    Print a JSON array instead of a table
  --all     Include the tiny test models
  -h, --help`;

function benchHelp(): string {
  const suites = benchSuites().map((s) => `  ${s.name.padEnd(9)}${s.note}`).join("\n");
  const peers = Object.keys(PEERS).join(", ");
  return `Usage: deno task bench [flags]

Flags:
  --suite NAME     Suite to run (default "${DEFAULT_SUITE}")
  --models A,B     Zoo models to run instead of the suite's
  --batch N        Batch size instead of the suite's
  --seq-len N      Sequence length instead of the suite's
  --warmup N       Untimed repetitions before timing (default 2)
  --runs N         Timed repetitions, each recorded, reported as median (min–max) (default 5;
                   --reps is the same flag)
  --train          Time training steps (forward + backward + AdamW) instead of inference;
                   tokens/s and the speed-up over bert-large-uncased in the same run
  --shard i/n      Measure only shard i of n (1-based) of the models or shapes; every shard
                   also times the speed-up reference. "harness merge" joins the shard records
  --force          Measure again even when this work's run record exists (it is reused otherwise;
                   an interrupted run resumes at the first unfinished model or shape)
  --peers A,B      Also time peer engines on the same batch (or GEMM shape) in the same
                   run, each with its seq/s (GFLOP/s) and WebGPU/peer ratio (not with
                   --train); known: ${peers}
  --out DIR        Directory for the run record (default "results/runs")
  --profile        Also profile each model's forward pass on WebGPU: compute dispatches and
                   command-buffer submits per pass, and per-kernel GPU time from timestamp
                   queries when the adapter has them (one compute pass per dispatch, so for
                   attribution, not throughput); in the record as "profile"
  --dtype f32|f16  Storage precision of the WebGPU engine (default f32). f16 stores weights
                   and activations in half precision and computes in f32; with --train,
                   mixed-precision training (f16 activations, f32 master weights, loss
                   scaling). It needs the adapter's shader-f16 feature. ORT and the peers
                   always run f32
  --json           Print the run record as JSON; no table, no progress bar
  -h, --help

Suites:
${suites}`;
}

/** One row of `models`: the table's columns, with exact numbers for `--json`. */
export interface ModelRow {
  name: string;
  family: ZooEntry["family"];
  modelType: ModelConfig["modelType"];
  layers: number;
  hiddenSize: number;
  embeddingSize: number;
  intermediateSize: number;
  heads: number;
  /** `numHiddenGroups×innerGroupNum`, or `"—"` for BERT. */
  groups: string;
  /** Cross-layer sharing, `"not-shared"` with one group per layer, `"—"` for BERT. */
  sharing: string;
  /** e.g. `"pals d=204 ×8"`, or null without adapters. */
  adapter: string | null;
  /** The PALs paper's parameter multiplier over the bare encoder, or null. */
  multiplier: number | null;
  /** Exact parameters of the encoder with pooler (and adapters), no head. */
  params: number;
  /** The paper's rounded figure, or null. */
  paper: string | null;
}

/** Describe a config's adapter, e.g. `"pals d=204 ×8"`; null when it has none. */
export function describeAdapter(config: ModelConfig): string | null {
  const a = config.adapter;
  if (!a) return null;
  const where = a.kind === "top-projected"
    ? ` top ${a.numTopLayers} layers`
    : a.layers === "top-half"
    ? " top-half"
    : "";
  return `${a.kind} d=${a.hiddenSizeAug} ×${a.numTasks}${where}`;
}

/** The `models` rows of zoo entries. */
export function modelRows(entries: ZooEntry[]): ModelRow[] {
  return entries.map(({ name, family, config: c, paperParams }) => {
    const albert = c.modelType === "albert";
    const notShared = c.numHiddenGroups === c.numHiddenLayers;
    return {
      name,
      family,
      modelType: c.modelType,
      layers: c.numHiddenLayers,
      hiddenSize: c.hiddenSize,
      embeddingSize: c.embeddingSize,
      intermediateSize: c.intermediateSize,
      heads: c.numAttentionHeads,
      groups: albert ? `${c.numHiddenGroups}×${c.innerGroupNum}` : MISSING,
      sharing: !albert ? MISSING : notShared ? "not-shared" : c.crossLayerSharing,
      adapter: describeAdapter(c),
      multiplier: c.adapter ? parameterMultiplier(c) : null,
      params: countEncoderParameters(c),
      paper: paperParams ?? null,
    };
  });
}

function modelsCommand(args: string[]): number {
  const flags = parseFlags("models", args, {
    json: { type: "boolean" },
    all: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(MODELS_HELP);
    return 0;
  }
  const rows = modelRows(zoo().filter((e) => flags.all || e.family !== "tiny"));
  if (flags.json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  const head = ["name", "L", "H", "E", "I", "heads", "groups", "sharing", "adapter", "parameters"];
  const table = new Table({
    head: [...head, "paper"],
    colAligns: ["left", "right", "right", "right", "right", "right", "right", "left", "left"]
      .concat(["right", "right"]) as ("left" | "right")[],
    // One line per model, a rule under the header only.
    style: { head: [], border: [], compact: true },
  });
  for (const r of rows) {
    const adapter = r.adapter ? `${r.adapter} (${formatMultiplier(r.multiplier!)})` : MISSING;
    table.push([
      r.name,
      r.layers,
      r.hiddenSize,
      r.embeddingSize,
      r.intermediateSize,
      r.heads,
      r.groups,
      r.sharing,
      adapter,
      formatCount(r.params),
      r.paper ?? MISSING,
    ].map(String));
  }
  console.log(table.toString());
  return 0;
}

async function benchCommand(args: string[]): Promise<number> {
  const flags = parseFlags("bench", args, {
    suite: { type: "string" },
    models: { type: "string" },
    batch: { type: "string" },
    "seq-len": { type: "string" },
    warmup: { type: "string" },
    reps: { type: "string" },
    runs: { type: "string" },
    shard: { type: "string" },
    force: { type: "boolean" },
    out: { type: "string" },
    peers: { type: "string" },
    train: { type: "boolean" },
    profile: { type: "boolean" },
    dtype: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(benchHelp());
    return 0;
  }
  const suite = flags.suite ?? DEFAULT_SUITE;
  let isGemm: boolean;
  try {
    isGemm = benchSuite(suite).gemm !== undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let models: string[] | undefined;
  if (flags.models !== undefined) {
    models = flags.models.split(",").map((m) => m.trim()).filter((m) => m.length > 0);
    if (models.length === 0) throw new UsageError(`Flag "--models" lists no model`);
  }
  const options: BenchOptions = {
    suite,
    models,
    batch: integerFlag("batch", flags.batch, 1),
    seqLen: integerFlag("seq-len", flags["seq-len"], 1),
    json: flags.json ?? false,
    outDir: outputDirFlag("out", flags.out) ?? DEFAULT_RECORDS_DIR,
    warmup: integerFlag("warmup", flags.warmup, 0) ?? 2,
    reps: integerFlag(...aliasedFlag(flags, "runs", "reps"), 1) ?? 5,
    train: flags.train ?? false,
    force: flags.force ?? false,
    shard: shardFlag(flags.shard),
    peers: flags.peers === undefined ? undefined : peersFlag(flags.peers),
    profile: flags.profile ?? false,
    dtype: dtypeFlag(flags.dtype),
  };
  if (options.profile && (options.train || isGemm)) {
    throw new UsageError(`Flag "--profile" profiles inference forward passes, not --train or GEMM`);
  }
  if (isGemm) {
    // The GEMM suite times its own fixed shapes: model and shape flags would be silently ignored.
    const ignored = ["models", "batch", "seq-len", "train"].filter((name) =>
      flags[name as keyof typeof flags] !== undefined
    );
    if (ignored.length > 0) {
      throw new UsageError(
        `The gemm suite times fixed matrix shapes; ${
          ignored.map((n) => `--${n}`).join(", ")
        } do not apply to it`,
      );
    }
  }
  if (options.peers && options.train) {
    throw new UsageError(`Flag "--peers" times inference (forward passes or GEMMs), not --train`);
  }
  if (!isGemm) await checkBenchShape(options);
  // Loaded on demand: the engines pull in ONNX Runtime and WebGPU, which `models` never needs.
  const { runBench } = await import("./benchmarks/run.ts");
  const stopCatching = exitOnInterrupt(
    "the models or shapes finished so far are saved; run the same command again to resume from them",
  );
  try {
    return await runBench(options);
  } finally {
    stopCatching();
  }
}

/**
 * Read every model's config before any work starts, so an unknown model, a
 * broken config.json or a sequence longer than a model's position table stops
 * the run at once, not after earlier models were measured.
 */
async function checkBenchShape(options: BenchOptions): Promise<void> {
  const suite = benchSuite(options.suite);
  const seqLen = options.seqLen ?? suite.seqLen;
  for (const name of options.models ?? suite.models) {
    const config = await modelConfigFlag(name);
    if (seqLen > config.maxPositionEmbeddings) {
      const what = options.seqLen === undefined
        ? `Suite "${suite.name}" runs sequence length ${seqLen}`
        : `Flag "--seq-len" is ${seqLen}`;
      throw new UsageError(
        `${what}, longer than model "${name}" allows ` +
          `(max_position_embeddings ${config.maxPositionEmbeddings})` +
          (options.seqLen === undefined ? "; pass --seq-len N" : ""),
      );
    }
  }
}

function peersFlag(value: string) {
  try {
    return parsePeers(value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Run the command line on `args` (without the program name); returns the exit code. */
/** The harness version, its code state (the commit, "+changes" when edited) and the runtime's. */
async function versionText(): Promise<string> {
  const { codeState } = await import("./runtime/fingerprint.ts");
  const project = JSON.parse(await Deno.readTextFile(new URL("./deno.json", import.meta.url)));
  const code = await codeState();
  const commit = code.commit === "unknown"
    ? "no git checkout"
    : `commit ${code.commit.slice(0, 12)}`;
  return [
    `${project.name} ${project.version} (${commit}${code.changes ? " with local changes" : ""})`,
    `deno ${Deno.version.deno}, v8 ${Deno.version.v8}, typescript ${Deno.version.typescript}`,
  ].join("\n");
}

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) {
    console.error(MAIN_HELP);
    return 2;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    console.log(MAIN_HELP);
    return 0;
  }
  if (command === "--version" || command === "-V") {
    console.log(await versionText());
    return 0;
  }
  if (command.startsWith("-")) {
    throw new UsageError(`Unknown flag "${command}": expected a command first (see --help)`);
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(
      `Unknown command "${command}": known commands are ${Object.keys(COMMANDS).join(", ")}`,
    );
  }
  switch (command) {
    case "models":
      return modelsCommand(rest);
    case "bench":
      return await benchCommand(rest);
    // Loaded on demand: tasks pull in tokenizers and data code that other commands never need.
    case "eval":
      return await (await import("./cli/eval.ts")).evalCommand(rest);
    case "score":
      return await (await import("./cli/score.ts")).scoreCommand(rest);
    case "train":
      return await (await import("./cli/train.ts")).trainCommand(rest);
    case "gate":
      return await (await import("./cli/gate.ts")).gateCommand(rest);
    case "merge":
      return await (await import("./cli/merge.ts")).mergeCommand(rest);
    case "report":
      return await (await import("./cli/report.ts")).reportCommand(rest);
    default:
      return await (await import("./cli/tasks.ts")).tasksCommand(rest);
  }
}

if (import.meta.main) await exitWith(() => main(Deno.args));
