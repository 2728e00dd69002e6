/**
 * The `bench` command: times a suite's models on the WebGPU engine and on
 * ONNX Runtime (CPU) side by side in one run, or its GEMM shapes, prints a
 * paper-style table and writes one run record under `results/`.
 *
 * Speed-up is each model's WebGPU throughput over BERT-large's, measured in
 * the same run (ALBERT Table 2's column); it is absent when the reference
 * model is not part of the run.
 */
import { createOnnxBackend } from "../backends/onnx/engine.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { countEncoderParameters } from "../models/params.ts";
import { resolveModel } from "../models/resolve.ts";
import { acquireGpu, type Gpu } from "../runtime/device.ts";
import { type Fingerprint, fingerprint } from "../runtime/fingerprint.ts";
import { createProgress } from "../runtime/progress.ts";
import { writeRecord } from "../runtime/records.ts";
import { gemmBenchmark } from "./gemm.ts";
import { benchSuite, SPEEDUP_REFERENCE } from "./suites.ts";
import { printGemmTable, printModelTable, printTrainTable } from "./table.ts";
import { measureTrainThroughput, type TrainThroughput } from "./train_throughput.ts";
import { measureThroughput, type Spread, syntheticBatch, type Throughput } from "./throughput.ts";

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
}

/** One model's row of a training-throughput record. */
export interface ModelTrainBench {
  name: string;
  params: number;
  batch: number;
  seqLen: number;
  /** WebGPU training tokens/s. */
  tokensPerSecond: Spread;
  /** Training throughput relative to BERT-large's in this run (ALBERT Table 2). */
  speedup: number | null;
  details: TrainThroughput;
  fingerprint: Fingerprint;
}

/** One model's row of the bench record. */
export interface ModelBench {
  name: string;
  params: number;
  batch: number;
  seqLen: number;
  /** WebGPU sequences/s. */
  webgpu: Spread;
  /** ONNX Runtime (CPU) sequences/s. */
  ort: Spread;
  /** WebGPU throughput relative to BERT-large's in this run (ALBERT Table 2). */
  speedup: number | null;
  /** Median WebGPU / ORT throughput. */
  webgpuOverOrt: number;
  details: { webgpu: Throughput; ort: Throughput };
  fingerprint: Fingerprint;
}

/** Run a benchmark suite and return the process exit code. */
export async function runBench(options: BenchOptions): Promise<number> {
  const suite = benchSuite(options.suite);
  const gpu = await acquireGpu();
  try {
    const environment = {
      adapter: { description: gpu.description, vendor: gpu.vendor, features: gpu.features },
      deno: Deno.version,
    };
    let record: Record<string, unknown>;
    if (suite.gemm) {
      const progress = createProgress({
        label: "gemm",
        total: suite.gemm.length,
        unit: "shape",
        silent: options.json,
      });
      const gemm = await gemmBenchmark({
        shapes: suite.gemm,
        reps: options.reps,
        warmup: options.warmup,
        gpu,
        onProgress: (done) => progress.update(done),
      }).finally(() => progress.stop());
      record = { kind: "bench", suite: suite.name, note: suite.note, ...environment, gemm };
      if (!options.json) printGemmTable(gemm, gpu.description);
    } else if (options.train) {
      const shape = { batch: options.batch ?? suite.batch, seqLen: options.seqLen ?? suite.seqLen };
      const models = await benchTraining(gpu, suite.models, { ...options, ...shape });
      const reduced = options.batch === undefined && options.seqLen === undefined &&
        !suite.gpuSized;
      record = {
        kind: "bench",
        mode: "train",
        suite: suite.name,
        note: suite.note,
        shapes: reduced ? "reduced shapes for a CPU adapter (see note)" : "as requested",
        speedupReference: SPEEDUP_REFERENCE,
        warmup: options.warmup,
        reps: options.reps,
        ...environment,
        models,
      };
      if (!options.json) {
        printTrainTable(models, {
          note: reduced ? suite.note : `batch ${shape.batch}, sequence ${shape.seqLen}`,
          adapter: gpu.description,
        });
      }
    } else {
      const models = await benchModels(gpu, suite.models, {
        ...options,
        batch: options.batch ?? suite.batch,
        seqLen: options.seqLen ?? suite.seqLen,
      });
      const reduced = options.batch === undefined && options.seqLen === undefined &&
        !suite.gpuSized;
      record = {
        kind: "bench",
        suite: suite.name,
        note: suite.note,
        shapes: reduced ? "reduced shapes for a CPU adapter (see note)" : "as requested",
        speedupReference: SPEEDUP_REFERENCE,
        warmup: options.warmup,
        reps: options.reps,
        ...environment,
        models,
      };
      const note = reduced
        ? suite.note
        : `Suite "${suite.name}" at the requested shape (batch ${models[0]?.batch}, sequence ${
          models[0]?.seqLen
        })`;
      if (!options.json) printModelTable(models, { note, adapter: gpu.description });
    }
    const path = await writeRecord(record as { kind: string }, { dir: options.outDir });
    if (options.json) console.log(JSON.stringify({ ...record, path }, null, 2));
    else console.error(`Run record: ${path}`);
    return 0;
  } finally {
    gpu.device.destroy();
  }
}

async function benchTraining(
  gpu: Gpu,
  suiteModels: string[],
  options: BenchOptions & { batch: number; seqLen: number },
): Promise<ModelTrainBench[]> {
  const names = options.models ?? suiteModels;
  const { batch, seqLen, warmup, reps } = options;
  const progress = createProgress({
    label: `bench --train b${batch} s${seqLen}`,
    total: names.length * (warmup + reps),
    unit: "step",
    silent: options.json,
  });
  const rows: ModelTrainBench[] = [];
  try {
    for (const name of names) {
      const model = await resolveModel(name, { seed: options.seed ?? 0 });
      const details = await measureTrainThroughput(gpu, model, {
        batch,
        seqLen,
        warmup,
        reps,
        onStep: () => progress.increment(),
      });
      rows.push({
        name,
        params: countEncoderParameters(model.config),
        batch,
        seqLen,
        tokensPerSecond: details.tokensPerSecond,
        speedup: null,
        details,
        fingerprint: await fingerprint({
          config: model.config,
          weights: model.weights,
          seed: options.seed ?? 0,
        }),
      });
    }
  } finally {
    progress.stop();
  }
  return withSpeedups(rows, (row) => row.tokensPerSecond.median);
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

async function benchModels(
  gpu: Gpu,
  suiteModels: string[],
  options: BenchOptions & { batch: number; seqLen: number },
): Promise<ModelBench[]> {
  const names = options.models ?? suiteModels;
  const { batch, seqLen, warmup, reps } = options;
  const progress = createProgress({
    label: `bench b${batch} s${seqLen}`,
    total: names.length * 2 * (warmup + reps),
    unit: "pass",
    silent: options.json,
  });
  const rows: ModelBench[] = [];
  try {
    for (const name of names) {
      const model = await resolveModel(name, { seed: options.seed ?? 0 });
      const input = syntheticBatch(model.config, { batch, seqLen, seed: options.seed });
      const timing = { warmup, reps, onStep: () => progress.increment() };
      const webgpuBackend = await createWebGpuBackend(model, { gpu, timestamps: true });
      const webgpu = await measureThroughput(webgpuBackend, input, timing)
        .finally(() => webgpuBackend.dispose());
      const ortBackend = createOnnxBackend(model);
      const ort = await measureThroughput(ortBackend, input, timing)
        .finally(() => ortBackend.dispose());
      rows.push({
        name,
        params: countEncoderParameters(model.config),
        batch,
        seqLen,
        webgpu: webgpu.sequencesPerSecond,
        ort: ort.sequencesPerSecond,
        speedup: null,
        webgpuOverOrt: webgpu.sequencesPerSecond.median / ort.sequencesPerSecond.median,
        details: { webgpu, ort },
        fingerprint: await fingerprint({
          config: model.config,
          weights: model.weights,
          backend: webgpuBackend.info,
          seed: options.seed ?? 0,
        }),
      });
    }
  } finally {
    progress.stop();
  }
  return withSpeedups(rows, (row) => row.webgpu.median);
}
