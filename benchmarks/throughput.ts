/**
 * Throughput of one model on one backend at a fixed (batch, sequence length):
 * untimed warm-up, then timed repetitions of a full forward pass on the same
 * synthetic batch. Each repetition is wall time from submission to completion
 * including the copy of the pooled output back to the CPU, so both engines are
 * timed the same way;
 * WebGPU also records GPU time from timestamp queries when the adapter has them.
 */
import type { Backend, EncoderInput } from "../backends/backend.ts";
import type { ModelConfig } from "../models/config.ts";
import { xoshiro128ss } from "../models/init.ts";
import { max, median, min, percentile, type Spread } from "../runtime/stats.ts";

export type { Spread } from "../runtime/stats.ts";

/** What one backend measured for one model. */
export interface Throughput {
  /** Sequences per second over the timed repetitions. */
  sequencesPerSecond: Spread;
  tokensPerSecond: Spread;
  /** Per-batch latency in milliseconds. */
  latencyMs: { p50: number; p90: number; p99: number };
  /** GPU time per batch from timestamp queries (WebGPU only, when available). */
  gpuMs?: Spread;
  /** Every repetition's wall time in milliseconds, for records and re-analysis. */
  samplesMs: number[];
}

/** A fixed synthetic batch: seeded token ids, two segments, no padding. */
export function syntheticBatch(
  config: ModelConfig,
  shape: { batch: number; seqLen: number; seed?: number },
): EncoderInput {
  const { batch, seqLen } = shape;
  const rows = batch * seqLen;
  const random = xoshiro128ss(shape.seed ?? 1);
  const next = () => random() / 2 ** 32;
  const first = Math.min(5, config.vocabSize - 1); // skip special tokens at the start
  const inputIds = Int32Array.from(
    { length: rows },
    () => first + Math.floor(next() * (config.vocabSize - first)),
  );
  const tokenTypeIds = Int32Array.from(
    { length: rows },
    (_, i) => (i % seqLen >= seqLen / 2 && config.typeVocabSize > 1 ? 1 : 0),
  );
  return {
    batchSize: batch,
    seqLen,
    inputIds,
    tokenTypeIds,
    attentionMask: new Int32Array(rows).fill(1),
  };
}

/** Spread of a list of values. */
export function spread(values: number[]): Spread {
  return {
    median: median(values),
    min: min(values),
    max: max(values),
  };
}

/** Time `reps` forward passes after `warmup` untimed ones; `onStep` ticks a progress bar. */
export async function measureThroughput(
  backend: Backend & { lastGpuMs?: number },
  input: EncoderInput,
  options: { warmup: number; reps: number; onStep?: () => void },
): Promise<Throughput> {
  for (let i = 0; i < options.warmup; i++) {
    await backend.run(input, ["pooledOutput"]);
    options.onStep?.();
  }
  const samplesMs: number[] = [];
  const gpuMs: number[] = [];
  for (let i = 0; i < options.reps; i++) {
    backend.lastGpuMs = undefined;
    const start = performance.now();
    await backend.run(input, ["pooledOutput"]);
    samplesMs.push(performance.now() - start);
    if (backend.lastGpuMs !== undefined) gpuMs.push(backend.lastGpuMs);
    options.onStep?.();
  }
  const tokens = input.batchSize * input.seqLen;
  return {
    sequencesPerSecond: spread(samplesMs.map((ms) => (1000 * input.batchSize) / ms)),
    tokensPerSecond: spread(samplesMs.map((ms) => (1000 * tokens) / ms)),
    latencyMs: {
      p50: percentile(samplesMs, 50),
      p90: percentile(samplesMs, 90),
      p99: percentile(samplesMs, 99),
    },
    gpuMs: gpuMs.length > 0 ? spread(gpuMs) : undefined,
    samplesMs,
  };
}
