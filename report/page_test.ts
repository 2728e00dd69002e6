/** The HTML report's page model: the leaderboard's tables as text, and charts only where data is. */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { reportPage } from "./page.ts";
import { loadRecords } from "./records.ts";
import { benchInference, evalRecord, spread, trainRecord, writeRuns } from "./_fixtures.ts";

const AT = "2026-02-01T00:00:00.000Z";

async function page(records: Record<string, unknown>) {
  const dir = await writeRuns(records);
  const result = reportPage(await loadRecords(dir), { runsPath: "runs" });
  await Deno.remove(dir, { recursive: true });
  return result;
}

const section = (p: Awaited<ReturnType<typeof page>>, heading: string) =>
  p.sections.find((s) => s.heading.startsWith(heading))!;

Deno.test("no records: the tables say no run and no chart is drawn", async () => {
  const p = await page({});
  strictEqual(p.sections.flatMap((s) => s.charts ?? []).length, 0);
  deepStrictEqual(section(p, "Training loss").paragraphs, ["no run"]);
  const table2 = section(p, "ALBERT Table 2").tables![0];
  deepStrictEqual(table2.rows.find((r) => r[0] === "albert-base-v2")!.slice(1, 3), [
    "no run",
    "no run",
  ]);
  ok(table2.rows.some((r) => r[0] === "ALBERT-base (paper)"));
});

Deno.test("charts: speed-up and throughput with whiskers, scores, loss curves", async () => {
  const p = await page({
    "bench": benchInference(AT, [
      { name: "albert-base-v2", webgpu: spread(10, 9, 11) },
      { name: "bert-large-uncased", webgpu: spread(2, 1.9, 2.1) },
    ]),
    "eval": evalRecord(AT, "albert-base-v2", "glue/sst2", { accuracy: 90 }),
    ...Object.fromEntries([0, 1].map((seed) => [
      `train-${seed}`,
      trainRecord(AT, "cfg.json", "glue/sst2", seed, { accuracy: 80 + seed }, {
        lossCurve: [[0, 0.7], [10, 0.5 - seed / 10]],
      }),
    ])),
  });
  const charts = p.sections.flatMap((s) => s.charts ?? []);
  const ids = charts.map((c) => c.id);
  deepStrictEqual(ids, ["speedup", "score-sst-2", "throughput-params", "loss-curves"]);
  const speedup = charts[0].series.find((s) => s.label === "ours, WebGPU inference")!;
  deepStrictEqual(speedup.points.find((pt) => pt.x === "albert-base-v2"), {
    x: "albert-base-v2",
    y: 5,
    min: 9 / 2.1,
    max: 11 / 1.9,
    run: "bench",
  });
  ok(charts[0].series.some((s) => s.reference && s.label.startsWith("paper")));
  const scores = charts[1].series.find((s) => s.label === "ours")!.points;
  deepStrictEqual(scores.find((pt) => pt.x === "cfg.json"), {
    x: "cfg.json",
    y: 80.5,
    min: 80,
    max: 81,
    run: "train-0",
  });
  strictEqual(charts[2].logX, true);
  strictEqual(charts[2].series[0].points[0].x, 1000, "x is the record's parameter count");
  const loss = charts[3];
  strictEqual(loss.kind, "line");
  deepStrictEqual(loss.series.map((s) => s.label), [
    "cfg.json glue/sst2 seed 0",
    "cfg.json glue/sst2 seed 1",
  ]);
  deepStrictEqual(loss.series[1].points.map((pt) => [pt.x, pt.y]), [[0, 0.7], [10, 0.4]]);
  // Tables are plain text: no Markdown links.
  ok(
    p.sections.every((s) =>
      (s.tables ?? []).every((t) => t.rows.flat().every((c) => !c.includes("](")))
    ),
  );
});

Deno.test("the PALs chart names a method without a label as the table does, by its name", async () => {
  const p = await page({
    "pals": {
      kind: "pals-table",
      rows: [{
        method: { name: "pals-sqrt", schedule: "sqrt" },
        scores: [{ task: "glue/rte", metrics: { accuracy: 55 } }],
        average: 55,
      }],
      createdAt: AT,
    },
  });
  const chart = p.sections.flatMap((s) => s.charts ?? []).find((c) => c.id === "pals-average")!;
  deepStrictEqual(chart.series[0].points.map((pt) => pt.x), ["pals-sqrt (sqrt)"]);
  const table = section(p, "BERT and PALs").tables![0];
  strictEqual(table.rows[0][0], "pals-sqrt");
});
