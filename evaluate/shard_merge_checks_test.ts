/**
 * `merge` of eval shards refuses damaged input with an error naming the file
 * (and line), never merging it silently: logits rows that are not base64 or
 * have the wrong width, a missing or foreign logits file, a bad "shard"
 * field, a shard given twice. A stray file that is no run record is skipped
 * with a warning, and the merge says where the predictions and metrics went.
 * Also eval's own resume file: a damaged batch is computed again (a warning
 * names its line) and the metrics are those of a clean run.
 */
import { Buffer } from "node:buffer";
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../tests/_cli.ts";
import { evalArgs, evalJson } from "./_shard_test_helpers.ts";

// 12 RTE examples in batches of 4: batches 0 and 2 in shard 1/2, batch 1 in shard 2/2.
const EVAL = evalArgs("glue/rte", 12);

/** Run eval with `flags` after the common ones; its parsed outcome. */
const evalRun = (flags: string[]) => evalJson("glue/rte", 12, flags);

/** A float32 row as the logits files store it. */
const b64 = (...values: number[]) =>
  Buffer.from(Float32Array.of(...values).buffer).toString("base64");

interface Shards {
  root: string;
  /** The unsharded run's metrics and predictions file text. */
  whole: { metrics: Record<string, number>; predictions: string };
  /** Shard records by index (1, 2), relative to a copy's directory. */
  names: Record<number, string>;
}

let made: Promise<Shards> | undefined;

/** The two shards of a 12-example RTE eval, and the unsharded run to compare with (made once). */
function shards(): Promise<Shards> {
  made ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "merge-checks-" });
    const whole = await evalRun(["--out", join(root, "whole"), "--records", join(root, "wr")]);
    const names: Record<number, string> = {};
    for (const i of [1, 2]) {
      const shard = await evalRun([
        ...["--shard", `${i}/2`, "--out", join(root, "out"), "--records", join(root, "shards")],
      ]);
      names[i] = shard.recordPath.split("/").pop();
    }
    return {
      root,
      whole: { metrics: whole.metrics, predictions: Deno.readTextFileSync(whole.predictionsPath) },
      names,
    };
  })();
  return made;
}

/** A fresh copy of the shard records and logits; `edit` changes it before `merge` runs on it. */
async function mergeCopy(name: string, edit: (dir: string, s: Shards) => void) {
  const s = await shards();
  const dir = join(s.root, name);
  Deno.mkdirSync(dir);
  for (const e of Deno.readDirSync(join(s.root, "shards"))) {
    Deno.copyFileSync(join(s.root, "shards", e.name), join(dir, e.name));
  }
  edit(dir, s);
  return { dir, s, run: await runCli(["merge", dir]) };
}

const logitsOf = (record: string) => record.replace(/\.json$/, ".logits.jsonl");
const readJson = (path: string) => JSON.parse(Deno.readTextFileSync(path));
const writeJson = (path: string, value: unknown) =>
  Deno.writeTextFileSync(path, JSON.stringify(value));

/** Replace the rows of the logits line of `batch` with `rows`; the file's line number of it. */
function setRows(path: string, batch: number, rows: (rows: string[]) => unknown[]): number {
  const lines = Deno.readTextFileSync(path).split("\n");
  const i = lines.findIndex((l) => l !== "" && JSON.parse(l).unit === String(batch));
  ok(i > 0, `batch ${batch} in ${path}`);
  const entry = JSON.parse(lines[i]);
  lines[i] = JSON.stringify({ ...entry, value: rows(entry.value) });
  Deno.writeTextFileSync(path, lines.join("\n"));
  return i + 1;
}

Deno.test("merge refuses a logits row that is not base64, naming file and line", async () => {
  let line = 0;
  let text = "";
  const { dir, s, run } = await mergeCopy("bad-b64", (dir, s) => {
    const path = join(dir, logitsOf(s.names[1]));
    line = setRows(path, 2, (rows) => ["!!!notb64", ...rows.slice(1)]);
    text = Deno.readTextFileSync(path);
  });
  strictEqual(run.code, 1, run.stdout);
  const logits = join(dir, logitsOf(s.names[1]));
  strictEqual(
    run.stderr.trim(),
    `error: Cannot merge ${join(dir, s.names[1])}: ${logits} line ${line} ` +
      `(batch 2): row 0 is not valid base64`,
  );
  strictEqual(Deno.readTextFileSync(logits), text, "merge leaves a shard's logits file as it is");
});

for (const [width, what] of [[3, "3 logits"], [1, "1 logit"]] as const) {
  Deno.test(`merge refuses a row of ${what} in a 2-label task, naming file, line and batch`, async () => {
    let line = 0;
    const { dir, s, run } = await mergeCopy(`width-${width}`, (dir, s) => {
      const row = b64(...Array(width).fill(0.5));
      line = setRows(
        join(dir, logitsOf(s.names[2])),
        1,
        (rows) => [rows[0], row, ...rows.slice(2)],
      );
    });
    strictEqual(run.code, 1, run.stdout);
    strictEqual(
      run.stderr.trim(),
      `error: ${join(dir, logitsOf(s.names[2]))} line ${line}: batch 1 row 1 has ${what}, ` +
        `but the head gives 2`,
    );
  });
}

Deno.test("merge refuses a batch with a row too few, naming file and line", async () => {
  let line = 0;
  const { dir, s, run } = await mergeCopy("short-batch", (dir, s) => {
    line = setRows(join(dir, logitsOf(s.names[1])), 0, (rows) => rows.slice(1));
  });
  strictEqual(run.code, 1, run.stdout);
  strictEqual(
    run.stderr.trim(),
    `error: ${join(dir, logitsOf(s.names[1]))} line ${line}: batch 0 has 3 rows, ` +
      `but the batch has 4`,
  );
});

Deno.test("merge says a logits file is missing, or belongs to another run", async () => {
  const missing = await mergeCopy("no-logits", (dir, s) => {
    Deno.removeSync(join(dir, logitsOf(s.names[1])));
  });
  strictEqual(missing.run.code, 1);
  const { dir, s } = missing;
  strictEqual(
    missing.run.stderr.trim(),
    `error: Cannot merge ${join(dir, s.names[1])}: ${join(dir, logitsOf(s.names[1]))} is missing`,
  );
  const foreign = await mergeCopy("other-key", (dir, s) => {
    const path = join(dir, logitsOf(s.names[2]));
    const lines = Deno.readTextFileSync(path).split("\n");
    lines[0] = JSON.stringify({ key: "f".repeat(64) });
    Deno.writeTextFileSync(path, lines.join("\n"));
  });
  strictEqual(foreign.run.code, 1);
  match(
    foreign.run.stderr,
    new RegExp(
      `^error: Cannot merge .*${s.names[2]}: .*${
        logitsOf(s.names[2])
      } belongs to another run \\(its key ffffffffffff… is not `,
    ),
  );
});

Deno.test("merge names a bad shard field and a shard given twice", async () => {
  const text = await mergeCopy("shard-string", (dir, s) => {
    const path = join(dir, s.names[2]);
    writeJson(path, { ...readJson(path), shard: "2/2" });
  });
  strictEqual(text.run.code, 1);
  strictEqual(
    text.run.stderr.trim(),
    `error: Cannot read run record "${join(text.dir, text.s.names[2])}": "shard" must be ` +
      `an object, not "2/2"`,
  );
  // Shard 2's job ran 1/2 by mistake: its record says 1/2 (a copy of shard 1's stands in).
  const twice = await mergeCopy("twice", (dir, s) => {
    const record = readJson(join(dir, s.names[2]));
    writeJson(join(dir, s.names[2]), { ...record, shard: { index: 1, count: 2 } });
  });
  strictEqual(twice.run.code, 1);
  const [first, second] = [twice.s.names[1], twice.s.names[2]].sort().map((n) =>
    join(twice.dir, n)
  );
  strictEqual(
    twice.run.stderr.trim(),
    `error: Cannot merge eval tiny-albert-spm glue/rte: shard(s) 2/2 missing; ` +
      `shard 1/2 appears 2 times (${first}, ${second})`,
  );
});

Deno.test("merge refuses a shard record whose batches are not its share", async () => {
  const { dir, s, run } = await mergeCopy("batches", (dir, s) => {
    const path = join(dir, s.names[2]);
    writeJson(path, { ...readJson(path), batches: [0, 1] });
  });
  strictEqual(run.code, 1);
  strictEqual(
    run.stderr.trim(),
    `error: Cannot merge ${join(dir, s.names[2])}: it lists batches 0, 1, ` +
      `but shard 2/2 of 3 batches has 1`,
  );
  const nulled = await mergeCopy("batches-null", (dir, s) => {
    const path = join(dir, s.names[1]);
    writeJson(path, { ...readJson(path), batches: null });
  });
  strictEqual(nulled.run.code, 1);
  strictEqual(
    nulled.run.stderr.trim(),
    `error: Cannot merge ${join(nulled.dir, s.names[1])}: its "batches" is not a list of ` +
      `batch indices`,
  );
});

Deno.test("merge skips a stray file that is no run record and says where its files went", async () => {
  const { dir, s, run } = await mergeCopy("stray", (dir) => {
    Deno.writeTextFileSync(join(dir, "bad.json"), "{ not json");
    Deno.writeTextFileSync(join(dir, "notes.json"), JSON.stringify({ note: "no kind" }));
  });
  strictEqual(run.code, 0, run.stderr);
  const warnings = run.stderr.split("\n").filter((l) => l.startsWith("warning:"));
  strictEqual(warnings.length, 2, run.stderr);
  match(
    warnings[0],
    new RegExp(`^warning: Cannot read run record "${join(dir, "bad.json")}": .*; skipped$`),
  );
  match(
    warnings[1],
    new RegExp(`^warning: Cannot read run record "${join(dir, "notes.json")}": .*; skipped$`),
  );
  // Where the merged run's files are, as eval prints them.
  const predictions = join(s.root, "out", "RTE.tsv");
  const metricsPath = join(s.root, "out", "metrics.json");
  ok(run.stderr.includes(`predictions: ${predictions}\n`), run.stderr);
  ok(run.stderr.includes(`metrics: ${metricsPath}\n`), run.stderr);
  const recordLine = run.stderr.split("\n").find((l) => l.startsWith("run record: "));
  ok(recordLine, run.stderr);
  const record = readJson(recordLine.replace(/^run record: /, "").replace(/ \([\d.]+ s\)$/, ""));
  strictEqual(record.mergedFrom.length, 2);
  deepStrictEqual(record.metrics, s.whole.metrics);
  deepStrictEqual(readJson(metricsPath), s.whole.metrics);
  strictEqual(Deno.readTextFileSync(predictions), s.whole.predictions);
  // --json names the same files.
  const json = await runCli(["merge", dir, "--json"]);
  strictEqual(json.code, 0, json.stderr);
  const [merged] = JSON.parse(json.stdout);
  strictEqual(merged.predictionsPath, predictions);
  strictEqual(merged.metricsPath, metricsPath);
  // Named on the command line, a file that is no run record is an error.
  const named = await runCli(["merge", join(dir, "bad.json"), dir]);
  strictEqual(named.code, 1);
  match(named.stderr, new RegExp(`^error: Cannot read run record "${join(dir, "bad.json")}"`));
});

Deno.test("eval recomputes a damaged batch of its resume file, with a warning naming the line", async () => {
  const s = await shards();
  const dir = join(s.root, "resume");
  // A one-shard run keeps every batch in a logits file with the run's own key: a resume file.
  const one = await evalRun([
    ...["--shard", "1/1", "--out", join(dir, "shard"), "--records", join(dir, "shard-records")],
  ]);
  const resume = join(dir, "out", ".resume.jsonl");
  Deno.mkdirSync(join(dir, "out"));
  Deno.copyFileSync(one.shard.logitsPath, resume);
  // Hand-edited batches 0 and 1 (one logit a row: every stored row agrees) and 2 (not base64).
  const narrow = [0, 1].map((b) => setRows(resume, b, (rows) => rows.map(() => b64(9))));
  const garbled = setRows(resume, 2, (rows) => ["!!!notb64", ...rows.slice(1)]);
  const run = await runCli([...EVAL, "--out", join(dir, "out"), "--records", join(dir, "records")]);
  strictEqual(run.code, 0, run.stderr);
  const warnings = run.stderr.split("\n").filter((l) => l.startsWith("warning:"));
  deepStrictEqual(warnings, [
    `warning: ${resume} line ${garbled} (batch 2): row 0 is not valid base64; ` +
    `dropped, so that work is redone`,
    ...[0, 1].map((b) =>
      `warning: ${resume} line ${narrow[b]}: batch ${b} row 0 has 1 logit, but the head ` +
      `gives 2; computing it again`
    ),
  ]);
  deepStrictEqual(JSON.parse(run.stdout).metrics, s.whole.metrics);
});

Deno.test({
  name: "merge checks: clean up",
  fn: async () => {
    if (made) await Deno.remove((await made).root, { recursive: true });
  },
});
