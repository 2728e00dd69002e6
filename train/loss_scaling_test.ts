/**
 * Mixed-precision training's overflow path through the whole trainer: with a
 * loss scale far past f16's range (2⁴⁰ · a logit gradient is infinite in
 * f16), the step is skipped, weights and both Adam moments are left exactly
 * as they were, the scale halves and the skip is counted; an f32 trainer
 * reports a fixed scale of 1.
 */
import assert from "node:assert/strict";
import { configToJson, parseConfig } from "../models/config.ts";
import { randomModel } from "../models/init.ts";
import { zooEntry } from "../models/zoo.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { randomBatch } from "../tests/_reference_forward.ts";
import { Trainer } from "./trainer.ts";

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
      assert.ok(!Number.isFinite(await trainer.lastGradNorm()), "the scaled gradients overflowed");
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
      // A step at a scale f16 holds is applied: the weights move and nothing more is skipped.
      trainer.writeLossScale(state.values.map((v, i) => (i === 0 ? 1024 : v)));
      await trainer.step(batch, { lr: 1e-2, step: 2, seed: 1 });
      assert.ok(Number.isFinite(await trainer.lastGradNorm()));
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
