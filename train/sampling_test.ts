/** Task sampling schedules against their formulas, worked out by hand. */
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { samplingAlpha, SCHEDULES, taskProbabilities, TaskSampler } from "./sampling.ts";

const close = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("taskProbabilities: N^α normalised (hand-computed)", () => {
  // Sizes 1, 4, 16: α = 1 gives 1/21, 4/21, 16/21; α = 0.5 gives 1/7, 2/7, 4/7; α = 0 uniform.
  taskProbabilities([1, 4, 16], 1).forEach((p, i) => close(p, [1, 4, 16][i] / 21));
  taskProbabilities([1, 4, 16], 0.5).forEach((p, i) => close(p, [1, 2, 4][i] / 7));
  taskProbabilities([1, 4, 16], 0).forEach((p) => close(p, 1 / 3));
  throws(() => taskProbabilities([3, 0], 1), /positive/);
  throws(() => taskProbabilities([], 1), /positive/);
});

Deno.test("annealed α goes from 1 to 0.2 linearly over the epochs", () => {
  [1, 0.6, 0.2].forEach((alpha, i) => close(samplingAlpha("annealed", i + 1, 3), alpha, 1e-15));
  strictEqual(samplingAlpha("annealed", 1, 1), 1);
  strictEqual(samplingAlpha("proportional", 2, 3), 1);
  strictEqual(samplingAlpha("sqrt", 2, 3), 0.5);
});

Deno.test("round-robin cycles the tasks exactly", () => {
  const sampler = new TaskSampler("round-robin", [10, 20, 30, 40], 2, 0);
  const draws = Array.from({ length: 12 }, () => sampler.draw(1));
  deepStrictEqual(draws, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
});

Deno.test("over 10,000 draws each schedule is within 2% of its formula", () => {
  // Training-set sizes of CoLA, SST-2, MRPC, STS-B, RTE and WNLI.
  const sizes = [8551, 67349, 3668, 5749, 2490, 635];
  const epochs = 3;
  for (const schedule of SCHEDULES) {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const sampler = new TaskSampler(schedule, sizes, epochs, 1234 + epoch);
      const counts = sizes.map(() => 0);
      const draws = 10_000;
      for (let i = 0; i < draws; i++) counts[sampler.draw(epoch)]++;
      const expected = taskProbabilities(sizes, samplingAlpha(schedule, epoch, epochs));
      counts.forEach((c, i) =>
        ok(
          Math.abs(c / draws - expected[i]) < 0.02,
          `${schedule} epoch ${epoch} task ${i}: ${c / draws} vs ${expected[i]}`,
        )
      );
    }
  }
});

Deno.test("the same seed draws the same tasks; another seed differs", () => {
  const run = (seed: number) => {
    const s = new TaskSampler("sqrt", [5, 50, 500], 1, seed);
    return Array.from({ length: 50 }, () => s.draw(1));
  };
  deepStrictEqual(run(7), run(7));
  ok(JSON.stringify(run(7)) !== JSON.stringify(run(8)));
  throws(() => new TaskSampler("sqrt", [5], 0, 1), /epochs/);
});
