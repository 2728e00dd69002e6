/**
 * The GEMM benchmark's timing rule: how many back-to-back dispatches share a
 * timed submission (hand-derived counts), and that a run records the count
 * and the empty submission's round trip it was derived from.
 */
import assert from "node:assert/strict";
import { dispatchesPerSubmit, gemmBenchmark } from "./gemm.ts";
import { gpuTest } from "../tests/_gpu.ts";

Deno.test("dispatchesPerSubmit keeps the fixed submit cost at most 5% of a submission", () => {
  // 11 ms fixed, 26 ms of work: 8 GEMMs leave 11 / 219 = 5.02% fixed, 9 leave 11 / 245 = 4.5%.
  assert.equal(dispatchesPerSubmit(11, 37), 9);
  // Work already 19× the fixed cost: one dispatch, as a plain timing.
  assert.equal(dispatchesPerSubmit(1, 20), 1);
  assert.equal(dispatchesPerSubmit(11, 3000), 1);
  // Work far below the fixed cost, or timing noise below it: capped at 32.
  assert.equal(dispatchesPerSubmit(11, 11.5), 32);
  assert.equal(dispatchesPerSubmit(11, 9), 32);
});

gpuTest(
  "the GEMM benchmark records its dispatches per submission and the submit cost",
  async (gpu) => {
    const [row] = await gemmBenchmark({
      shapes: [{ m: 40, n: 64, k: 32 }],
      reps: 2,
      warmup: 1,
      gpu,
    });
    assert.ok(Number.isInteger(row.dispatchesPerSubmit), `${row.dispatchesPerSubmit}`);
    assert.ok(row.dispatchesPerSubmit >= 1 && row.dispatchesPerSubmit <= 32);
    assert.ok(row.submitMs > 0, `${row.submitMs}`);
    const { median, min, max } = row.webgpuGflops;
    assert.ok(0 < min && min <= median && median <= max);
  },
);
