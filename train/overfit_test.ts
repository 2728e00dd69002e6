/**
 * Training end to end on tiny models: a classifier over-fits 32 random
 * examples to 100% training accuracy (read back and checked with the
 * inference engine, so the trained weights are the ones `eval` would use),
 * and the loss falls for every loss type (regression, spans, multiple
 * choice) under AdamW and LAMB, with dropout on. Each runs in f32 and in
 * mixed precision (f16 activations, dynamic loss scaling from PyTorch's
 * default 2¹⁶, whose first steps overflow and are skipped).
 */
import assert from "node:assert/strict";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { configToJson, parseConfig } from "../models/config.ts";
import { makeModel, type Model } from "../models/model.ts";
import { randomModel } from "../models/init.ts";
import { zooEntry } from "../models/zoo.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { randomBatch, seededNormal } from "../tests/_reference_forward.ts";
import { linearWarmupDecay } from "./schedule.ts";
import { type TrainBatch, Trainer } from "./trainer.ts";
import type { Dtype } from "../runtime/kernel.ts";

function tinyModel(base: string, keys: Record<string, unknown>): Model {
  const config = parseConfig({ ...configToJson(zooEntry(base).config), ...keys }, base);
  return randomModel(config, 3);
}

/** Train `steps` steps on one fixed batch; returns the first and last losses. */
async function fit(
  trainer: Trainer,
  batch: TrainBatch,
  steps: number,
  lr: number,
): Promise<[number, number]> {
  let first = NaN;
  for (let s = 0; s < steps; s++) {
    const rate = linearWarmupDecay(s, { peak: lr, warmupSteps: steps / 10, totalSteps: steps });
    await trainer.step(batch, { lr: rate, step: s + 1, seed: s });
    if (s === 0) first = (await trainer.stepStats()).loss;
  }
  return [first, (await trainer.stepStats()).loss];
}

for (const dtype of ["f32", "f16"] as Dtype[]) {
  gpuTest(
    `A tiny ALBERT over-fits 32 examples to 100% training accuracy (${dtype})`,
    async (gpu) => {
      const model = tinyModel("tiny-albert", {
        architectures: ["AlbertForSequenceClassification"],
        num_labels: 2,
      });
      const lengths = Array.from({ length: 32 }, (_, i) => 3 + (i * 7) % 10);
      const input = randomBatch(model, { lengths, seqLen: 12, seed: 11 });
      const random = seededNormal(4);
      const labels = lengths.map(() => (random() > 0 ? 1 : 0));
      const trainer = await Trainer.create(gpu, model, { dtype });
      try {
        const batch = { ...input, batch: 32, task: 0, labels };
        const [first, last] = await fit(trainer, batch, 150, 2e-3);
        assert(last < first / 10, `loss fell only from ${first} to ${last}`);
        const trained = makeModel(model.config, await trainer.params.read());
        const engine = await createWebGpuBackend(trained, { gpu });
        try {
          const { logits } = await engine.run(input, ["logits"]);
          const predictions = labels.map((_, b) => (logits![2 * b + 1] > logits![2 * b] ? 1 : 0));
          const correct = predictions.filter((p, b) => p === labels[b]).length;
          assert.equal(correct, 32, `training accuracy ${correct}/32`);
        } finally {
          engine.dispose();
        }
      } finally {
        trainer.destroy();
      }
    },
  );
}

const LOSS_CASES: [string, string, Record<string, unknown>, "adamw" | "lamb"][] = [
  ["regression (squared error)", "tiny-albert", {
    architectures: ["AlbertForSequenceClassification"],
    num_labels: 1,
  }, "adamw"],
  ["spans (start/end cross-entropy)", "tiny-albert", {
    architectures: ["AlbertForQuestionAnswering"],
  }, "lamb"],
  ["multiple choice", "tiny-bert", {
    architectures: ["BertForMultipleChoice"],
  }, "adamw"],
  ["classification with PALs, dropout on", "tiny-bert-pals", {}, "adamw"],
];

for (const [label, base, keys, optimizer] of LOSS_CASES) {
  for (const dtype of ["f32", "f16"] as Dtype[]) {
    gpuTest(`The loss falls when training ${label} (${optimizer}, ${dtype})`, async (gpu) => {
      const model = tinyModel(base, keys);
      const lengths = [8, 5, 7, 3, 8, 6, 4, 8];
      const input = randomBatch(model, { lengths, seqLen: 8, seed: 5 });
      const random = seededNormal(8);
      const pick = (n: number) => Math.floor(Math.abs(random()) * 1e6) % n;
      const head = model.config.head.kind;
      const labels = head === "question-answering"
        ? [...lengths, ...lengths].map((n) => pick(n))
        : head === "multiple-choice"
        ? [0, 1, 0, 1].map(() => pick(2))
        : keys.num_labels === 1
        ? lengths.map(() => random())
        : lengths.map(() => pick(2));
      const trainer = await Trainer.create(gpu, model, { optimizer, dtype });
      try {
        const batch = {
          ...input,
          batch: 8,
          task: 1 % (model.config.adapter?.numTasks ?? 1),
          labels,
          choices: 2,
        };
        const [first, last] = await fit(trainer, batch, 60, optimizer === "lamb" ? 2e-2 : 2e-3);
        assert(
          Number.isFinite(last) && last < first / 2,
          `loss fell only from ${first} to ${last}`,
        );
      } finally {
        trainer.destroy();
      }
    });
  }
}
