/**
 * `bench --profile` end to end on a tiny model: the record's model row carries
 * the profile, and the printed profile never shows kernel times that were not
 * measured (an adapter without `timestamp-query`).
 */
import assert from "node:assert/strict";
import { hasWebGpuAdapter } from "../runtime/device.ts";
import { runCli } from "../tests/_cli.ts";
import { type ForwardProfile, printProfile } from "./profile.ts";

const noGpu = !(await hasWebGpuAdapter()) && !Deno.env.get("CI");

Deno.test({
  name: "bench --profile --json records dispatches, submits and kernels per model",
  ignore: noGpu,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const { code, stdout, stderr } = await runCli([
        "bench",
        ...["--models", "tiny-albert", "--batch", "2", "--seq-len", "8", "--profile"],
        ...["--warmup", "1", "--runs", "2", "--json", "--force", "--out", out],
      ]);
      assert.equal(code, 0, stderr);
      const [row] = JSON.parse(stdout).models;
      const profile = row.profile as ForwardProfile;
      // Embeddings, E→H projection, 7 per layer for 2 layers, pooler.
      assert.equal(profile.dispatches, 17);
      assert.equal(profile.submits, 1);
      assert.equal(profile.passes, 2);
      assert.equal(profile.kernels.reduce((s, k) => s + k.count, 0), 17);
      assert.deepEqual(
        profile.kernels.map((k) => k.name).sort(),
        ["attention", "embeddings", "layernorm", "matmul", "matmul+gelu_new", "matmul+tanh"],
      );
      for (const k of profile.kernels) {
        if (profile.timestamps) assert.ok(k.ms! > 0, k.name);
        else assert.equal(k.ms, null);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("bench --profile with --train is a usage error", async () => {
  const { code, stderr } = await runCli(["bench", "--profile", "--train"]);
  assert.equal(code, 2);
  assert.match(stderr, /^error: Flag "--profile" profiles inference/);
});

Deno.test("printProfile without timestamps prints counts and says why there are no times", () => {
  const profile: ForwardProfile = {
    dispatches: 3,
    copies: 0,
    submits: 1,
    writes: 3,
    passes: 1,
    timestamps: false,
    wallMs: 12.5,
    gpuMs: null,
    kernels: [{ name: "matmul", count: 2, ms: null }, { name: "layernorm", count: 1, ms: null }],
  };
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    printProfile({ name: "m", batch: 1, seqLen: 4, profile }, "Some Adapter");
  } finally {
    console.log = log;
  }
  const text = lines.join("\n");
  assert.match(text, /3 compute dispatches, 1 command-buffer submit,/);
  assert.match(text, /Per-kernel times need GPU timestamp queries/);
  assert.match(text, /Some Adapter/);
  assert.doesNotMatch(text, /total ms|µs|GPU \d/);
});
