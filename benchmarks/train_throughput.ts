/**
 * Training throughput (`deno task bench --train`): tokens per second of one
 * full training step (forward, loss, backward, clipping, AdamW) at a fixed
 * (batch, sequence length) on a synthetic batch, median of the timed
 * repetitions, with the speed-up relative to BERT-large measured in the same
 * run (ALBERT Table 2's speed-up column is training throughput). Each
 * repetition is wall time from submission until the GPU has finished. In f16
 * a step whose scaled gradients overflow skips only the optimiser update, a
 * small part of the step, so the timing still measures the same work.
 */
import { fitHead } from "../evaluate/head.ts";
import type { Model } from "../models/model.ts";
import type { Gpu } from "../runtime/device.ts";
import type { Dtype } from "../runtime/kernel.ts";
import { Trainer } from "../train/trainer.ts";
import { type Spread, spread, syntheticBatch } from "./throughput.ts";

/** What one model measured. */
export interface TrainThroughput {
  tokensPerSecond: Spread;
  stepMs: Spread;
  samplesMs: number[];
}

/** Time `reps` training steps after `warmup` untimed ones. */
export async function measureTrainThroughput(
  gpu: Gpu,
  model: Model,
  options: {
    batch: number;
    seqLen: number;
    warmup: number;
    reps: number;
    onStep?: () => void;
    /** f16: mixed-precision training (default f32). */
    dtype?: Dtype;
  },
): Promise<TrainThroughput> {
  // A bare encoder trains a seeded two-way classifier; a PAL model its first task.
  const { model: withHead, task } = fitHead(
    model,
    { kind: "sequence-classification", numLabels: 2 },
    {
      initHeadSeed: 0,
      taskIndex: model.config.head.kind === "multi-task" ? 0 : undefined,
      source: "bench",
    },
  );
  const input = syntheticBatch(withHead.config, options);
  const batch = {
    batch: options.batch,
    seqLen: options.seqLen,
    task: task ?? 0,
    inputIds: input.inputIds,
    tokenTypeIds: input.tokenTypeIds,
    attentionMask: input.attentionMask,
    labels: Array.from({ length: options.batch }, (_, i) => i % 2),
  };
  const trainer = await Trainer.create(gpu, withHead, { dtype: options.dtype });
  try {
    const samplesMs: number[] = [];
    for (let i = 0; i < options.warmup + options.reps; i++) {
      const start = performance.now();
      // A tiny learning rate: the weights barely move, so every step does the same work.
      await trainer.step(batch, { lr: 1e-9, step: i + 1, seed: i });
      await gpu.device.queue.onSubmittedWorkDone();
      if (i >= options.warmup) samplesMs.push(performance.now() - start);
      options.onStep?.();
    }
    const tokens = options.batch * options.seqLen;
    return {
      tokensPerSecond: spread(samplesMs.map((ms) => (1000 * tokens) / ms)),
      stepMs: spread(samplesMs),
      samplesMs,
    };
  } finally {
    trainer.destroy();
  }
}
