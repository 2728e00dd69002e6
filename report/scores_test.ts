/** Eval records in the dev-score tables: one row per setting, random heads left out. */
import { deepStrictEqual } from "node:assert/strict";
import { devScores } from "./scores.ts";
import { loadRecords } from "./records.ts";
import { evalRecord, writeRuns } from "./_fixtures.ts";

/** An albert-base-v2 RTE dev run on our WebGPU engine (unless `extra` says otherwise). */
const rte = (accuracy: number, extra: Record<string, unknown> = {}) =>
  evalRecord("2026-11-22T10:00:00.000Z", "albert-base-v2", "glue/rte", { accuracy }, {
    backend: "webgpu",
    ...extra,
  });

Deno.test("eval scores keep ONNX Runtime and f16 runs apart and skip random heads", async () => {
  const dir = await writeRuns({
    "eval-f32": rte(70),
    "eval-f16": rte(69, { dtype: "f16", createdAt: "2026-11-22T11:00:00.000Z" }),
    "eval-onnx": rte(71, { backend: "onnx", createdAt: "2026-11-22T12:00:00.000Z" }),
    "eval-random": rte(50, { initialisedHead: 1, createdAt: "2026-11-22T13:00:00.000Z" }),
  });
  try {
    const scores = devScores(await loadRecords(dir)).filter((s) => s.source === "eval");
    const rows = scores.map((s) => [s.method, s.metrics.accuracy.median]).sort();
    deepStrictEqual(rows, [["", 70], ["f16", 69], ["onnx", 71]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
