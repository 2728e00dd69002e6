/**
 * The WebGPU backward against central finite differences of the loss
 * computed in float64 by an independent path (the test's own float64 forward,
 * `tests/_reference_forward.ts`, plus the loss written out here), for every
 * tiny architecture (each ALBERT sharing mode, BERT, PALs, low-rank and
 * top-projected adapters) and every loss (cross-entropy, squared error,
 * span, multiple choice), with dropout off. Every tensor is checked at
 * random coordinates; embedding rows are drawn from the rows the batch reads.
 *
 * The same finite differences also check mixed-precision (f16) training's
 * gradients, divided by its loss scale, to a bound set by f16 storage.
 */
import assert from "node:assert/strict";
import { configToJson, parseConfig, taskCount } from "../models/config.ts";
import type { Model, Weights } from "../models/model.ts";
import { zooEntry } from "../models/zoo.ts";
import type { EncoderInput } from "../backends/backend.ts";
import { gpuTest } from "../tests/_gpu.ts";
import {
  randomBatch,
  referenceForward,
  seededNormal,
  unitScaleModel,
} from "../tests/_reference_forward.ts";
import { VARIANTS } from "../tests/_variants.ts";
import { type LossKind, lossKind } from "./step_plan.ts";
import { Trainer } from "./trainer.ts";

/** Worst relative error allowed (the bound). */
const TOLERANCE = 1e-3;
/**
 * f16 training: activations and their gradients are rounded to f16 (relative
 * step 2⁻¹¹) at every op, so a coordinate may differ by 2% of the tensor's
 * largest checked gradient plus 2e-4 absolute (the rounding of a sum of
 * logit gradients of size 1/B, which leaves ~1e-4 where the exact gradient
 * is 0, as for a span head's bias).
 */
const F16_RTOL = 2e-2, F16_ATOL = 2e-4;
/** A loss scale small enough that no unit-scale model's gradient overflows f16. */
const F16_LOSS_SCALE = 1024;
/** Coordinates checked per tensor. */
const SAMPLES = 3;
const STEP = 1e-4;

function logSumExp(values: number[]): number {
  const max = Math.max(...values);
  return max + Math.log(values.reduce((s, v) => s + Math.exp(v - max), 0));
}

/** The mean loss in float64, written from the definitions. */
function referenceLoss(
  model: Model,
  input: EncoderInput,
  loss: LossKind,
  labels: number[],
  choices: number,
): number {
  const logits = referenceForward(model, input).logits!;
  const B = input.batchSize, T = input.seqLen;
  if (loss === "squared-error") {
    return labels.reduce((s, y, b) => s + (logits[b] - y) ** 2, 0) / B;
  }
  if (loss === "span") {
    let total = 0;
    for (const side of [0, 1]) {
      for (let b = 0; b < B; b++) {
        const row = Array.from({ length: T }, (_, t) => logits[(b * T + t) * 2 + side]);
        total += logSumExp(row) - row[labels[side * B + b]];
      }
    }
    return total / (2 * B);
  }
  const width = loss === "multiple-choice" ? choices : logits.length / B;
  const rows = logits.length / width;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(logits.subarray(r * width, (r + 1) * width));
    total += logSumExp(row) - row[labels[r]];
  }
  return total / rows;
}

/** Coordinates of a tensor to check: random ones, rows the batch reads for embeddings. */
function coordinates(
  name: string,
  shape: number[],
  input: EncoderInput,
  random: () => number,
): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const width = shape[shape.length - 1];
  const pick = (n: number) => Math.floor(Math.abs(random()) * 1e6) % n;
  return Array.from({ length: SAMPLES }, () => {
    if (name.endsWith("word_embeddings.weight")) {
      return input.inputIds[pick(input.inputIds.length)] * width + pick(width);
    }
    if (name.endsWith("position_embeddings.weight")) {
      return pick(input.seqLen) * width + pick(width);
    }
    return pick(size);
  });
}

const choices = 2;

for (const [label, base, overrides] of VARIANTS) {
  gpuTest(`Backward matches float64 finite differences: ${label}`, async (gpu) => {
    const json = { ...configToJson(zooEntry(base).config), ...overrides };
    let config = parseConfig(json, label);
    if (config.head.kind === "none") {
      // A headless variant trains a two-way classifier.
      const architecture = config.modelType === "albert" ? "Albert" : "Bert";
      config = parseConfig({
        ...json,
        architectures: [`${architecture}ForSequenceClassification`],
        num_labels: 2,
      }, label);
    }
    const model = unitScaleModel(config, 99);
    const trainer = await Trainer.create(gpu, model, { dropout: false });
    const mixed = await Trainer.create(gpu, model, {
      dropout: false,
      dtype: "f16",
      lossScale: { initScale: F16_LOSS_SCALE, growthInterval: 2000 },
    });
    try {
      const task = taskCount(config) - 1; // the last task's adapter and head
      const loss = lossKind(trainer.params, task);
      const input = { ...randomBatch(model, { lengths: [6, 3, 5, 2], seqLen: 6 }), task };
      const random = seededNormal(5);
      const pick = (n: number) => Math.floor(Math.abs(random()) * 1e6) % n;
      const B = input.batchSize;
      const classes = model.layout.classifiers[config.head.kind === "multi-task" ? task : 0]
        ?.outFeatures ?? 1;
      const labels = loss === "span"
        ? Array.from({ length: 2 * B }, (_, i) => pick([6, 3, 5, 2][i % B]))
        : loss === "multiple-choice"
        ? Array.from({ length: B / choices }, () => pick(choices))
        : loss === "squared-error"
        ? Array.from({ length: B }, () => random())
        : Array.from({ length: B }, () => pick(classes));
      const batch = { ...input, batch: B, task, choices, labels };
      await trainer.computeGradients(batch);
      const grads = await trainer.params.read("grad");
      await mixed.computeGradients(batch);
      const grads16 = await mixed.params.read("grad");

      // Float64 copies of the weights, perturbed one coordinate at a time.
      const weights64 = new Map<string, Float64Array>();
      for (const [name, data] of model.weights) weights64.set(name, Float64Array.from(data));
      const model64 = { ...model, weights: weights64 as unknown as Weights };
      const lossAt = () => referenceLoss(model64, input, loss, labels, choices);

      let worst = 0, worstAt = "";
      let worst16 = 0, worst16At = "";
      let checked = 0;
      for (const spec of model.layout.tensors) {
        const data = weights64.get(spec.name)!;
        const checks: { i: number; expected: number }[] = [];
        for (const i of coordinates(spec.name, spec.shape, input, random)) {
          const saved = data[i];
          data[i] = saved + STEP;
          const up = lossAt();
          data[i] = saved - STEP;
          const down = lossAt();
          data[i] = saved;
          const expected = (up - down) / (2 * STEP);
          const actual = grads.get(spec.name)![i];
          // Relative error; below 1e-3 in size a gradient is compared to 1e-6 absolute, since
          // float32 rounding leaves ~1e-7 where the exact gradient is 0 (a multiple-choice bias).
          const error = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-3);
          checked++;
          if (error > worst) {
            worst = error;
            worstAt = `${spec.name}[${i}]: WebGPU ${actual}, float64 ${expected}`;
          }
          checks.push({ i, expected });
        }
        const scale = Math.max(...checks.map((c) => Math.abs(c.expected)));
        for (const { i, expected } of checks) {
          const actual = grads16.get(spec.name)![i] / F16_LOSS_SCALE;
          // Error as a fraction of the allowed error: at most 1.
          const error = Math.abs(actual - expected) / (F16_ATOL + F16_RTOL * scale);
          if (error > worst16) {
            worst16 = error;
            worst16At = `${spec.name}[${i}]: WebGPU f16 ${actual}, float64 ${expected}`;
          }
        }
      }
      assert(checked > 0);
      assert(
        worst < TOLERANCE,
        `${label} (${loss}): worst relative error ${worst.toExponential(2)} at ${worstAt}`,
      );
      assert(
        worst16 <= 1,
        `${label} (${loss}) f16: error ${worst16.toFixed(2)}× the allowed at ${worst16At}`,
      );
    } finally {
      trainer.destroy();
      mixed.destroy();
    }
  });
}
