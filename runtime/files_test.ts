import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { pathSlug, slug, writeAtomic } from "./files.ts";

Deno.test("pathSlug keeps every path component, so checkpoints called best stay apart", () => {
  strictEqual(pathSlug("runs/sst2/seed-0/best"), "runs-sst2-seed-0-best");
  strictEqual(pathSlug("runs/sst2/seed-1/best/"), "runs-sst2-seed-1-best");
  strictEqual(pathSlug("./ckpt"), "ckpt");
  strictEqual(pathSlug("/tmp/x y/best"), "tmp-x-y-best");
  strictEqual(
    pathSlug("benchmarks/configs/albert-sst2-scratch.json"),
    "benchmarks-configs-albert-sst2-scratch.json",
  );
  strictEqual(pathSlug("tiny-albert-spm"), "tiny-albert-spm");
  // slug keeps the last component only (task names: glue/rte -> rte).
  strictEqual(slug("glue/rte"), "rte");
});

Deno.test("writeAtomic names the output when it cannot write, and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "write-atomic-" });
  try {
    const missingFolder = join(dir, "no-such-folder", "record.json");
    await rejects(writeAtomic(missingFolder, "{}"), (e: Error) => {
      ok(e.message.startsWith(`Could not write "${missingFolder}": `), e.message);
      return true;
    });
    // A directory where the file should go: the rename fails after the data was written.
    const blocked = join(dir, "record.json");
    await Deno.mkdir(blocked);
    await rejects(writeAtomic(blocked, "{}"), (e: Error) => e.message.includes(`"${blocked}"`));
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    deepStrictEqual(left.sort(), ["record.json"], "only the directory that was in the way");
    // And a write that can happen replaces the file whole.
    const ok1 = join(dir, "ok.json");
    await writeAtomic(ok1, "first");
    await writeAtomic(ok1, [new TextEncoder().encode("sec"), new TextEncoder().encode("ond")]);
    strictEqual(await Deno.readTextFile(ok1), "second");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
