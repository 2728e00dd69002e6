/**
 * Measuring one unit of a bench run: a GEMM shape, a model's training steps,
 * or a model's inference on the WebGPU engine, ONNX Runtime and any peers,
 * all on the same synthetic inputs, each given as one row of the record.
 */
import { createOnnxBackend } from "../backends/onnx/engine.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { countEncoderParameters } from "../models/params.ts";
import { resolveModel } from "../models/resolve.ts";
import type { Gpu } from "../runtime/device.ts";
import { type Fingerprint, fingerprint } from "../runtime/fingerprint.ts";
import type { Dtype } from "../runtime/kernel.ts";
import { gemmBenchmark, type GemmResult } from "./gemm.ts";
import { measurePeers, type PeerName } from "./peers.ts";
import { type ForwardProfile, profileModel } from "./profile.ts";
import { type BenchSuite, gemmUnit } from "./suites.ts";
import { measureTrainThroughput, type TrainThroughput } from "./train_throughput.ts";
import { measureThroughput, type Spread, syntheticBatch, type Throughput } from "./throughput.ts";

/** How each unit is measured (the bench options that matter to one unit). */
export interface UnitOptions {
  /** Untimed repetitions before timing. */
  warmup: number;
  /** Timed repetitions; figures are the median over these. */
  reps: number;
  /** Seed of the random weights and synthetic token ids. */
  seed?: number;
  /** Peer engines timed beside WebGPU and ORT on the same inputs (inference only). */
  peers?: PeerName[];
  /** Also profile each model's forward pass. */
  profile?: boolean;
  /** Storage precision of the WebGPU engine. */
  dtype?: Dtype;
}

/** A model unit's shape: batch and sequence length. */
type ModelUnitOptions = UnitOptions & { batch: number; seqLen: number };

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
  /** Each peer's sequences/s by peer name, when peers were asked for. */
  peers?: Record<string, Spread>;
  /** Median WebGPU / peer throughput by peer name. */
  webgpuOverPeers?: Record<string, number>;
  details: { webgpu: Throughput; ort: Throughput; peers?: Record<string, Throughput> };
  /** With `--profile`: dispatches, submits and kernel times per forward pass. */
  profile?: ForwardProfile;
  fingerprint: Fingerprint;
}

/** GFLOP/s of one of the suite's GEMM shapes (`unit` is its `MxNxK`). */
export async function measureGemm(
  gpu: Gpu,
  suite: BenchSuite,
  unit: string,
  options: UnitOptions,
): Promise<GemmResult> {
  const shape = suite.gemm!.find((g) => gemmUnit(g) === unit)!;
  const [result] = await gemmBenchmark({
    shapes: [shape],
    reps: options.reps,
    warmup: options.warmup,
    gpu,
    peers: options.peers,
    dtype: options.dtype,
  });
  return result;
}

/** Training tokens/s of one model. */
export async function measureTrainModel(
  gpu: Gpu,
  name: string,
  options: ModelUnitOptions,
  onStep: () => void,
): Promise<ModelTrainBench> {
  const { batch, seqLen, warmup, reps } = options;
  const model = await resolveModel(name, { seed: options.seed ?? 0 });
  const details = await measureTrainThroughput(gpu, model, {
    batch,
    seqLen,
    warmup,
    reps,
    onStep,
    dtype: options.dtype,
  });
  return {
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
  };
}

/** Inference sequences/s of one model on every engine, same inputs. */
export async function measureModel(
  gpu: Gpu,
  name: string,
  options: ModelUnitOptions,
  onStep: () => void,
): Promise<ModelBench> {
  const { batch, seqLen, warmup, reps } = options;
  const model = await resolveModel(name, { seed: options.seed ?? 0 });
  const input = syntheticBatch(model.config, { batch, seqLen, seed: options.seed });
  const timing = { warmup, reps, onStep };
  const webgpuBackend = await createWebGpuBackend(model, {
    gpu,
    timestamps: true,
    dtype: options.dtype,
  });
  const webgpu = await measureThroughput(webgpuBackend, input, timing)
    .finally(() => webgpuBackend.dispose());
  const ortBackend = createOnnxBackend(model);
  const ort = await measureThroughput(ortBackend, input, timing)
    .finally(() => ortBackend.dispose());
  const peers = await measurePeers(options.peers ?? [], model, input, timing, webgpu);
  const profile = options.profile
    ? await profileModel(gpu, model, input, {
      ...profileShape(options),
      onStep,
      dtype: options.dtype,
    })
    : undefined;
  return {
    name,
    params: countEncoderParameters(model.config),
    batch,
    seqLen,
    webgpu: webgpu.sequencesPerSecond,
    ort: ort.sequencesPerSecond,
    speedup: null,
    webgpuOverOrt: webgpu.sequencesPerSecond.median / ort.sequencesPerSecond.median,
    ...peers.row,
    details: { webgpu, ort, ...peers.details },
    profile,
    fingerprint: await fingerprint({
      config: model.config,
      weights: model.weights,
      backend: webgpuBackend.info,
      seed: options.seed ?? 0,
    }),
  };
}

/** Profiled passes of `--profile`: one warm-up (when warming up at all), then `reps`. */
function profileShape(options: UnitOptions): { warmup: number; passes: number } {
  return { warmup: Math.min(1, options.warmup), passes: options.reps };
}

/** Passes `--profile` adds to each model, for the progress bar. */
export function profilePasses(options: UnitOptions): number {
  const { warmup, passes } = profileShape(options);
  return warmup + passes;
}
