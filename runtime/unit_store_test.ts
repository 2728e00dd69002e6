/**
 * UnitStore: a resume file drops a line it cannot read (silently when it is a
 * torn last line, else with a warning naming it) and keeps the others; `read`
 * of a finished file is strict, names file and line, and never writes.
 */
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { errorLines } from "../tests/_console.ts";
import { UnitStore } from "./unit_store.ts";

const header = (key: string) => JSON.stringify({ key });
const entry = (unit: string, value: unknown) => JSON.stringify({ unit, value });
const numbers = {
  encode: (n: number) => n,
  decode(stored: unknown): number {
    if (typeof stored !== "number") throw new Error("not a number");
    return stored;
  },
};

Deno.test("UnitStore.open drops a damaged line with a warning and keeps the rest", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "units.jsonl");
  const lines = [header("k"), entry("a", 1), "{ damaged", entry("b", "two"), entry("c", 3)];
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  let store: UnitStore<number> | undefined;
  const printed = await errorLines(async () => store = await UnitStore.open(path, "k", numbers));
  deepStrictEqual(printed, [
    `warning: ${path} line 3 is not JSON; dropped, so that work is redone`,
    `warning: ${path} line 4 (unit b): not a number; dropped, so that work is redone`,
  ]);
  deepStrictEqual([...store!.finished], [["a", 1], ["c", 3]]);
  strictEqual(store!.lineOf("c"), 3, "the line in the file as rewritten");
  // Rewritten without them: reopened, nothing more to say.
  const again = await errorLines(() => UnitStore.open(path, "k", numbers));
  deepStrictEqual(again, []);
  strictEqual(
    await Deno.readTextFile(path),
    [header("k"), entry("a", 1), entry("c", 3)].join("\n") + "\n",
  );
  // A torn last line (no newline: killed mid-write) goes without a word.
  await Deno.writeTextFile(path, entry("d", 4).slice(0, 9), { append: true });
  const torn = await errorLines(async () => store = await UnitStore.open(path, "k", numbers));
  deepStrictEqual(torn, []);
  deepStrictEqual([...store!.finished.keys()], ["a", "c"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("UnitStore.read is strict, names file and line, and leaves the file alone", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "units.jsonl");
  await rejects(UnitStore.read(path, "k", numbers), { message: `${path} is missing` });
  const good = [header("k"), entry("a", 1), entry("b", 2)];
  await Deno.writeTextFile(path, good.join("\n") + "\n");
  const store = await UnitStore.read(path, "k", numbers);
  deepStrictEqual([...store.finished], [["a", 1], ["b", 2]]);
  strictEqual(store.lineOf("b"), 3);
  await rejects(UnitStore.read(path, "other-key", numbers), {
    message: `${path} belongs to another run (its key k… is not other-key…)`,
  });
  const cases: [string, string][] = [
    [
      [header("k"), entry("a", 1), "{ damaged", entry("b", 2)].join("\n") + "\n",
      "line 3 is not JSON",
    ],
    [[header("k"), entry("a", "x")].join("\n") + "\n", "line 2 (unit a): not a number"],
    [
      [header("k"), entry("a", 1), entry("b", 2)].join("\n"),
      "line 3 is cut short (no newline): a partial copy?",
    ],
    ["not a header\n", 'line 1 is not a {"key"} header'],
  ];
  for (const [text, problem] of cases) {
    await Deno.writeTextFile(path, text);
    await rejects(UnitStore.read(path, "k", numbers), { message: `${path} ${problem}` });
    strictEqual(await Deno.readTextFile(path), text, "read never rewrites the file");
  }
  await Deno.remove(dir, { recursive: true });
});
