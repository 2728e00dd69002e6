/**
 * The `eval` command: run a model on a task end to end. Loads the model and
 * its tokenizer, checks the head, builds the task's rows, runs them through
 * the chosen backend (resumable), turns the logits into predictions and
 * metrics, and writes the predictions file `score` reads, `metrics.json`, an
 * optional per-example log and a run record, every file atomically.
 *
 * The run's work key hashes everything that decides the logits (model, rows,
 * backend, code); a finished run with the same key is reused unless `force`.
 * A shard (`--shard i/n`) runs every n-th batch and keeps its logits beside
 * its record; `merge` hands the shards' batches back here as `merged`, and the
 * run finishes exactly as an unsharded one would, with no batch recomputed.
 */
import type { Dtype } from "../runtime/kernel.ts";
import { basename, dirname, join } from "node:path";
import type { Backend } from "../backends/backend.ts";
import { createOnnxBackend } from "../backends/onnx/engine.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { checkpointDir, resolveModel } from "../models/resolve.ts";
import type { Gpu } from "../runtime/device.ts";
import { bootstrapInterval, type Interval } from "../runtime/bootstrap.ts";
import {
  canonicalJson,
  codeState,
  type Fingerprint,
  fingerprint,
  sha256,
  textsSha256,
} from "../runtime/fingerprint.ts";
import { pathSlug, removeIfPresent, writeAtomic } from "../runtime/files.ts";
import {
  DEFAULT_RECORDS_DIR,
  evalMethodParts,
  findRecord,
  newRecordPath,
  type Shard,
  writeRecord,
} from "../runtime/records.ts";
import { inShard, shardSuffix } from "../runtime/shard.ts";
import { taskEntry } from "../tasks/registry.ts";
import type { Metrics, Split } from "../tasks/task.ts";
import { tokenizerFor } from "../tokenizers/load.ts";
import { planBatches } from "./batches.ts";
import { fitHead } from "./head.ts";
import { resultFiles, reusedOutcome } from "./eval_record.ts";
import { ResumeStore } from "./resume.ts";
import { type GivenBatch, runRows } from "./runner.ts";

/** What `eval` was asked to do. */
export interface EvalOptions {
  /** Zoo name, checkpoint directory or config.json. */
  model: string;
  /** Registered task name (`glue/sst2`, `squad/v2.0`, `race`; see `taskNames`). */
  task: string;
  /** Split to run; must be one the task defines. */
  split: Split;
  /** Data directory holding glue/, squad/, race/ (and vocab/ for zoo models). */
  data: string;
  /** Run the first N examples only (a positive integer); part of the default `out`. */
  limit?: number;
  /** Engine: this harness's WebGPU kernels, or the ONNX Runtime reference (always f32). */
  backend: "webgpu" | "onnx";
  /** Storage precision of the WebGPU backend (default f32; ONNX Runtime is always f32). */
  dtype?: Dtype;
  /** Model rows per batch (CLI default 32); RACE's 4 rows of a question share a batch. */
  batchSize: number;
  /** Output directory; defaults to `results/runs/eval/<model>/<task>-<split>`. */
  out?: string;
  /** JSONL file with one line per example. */
  logSamples?: string;
  /** Seed of a random head when the checkpoint lacks the task's head. */
  initHead?: number;
  /** Seed of the weights of a zoo name or bare config. */
  seed: number;
  /** Which task of a multi-task (PAL) model to use. */
  taskIndex?: number;
  /** Tokenizer directory or file; defaults to the checkpoint's, then the data dir's vocab/. */
  tokenizer?: string;
  /** Longest model row in tokens; default the family's (GLUE 128, SQuAD 384, RACE 512). */
  maxSeqLength?: number;
  /** No progress bar (the command's `--json` mode). */
  silent: boolean;
  /** A WebGPU device to share (tests, several runs in one process); else one is acquired. */
  gpu?: Gpu;
  /** Run again even when a record of this work exists. */
  force?: boolean;
  /** Directory of the run records (default `results/runs`). */
  recordsDir?: string;
  /** Run only this shard's batches and record their logits for `merge`. */
  shard?: Shard;
  /**
   * Every batch's logits, from the shards `merge` joins; nothing is recomputed.
   * @internal
   */
  merged?: {
    /** Each batch's logits and the shard file line they were read from. */
    batches: Map<number, GivenBatch>;
    from: string[];
    /** The shards' fingerprint: their model and data must be this run's. */
    fingerprint?: Fingerprint;
  };
}

/** The flags of an eval run that decide its work: what a shard records so `merge` can finish it. */
export type EvalRequest = Omit<EvalOptions, "silent" | "gpu" | "force" | "shard" | "merged">;

/** What an evaluation wrote and measured. */
export interface EvalOutcome {
  /** Registered name of the task run. */
  task: string;
  /** Split run. */
  split: Split;
  /** Examples evaluated, after `limit` (SQuAD and RACE: questions). */
  examples: number;
  /** The task's official metrics (×100); absent for an unlabelled split and for a shard. */
  metrics?: Metrics;
  /** 95% bootstrap interval of each metric over the examples. */
  metricsCi?: Record<string, Interval>;
  /** Directory holding the predictions and `metrics.json`. */
  outDir: string;
  /** The predictions file `score` reads; `""` for a shard. */
  predictionsPath: string;
  /** SQuAD v2.0's no-answer probabilities file (`na_probs.json`), when written. */
  naProbsPath?: string;
  /** The run record (JSON) written under `recordsDir`. */
  recordPath: string;
  /** Wall-clock seconds of the whole run, loading included (a reused run's, as recorded). */
  seconds: number;
  /** True when an earlier run's record and files were reused instead of running again. */
  reused: boolean;
  /** Set for one shard: its logits file (no predictions until `merge`). */
  shard?: Shard & { logitsPath: string };
}

/** Run one evaluation and write its files. */
export async function runEval(options: EvalOptions): Promise<EvalOutcome> {
  const started = performance.now();
  const entry = taskEntry(options.task);
  if (!entry.splits.includes(options.split)) {
    throw new Error(
      `${entry.name} has no ${options.split} split (it has ${entry.splits.join(", ")})`,
    );
  }
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    throw new Error(`--limit must be a positive integer, got ${options.limit}`);
  }
  const loaded = await resolveModel(options.model, { seed: options.seed });
  const { model, task, initialisedHead } = fitHead(loaded, entry.head, {
    initHeadSeed: options.initHead,
    taskIndex: options.taskIndex,
    taskName: entry.name,
    source: options.model,
  });
  const dir = await checkpointDir(options.model);
  const tokenizer = await tokenizerFor(options, dir, model.config);
  const prepared = await entry.prepare({
    root: options.data,
    split: options.split,
    tokenizer,
    limit: options.limit,
    maxSeqLength: options.maxSeqLength,
  });
  const maxPositions = model.config.maxPositionEmbeddings;
  // A loop, not Math.max(...rows): a spread of 350k rows (RACE train) overflows the stack.
  let longest = 0;
  for (const row of prepared.rows) longest = Math.max(longest, row.inputIds.length);
  if (longest > maxPositions) {
    throw new Error(
      `${entry.name} rows reach ${longest} tokens but ${options.model} has only ` +
        `${maxPositions} positions (max_position_embeddings); pass --max-seq-length ${maxPositions}`,
    );
  }

  if (options.logSamples) {
    // Created now, like --out, so an unusable path fails before any batch runs.
    const parent = dirname(options.logSamples);
    try {
      await Deno.mkdir(parent, { recursive: true });
    } catch (error) {
      throw new Error(
        `--log-samples ${options.logSamples}: cannot create directory ${parent} (${
          (error as Error).message
        })`,
      );
    }
  }
  // The default folder names whatever changes the predictions, so runs that differ in one
  // of them (another checkpoint called "best", --limit, the backend, f16) never share it.
  // The backend and dtype parts are those the records name the method by (`evalMethodParts`).
  const variant = [
    ...(options.limit !== undefined ? [`limit${options.limit}`] : []),
    ...evalMethodParts({ kind: "eval", backend: options.backend, dtype: options.dtype }),
  ];
  const outDir = options.out ??
    join(
      "results",
      "runs",
      "eval",
      pathSlug(options.model),
      [entry.name.replaceAll("/", "-"), options.split, ...variant].join("-"),
    );
  await Deno.mkdir(outDir, { recursive: true });
  const backend: Backend = options.backend === "onnx"
    ? createOnnxBackend(model)
    : await createWebGpuBackend(model, { gpu: options.gpu, dtype: options.dtype });
  // Asked of git once: the fingerprint's commit and dirty flag come from the code state.
  const code = await codeState();
  const print = await fingerprint({
    code,
    config: model.config,
    weights: model.weights,
    task: entry.name,
    dataFiles: prepared.dataFiles,
    backend: backend.info,
    seed: options.seed,
  });
  if (options.merged?.fingerprint) assertSameInputs(options.merged.fingerprint, print);
  // Everything that decides the logits; a rerun with the same key resumes.
  const key = sha256(canonicalJson({
    configHash: print.configHash,
    weightsHash: print.weightsHash,
    task: entry.name,
    taskIndex: task,
    split: options.split,
    limit: options.limit,
    maxSeqLength: options.maxSeqLength,
    tokenizer: tokenizer.source,
    backend: options.backend,
    // Absent for f32, so keys of runs made before `--dtype` still match.
    ...(backend.info.dtype === "f16" ? { dtype: "f16" } : {}),
    device: backend.info.device,
    batchSize: options.batchSize,
    dataFiles: print.dataFiles,
    // RACE names no data files: the questions read (ids, answers) stand in for them.
    content: prepared.contentDigest ?? null,
    // The rows themselves: changed data, tokenizer or feature code never reuse old logits.
    rows: sha256(canonicalJson({ rows: prepared.rows, groupSize: prepared.groupSize })),
    code,
  }));
  const recordsDir = options.recordsDir ?? DEFAULT_RECORDS_DIR;
  // A per-example log is written only by a run that scores; a reused one would leave none.
  if (!options.force && !options.merged && !options.logSamples) {
    const found = await findRecord(recordsDir, "eval", key, { shard: options.shard });
    const outcome = found && await reusedOutcome(found, outDir);
    if (outcome) {
      backend.dispose();
      return outcome;
    }
  }
  const batchCount = planBatches(prepared.rows, options.batchSize, prepared.groupSize).length;
  const shardName = shardSuffix(options.shard);
  const resume = await ResumeStore.open(join(outDir, `.resume${shardName}.jsonl`), key);
  if (options.merged) {
    const missing = [...Array(batchCount).keys()].filter((b) => !options.merged!.batches.has(b));
    if (missing.length > 0 || options.merged.batches.size !== batchCount) {
      backend.dispose();
      throw new Error(
        `The shards hold ${options.merged.batches.size} of this run's ${batchCount} batches ` +
          `(missing ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""})`,
      );
    }
  }
  let logits: Float32Array[];
  try {
    logits = await runRows(backend, prepared.rows, {
      batchSize: options.batchSize,
      head: entry.head,
      padId: tokenizer.special.pad,
      groupSize: prepared.groupSize,
      task,
      label: `${entry.name} ${options.split}`,
      silent: options.silent,
      resume,
      given: options.merged?.batches,
      batches: (b) => inShard(b, options.shard),
    });
  } finally {
    backend.dispose();
  }
  // What decides the work, for `merge` to finish a shard's run the same way.
  const { silent: _silent, gpu: _gpu, force: _force, shard: _shard, merged: _merged, ...request } =
    options;
  // Fields every record of this run carries, shard or whole.
  const identity = {
    kind: "eval",
    model: options.model,
    task: entry.name,
    split: options.split,
    limit: options.limit ?? null,
    examples: prepared.examples,
    workKey: key,
    request: request satisfies EvalRequest,
    fingerprint: print,
  };
  if (options.shard) {
    // The shard's batches go beside its record; the record is written last, so it never
    // names a logits file that is not there.
    const recordPath = await newRecordPath("eval", recordsDir);
    const logitsPath = recordPath.replace(/\.json$/, ".logits.jsonl");
    await Deno.rename(resume.path, logitsPath);
    const seconds = (performance.now() - started) / 1000;
    await writeRecord({
      ...identity,
      shard: options.shard,
      batches: [...resume.finished.keys()].sort((a, b) => a - b),
      batchCount,
      logits: basename(logitsPath),
      seconds,
    }, { path: recordPath });
    return {
      task: entry.name,
      split: options.split,
      examples: prepared.examples,
      outDir,
      predictionsPath: "",
      recordPath,
      seconds,
      reused: false,
      shard: { ...options.shard, logitsPath },
    };
  }
  const result = prepared.finish(logits);
  // 95% percentile bootstrap over examples (1000 resamples, seed 0): the metrics' sampling noise.
  const metricsCi = result.metrics && result.metricsOf
    ? bootstrapInterval(prepared.examples, result.metricsOf)
    : undefined;
  // The per-example log first: it is the write most likely to fail (a user path), and it
  // fails before any result file of this run replaces an earlier one.
  if (options.logSamples) {
    const lines = result.samples.map((s) => JSON.stringify(s) + "\n").join("");
    await writeAtomic(options.logSamples, lines);
  }
  for (const [name, text] of Object.entries(result.files)) {
    await writeAtomic(join(outDir, name), text);
  }
  const metricsPath = join(outDir, "metrics.json");
  if (result.metrics) {
    await writeAtomic(metricsPath, JSON.stringify(result.metrics, null, 2) + "\n");
  } else {
    await removeIfPresent(metricsPath); // an unlabelled split: no stale metrics beside it
  }
  const seconds = (performance.now() - started) / 1000;
  const predictionsPath = join(outDir, result.predictionsFile);
  const naProbsPath = result.naProbsFile ? join(outDir, result.naProbsFile) : undefined;
  const recordPath = await writeRecord({
    ...identity,
    backend: options.backend,
    dtype: backend.info.dtype ?? "f32",
    batchSize: options.batchSize,
    initialisedHead: initialisedHead ? options.initHead : null,
    metrics: result.metrics ?? null,
    metricsCi: metricsCi ?? null,
    outDir,
    predictions: predictionsPath,
    naProbs: naProbsPath ?? null,
    // What `filesSha256` of the files just written gives, hashed from the text written.
    filesSha256: textsSha256(
      resultFiles(result.predictionsFile, result.naProbsFile).map((name) => result.files[name]),
    ),
    seconds,
    mergedFrom: options.merged?.from,
  }, { dir: recordsDir });
  await resume.remove();
  return {
    task: entry.name,
    split: options.split,
    examples: prepared.examples,
    metrics: result.metrics,
    metricsCi,
    outDir,
    predictionsPath,
    naProbsPath,
    recordPath,
    seconds,
    reused: false,
  };
}

/**
 * Throw unless the shards being merged (`shards`) read the model and data
 * this run reads: the same paths may hold other weights or rows by now.
 */
function assertSameInputs(shards: Fingerprint, current: Fingerprint): void {
  const changed: string[] = [];
  if (shards.configHash !== current.configHash) changed.push("the model config");
  if (shards.weightsHash !== current.weightsHash) changed.push("the weights");
  const hashes = (f: Fingerprint) => canonicalJson(f.dataFiles.map((d) => [d.path, d.sha256]));
  if (hashes(shards) !== hashes(current)) changed.push("the data files");
  if (changed.length > 0) {
    throw new Error(
      `The shards were computed from other inputs than this merge reads: ${
        changed.join(", ")
      } changed since (rerun the shards, or eval without them)`,
    );
  }
}
