/**
 * `deno task bench --peers` end to end on tiny models: every model row of the
 * record carries each peer's sequences/s spread and the WebGPU/peer ratio, the
 * record lists the peers, and unknown peer names are a usage error.
 */
import assert from "node:assert/strict";
import { runCli } from "../tests/_cli.ts";
import { parsePeers, PEERS } from "./peers.ts";

const PEER_NAMES = ["ort-web-webgpu", "ort-web-wasm"];

Deno.test({
  name: "bench --peers records each peer's seq/s beside WebGPU and ORT",
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const benchPeers = async (peers: string[]) => {
        const { code, stdout, stderr } = await runCli([
          "bench",
          ...["--models", "tiny-albert,tiny-bert-pals", "--batch", "2", "--seq-len", "8"],
          ...["--peers", peers.join(","), "--runs", "2", "--warmup", "1"],
          ...["--json", "--out", out],
        ]);
        assert.equal(code, 0, stderr);
        return JSON.parse(stdout);
      };
      const record = await benchPeers(PEER_NAMES);
      assert.deepEqual(record.peers, PEER_NAMES);
      assert.deepEqual(record.models.map((m: { name: string }) => m.name), [
        "tiny-albert",
        "tiny-bert-pals",
      ]);
      for (const row of record.models) {
        assert.deepEqual(Object.keys(row.peers), PEER_NAMES);
        for (const peer of PEER_NAMES) {
          const { median, min, max } = row.peers[peer];
          assert.ok(0 < min && min <= median && median <= max, `${row.name} ${peer}`);
          assert.equal(row.details.peers[peer].samplesMs.length, 2);
          const ratio = row.webgpuOverPeers[peer];
          assert.ok(Math.abs(ratio - row.webgpu.median / median) <= 1e-9 * ratio);
        }
      }
      // The record on disk is the one printed.
      const files = [...Deno.readDirSync(out)].map((e) => e.name);
      assert.equal(files.length, 1, `one record and no temp file, got ${files.join(", ")}`);
      const written = JSON.parse(await Deno.readTextFile(`${out}/${files[0]}`));
      assert.deepEqual(written.models, record.models);
      // The peers are part of the work key: other peers are other work, never a reused record.
      const wasmOnly = await benchPeers(["ort-web-wasm"]);
      assert.equal(wasmOnly.reused, false);
      assert.notEqual(wasmOnly.workKey, record.workKey);
      assert.deepEqual(wasmOnly.peers, ["ort-web-wasm"]);
      assert.deepEqual(Object.keys(wasmOnly.models[0].peers), ["ort-web-wasm"]);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("bench --peers with an unknown name exits 2 naming the known peers", async () => {
  const { code, stdout, stderr } = await runCli(["bench", "--peers", "ort-web-wasm,tfjs"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /Unknown peer "tfjs": known peers are ort-web-webgpu, ort-web-wasm/);
});

Deno.test("bench --peers with --train is a usage error", async () => {
  const { code, stderr } = await runCli(["bench", "--train", "--peers", "ort-web-wasm"]);
  assert.equal(code, 2);
  assert.match(stderr, /"--peers" times inference \(forward passes or GEMMs\), not --train/);
});

Deno.test("parsePeers trims, drops duplicates and knows every peer", () => {
  assert.deepEqual(parsePeers(" ort-web-wasm, ort-web-wasm ,ort-web-webgpu"), [
    "ort-web-wasm",
    "ort-web-webgpu",
  ]);
  assert.deepEqual(Object.keys(PEERS), PEER_NAMES);
  assert.throws(() => parsePeers(","), /lists no peer/);
});

Deno.test({
  name: "the GEMM benchmark times each peer's MatMul on the same shape",
  sanitizeResources: false,
  async fn() {
    const { gemmBenchmark } = await import("./gemm.ts");
    const shape = { m: 24, n: 40, k: 32 };
    const [row] = await gemmBenchmark({
      shapes: [shape],
      reps: 2,
      warmup: 1,
      peers: ["ort-web-webgpu", "ort-web-wasm"],
    });
    assert.deepEqual({ m: row.m, n: row.n, k: row.k }, shape);
    assert.deepEqual(Object.keys(row.peerGflops ?? {}), PEER_NAMES);
    for (const peer of PEER_NAMES) {
      const { median, min, max } = row.peerGflops![peer];
      assert.ok(0 < min && min <= median && median <= max, peer);
    }
    // Without peers the row has no peer field, so older records read the same.
    const [plain] = await gemmBenchmark({ shapes: [shape], reps: 1, warmup: 0 });
    assert.equal(plain.peerGflops, undefined);
  },
});
