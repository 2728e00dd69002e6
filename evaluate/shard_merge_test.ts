/**
 * Sharded eval end to end through the command line: three `--shard i/3` runs
 * joined by `merge` give exactly the predictions file and metrics of the
 * unsharded run; a missing shard, shards of other weights, or a second run of
 * finished work behave as documented (a clear error; the record reused unless
 * --force or its files changed).
 */
import { deepStrictEqual, match, notStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../tests/_cli.ts";
import { DATA, evalJson, VOCAB } from "./_shard_test_helpers.ts";

for (const [task, limit] of [["glue/mrpc", 30], ["squad/v1.1", 12]] as const) {
  Deno.test(`eval ${task}: three merged shards equal the unsharded run`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "shards-" });
    try {
      const whole = await evalJson(task, limit, [
        ...["--out", join(dir, "whole"), "--records", join(dir, "whole-records")],
      ]);
      const shardRecords = join(dir, "shard-records");
      for (const i of [1, 2, 3]) {
        const shard = await evalJson(task, limit, [
          ...["--shard", `${i}/3`, "--out", join(dir, "sharded"), "--records", shardRecords],
        ]);
        deepStrictEqual(shard.shard.index, i);
        strictEqual(shard.metrics, undefined, "a shard has no metrics of its own");
      }
      // Two shards alone do not make a run.
      const records = [...Deno.readDirSync(shardRecords)].map((e) => join(shardRecords, e.name))
        .filter((f) => f.endsWith(".json"));
      strictEqual(records.length, 3);
      const notSecond = records.filter((f) =>
        JSON.parse(Deno.readTextFileSync(f)).shard.index !== 2
      );
      const partial = await runCli(["merge", ...notSecond]);
      strictEqual(partial.code, 1);
      match(partial.stderr, /^error: Cannot merge eval .*shard\(s\) 2\/3 missing/);

      // Shards of other weights (the checkpoint at that path was retrained since) are refused.
      const tampered = join(dir, "tampered");
      await Deno.mkdir(tampered);
      for (const entry of Deno.readDirSync(shardRecords)) {
        const text = Deno.readTextFileSync(join(shardRecords, entry.name));
        if (!entry.name.endsWith(".json")) {
          Deno.writeTextFileSync(join(tampered, entry.name), text);
          continue;
        }
        const record = JSON.parse(text);
        record.fingerprint.weightsHash = "0".repeat(64);
        Deno.writeTextFileSync(join(tampered, entry.name), JSON.stringify(record));
      }
      const stale = await runCli(["merge", tampered]);
      strictEqual(stale.code, 1);
      match(stale.stderr, /other inputs than this merge reads: the weights changed/);

      const merge = await runCli(["merge", shardRecords, "--json"]);
      strictEqual(merge.code, 0, merge.stderr);
      const [merged] = JSON.parse(merge.stdout);
      strictEqual(merged.shards, 3);
      deepStrictEqual(merged.metrics, whole.metrics);
      const read = (p: string) => Deno.readTextFileSync(p);
      const name = whole.predictionsPath.split("/").pop();
      strictEqual(read(join(dir, "sharded", name)), read(whole.predictionsPath));
      const record = JSON.parse(read(merged.path));
      strictEqual(record.mergedFrom.length, 3);
      strictEqual(record.shard, undefined);
      deepStrictEqual(record.metrics, whole.metrics);
      ok(record.metricsCi, "the merged run gets bootstrap intervals like any run");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("eval reuses a finished run's record unless --force or its files changed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reuse-" });
  try {
    const flags = ["--out", join(dir, "out"), "--records", join(dir, "records")];
    const first = await evalJson("glue/rte", 8, flags);
    strictEqual(first.reused, false);
    const again = await evalJson("glue/rte", 8, flags);
    strictEqual(again.reused, true);
    strictEqual(again.recordPath, first.recordPath);
    deepStrictEqual(again.metrics, first.metrics);
    const forced = await evalJson("glue/rte", 8, [...flags, "--force"]);
    strictEqual(forced.reused, false);
    notStrictEqual(forced.recordPath, first.recordPath);
    deepStrictEqual(forced.metrics, first.metrics);
    // Another run over the same output directory replaces the predictions: no longer reusable.
    strictEqual((await evalJson("glue/rte", 16, flags)).reused, false);
    const redone = await evalJson("glue/rte", 8, flags);
    strictEqual(redone.reused, false);
    deepStrictEqual(redone.metrics, first.metrics);
    // --log-samples needs a run that scores, so it never reuses one.
    const samples = join(dir, "logs", "samples.jsonl"); // its directory is created
    const logged = await evalJson("glue/rte", 8, [...flags, "--log-samples", samples]);
    strictEqual(logged.reused, false);
    strictEqual(Deno.readTextFileSync(samples).trim().split("\n").length, 8);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval race is not reused once a gold answer changed (its key covers the answers)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "race-gold-" });
  try {
    // One real RACE article in a data root of our own, so its answers can be edited.
    const source = join(DATA, "race/dev/middle");
    const name = [...Deno.readDirSync(source)].map((e) => e.name).sort()[0];
    const article = JSON.parse(Deno.readTextFileSync(join(source, name)));
    for (const level of ["middle", "high"]) {
      await Deno.mkdir(join(dir, "data/race/dev", level), { recursive: true });
    }
    const write = () =>
      Deno.writeTextFileSync(join(dir, "data/race/dev/middle", name), JSON.stringify(article));
    write();
    const run = () =>
      runCli([
        ...["eval", "--model", "tiny-albert-spm", "--task", "race", "--data", join(dir, "data")],
        ...["--limit", "1", "--init-head", "1", "--tokenizer", VOCAB, "--max-seq-length", "64"],
        ...["--out", join(dir, "out"), "--records", join(dir, "records"), "--json"],
      ]);
    const first = await run();
    strictEqual(first.code, 0, first.stderr);
    strictEqual(JSON.parse((await run()).stdout).reused, true);
    const { metrics, predictionsPath } = JSON.parse(first.stdout);
    const predicted = JSON.parse(Deno.readTextFileSync(predictionsPath))[article.id][0];
    // Flip the scored question: a right prediction becomes wrong and a wrong one right.
    const right = metrics.accuracy === 100;
    article.answers[0] = right ? (predicted === "A" ? "B" : "A") : predicted;
    write();
    const edited = await run();
    strictEqual(edited.code, 0, edited.stderr);
    const outcome = JSON.parse(edited.stdout);
    strictEqual(outcome.reused, false);
    strictEqual(outcome.metrics.accuracy, right ? 0 : 100);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
