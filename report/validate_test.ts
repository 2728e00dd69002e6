/**
 * Records the report reads are checked field by field: a corrupt figure, an
 * unknown kind or a malformed PALs row is an error naming the file and the
 * field (the report exits 1 and writes nothing), never a cell that silently
 * says "no run" or is filled by an older record. Figures records legitimately
 * lack (ONNX Runtime's, an unlabelled split's metrics, a NaN metric) still load.
 */
import { deepStrictEqual, match, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { reportCommand } from "../cli/report.ts";
import { runCli } from "../tests/_cli.ts";
import type { RunRecord } from "../runtime/records.ts";
import { loadRecords, RecordError } from "./records.ts";
import { recordProblem } from "./validate.ts";
import { benchInference, edited, evalRecord, spread, trainRecord, writeRuns } from "./_fixtures.ts";

const AT = "2026-02-01T00:00:00.000Z";

const palsTable = {
  kind: "pals-table",
  rows: [{
    method: { name: "pals-sqrt", label: "PALs", adapter: "pals", schedule: "sqrt" },
    multiplier: 1.13,
    scores: [{ task: "glue/rte", score: 55, metrics: { accuracy: 55 } }],
    average: 55,
  }],
  createdAt: AT,
};

const gemm = {
  kind: "bench",
  suite: "gemm",
  gemm: [{
    m: 8,
    n: 8,
    k: 8,
    webgpuGflops: spread(2, 1, 3),
    ortGflops: spread(4, 3, 5),
    peerGflops: { "ort-web-webgpu": spread(1, 1, 1) },
  }],
  createdAt: AT,
};

/** One record of each kind the report reads, as the commands write them. */
const GOOD: Record<string, RunRecord> = {
  bench: benchInference(AT, [{ name: "albert-base-v2", webgpu: spread(10, 9, 11) }]),
  gemm,
  eval: evalRecord(AT, "albert-base-v2", "glue/rte", { accuracy: 60 }),
  train: trainRecord(AT, "cfg.json", "glue/rte", 0, { accuracy: 55 }, {
    lossCurve: [[0, 0.7], [10, 0.5]],
  }),
  pals: palsTable,
};

/** Corrupt records: the record they start from, the edit, and the field the error must name. */
const CORRUPT: [keyof typeof GOOD, (string | number)[], unknown, string][] = [
  ["bench", ["models", 0, "webgpu"], { median: "x" }, "models[0].webgpu.median"],
  ["bench", ["models", 0, "webgpu"], undefined, "models[0].webgpu"],
  ["bench", ["models", 0, "ort", "min"], -1, "models[0].ort.min"],
  ["bench", ["models", 0, "batch"], "2", "models[0].batch"],
  ["bench", ["kind"], "weird", "kind"],
  ["bench", ["dtype"], "bf16", "dtype"],
  ["bench", ["createdAt"], "yesterday", "createdAt"],
  ["gemm", ["gemm", 0, "ortGflops"], { median: 1, min: 1 }, "gemm[0].ortGflops.max"],
  ["gemm", ["gemm", 0, "peerGflops", "ort-web-webgpu"], 5, "gemm[0].peerGflops.ort-web-webgpu"],
  ["eval", ["metrics", "accuracy"], "60", "metrics.accuracy"],
  ["eval", ["metricsCi"], { accuracy: { low: "55", high: 65 } }, "metricsCi.accuracy.low"],
  ["eval", ["backend"], "wasm", "backend"],
  ["eval", ["limit"], -5, "limit"],
  ["train", ["tasks", 0, "best", "score"], "high", "tasks[0].best.score"],
  ["train", ["tasks", 0, "best", "metrics", "accuracy"], [55], "tasks[0].best.metrics.accuracy"],
  ["train", ["seed"], "0", "seed"],
  ["train", ["lossCurve", 1], [10, "0.5"], "lossCurve[1][1]"],
  ["pals", ["rows", 0, "scores"], ["x"], "rows[0].scores[0]"],
  [
    "pals",
    ["rows", 0, "scores", 0, "metrics", "accuracy"],
    "55",
    "rows[0].scores[0].metrics.accuracy",
  ],
  ["pals", ["rows", 0, "average"], "55", "rows[0].average"],
];

Deno.test("records as the commands write them, and the figures they may lack, are accepted", () => {
  for (const [name, record] of Object.entries(GOOD)) {
    strictEqual(recordProblem(record), undefined, name);
  }
  const accepted: RunRecord[] = [
    edited(GOOD.bench, ["models", 0, "ort"], undefined), // no ONNX Runtime figure
    edited(GOOD.gemm, ["gemm", 0, "ortGflops"], null),
    edited(GOOD.eval, ["metrics"], null), // an unlabelled (test) split
    edited(GOOD.eval, ["metrics", "accuracy"], null), // NaN as JSON writes it
    { ...GOOD.eval, shard: { index: 1, count: 2 }, metrics: undefined }, // metrics come at merge
    // A train record from before multi-task training: one task and best at the top level.
    { kind: "train", model: "m", task: "glue/rte", seed: 0, best: { score: 1, metrics: {} } },
    { kind: "gate-baseline", version: 1, scores: [], speed: [] },
  ];
  for (const record of accepted) strictEqual(recordProblem(record), undefined);
});

Deno.test("a corrupt field is an error naming the file and the field", async () => {
  for (const [base, path, value, field] of CORRUPT) {
    const dir = await writeRuns({ ...GOOD, corrupt: edited(GOOD[base], path, value) });
    try {
      await rejects(loadRecords(dir), (e: Error) => {
        ok(e instanceof RecordError, `${field}: ${e}`);
        const prefix = `Cannot read run record "${join(dir, "corrupt.json")}": "${field}" must be `;
        ok(e.message.startsWith(prefix), `${field}: ${e.message}`);
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test({
  name: "report exits 1 on a corrupt record and leaves its outputs as they were",
  sanitizeResources: false,
  async fn() {
    // Corrupt the newer of two bench runs: the older one must not fill in for it.
    const older = benchInference("2026-01-01T00:00:00.000Z", [
      { name: "albert-base-v2", webgpu: spread(1, 1, 1) },
    ]);
    const runs = await writeRuns({
      older,
      newer: edited(GOOD.bench, ["models", 0, "webgpu"], { median: "x" }),
    });
    const out = await Deno.makeTempDir({ prefix: "report-out-" });
    try {
      await Deno.writeTextFile(join(out, "LEADERBOARD.md"), "the published table\n");
      await Deno.writeTextFile(join(out, "report.html"), "the published page\n");
      const { code, stdout, stderr } = await runCli(["report", "--runs", runs, "--out", out]);
      strictEqual(code, 1, stdout);
      strictEqual(
        stderr.trim(),
        `error: Cannot read run record "${join(runs, "newer.json")}": ` +
          `"models[0].webgpu.median" must be a positive finite number, not "x"`,
      );
      strictEqual(await Deno.readTextFile(join(out, "LEADERBOARD.md")), "the published table\n");
      strictEqual(await Deno.readTextFile(join(out, "report.html")), "the published page\n");
      strictEqual(await reportCommand(["--runs", runs, "--out", out, "--check"]), 1);
    } finally {
      await Deno.remove(runs, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("a runs directory without run records writes nothing and exits 1", async () => {
  const out = await Deno.makeTempDir({ prefix: "report-out-" });
  const shard = benchInference(AT, [{ name: "albert-base-v2", webgpu: spread(1, 1, 1) }], {
    shard: { index: 1, count: 2 },
  });
  const baseline = { kind: "gate-baseline", version: 1, scores: [], speed: [] };
  try {
    await Deno.writeTextFile(join(out, "LEADERBOARD.md"), "the published table\n");
    for (const records of [{}, { shard }, { baseline }]) {
      const runs = await writeRuns(records);
      try {
        strictEqual(
          await reportCommand(["--runs", runs, "--out", out]),
          1,
          Object.keys(records)[0],
        );
        strictEqual(await reportCommand(["--runs", runs, "--out", out, "--check"]), 1);
      } finally {
        await Deno.remove(runs, { recursive: true });
      }
    }
    strictEqual(await Deno.readTextFile(join(out, "LEADERBOARD.md")), "the published table\n");
    await rejects(Deno.stat(join(out, "report.html")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "the empty-directory error names the directory",
  sanitizeResources: false,
  async fn() {
    const runs = await writeRuns({});
    const out = await Deno.makeTempDir({ prefix: "report-out-" });
    try {
      const { code, stderr } = await runCli(["report", "--runs", runs, "--out", out]);
      strictEqual(code, 1);
      match(stderr, new RegExp(`^error: No run records in ${runs}`));
      deepStrictEqual([...Deno.readDirSync(out)], []);
    } finally {
      await Deno.remove(runs, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});
