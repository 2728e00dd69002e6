/**
 * The regression gate on synthetic records: the baseline passes against
 * itself; a 2-point score drop fails; a 30% slowdown fails when the five-run
 * ranges separate and passes when they overlap; a machine that is slower for
 * both sides of a ratio passes; the command's exit codes are 0, 1 and 2.
 */
import assert, { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../tests/_cli.ts";
import type { RunRecord } from "../runtime/records.ts";
import { checksOfRecord, compareSnapshots, gateMarkdown, mergeSnapshots } from "./gate.ts";
import { edited, evalRecord as devEval, trainRecord, writeRuns } from "../report/_fixtures.ts";

const range = (median: number, spread: number) => ({
  median,
  min: median * (1 - spread),
  max: median * (1 + spread),
});

function evalRecord(accuracy: number): RunRecord {
  return devEval("2026-11-22T10:00:00.000Z", "albert-base-v2", "glue/sst2", { accuracy });
}

/** WebGPU at `webgpu` seq/s (±`spread`) against ONNX Runtime at `ort` seq/s (±2%). */
function benchRecord(webgpu: number, spread: number, ort = 100): RunRecord {
  return {
    kind: "bench",
    suite: "default",
    models: [{
      name: "albert-base-v2",
      batch: 2,
      seqLen: 64,
      webgpu: range(webgpu, spread),
      ort: range(ort, 0.02),
    }],
    createdAt: "2026-11-22T11:00:00.000Z",
  };
}

function snapshot(...records: RunRecord[]) {
  return mergeSnapshots(records.map((r, i) => checksOfRecord(r, `run-${i}`)));
}

const baseline = snapshot(evalRecord(82), benchRecord(10, 0.02));
const status = (current: ReturnType<typeof snapshot>) =>
  compareSnapshots(baseline, current).lines.map((l) => `${l.kind} ${l.status}`);

Deno.test("the baseline passes against itself", () => {
  const result = compareSnapshots(baseline, baseline);
  assert.equal(result.regressions, 0);
  assert.equal(result.compared, 2);
});

Deno.test("a 2-point score drop fails; a 0.4-point drop passes", () => {
  assert.deepEqual(status(snapshot(evalRecord(80), benchRecord(10, 0.02))), [
    "score regression",
    "speed pass",
  ]);
  assert.deepEqual(status(snapshot(evalRecord(81.6), benchRecord(10, 0.02))), [
    "score pass",
    "speed pass",
  ]);
});

Deno.test("a metric that became undefined (NaN, stored as null) is a regression", () => {
  // As written and read back: JSON.stringify turns NaN into null.
  const stored = JSON.parse(JSON.stringify(evalRecord(NaN)));
  strictEqual(stored.metrics.accuracy, null);
  assert.deepEqual(status(snapshot(stored, benchRecord(10, 0.02))), [
    "score regression",
    "speed pass",
  ]);
});

Deno.test("eval runs on ONNX Runtime or in f16 are checked under their own ids", () => {
  const ids = [{}, { backend: "onnx" }, { dtype: "f16" }].map((extra) =>
    checksOfRecord({ ...evalRecord(82), ...extra }, "run").scores[0].id
  );
  deepStrictEqual(ids, [
    "eval albert-base-v2 glue/sst2 dev",
    "eval albert-base-v2 onnx glue/sst2 dev",
    "eval albert-base-v2 f16 glue/sst2 dev",
  ]);
});

Deno.test("a 30% slowdown fails only when the ranges do not overlap", () => {
  assert.deepEqual(status(snapshot(evalRecord(82), benchRecord(7, 0.02))), [
    "score pass",
    "speed regression",
  ]);
  // Same median, but a noisy run whose range reaches the baseline's.
  assert.deepEqual(status(snapshot(evalRecord(82), benchRecord(7, 0.5))), [
    "score pass",
    "speed pass",
  ]);
});

Deno.test("a slower machine alone does not fail: speed is a ratio within one run", () => {
  assert.deepEqual(status(snapshot(evalRecord(82), benchRecord(7, 0.02, 70))), [
    "score pass",
    "speed pass",
  ]);
});

Deno.test("an f16 run is checked under its own ids, never against the f32 baseline", () => {
  const f16 = { ...benchRecord(3, 0.02), dtype: "f16", createdAt: "2026-11-22T12:00:00.000Z" };
  const ids = checksOfRecord(f16, "f16-run").speed.map((c) => c.id);
  deepStrictEqual(ids, ["bench default f16 albert-base-v2 b2s64"]);
  // Newer and 3× slower than the f32 baseline, yet the f32 check still reads the f32 run.
  const lines = compareSnapshots(baseline, snapshot(evalRecord(82), benchRecord(10, 0.02), f16))
    .lines;
  const f32Line = lines.find((l) => l.id === "bench default albert-base-v2 b2s64");
  strictEqual(f32Line?.status, "pass");
  const gemm = checksOfRecord({
    kind: "bench",
    suite: "gemm",
    dtype: "f16",
    gemm: [{ m: 8, n: 8, k: 8, webgpuGflops: range(30, 0), ortGflops: range(300, 0) }],
  }, "gemm-run").speed.map((c) => c.id);
  deepStrictEqual(gemm, ["gemm f16 8x8x8"]);
});

Deno.test("checks missing from the current records are listed, not failed", () => {
  const result = compareSnapshots(baseline, snapshot(evalRecord(82)));
  assert.deepEqual(result.lines.map((l) => l.status), ["pass", "not measured"]);
  assert.match(
    gateMarkdown(result, { score: 0.5, speed: 0.1 }),
    /✅ Regression gate: 1 checks pass/,
  );
});

Deno.test({
  name: "gate exits 0 on a pass, 1 on a regression, 2 on unusable input; --update writes",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const cli = (...args: string[]) => runCli(args);
    try {
      const write = async (name: string, record: RunRecord) => {
        const path = join(dir, name);
        await Deno.writeTextFile(path, JSON.stringify(record));
        return path;
      };
      const base = [
        await write("a.json", evalRecord(82)),
        await write("b.json", benchRecord(10, 0.02)),
      ];
      const file = join(dir, "baseline.json");
      const update = await cli("gate", "--update", "--baseline", file, "--current", base.join(","));
      assert.equal(update.code, 0, update.stderr);
      // An undefined metric is left out of a baseline (--update), not written as null.
      const nan = await write("nan.json", {
        ...evalRecord(NaN),
        task: "glue/stsb",
        metrics: { pearson: NaN, spearman: 0.5 },
      });
      const nanBaseline = join(dir, "nan-baseline.json");
      const nanUpdate = await cli("gate", "--update", "--baseline", nanBaseline, "--current", nan);
      assert.equal(nanUpdate.code, 0, nanUpdate.stderr);
      const nanScores = JSON.parse(await Deno.readTextFile(nanBaseline)).scores;
      assert.deepEqual(nanScores.map((c: { metric: string }) => c.metric), ["spearman"]);
      const same = await cli("gate", "--baseline", file, "--current", base.join(","));
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /✅ Regression gate: 2 checks pass/);
      // A directory: its baseline.json and an interrupted atomic write are not current records.
      const runs = join(dir, "runs");
      await Deno.mkdir(runs);
      for (const path of [...base, file]) {
        await Deno.copyFile(path, join(runs, path.split("/").pop()!));
      }
      await Deno.writeTextFile(join(runs, "c.json.4242-0a1b2c3d.tmp"), "{ half");
      const fromDir = await cli("gate", "--baseline", file, "--current", runs);
      assert.equal(fromDir.code, 0, fromDir.stderr);
      assert.match(fromDir.stdout, /✅ Regression gate: 2 checks pass/);
      await Deno.writeTextFile(join(runs, "broken.json"), "{ not json");
      const badDir = await cli("gate", "--baseline", file, "--current", runs);
      assert.equal(badDir.code, 2);
      assert.match(badDir.stderr, /broken\.json/);
      const slow = await write("c.json", {
        ...benchRecord(7, 0.02),
        createdAt: "2026-11-23T00:00:00Z",
      });
      const regressed = await cli(
        "gate",
        "--baseline",
        file,
        "--current",
        [...base, slow].join(","),
      );
      assert.equal(regressed.code, 1);
      assert.match(regressed.stdout, /❌ Regression gate: 1 regression\(s\) in 2 checks/);
      assert.match(
        regressed.stdout,
        /\| ❌ regression \| speed \| bench default albert-base-v2 b2s64 /,
      );

      const corrupt = await write("corrupt.json", { kind: "eval" } as RunRecord);
      await Deno.writeTextFile(corrupt, "{ not json");
      const bad = await cli("gate", "--baseline", file, "--current", corrupt);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /corrupt\.json/);
      const missing = await cli("gate", "--baseline", join(dir, "none.json"), "--current", base[0]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /No baseline at .*none\.json/);
      const unrelated = await write("d.json", { ...evalRecord(82), task: "glue/rte" });
      const nothing = await cli("gate", "--baseline", file, "--current", unrelated);
      assert.equal(nothing.code, 2);
      assert.match(nothing.stderr, /None of the 2 checks/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("train records give one score check per task, named by adapter, schedule and f16", () => {
  const train = (adapter: string | null, schedule: string | null, dtype?: string): RunRecord => ({
    kind: "train",
    model: "small.json",
    seed: 0,
    adapter,
    schedule,
    ...(dtype ? { dtype } : {}),
    tasks: [{ task: "glue/rte", best: { score: 55, epoch: 2, metrics: { accuracy: 55 } } }],
  });
  const records = [
    train(null, null),
    train("none", "round-robin"),
    train("pals", "sqrt"),
    // Mixed precision is another method: never compared with the f32 run's baseline.
    train(null, null, "f16"),
    train("pals", "sqrt", "f16"),
  ];
  const ids = records.flatMap((r) =>
    checksOfRecord(r, "run").scores.map((c) => `${c.id} ${c.metric}`)
  );
  assert.deepEqual(ids, [
    "train small.json glue/rte seed 0 accuracy",
    "train small.json none round-robin glue/rte seed 0 accuracy",
    "train small.json pals sqrt glue/rte seed 0 accuracy",
    "train small.json f16 glue/rte seed 0 accuracy",
    "train small.json pals sqrt f16 glue/rte seed 0 accuracy",
  ]);
});

Deno.test("a record before multi-task training (one task and best) gives its score check", () => {
  const legacy: RunRecord = {
    kind: "train",
    model: "tiny.json",
    task: "glue/rte",
    seed: 3,
    best: { score: 55, epoch: 1, metrics: { accuracy: 55 } },
  };
  deepStrictEqual(checksOfRecord(legacy, "old-run").scores, [
    { id: "train tiny.json glue/rte seed 3", metric: "accuracy", value: 55, run: "old-run" },
  ]);
});

Deno.test({
  name: "a corrupt figure or an unknown kind is unusable input (exit 2) naming file and field",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    // Each writeRuns call makes its own directory: all removed at the end.
    const dirs = [dir];
    const runsOf = async (records: Record<string, RunRecord>) => {
      const runs = await writeRuns(records);
      dirs.push(runs);
      return runs;
    };
    try {
      const good = {
        eval: evalRecord(82),
        bench: benchRecord(10, 0.02),
        // One seed whose best dev epoch scored 55.
        train: trainRecord("2026-11-22T09:00:00.000Z", "small.json", "glue/rte", 0, {
          accuracy: 55,
        }),
      };
      const baseline = join(dir, "baseline.json");
      const update = await runCli([
        "gate",
        "--update",
        "--baseline",
        baseline,
        "--current",
        await runsOf(good),
      ]);
      strictEqual(update.code, 0, update.stderr);
      const cases: [string, keyof typeof good, RunRecord, RegExp][] = [
        [
          "median-text",
          "bench",
          edited(good.bench, ["models", 0, "webgpu"], { median: "x" }),
          /"models\[0\]\.webgpu\.median" must be a positive finite number, not "x"/,
        ],
        ["weird-kind", "bench", edited(good.bench, ["kind"], "weird"), /"kind" must be one of/],
        [
          "score-text",
          "train",
          edited(good.train, ["tasks", 0, "best", "score"], "high"),
          /"tasks\[0\]\.best\.score" must be a number \(or null\), not "high"/,
        ],
        [
          "metric-text",
          "eval",
          edited(good.eval, ["metrics", "accuracy"], "82"),
          /"metrics\.accuracy" must be a number \(or null\), not "82"/,
        ],
        // An unknown precision would otherwise be compared under the f32 run's ids.
        [
          "dtype",
          "bench",
          edited(good.bench, ["dtype"], "bf16"),
          /"dtype" must be one of f32, f16/,
        ],
      ];
      for (const [name, file, record, message] of cases) {
        const runs = await runsOf({ ...good, [file]: record });
        const gate = await runCli(["gate", "--baseline", baseline, "--current", runs]);
        strictEqual(gate.code, 2, `${name}: ${gate.stdout}`);
        const line = `error: Cannot read run record "${join(runs, `${file}.json`)}": `;
        assert(gate.stderr.startsWith(line), `${name}: ${gate.stderr}`);
        assert.match(gate.stderr, message, name);
      }
    } finally {
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});

Deno.test({
  name: "--update refuses a baseline with no check and leaves the old one as it was",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const baseline = join(dir, "baseline.json");
      const old = JSON.stringify({
        kind: "gate-baseline",
        version: 1,
        scores: [{ id: "eval m glue/rte dev", metric: "accuracy", value: 60, run: "r" }],
        speed: [],
      });
      await Deno.writeTextFile(baseline, old);
      // A test-split eval has no labels, so no metrics: it yields no check.
      const test = join(dir, "test.json");
      await Deno.writeTextFile(
        test,
        JSON.stringify({ ...evalRecord(0), split: "test", metrics: null }),
      );
      const update = await runCli(["gate", "--update", "--baseline", baseline, "--current", test]);
      strictEqual(update.code, 2, update.stdout);
      assert.match(update.stderr, /^error: --update: the current records give no check/);
      strictEqual(await Deno.readTextFile(baseline), old);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
