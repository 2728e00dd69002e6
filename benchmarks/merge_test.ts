/**
 * `merge` of bench shards checks the fields it reads and refuses shards that
 * describe different runs, naming the files: rows that are not a list, another
 * suite or dtype, models timed at another shape, a run label without a stray
 * space when a shard is missing.
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../tests/_cli.ts";

const MODELS = "tiny-albert,tiny-bert";
const FLAGS = [
  "--models",
  MODELS,
  "--batch",
  "1",
  "--seq-len",
  "8",
  "--warmup",
  "0",
  "--runs",
  "1",
];

let made: Promise<{ root: string; names: string[] }> | undefined;

/** Two bench shard records (by file name, shard order) in a temporary directory, made once. */
function shards() {
  made ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "bench-merge-" });
    const names: string[] = [];
    for (const i of [1, 2]) {
      const run = await runCli([
        ...["bench", ...FLAGS, "--shard", `${i}/2`, "--out", join(root, "shards"), "--json"],
      ]);
      strictEqual(run.code, 0, run.stderr);
      names.push(JSON.parse(run.stdout).path.split("/").pop());
    }
    return { root, names };
  })();
  return made;
}

/** A copy of the shard records with `edit(record, index)` applied to each; `merge` of it. */
async function mergeEdited(
  name: string,
  edit: (record: Record<string, unknown>, shard: number) => Record<string, unknown> | null,
) {
  const { root, names } = await shards();
  const dir = join(root, name);
  Deno.mkdirSync(dir);
  const paths = names.map((n) => join(dir, n));
  names.forEach((n, i) => {
    const record = JSON.parse(Deno.readTextFileSync(join(root, "shards", n)));
    const edited = edit(record, i + 1);
    if (edited) Deno.writeTextFileSync(paths[i], JSON.stringify(edited));
  });
  return { paths, run: await runCli(["merge", dir]) };
}

Deno.test({
  name: "bench merge refuses shards whose rows are not a list, naming the file",
  sanitizeResources: false,
  async fn() {
    const { paths, run } = await mergeEdited(
      "null-models",
      (r, i) => i === 2 ? { ...r, models: null } : r,
    );
    strictEqual(run.code, 1);
    strictEqual(
      run.stderr.trim(),
      `error: Cannot read run record "${paths[1]}": "models" must be an array, not null`,
    );
  },
});

Deno.test({
  name: "bench merge refuses shards of different runs, naming both files",
  sanitizeResources: false,
  async fn() {
    const suite = await mergeEdited("suite", (r, i) => i === 2 ? { ...r, suite: "ablation" } : r);
    strictEqual(suite.run.code, 1);
    strictEqual(
      suite.run.stderr.trim(),
      `error: Cannot merge ${suite.paths[0]} with ${suite.paths[1]}: they are shards of ` +
        `different runs ("suite" is "default" in one, "ablation" in the other)`,
    );
    const dtype = await mergeEdited("dtype", (r, i) => i === 2 ? { ...r, dtype: "f16" } : r);
    strictEqual(dtype.run.code, 1);
    strictEqual(
      dtype.run.stderr.trim(),
      `error: Cannot merge ${dtype.paths[0]} with ${dtype.paths[1]}: they are shards of ` +
        `different runs ("dtype" is null in one, "f16" in the other)`,
    );
    const shape = await mergeEdited("shape", (r, i) => {
      if (i === 1) return r;
      const models = (r.models as Record<string, unknown>[]).map((m) => ({ ...m, seqLen: 16 }));
      return { ...r, models };
    });
    strictEqual(shape.run.code, 1);
    strictEqual(
      shape.run.stderr.trim(),
      `error: Cannot merge ${shape.paths[0]} with ${shape.paths[1]}: models timed at different ` +
        `shapes (batch 1, sequence 8; batch 1, sequence 16)`,
    );
  },
});

Deno.test({
  name: "bench merge names a missing shard without a stray space, then merges a complete set",
  sanitizeResources: false,
  async fn() {
    const { paths, run } = await mergeEdited("missing", (r, i) => i === 2 ? null : r);
    strictEqual(run.code, 1);
    strictEqual(
      run.stderr.trim(),
      `error: Cannot merge bench default: shard(s) 2/2 missing (have ${paths[0]})`,
    );
    const whole = await mergeEdited("whole", (r) => r);
    strictEqual(whole.run.code, 0, whole.run.stderr);
    const [line] = whole.run.stderr.trim().split("\n");
    const path = line.replace(/^bench: merged 2 shards into /, "");
    const record = JSON.parse(Deno.readTextFileSync(path));
    deepStrictEqual(record.models.map((m: { name: string }) => m.name), MODELS.split(","));
    deepStrictEqual(record.mergedFrom, whole.paths);
  },
});

Deno.test({
  name: "bench merge checks: clean up",
  async fn() {
    if (made) await Deno.remove((await made).root, { recursive: true });
  },
});
