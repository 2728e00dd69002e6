/**
 * A bench suite killed midway and rerun redoes only its unfinished models:
 * the finished model's row comes back from the partial file unchanged, the
 * rest are measured, and a third run reuses the whole record (`--force`
 * measures again). Also `--shard` + `merge` on a short suite, and a model
 * given as a file, whose record is reused only while the file is unchanged.
 */
import { deepStrictEqual, notStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../tests/_cli.ts";
import { configToJson } from "../models/config.ts";
import { zooEntry } from "../models/zoo.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;
// The middle model takes seconds to build, so the kill lands while it is being measured.
const MODELS = "tiny-albert,albert-base-v2,tiny-bert";
const FLAGS = [
  "--models",
  MODELS,
  "--batch",
  "1",
  "--seq-len",
  "8",
  "--warmup",
  "1",
  "--runs",
  "2",
];

/** Lines of the partial file in `dir` (header first), or [] while there is none. */
function partialLines(dir: string): string[] {
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".partial.jsonl")) {
      return Deno.readTextFileSync(join(dir, e.name)).split("\n").filter((l) => l.length > 0);
    }
  }
  return [];
}

/** Start `bench FLAGS --out OUT ...extra`; return once its partial file holds one finished model. */
async function benchUntilOneModelFinished(out: string, extra: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "bench", ...FLAGS, "--out", out, ...extra],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const deadline = Date.now() + 120_000;
  while (partialLines(out).length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return child;
}

Deno.test({
  name: "bench killed midway resumes at its first unfinished model",
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "bench-resume-" });
    try {
      const child = await benchUntilOneModelFinished(out, ["--json"]);
      child.kill("SIGKILL");
      await child.output();
      const killed = partialLines(out);
      strictEqual(killed.length, 2, "killed after exactly one finished model");
      const finished = JSON.parse(killed[1]);
      strictEqual(finished.unit, "tiny-albert");
      const records = () => [...Deno.readDirSync(out)].filter((e) => e.name.endsWith(".json"));
      strictEqual(records().length, 0, "no record of an unfinished run");

      const rerun = await runCli(["bench", ...FLAGS, "--out", out, "--json"]);
      strictEqual(rerun.code, 0, rerun.stderr);
      const record = JSON.parse(rerun.stdout);
      strictEqual(record.reused, false);
      deepStrictEqual(record.reusedUnits, ["tiny-albert"]);
      deepStrictEqual(record.models.map((m: { name: string }) => m.name), MODELS.split(","));
      // The finished model was not measured again: its samples are the killed run's.
      deepStrictEqual(record.models[0].details, finished.value.details);
      for (const row of record.models.slice(1)) strictEqual(row.details.webgpu.samplesMs.length, 2);
      strictEqual(partialLines(out).length, 0, "the partial file is gone once the record exists");
      strictEqual(records().length, 1);

      const again = await runCli(["bench", ...FLAGS, "--out", out, "--json"]);
      strictEqual(again.code, 0, again.stderr);
      const reused = JSON.parse(again.stdout);
      strictEqual(reused.reused, true);
      strictEqual(reused.path, record.path);
      const forced = await runCli(["bench", ...FLAGS, "--out", out, "--json", "--force"]);
      strictEqual(forced.code, 0, forced.stderr);
      const fresh = JSON.parse(forced.stdout);
      strictEqual(fresh.reused, false);
      deepStrictEqual(fresh.reusedUnits, []);
      notStrictEqual(fresh.path, record.path);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "bench stopped by Ctrl-C says what it kept, exits 130 and leaves its partial file",
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "bench-sigint-" });
    try {
      const child = await benchUntilOneModelFinished(out, []);
      child.kill("SIGINT");
      const { code, stderr } = await child.output();
      strictEqual(code, 130);
      const lines = new TextDecoder().decode(stderr).trim().split("\n");
      strictEqual(
        lines.at(-1),
        "interrupted: the models or shapes finished so far are saved; run the same command again to resume from them",
      );
      strictEqual(partialLines(out).length, 2, "the finished model is kept for the rerun");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "bench --shard i/2 then merge gives every model once, in suite order",
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "bench-shards-" });
    try {
      const models = "tiny-albert,tiny-bert,tiny-bert-pals";
      const flags = ["--models", models, "--batch", "1", "--seq-len", "8", "--warmup", "0"];
      const shards = [];
      for (const i of [1, 2]) {
        const run = await runCli([
          "bench",
          ...flags,
          "--runs",
          "1",
          "--shard",
          `${i}/2`,
          "--out",
          out,
          "--json",
        ]);
        strictEqual(run.code, 0, run.stderr);
        shards.push(JSON.parse(run.stdout));
      }
      deepStrictEqual(shards[0].models.map((m: { name: string }) => m.name), [
        "tiny-albert",
        "tiny-bert-pals",
      ]);
      deepStrictEqual(shards[1].models.map((m: { name: string }) => m.name), ["tiny-bert"]);
      strictEqual(shards[0].workKey, shards[1].workKey);
      const merge = await runCli(["merge", out, "--json"]);
      strictEqual(merge.code, 0, merge.stderr);
      const [merged] = JSON.parse(merge.stdout);
      const record = JSON.parse(Deno.readTextFileSync(merged.path));
      deepStrictEqual(record.models.map((m: { name: string }) => m.name), models.split(","));
      deepStrictEqual(record.models[1], shards[1].models[0]);
      strictEqual(record.shard, undefined);
      ok(record.mergedFrom.length === 2);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "bench of a config file reuses its record only while the file is unchanged",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bench-file-" });
    try {
      const config = join(dir, "config.json");
      const json = configToJson(zooEntry("tiny-albert").config);
      await Deno.writeTextFile(config, JSON.stringify(json));
      const flags = ["--models", config, ...FLAGS.slice(2), "--out", join(dir, "out"), "--json"];
      const bench = async () => {
        const run = await runCli(["bench", ...flags]);
        strictEqual(run.code, 0, run.stderr);
        return JSON.parse(run.stdout).reused;
      };
      deepStrictEqual([await bench(), await bench()], [false, true]);
      // Same path, another model: new work.
      await Deno.writeTextFile(config, JSON.stringify({ ...json, intermediate_size: 48 }));
      strictEqual(await bench(), false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
