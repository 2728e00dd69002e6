/**
 * Resuming: a run interrupted mid-epoch (its signal aborted after step 7,
 * between two saved resume points) or at an epoch's end, and continued with `resume` ends with the
 * same weights as an uninterrupted run of the same seed, to 1e-6; and a
 * resume point saved under other settings is refused, as is a plain rerun that would
 * start over on top of the resume point. Checked for one task
 * and for a multi-task PALs run with a sampled schedule, where the task draws
 * and each task's batch stream must be replayed too.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gpuTest } from "../tests/_gpu.ts";
import type { Gpu } from "../runtime/device.ts";
import { loadResumeState, loadResumeTensors, saveResumePoint } from "./resume.ts";
import { runTrain, TrainingInterrupted, type TrainOptions } from "./run.ts";
import { baseOptions } from "./_test_options.ts";

async function finalParams(out: string) {
  const dir = join(out, "resume");
  const state = await loadResumeState(dir);
  assert(state, `no resume point in ${dir}`);
  return { state, tensors: await loadResumeTensors(dir, state) };
}

const MULTI_TASK: Partial<TrainOptions> = {
  model: "tiny-bert-wordpiece",
  tasks: ["glue/rte", "glue/stsb", "glue/wnli"],
  adapter: "pals",
  hiddenSizeAug: 12,
  schedule: "sqrt",
  stepsPerEpoch: 6,
};

// Mid-epoch (step 7), and at the last step of epoch 1 (step 6), where the
// epoch's dev evaluation must still run before the run stops.
// f16 from a scale that overflows, growing every 3 clean steps: the loss-scale state changes
// through the run, so a resume that lost it would train differently.
const MIXED_PRECISION: Partial<TrainOptions> = {
  dtype: "f16",
  lossScale: { initScale: 2 ** 24, growthInterval: 3 },
};

const CASES = [
  ["one task, mid-epoch", {}, 7],
  ["PALs, sqrt schedule, at an epoch's end", MULTI_TASK, 6],
  ["f16 with dynamic loss scaling, mid-epoch", MIXED_PRECISION, 7],
] as const;

for (const [what, extra, stopAt] of CASES) {
  gpuTest(
    `An interrupted and resumed run ends with the uninterrupted run's weights (${what})`,
    (gpu) => interruptAndResume(gpu, extra, stopAt),
  );
}

async function interruptAndResume(gpu: Gpu, extra: Partial<TrainOptions>, stopAt: number) {
  const options = (out: string, more: Partial<TrainOptions> = {}) =>
    baseOptions(out, { ...extra, ...more });
  const root = await Deno.makeTempDir();
  try {
    const whole = join(root, "whole"), split = join(root, "split");
    await runTrain(options(whole, { gpu }));

    const controller = new AbortController();
    await assert.rejects(
      runTrain(options(split, {
        gpu,
        signal: controller.signal,
        onStep: (step) => step === stopAt && controller.abort(),
      })),
      TrainingInterrupted,
    );
    const stopped = await loadResumeState(join(split, "resume"));
    assert.equal(stopped?.step, stopAt);
    assert(stopAt % 6 !== 0 || stopped.best.every((b) => b !== null), "the epoch was evaluated");
    // Starting over without --resume or --force would replace the resume point: refused.
    await assert.rejects(
      runTrain(options(split, { gpu })),
      new RegExp(
        `holds an unfinished run of these settings \\(step ${stopAt} of \\d+\\): ` +
          "continue it with --resume, or start it over with --force",
      ),
    );
    await assert.rejects(
      runTrain(options(split, { gpu, seed: 4 })),
      /holds another training run \(train_log\.jsonl, .*resume\); pass --force to replace it/,
    );
    assert.equal((await loadResumeState(join(split, "resume")))?.step, stopAt, "kept");
    await runTrain(options(split, { gpu, resume: true }));

    const a = await finalParams(whole), b = await finalParams(split);
    assert.equal(b.state.step, a.state.step);
    assert.deepEqual(b.state.best, a.state.best);
    let worst = 0;
    for (const [name, data] of a.tensors.params) {
      const other = b.tensors.params.get(name)!;
      for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - other[i]));
    }
    assert(worst <= 1e-6, `resumed weights differ by ${worst}`);
    // The log is cut back to the resume point, so it matches line for line.
    assert.equal(
      await Deno.readTextFile(join(split, "train_log.jsonl")).then((t) => t.split("\n").length),
      await Deno.readTextFile(join(whole, "train_log.jsonl")).then((t) => t.split("\n").length),
    );

    await assert.rejects(
      runTrain(options(split, { gpu, resume: true, lr: 2e-3 })),
      /saved by a run with other settings/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("A resume state with a missing or mistyped field is refused, naming the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = new Map([["w", new Float32Array([1, 2])]]);
    await saveResumePoint(dir, { key: "k", step: 3, best: [null], logLines: 2 }, {
      params: w,
      m: w,
      v: w,
    });
    const path = join(dir, "state.json");
    const good = JSON.parse(await Deno.readTextFile(path));
    assert.equal((await loadResumeState(dir))?.step, 3);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ step: "x" }, /"step" is "x", not a step count/],
      [{ step: -1 }, /"step" is -1, not a step count/],
      [{ files: undefined }, /"files.params" is missing, not a file name/],
      [{ files: { ...good.files, m: "../../etc/passwd" } }, /"files.m" is "..\/..\/etc\/passwd"/],
      [{ best: [{ score: 1 }] }, /"best" holds {"score":1}, not a score or null/],
      [{ key: 7 }, /"key" is 7, not a string/],
      [{ lossScale: ["a"] }, /"lossScale" is \["a"\], not a list of numbers/],
    ];
    for (const [change, message] of cases) {
      await Deno.writeTextFile(path, JSON.stringify({ ...good, ...change }));
      await assert.rejects(
        loadResumeState(dir),
        new RegExp(`Resume state "${path.replaceAll("/", "\\/")}" is corrupt: ${message.source}`),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
