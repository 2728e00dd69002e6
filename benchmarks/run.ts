/**
 * The `bench` command: times a suite's models on the WebGPU engine and on
 * ONNX Runtime (CPU) side by side in one run, or its GEMM shapes, prints a
 * paper-style table and writes one run record under `results/`.
 *
 * Speed-up is each model's WebGPU throughput over BERT-large's, measured in
 * the same run (ALBERT Table 2's column); it is absent when the reference
 * model is not part of the run.
 *
 * A run is a list of units (models or GEMM shapes). Each finished unit is kept
 * in a partial file beside the records, so an interrupted run resumes where it
 * stopped; a finished run with the same work key is reused unless `force`.
 * `--shard i/n` measures every n-th unit, and the speed-up reference in every
 * shard so that each shard's speed-ups are still same-run ratios.
 */
import { join } from "node:path";
import { statOrUndefined } from "../runtime/files.ts";
import { acquireGpu, type Gpu } from "../runtime/device.ts";
import type { Dtype } from "../runtime/kernel.ts";
import {
  canonicalJson,
  codeState,
  filesSha256,
  packageVersions,
  sha256,
} from "../runtime/fingerprint.ts";
import { createProgress } from "../runtime/progress.ts";
import { findRecord, type RunRecord, type Shard, writeRecord } from "../runtime/records.ts";
import { inShard, shardLabel, shardSuffix } from "../runtime/shard.ts";
import { UnitStore } from "../runtime/unit_store.ts";
import type { GemmResult } from "./gemm.ts";
import {
  measureGemm,
  measureModel,
  measureTrainModel,
  type ModelBench,
  type ModelTrainBench,
  profilePasses,
} from "./measure.ts";
import type { PeerName } from "./peers.ts";
import { type BenchSuite, benchSuite, gemmUnit, SPEEDUP_REFERENCE } from "./suites.ts";
import { printGemmTable, printModelTable, printTrainTable } from "./table.ts";
import { printProfile } from "./profile.ts";

/** What `deno task bench` was asked to do, parsed from its flags. */
export interface BenchOptions {
  /** Suite name (see `benchmarks/suites.ts`). */
  suite: string;
  /** Zoo model names (or checkpoint directories) replacing the suite's list. */
  models?: string[];
  /** Batch size replacing the suite's. */
  batch?: number;
  /** Sequence length replacing the suite's. */
  seqLen?: number;
  /** Print the run record as JSON on stdout, no table and no progress bar. */
  json: boolean;
  /** Directory for the run record. */
  outDir: string;
  /** Untimed repetitions before timing. */
  warmup: number;
  /** Timed repetitions; figures are the median over these. */
  reps: number;
  /** Seed of the random weights and synthetic token ids. */
  seed?: number;
  /** Time training steps (tokens/s of forward + backward + update) instead of inference. */
  train?: boolean;
  /** Redo the work even when a record of it exists. */
  force?: boolean;
  /** Measure only this shard's units. */
  shard?: Shard;
  /** Peer engines timed beside WebGPU and ORT on the same inputs (inference only). */
  peers?: PeerName[];
  /** Also profile each model's forward pass: dispatches, submits, per-kernel GPU time. */
  profile?: boolean;
  /** Storage precision of the WebGPU engine (ONNX Runtime and the peers run f32). Default f32. */
  dtype?: Dtype;
}

/** Run a benchmark suite and return the process exit code. */
export async function runBench(options: BenchOptions): Promise<number> {
  const suite = benchSuite(options.suite);
  const gpu = await acquireGpu();
  try {
    const plan = benchPlan(suite, options);
    // The whole run's work, the same for every shard: `merge` groups shards by it.
    const { units: _units, shard: _shard, ...work } = plan;
    const key = sha256(canonicalJson({
      ...work,
      warmup: options.warmup,
      reps: options.reps,
      seed: options.seed ?? 0,
      ...(options.profile ? { profile: true } : {}),
      ...await modelFilesKey(plan.allUnits),
      adapter: gpu.description,
      features: gpu.features,
      deno: Deno.version,
      packages: await packageVersions(new URL("../deno.json", import.meta.url)),
      code: await codeState(),
    }));
    const reused = options.force ? undefined : await findRecord(options.outDir, "bench", key, {
      shard: options.shard,
    });
    let record: RunRecord;
    let path: string;
    if (reused) {
      ({ record, path } = reused);
    } else {
      await Deno.mkdir(options.outDir, { recursive: true });
      const shardName = shardSuffix(options.shard);
      const store = await UnitStore.open(
        join(options.outDir, `.bench-${key.slice(0, 16)}${shardName}.partial.jsonl`),
        key,
      );
      const measured = await measurePlan(gpu, suite, plan, options, store).catch(async (error) => {
        // Nothing finished: no partial file to resume from should be left behind.
        if (store.finished.size === 0) await store.remove();
        throw error;
      });
      record = {
        ...measured,
        workKey: key,
        shard: options.shard,
        allUnits: options.shard ? plan.allUnits : undefined,
      };
      path = await writeRecord(record, { dir: options.outDir });
      await store.remove();
    }
    if (options.json) console.log(JSON.stringify({ ...record, path, reused: !!reused }, null, 2));
    else {
      printBenchRecord(record, suite);
      console.error(`${reused ? "Reused run record (--force redoes it)" : "Run record"}: ${path}`);
    }
    return 0;
  } finally {
    gpu.device.destroy();
  }
}

/**
 * The content hash of each unit that names files (a checkpoint directory or a
 * config file) rather than a zoo model, so a retrained or edited model is new
 * work; zoo models are code, which the key covers already.
 */
async function modelFilesKey(units: readonly string[]): Promise<{ modelFiles?: object }> {
  const files: Record<string, string | undefined> = {};
  for (const unit of units) {
    const info = await statOrUndefined(unit);
    if (info?.isFile) files[unit] = await filesSha256([unit]);
    else if (info?.isDirectory) {
      const names: string[] = [];
      for await (const e of Deno.readDir(unit)) if (e.isFile) names.push(join(unit, e.name));
      files[unit] = await filesSha256(names.sort());
    }
  }
  return Object.keys(files).length > 0 ? { modelFiles: files } : {};
}

/** What a bench run measures: its mode, shape and units, the shard's share only. */
interface BenchPlan {
  suite: string;
  mode: "gemm" | "train" | "inference";
  batch: number;
  seqLen: number;
  /** Model names, or GEMM shapes as `MxNxK`, in run order: this shard's. */
  units: string[];
  /** Every shard's units, in run order. */
  allUnits: string[];
  shard?: Shard;
  /** Peer engines (inference only); absent without peers, so older work keys still match. */
  peers?: PeerName[];
  /** Present only for f16, so f32 work keys match records made before `--dtype`. */
  dtype?: "f16";
}

function benchPlan(suite: BenchSuite, options: BenchOptions): BenchPlan {
  const mode = suite.gemm ? "gemm" : options.train ? "train" : "inference";
  const all = suite.gemm ? suite.gemm.map(gemmUnit) : options.models ?? suite.models;
  // Every shard also times the speed-up reference, so its speed-ups are same-run ratios.
  const units = all.filter((unit, j) => inShard(j, options.shard) || unit === SPEEDUP_REFERENCE);
  return {
    suite: suite.name,
    mode,
    batch: options.batch ?? suite.batch,
    seqLen: options.seqLen ?? suite.seqLen,
    units,
    allUnits: all,
    shard: options.shard,
    ...(mode !== "train" && options.peers?.length ? { peers: options.peers } : {}),
    ...(options.dtype === "f16" ? { dtype: "f16" as const } : {}),
  };
}

/** Measure each unit of the plan not already in `store`, and build the run record. */
async function measurePlan(
  gpu: Gpu,
  suite: BenchSuite,
  plan: BenchPlan,
  options: BenchOptions,
  store: UnitStore<unknown>,
): Promise<RunRecord> {
  const environment = {
    adapter: { description: gpu.description, vendor: gpu.vendor, features: gpu.features },
    deno: Deno.version,
  };
  const { batch, seqLen, units } = plan;
  const reduced = options.batch === undefined && options.seqLen === undefined && !suite.gpuSized;
  const common = {
    suite: suite.name,
    note: suite.note,
    ...(plan.mode === "gemm" ? (plan.peers ? { peers: plan.peers } : {}) : {
      shapes: reduced ? "reduced shapes for a CPU adapter (see note)" : "as requested",
      speedupReference: SPEEDUP_REFERENCE,
      warmup: options.warmup,
      reps: options.reps,
      ...(plan.peers ? { peers: plan.peers } : {}),
    }),
    ...(plan.dtype ? { dtype: plan.dtype } : {}),
    reusedUnits: units.filter((u) => store.finished.has(u)),
    ...environment,
  };
  const perUnit = plan.mode === "gemm"
    ? 1
    : (plan.mode === "train" ? 1 : 2 + (plan.peers?.length ?? 0)) *
        (options.warmup + options.reps) +
      (plan.mode === "inference" && options.profile ? profilePasses(options) : 0);
  const progress = createProgress({
    label: plan.mode === "gemm"
      ? `gemm${plan.dtype ? ` ${plan.dtype}` : ""}`
      : `bench${plan.dtype ? ` ${plan.dtype}` : ""}${
        plan.mode === "train" ? " --train" : ""
      } b${batch} s${seqLen}${plan.shard ? ` shard ${shardLabel(plan.shard)}` : ""}`,
    total: units.length * perUnit,
    // Units resumed from an earlier run count as done but not into the rate.
    initial: units.filter((u) => store.finished.has(u)).length * perUnit,
    unit: plan.mode === "gemm" ? "shape" : plan.mode === "train" ? "step" : "pass",
    silent: options.json,
  });
  const rows: unknown[] = [];
  try {
    for (const unit of units) {
      let row = store.finished.get(unit);
      if (row === undefined) {
        const measure = plan.mode === "gemm"
          ? measureGemm(gpu, suite, unit, options)
          : plan.mode === "train"
          ? measureTrainModel(gpu, unit, { ...options, batch, seqLen }, () => progress.increment())
          : measureModel(gpu, unit, { ...options, batch, seqLen }, () => progress.increment());
        row = await measure;
        if (plan.mode === "gemm") progress.increment();
        await store.add(unit, row);
      }
      rows.push(row);
    }
  } finally {
    progress.stop();
  }
  if (plan.mode === "gemm") return { kind: "bench", ...common, gemm: rows as GemmResult[] };
  if (plan.mode === "train") {
    const models = withSpeedups(rows as ModelTrainBench[], (r) => r.tokensPerSecond.median);
    return { kind: "bench", mode: "train", ...common, models };
  }
  return {
    kind: "bench",
    ...common,
    models: withSpeedups(rows as ModelBench[], (r) => r.webgpu.median),
  };
}

/** Print the table of a bench record (fresh or reused). */
function printBenchRecord(record: RunRecord, suite: BenchSuite): void {
  const adapter = (record.adapter as { description: string }).description;
  const dtype = record.dtype as string | undefined;
  if (record.gemm) return printGemmTable(record.gemm as GemmResult[], adapter, dtype);
  const models = record.models as (ModelBench | ModelTrainBench)[];
  if (models.length === 0) return console.log("No model in this shard.");
  const reduced = record.shapes !== "as requested";
  if (record.mode === "train") {
    const first = models[0];
    printTrainTable(models as ModelTrainBench[], {
      note: reduced ? suite.note : `batch ${first?.batch}, sequence ${first?.seqLen}`,
      adapter,
      dtype,
    });
    return;
  }
  const note = reduced
    ? suite.note
    : `Suite "${suite.name}" at the requested shape (batch ${models[0]?.batch}, sequence ${
      models[0]?.seqLen
    })`;
  printModelTable(models as ModelBench[], {
    note,
    adapter,
    peers: (record.peers as string[] | undefined) ?? [],
    dtype,
  });
  for (const row of models as ModelBench[]) {
    if (row.profile) printProfile({ ...row, profile: row.profile }, adapter);
  }
}

/** Set each row's speed-up over the reference model's `throughput` (null when it did not run). */
function withSpeedups<T extends { name: string; speedup: number | null }>(
  rows: T[],
  throughput: (row: T) => number,
): T[] {
  const reference = rows.find((r) => r.name === SPEEDUP_REFERENCE);
  for (const row of rows) row.speedup = reference ? throughput(row) / throughput(reference) : null;
  return rows;
}
