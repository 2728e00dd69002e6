import { deepStrictEqual, match, notStrictEqual, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { codeState, configHash, fingerprint, packageVersions, weightsHash } from "./fingerprint.ts";
import { zooEntry } from "../models/zoo.ts";
import { modelLayout, shapeSize } from "../models/layout.ts";
import type { ModelConfig } from "../models/config.ts";
import type { Weights } from "../models/model.ts";

const HEX64 = /^[0-9a-f]{64}$/;

// Deterministic weights for a config, without depending on the initialiser.
function fakeWeights(config: ModelConfig): Weights {
  const weights: Weights = new Map();
  let k = 0;
  for (const spec of modelLayout(config).tensors) {
    const data = new Float32Array(shapeSize(spec.shape));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(k++) * 0.02;
    weights.set(spec.name, data);
  }
  return weights;
}

Deno.test("config hash is stable for equal configs and changes with the config", () => {
  const config = zooEntry("tiny-bert").config;
  const copy = structuredClone(config);
  match(configHash(config), HEX64);
  strictEqual(configHash(copy), configHash(config));
  notStrictEqual(configHash({ ...config, intermediateSize: 65 }), configHash(config));
  notStrictEqual(configHash(zooEntry("tiny-albert").config), configHash(config));
});

Deno.test("weights hash is stable for equal weights and changes when one weight changes", () => {
  const config = zooEntry("tiny-albert").config;
  const weights = fakeWeights(config);
  const again = fakeWeights(config);
  const hash = weightsHash(config, weights);
  match(hash, HEX64);
  strictEqual(weightsHash(config, again), hash);
  const name = modelLayout(config).tensors[3].name;
  again.get(name)![5] += 1e-6;
  notStrictEqual(weightsHash(config, again), hash);
});

Deno.test("weights hash names a missing tensor", () => {
  const config = zooEntry("tiny-bert").config;
  const weights = fakeWeights(config);
  const name = modelLayout(config).tensors[0].name;
  weights.delete(name);
  throws(() => weightsHash(config, weights), new RegExp(`"${name.replaceAll(".", "\\.")}"`));
});

Deno.test("fingerprint collects hashes, versions, git state and data file hashes", async () => {
  const config = zooEntry("tiny-bert").config;
  const dir = await Deno.makeTempDir();
  try {
    const data = `${dir}/train.tsv`;
    await Deno.writeTextFile(data, "index\tsentence\n0\thello\n");
    const options = {
      config,
      weights: fakeWeights(config),
      task: "sst2",
      dataFiles: [data],
      backend: { name: "webgpu" as const, device: "llvmpipe", features: ["timestamp-query"] },
      seed: 42,
    };
    const first = await fingerprint(options);
    const second = await fingerprint(options);
    deepStrictEqual(second, first);
    strictEqual(first.configHash, configHash(config));
    match(first.weightsHash!, HEX64);
    strictEqual(first.task, "sst2");
    strictEqual(first.dataFiles.length, 1);
    strictEqual(first.dataFiles[0].bytes, 23);
    match(first.dataFiles[0].sha256, HEX64);
    strictEqual(first.backend, "webgpu");
    strictEqual(first.adapter, "llvmpipe");
    strictEqual(first.deno.deno, Deno.version.deno);
    strictEqual(first.packages["cli-table3"], "0.6.5");
    strictEqual(first.seed, 42);
    match(first.git.commit, /^([0-9a-f]{40}|unknown)$/);

    // Outside a git checkout the commit is "unknown".
    const outside = await fingerprint({ config, gitDir: dir });
    deepStrictEqual(outside.git, { commit: "unknown", dirty: false });
    strictEqual(outside.weightsHash, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("package versions read npm imports, including scoped names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/deno.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ imports: { "a": "npm:a@1.2.3", "@s/b": "npm:@s/b@^4.0.0", "c": "./c.ts" } }),
    );
    deepStrictEqual(await packageVersions(path), { "a": "1.2.3", "@s/b": "^4.0.0" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("code state follows edits to tracked and new code files, not outputs or prose", async () => {
  const dir = await Deno.makeTempDir();
  const run = (...args: string[]) =>
    new Deno.Command("git", { args, cwd: dir, stdout: "null", stderr: "null" }).output();
  try {
    // Outside a checkout the hash covers the source files themselves.
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 1;\n");
    const archive = await codeState(dir);
    strictEqual(archive.commit, "unknown");
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 2;\n");
    notStrictEqual((await codeState(dir)).changes, archive.changes);

    await run("init", "-q");
    await Deno.mkdir(join(dir, "results"));
    await Deno.writeTextFile(join(dir, "results", "LEADERBOARD.md"), "old\n");
    await run("add", ".");
    await run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init");
    const clean = await codeState(dir);
    match(clean.commit, /^[0-9a-f]{40}$/);
    strictEqual(clean.changes, undefined);
    // Regenerating the leaderboard (a tracked output) is not a code change.
    await Deno.writeTextFile(join(dir, "results", "LEADERBOARD.md"), "new\n");
    deepStrictEqual(await codeState(dir), clean);
    // Nor are outputs a run writes into the checkout (README's `--out runs/...`, shard
    // records), nor edits of tracked prose.
    await Deno.mkdir(join(dir, "runs", "sst2"), { recursive: true });
    await Deno.writeTextFile(join(dir, "runs", "sst2", "train_log.jsonl"), "{}\n");
    await Deno.writeTextFile(join(dir, "runs", "eval-1.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "README.md"), "notes\n");
    deepStrictEqual(await codeState(dir), clean);
    // A new TypeScript file in a subdirectory is code.
    await Deno.writeTextFile(join(dir, "runs", "c.ts"), "export const c = 1;\n");
    notStrictEqual((await codeState(dir)).changes, undefined);
    await Deno.remove(join(dir, "runs"), { recursive: true });
    // A new file, then an edit of it, each change the state.
    await Deno.writeTextFile(join(dir, "b.ts"), "export const b = 1;\n");
    const added = await codeState(dir);
    notStrictEqual(added.changes, undefined);
    await Deno.writeTextFile(join(dir, "b.ts"), "export const b = 2;\n");
    notStrictEqual((await codeState(dir)).changes, added.changes);
    await Deno.remove(join(dir, "b.ts"));
    // An edit of a tracked file.
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 3;\n");
    notStrictEqual((await codeState(dir)).changes, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
