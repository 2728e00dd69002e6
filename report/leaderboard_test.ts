/** LEADERBOARD.md from hand-written run records: cells, links, paper rows, newest-wins, errors. */
import { match, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { reportCommand } from "../cli/report.ts";
import { leaderboardMarkdown } from "./leaderboard.ts";
import { loadRecords, RecordError } from "./records.ts";
import {
  benchInference,
  evalRecord,
  rowOf,
  sectionOf,
  spread,
  trainRecord,
  writeRuns,
} from "./_fixtures.ts";

const OLD = "2026-01-01T00:00:00.000Z";
const NEW = "2026-02-01T00:00:00.000Z";
const NEWER = "2026-03-01T00:00:00.000Z";

const RUNS = {
  // Newest inference run: albert-base-v2 at 10 (9–11) seq/s, bert-large at 2 (1.9–2.1).
  "bench-new": benchInference(NEW, [
    { name: "albert-base-v2", webgpu: spread(10, 9, 11), ort: spread(20, 18, 22) },
    { name: "bert-large-uncased", webgpu: spread(2, 1.9, 2.1) },
    { name: "albert-base-e64-all-shared", webgpu: spread(12.5, 12, 13) },
  ]),
  "bench-old": benchInference(OLD, [
    { name: "albert-base-v2", webgpu: spread(1, 1, 1) },
    { name: "bert-large-uncased", webgpu: spread(1, 1, 1) },
  ]),
  // A shard of a split run: newer, and ignored.
  "bench-shard": benchInference(NEWER, [
    { name: "albert-base-v2", webgpu: spread(99, 99, 99) },
    { name: "bert-large-uncased", webgpu: spread(1, 1, 1) },
  ], { shard: { index: 1, count: 2 } }),
  "gemm": {
    kind: "bench",
    suite: "gemm",
    adapter: { description: "test adapter", features: ["timestamp-query"] },
    gemm: [{
      m: 1024,
      n: 768,
      k: 768,
      label: "base Q/K/V",
      webgpuGflops: spread(12, 11, 13),
      ortGflops: spread(240, 210, 260),
    }],
    createdAt: NEW,
  },
  "eval-sst2-old": evalRecord(OLD, "albert-base-v2", "glue/sst2", { accuracy: 80 }),
  "eval-sst2-new": evalRecord(NEW, "albert-base-v2", "glue/sst2", { accuracy: 90.14 }),
  // Partial runs never count.
  "eval-sst2-limited": evalRecord(NEWER, "albert-base-v2", "glue/sst2", { accuracy: 1 }, {
    limit: 5,
  }),
  "eval-squad": evalRecord(NEW, "albert-base-v2", "squad/v1.1", { exact_match: 80, f1: 88 }, {
    metricsCi: { f1: { low: 87.1, high: 88.9 } },
  }),
  ...Object.fromEntries([81, 83, 80, 84, 82].map((acc, seed) => [
    `train-mnli-${seed}`,
    trainRecord(`2026-01-0${seed + 1}T00:00:00.000Z`, "cfg.json", "glue/mnli-m", seed, {
      accuracy: acc,
    }),
  ])),
  "gate": { kind: "gate-baseline", version: 1, scores: [], speed: [] },
};

async function board(records: Record<string, unknown> = RUNS): Promise<[string, string]> {
  const dir = await writeRuns(records);
  return [leaderboardMarkdown(await loadRecords(dir), { runsPath: "runs" }), dir];
}

Deno.test("a five-repetition bench row shows median (min–max) and links its record", async () => {
  const [md, dir] = await board();
  const kernels = sectionOf(md, "Kernels and device");
  const row = rowOf(kernels, "albert-base-v2");
  strictEqual(row[3], "10.00 (9.00–11.00)");
  strictEqual(row[4], "20.00 (18.00–22.00)");
  strictEqual(row[5], "0.500× (0.409–0.611)");
  strictEqual(row[6], "[record](runs/bench-new.json)");
  const gemm = rowOf(kernels, "1024×768×768");
  strictEqual(gemm[2], "12.0 (11.0–13.0)");
  strictEqual(gemm[4], "0.050× (0.042–0.062)");
  match(kernels, /\| test adapter \| shader-f16, timestamp-query \|/);
  // Speed-up: 10/2 over the widest interval 9/2.1–11/1.9, newest run, shard ignored.
  const table2 = sectionOf(md, "ALBERT Table 2");
  strictEqual(rowOf(table2, "albert-base-v2")[9], "[5.00× (4.29–5.79)](runs/bench-new.json)");
  strictEqual(
    rowOf(table2, "bert-large-uncased")[9],
    "[1.00× (reference)](runs/bench-new.json)",
  );
  // Ablation throughput from the same run.
  strictEqual(
    rowOf(sectionOf(md, "ALBERT Table 3"), "64 | all-shared")[5],
    "[12.50 (12.00–13.00) at 2×64](runs/bench-new.json)",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("f16 runs get their own rows and never replace f32 ones or their speed-ups", async () => {
  const [md] = await board({
    ...RUNS,
    // Newer than every f32 run, with bert-large, so it would win if dtype were ignored.
    "bench-f16": benchInference(NEWER, [
      { name: "albert-base-v2", webgpu: spread(15, 14, 16), ort: spread(20, 18, 22) },
      { name: "bert-large-uncased", webgpu: spread(3, 3, 3) },
      // Benched only in f16: still gets its row.
      { name: "albert-large-v2", webgpu: spread(4, 4, 4) },
    ], { dtype: "f16" }),
    "gemm-f16": {
      kind: "bench",
      suite: "gemm",
      dtype: "f16",
      adapter: { description: "test adapter", features: ["shader-f16"] },
      gemm: [{
        m: 1024,
        n: 768,
        k: 768,
        webgpuGflops: spread(24, 24, 24),
        ortGflops: spread(240, 240, 240),
        peerGflops: { "ort-web-webgpu": spread(6, 6, 6) },
      }],
      createdAt: NEWER,
    },
  });
  const kernels = sectionOf(md, "Kernels and device");
  strictEqual(rowOf(kernels, "albert-base-v2")[3], "10.00 (9.00–11.00)");
  strictEqual(rowOf(kernels, "albert-base-v2 (f16)")[3], "15.00 (14.00–16.00)");
  strictEqual(rowOf(kernels, "albert-large-v2 (f16)")[3], "4.00 (4.00–4.00)");
  strictEqual(rowOf(kernels, "1024×768×768")[2], "12.0 (11.0–13.0)");
  const f16 = rowOf(kernels, "1024×768×768 (f16)");
  strictEqual(f16[2], "24.0 (24.0–24.0)");
  strictEqual(f16[5], "6.0 (6.0–6.0)"); // onnxruntime-web's WebGPU MatMul beside ours
  strictEqual(f16[6], "4.00× (4.00–4.00)");
  match(kernels, /ORT-web WebGPU GFLOP\/s/);
  // ALBERT Table 2's speed-up still comes from the f32 run.
  strictEqual(
    rowOf(sectionOf(md, "ALBERT Table 2"), "albert-base-v2")[9],
    "[5.00× (4.29–5.79)](runs/bench-new.json)",
  );
});

Deno.test("scores: newest full-dev eval wins, missing tasks say no run, seeds give median (min–max)", async () => {
  const [md, dir] = await board();
  const table2 = sectionOf(md, "ALBERT Table 2");
  const ours = rowOf(table2, "albert-base-v2");
  strictEqual(ours[6], "[90.1](runs/eval-sst2-new.json)");
  strictEqual(ours[1], "[88.0 [95% CI 87.1–88.9]](runs/eval-squad.json)");
  strictEqual(ours[2], "[80.0](runs/eval-squad.json)");
  strictEqual(ours[7], "no run", "RACE was not run");
  strictEqual(ours[8], "— (2 of 5 tasks run)");
  strictEqual(ours[10], "no run", "no training bench run");
  ok(!md.includes("eval-sst2-old") && !md.includes("eval-sst2-limited"));
  ok(!md.includes("bench-shard") && !md.includes("99.00"), "shard records never count");
  const cfg = rowOf(table2, "cfg.json");
  strictEqual(
    cfg[5],
    "82.0 (80.0–84.0) ([seed 0](runs/train-mnli-0.json), [seed 1](runs/train-mnli-1.json), " +
      "[seed 2](runs/train-mnli-2.json), [seed 3](runs/train-mnli-3.json), " +
      "[seed 4](runs/train-mnli-4.json))",
  );
  // A model no record mentions still has its row, every cell "no run".
  const xxl = rowOf(table2, "albert-xxlarge-v2");
  ok(xxl.slice(1).every((c) => c === "no run"), xxl.join(" | "));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("paper rows are present and marked, beside our rows", async () => {
  const [md, dir] = await board({});
  const table2 = sectionOf(md, "ALBERT Table 2");
  const paper = rowOf(table2, "ALBERT-base (paper)");
  strictEqual(
    paper.slice(1).join(" | "),
    "89.3 | 82.3 | 80.0 | 77.1 | 81.6 | 90.3 | 64.0 | 80.1 | — | 5.6×",
  );
  strictEqual(rowOf(table2, "ALBERT-xxlarge v2 (paper, v2 README)")[8], "90.9");
  const lines = table2.split("\n");
  strictEqual(
    lines.findIndex((l) => l.startsWith("| ALBERT-base (paper) |")),
    lines.findIndex((l) => l.startsWith("| albert-base-v2 |")) + 1,
  );
  // Table 1 needs no runs: our exact count beside the paper's rounded figure.
  const t1 = rowOf(sectionOf(md, "ALBERT Table 1"), "albert-base-v2 (ALBERT-base)");
  strictEqual(t1.slice(7).join(" | "), "11,683,584 | 11.7M | 12M");
  strictEqual(rowOf(sectionOf(md, "ALBERT Table 4"), "128 | shared-FFN")[7], "80.2");
  match(sectionOf(md, "BERT and PALs"), /No pals-table run record: no run\./);
  match(
    sectionOf(md, "BERT and PALs"),
    /\| PALs \(shared BERT-base \+ adapters\) \(paper\) \| ≈1\.13× \| ×1\.133 \|/,
  );
  match(md, /Generated by `deno task harness report` from 0 run records/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the PALs table comes from the newest pals-table record", async () => {
  const row = (label: string, avg: number) => ({
    method: { name: label, label, adapter: "pals", schedule: "sqrt" },
    multiplier: 1.0129,
    scores: [
      { task: "glue/mrpc", score: 75, metrics: { accuracy: 70, f1: 80 } },
      { task: "glue/rte", score: 52.3, metrics: { accuracy: 52.3 } },
    ],
    average: avg,
  });
  const [md, dir] = await board({
    "pals-old": { kind: "pals-table", rows: [row("Old", 1)], createdAt: OLD },
    "pals-new": {
      kind: "pals-table",
      rows: [row("PALs", 63.65)],
      settings: { model: "small.json", epochs: 4, stepsPerEpoch: 300, batchSize: 32, seed: 0 },
      createdAt: NEW,
    },
  });
  const pals = sectionOf(md, "BERT and PALs");
  strictEqual(
    rowOf(pals, "PALs").join(" | "),
    "PALs | sqrt | ×1.01 | 70.0/80.0 | 52.3 | 63.7 | [record](runs/pals-new.json)",
  );
  match(pals, /backbone small\.json, 4 epochs of 300 steps, batch 32, seed 0/);
  ok(!pals.includes("Old"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("same records give byte-identical Markdown; file order and subdirectories do not matter", async () => {
  const [first, dir] = await board();
  await Deno.mkdir(join(dir, "sub"));
  await Deno.writeTextFile(join(dir, "sub", "broken.json"), "{ not json");
  const again = leaderboardMarkdown(await loadRecords(dir), { runsPath: "runs" });
  strictEqual(again, first);
  const reversed = Object.fromEntries(Object.entries(RUNS).reverse());
  strictEqual((await board(reversed))[0], first);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a malformed record is an error naming its file", async () => {
  let dir = await writeRuns({ ...RUNS, "eval-broken": "{ not json" });
  await rejects(
    loadRecords(dir),
    (e: Error) => e instanceof RecordError && /eval-broken\.json/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
  dir = await writeRuns({ "eval-shape": { kind: "eval", model: "m", task: "glue/rte" } });
  await rejects(
    loadRecords(dir),
    (e: Error) => /eval-shape\.json.*"metrics"/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report writes both files; --check exits 0 when current, 1 when stale or missing", async () => {
  const runs = await writeRuns(RUNS);
  const out = await Deno.makeTempDir({ prefix: "report-out-" });
  const cli = (...extra: string[]) => reportCommand(["--runs", runs, "--out", out, ...extra]);
  const leaderboard = join(out, "LEADERBOARD.md");
  strictEqual(await cli("--check"), 1, "missing leaderboard");
  await rejects(
    Deno.stat(join(out, "report.html")),
    Deno.errors.NotFound,
    "--check writes nothing",
  );
  strictEqual(await cli(), 0);
  const written = await Deno.readTextFile(leaderboard);
  match(await Deno.readTextFile(join(out, "report.html")), /^<!DOCTYPE html>/);
  // Links run from the leaderboard's folder to the records.
  const href = `${runs.split("/").pop()}/bench-new.json`;
  ok(written.includes(`](../${href})`), "relative link to the runs directory");
  strictEqual(await cli("--check"), 0);
  strictEqual(await cli(), 0);
  strictEqual(await Deno.readTextFile(leaderboard), written, "regenerating is byte-identical");
  await Deno.writeTextFile(leaderboard, written + "edited by hand\n");
  strictEqual(await cli("--check"), 1);
  strictEqual(await Deno.readTextFile(leaderboard), written + "edited by hand\n");
  await Deno.writeTextFile(join(runs, "bad.json"), "[1, 2]");
  strictEqual(await cli(), 1, "a malformed record fails the command");
  await Deno.remove(runs, { recursive: true });
  await Deno.remove(out, { recursive: true });
});
