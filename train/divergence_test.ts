/**
 * A run whose loss or weights stop being finite (here: a learning rate of
 * 1e30) stops with an error naming the step, in f32 and in f16, instead of
 * keeping a broken checkpoint and recording a dev score for it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gpuTest } from "../tests/_gpu.ts";
import { statOrUndefined } from "../runtime/files.ts";
import { runTrain } from "./run.ts";
import { baseOptions } from "./_test_options.ts";

for (const dtype of ["f32", "f16"] as const) {
  gpuTest(`A diverging run stops with an error and writes no record (${dtype})`, async (gpu) => {
    const out = await Deno.makeTempDir();
    try {
      const recordsDir = join(out, "records");
      await assert.rejects(
        runTrain(baseOptions(out, {
          gpu,
          recordsDir,
          limit: 16,
          evalLimit: 8,
          batchSize: 4,
          lr: 1e30,
          warmup: 0,
          seed: 0,
          weightDecay: 0,
          saveSteps: 100,
          logSteps: 1,
          dtype,
        })),
        /^Error: Training diverged at step \d+ \((the loss is (NaN|-?Infinity)|weight "[^"]+" is not finite)\); no record was written\. Train again with a lower --lr \(was 1e\+30\)/,
      );
      assert.equal(await statOrUndefined(recordsDir), undefined, "a record was written");
      assert.equal(await statOrUndefined(join(out, "best")), undefined, "a checkpoint was kept");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}
