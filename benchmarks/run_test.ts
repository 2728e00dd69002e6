/**
 * `deno task bench` end to end on tiny models: the JSON record on stdout has
 * the documented fields, the same record is written atomically under --out,
 * and bad input exits non-zero with one clear message.
 */
import assert from "node:assert/strict";
import { runCli } from "../tests/_cli.ts";

const bench = (args: string[]) => runCli(["bench", ...args]);

/** Bench the two tiny models at batch 2, sequence 8 into a temporary --out; returns the record and its files. */
async function benchTiny(extra: string[]) {
  const out = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await bench([
      ...extra,
      ...["--models", "tiny-albert,tiny-bert-pals", "--batch", "2", "--seq-len", "8"],
      ...["--warmup", "1", "--json", "--out", out],
    ]);
    assert.equal(code, 0, stderr);
    const files = [...Deno.readDirSync(out)].map((e) => e.name);
    const written = files.filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(Deno.readTextFileSync(`${out}/${f}`)));
    return { record: JSON.parse(stdout), files, written };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test({
  name: "bench --json prints and writes a run record with both engines",
  sanitizeResources: false,
  async fn() {
    const { record, files, written } = await benchTiny(["--reps", "3"]);
    assert.equal(record.kind, "bench");
    assert.deepEqual(record.models.map((m: { name: string }) => m.name), [
      "tiny-albert",
      "tiny-bert-pals",
    ]);
    for (const row of record.models) {
      assert.equal(row.batch, 2);
      assert.equal(row.seqLen, 8);
      assert.ok(row.params > 0);
      for (const engine of [row.webgpu, row.ort]) {
        assert.ok(engine.min <= engine.median && engine.median <= engine.max);
        assert.ok(engine.min > 0);
      }
      // The reference model is not in this run, so there is no speed-up to report.
      assert.equal(row.speedup, null);
      assert.equal(row.details.webgpu.samplesMs.length, 3);
      assert.match(row.fingerprint.configHash, /^[0-9a-f]{64}$/);
    }
    assert.equal(files.length, 1, `one record and no temp file, got ${files.join(", ")}`);
    assert.match(files[0], /^bench-.*\.json$/);
    assert.deepEqual(written[0].models, record.models);
  },
});

Deno.test("bench with a malformed checkpoint exits 1 naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/config.json`, '{"model_type": "gpt2"}');
    const out = `${dir}/records`;
    const { code, stderr } = await bench(["--models", dir, "--json", "--out", out]);
    assert.equal(code, 1);
    assert.match(stderr, /unknown model_type "gpt2"/);
    assert.match(stderr, /config\.json/);
    // The config is read before any work, so not even the records directory was made.
    assert.throws(() => Deno.statSync(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench without a WebGPU adapter exits 1 with a hint", async () => {
  // wgpu finds no adapter when restricted to a backend this platform lacks.
  const { code, stderr } = await runCli(["bench"], {
    DENO_WEBGPU_BACKEND: Deno.build.os === "linux" ? "dx12" : "vulkan",
  });
  assert.equal(code, 1);
  assert.match(stderr, /No WebGPU adapter found/);
});

Deno.test({
  name: "bench --train --json records training tokens/s of every model",
  sanitizeResources: false,
  async fn() {
    const { record } = await benchTiny(["--train", "--reps", "5"]);
    assert.equal(record.mode, "train");
    assert.deepEqual(record.models.map((m: { name: string }) => m.name), [
      "tiny-albert",
      "tiny-bert-pals",
    ]);
    for (const row of record.models) {
      const { median, min, max } = row.tokensPerSecond;
      assert.ok(0 < min && min <= median && median <= max);
      assert.equal(row.details.samplesMs.length, 5);
      // tokens/s is batch × sequence over each step's wall time.
      const fastest = Math.min(...row.details.samplesMs);
      assert.ok(Math.abs(max - (2 * 8 * 1000) / fastest) < 1e-6 * max);
      assert.equal(row.speedup, null);
    }
  },
});
