/** The training-throughput section: f32 and f16 rows per model, same-run speed-ups, newest wins. */
import { strictEqual } from "node:assert/strict";
import { leaderboardMarkdown } from "./leaderboard.ts";
import { loadRecords } from "./records.ts";
import { benchInference, rowOf, sectionOf, spread, writeRuns } from "./_fixtures.ts";

/** A `bench --train` record (tokens/s per model), built on the inference fixture. */
function benchTrain(
  createdAt: string,
  models: { name: string; tokensPerSecond: ReturnType<typeof spread> }[],
  extra: Record<string, unknown> = {},
) {
  const { models: _inference, ...record } = benchInference(createdAt, [], {
    mode: "train",
    ...extra,
  });
  return {
    ...record,
    models: models.map((m) => ({ params: 1000, batch: 2, seqLen: 64, ...m })),
  };
}

Deno.test("training throughput: f32 and f16 rows, the run's speed-up over BERT-large", async () => {
  const dir = await writeRuns({
    "train-old": benchTrain("2026-01-01T00:00:00.000Z", [
      { name: "albert-base-v2", tokensPerSecond: spread(1, 1, 1) },
    ]),
    "train-f32": benchTrain("2026-02-01T00:00:00.000Z", [
      { name: "albert-base-v2", tokensPerSecond: spread(30, 28, 32) },
      { name: "bert-large-uncased", tokensPerSecond: spread(6, 6, 6) },
    ]),
    // Newer, but f16: its own rows, never the f32 ones.
    "train-f16": benchTrain("2026-03-01T00:00:00.000Z", [
      { name: "albert-base-v2", tokensPerSecond: spread(40, 39, 41) },
    ], { dtype: "f16" }),
  });
  try {
    const md = leaderboardMarkdown(await loadRecords(dir), { runsPath: "runs" });
    const section = sectionOf(md, "Training throughput");
    const f32 = rowOf(section, "albert-base-v2");
    strictEqual(f32[3], "30.0 (28.0–32.0)");
    strictEqual(f32[4], "5.00× (4.67–5.33)");
    strictEqual(f32[5], "[record](runs/train-f32.json)");
    strictEqual(rowOf(section, "bert-large-uncased")[4], "1.00× (reference)");
    const f16 = rowOf(section, "albert-base-v2 (f16)");
    strictEqual(f16[3], "40.0 (39.0–41.0)");
    strictEqual(f16[4], "—"); // that run had no BERT-large
    strictEqual(f16[5], "[record](runs/train-f16.json)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
