/**
 * Mixed-precision training through the whole trainer: with a loss scale far
 * past f16's range (2⁴⁰ · a logit gradient is infinite in f16) the step is
 * skipped, weights and both Adam moments are left exactly as they were, the
 * scale halves and the skip is counted; the f16 weight copies always hold the
 * f32 weights rounded to f16 (after creation, steps and a resume's write); a
 * model that overflows f16 by itself is counted at scale 1 and stops `train`
 * with a message; an f32 trainer reports a fixed scale of 1.
 */
import assert from "node:assert/strict";
import { configToJson, parseConfig } from "../models/config.ts";
import { randomModel } from "../models/init.ts";
import { zooEntry } from "../models/zoo.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { randomBatch } from "../tests/_reference_forward.ts";
import { Trainer } from "./trainer.ts";
import { runTrain } from "./run.ts";
import { baseOptions } from "./_test_options.ts";
import { saveCheckpoint } from "../models/checkpoint.ts";
import { makeModel, type Model } from "../models/model.ts";
import { readValues } from "../tests/_buffers.ts";
import { join } from "node:path";

const config = parseConfig({
  ...configToJson(zooEntry("tiny-albert").config),
  architectures: ["AlbertForSequenceClassification"],
  num_labels: 2,
}, "tiny-albert");
const model = randomModel(config, 7);
const input = randomBatch(model, { lengths: [6, 4, 5, 3], seqLen: 6, seed: 2 });
const batch = { ...input, batch: 4, task: 0, labels: [0, 1, 1, 0] };

gpuTest(
  "f16 training skips a step whose scaled gradients overflow, and halves the scale",
  async (gpu) => {
    const trainer = await Trainer.create(gpu, model, {
      dtype: "f16",
      dropout: false,
      lossScale: { initScale: 2 ** 40, growthInterval: 2000 },
    });
    try {
      const before = await Promise.all(
        ["param", "m", "v"].map((w) => trainer.params.read(w as "param" | "m" | "v")),
      );
      await trainer.step(batch, { lr: 1e-2, step: 1, seed: 0 });
      const stats = await trainer.stepStats();
      assert.ok(!Number.isFinite(stats.gradNorm), "the scaled gradients overflowed");
      const after = await Promise.all(
        ["param", "m", "v"].map((w) => trainer.params.read(w as "param" | "m" | "v")),
      );
      for (const [i, which] of ["param", "m", "v"].entries()) {
        for (const [name, data] of before[i]) {
          assert.deepEqual(
            after[i].get(name),
            data,
            `${which} of ${name} changed in a skipped step`,
          );
        }
      }
      const state = await trainer.lossScale();
      assert.equal(state.scale, 2 ** 39);
      assert.equal(state.skippedSteps, 1);
      assert.deepEqual(stats.lossScale, state, "the step's statistics carry the same state");
      // A step at a scale f16 holds is applied: the weights move and nothing more is skipped.
      trainer.writeLossScale(state.values.map((v, i) => (i === 0 ? 1024 : v)));
      await trainer.step(batch, { lr: 1e-2, step: 2, seed: 1 });
      assert.ok(Number.isFinite((await trainer.stepStats()).gradNorm));
      const moved = await trainer.params.read("param");
      const name = model.layout.tensors[0].name;
      assert.notDeepEqual(moved.get(name), before[0].get(name));
      assert.equal((await trainer.lossScale()).skippedSteps, 1);
    } finally {
      trainer.destroy();
    }
  },
);

gpuTest("f32 training keeps a fixed loss scale of 1", async (gpu) => {
  const trainer = await Trainer.create(gpu, model, { dropout: false });
  try {
    await trainer.step(batch, { lr: 1e-2, step: 1, seed: 0 });
    const state = await trainer.lossScale();
    assert.equal(state.scale, 1);
    assert.equal(state.skippedSteps, 0);
  } finally {
    trainer.destroy();
  }
});

/** Every f16 weight copy equals its f32 weight rounded to f16. */
async function assertCopiesMatch(trainer: Trainer) {
  const weights = await trainer.params.read("param");
  let copies = 0;
  for (const t of trainer.params.tensors) {
    if (!t.half) continue;
    copies++;
    const copy = await readValues(trainer.gpu.device, t.half, t.size, "f16");
    assert.deepEqual([...copy], [...new Float16Array(weights.get(t.name)!)], t.name);
  }
  assert.ok(copies > 0, "f16 training keeps copies of the Linear weights");
}

gpuTest("f16 weight copies track the f32 weights: created, stepped and resumed", async (gpu) => {
  const trainer = await Trainer.create(gpu, model, { dtype: "f16", dropout: true });
  try {
    await assertCopiesMatch(trainer);
    for (let s = 0; s < 3; s++) await trainer.step(batch, { lr: 1e-2, step: s + 1, seed: s });
    await assertCopiesMatch(trainer);
    // A resume writes other weights: the copies follow.
    const other = randomModel(config, 8).weights;
    await trainer.params.write("param", other);
    await assertCopiesMatch(trainer);
  } finally {
    trainer.destroy();
  }
});

/** `model` with every Linear weight ×1000: its FFN outputs exceed f16's range at any loss scale. */
function overflowingModel(base: Model): Model {
  const weights = new Map(base.weights);
  for (const spec of base.layout.tensors) {
    if (spec.role === "linear-weight") {
      weights.set(spec.name, base.weights.get(spec.name)!.map((w) => w * 1000));
    }
  }
  return makeModel(base.config, weights);
}

gpuTest("train stops with a message when f16 overflows even at loss scale 1", async (gpu) => {
  const dir = await Deno.makeTempDir({ prefix: "f16-overflow-" });
  try {
    const huge = overflowingModel(randomModel(zooEntry("tiny-albert-spm").config, 1));
    const trainer = await Trainer.create(gpu, overflowingModel(model), {
      dtype: "f16",
      lossScale: { initScale: 1, growthInterval: 2000 },
    });
    try {
      await trainer.step(batch, { lr: 1e-2, step: 1, seed: 0 });
      assert.equal((await trainer.lossScale()).overflowsAtMinimum, 1);
    } finally {
      trainer.destroy();
    }
    await saveCheckpoint(join(dir, "model"), huge);
    await assert.rejects(
      runTrain(baseOptions(join(dir, "out"), {
        model: join(dir, "model"),
        recordsDir: join(dir, "records"),
        epochs: 1,
        maxSteps: 2,
        limit: 8,
        evalLimit: 8,
        batchSize: 4,
        warmup: 0,
        seed: 0,
        saveSteps: 100,
        logSteps: 1,
        gpu,
        dtype: "f16",
        lossScale: { initScale: 1, growthInterval: 2000 },
      })),
      /f16 training overflowed at loss scale 1.*--dtype f32/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
