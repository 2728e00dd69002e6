import { deepStrictEqual, match, ok, rejects, strictEqual } from "node:assert/strict";
import { basename, dirname } from "node:path";
import { listRecords, readRecord, writeRecord } from "./records.ts";

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("writeRecord writes one named file, leaves no temp file, and reads back", async () => {
  await withTempDir(async (dir) => {
    const out = `${dir}/nested/results`;
    const record = {
      kind: "bench",
      createdAt: "2025-11-22T14:40:05.123Z",
      rows: [{ model: "albert-base-v2", seqPerSec: 12.3 }],
    };
    const path = await writeRecord(record, { dir: out });
    strictEqual(dirname(path), out);
    match(basename(path), /^bench-20251122T144005Z-[0-9a-f]{8}\.json$/);
    deepStrictEqual(await listDir(out), [basename(path)]);
    deepStrictEqual(await readRecord(path), record);
  });
});

Deno.test("writeRecord fills createdAt and never overwrites an earlier record", async () => {
  await withTempDir(async (dir) => {
    const first = await writeRecord({ kind: "eval", score: 1 }, { dir });
    const second = await writeRecord({ kind: "eval", score: 2 }, { dir });
    ok(first !== second);
    strictEqual((await listDir(dir)).length, 2);
    const record = await readRecord(first);
    strictEqual(record.score, 1);
    ok(!Number.isNaN(Date.parse(record.createdAt!)));
  });
});

Deno.test("writeRecord rejects a bad kind and cleans up after a failed rename", async () => {
  await withTempDir(async (dir) => {
    await rejects(writeRecord({ kind: "../escape" }, { dir }), /kind "\.\.\/escape"/);
    // A directory in the way of the record's path makes the rename fail.
    const createdAt = "2025-01-01T00:00:00.000Z";
    const path = await writeRecord({ kind: "bench", createdAt }, { dir });
    await Deno.remove(path);
    await Deno.mkdir(path);
    const realUuid = crypto.randomUUID;
    const uuid = basename(path).split("-").at(-1)!.replace(".json", "");
    crypto.randomUUID = () => `${uuid}-0000-4000-8000-000000000000` as ReturnType<typeof realUuid>;
    try {
      await rejects(writeRecord({ kind: "bench", createdAt }, { dir }));
    } finally {
      crypto.randomUUID = realUuid;
    }
    deepStrictEqual(await listDir(dir), [basename(path)]);
  });
});

Deno.test("readRecord names the file when it is not a record", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/broken.json`;
    await Deno.writeTextFile(path, "{not json");
    await rejects(readRecord(path), new RegExp(`Cannot read run record "${path}"`));
    await Deno.writeTextFile(path, "[1, 2]");
    await rejects(readRecord(path), /"kind" string/);
  });
});

Deno.test("listRecords throws on a file that is not a record, or skips it when told", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.json`, JSON.stringify({ kind: "eval" }));
    await Deno.writeTextFile(`${dir}/b.json`, "{not json");
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ note: "no kind" }));
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify({ kind: "bench" }));
    await Deno.writeTextFile(`${dir}/.e.json`, "{hidden");
    await Deno.writeTextFile(`${dir}/f.json.123-abcd.tmp`, "{half");
    await rejects(listRecords(dir), /Cannot read run record ".*\/(b|c)\.json"/);
    const skipped: string[] = [];
    const stored = await listRecords(dir, { onUnreadable: (e) => skipped.push(e.message) });
    deepStrictEqual(stored.map((s) => basename(s.path)), ["a.json", "d.json"]);
    strictEqual(skipped.length, 2);
    match(skipped[0], new RegExp(`^Cannot read run record "${dir}/b\\.json": `));
    strictEqual(
      skipped[1],
      `Cannot read run record "${dir}/c.json": expected an object with a "kind" string`,
    );
    deepStrictEqual(await listRecords(`${dir}/missing`), []);
  });
});
