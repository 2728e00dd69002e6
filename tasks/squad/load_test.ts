import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "../task.ts";
import { loadSquad, parseSquad } from "./load.ts";

const data = fileURLToPath(new URL("../../../shared/data/squad/", import.meta.url));

/** Articles and paragraphs of a raw file. */
function counts(raw: unknown) {
  const articles = (raw as { data: { paragraphs: unknown[] }[] }).data;
  return {
    articles: articles.length,
    paragraphs: articles.reduce((n, a) => n + a.paragraphs.length, 0),
  };
}

Deno.test("dev-v1.1.json has the README's counts", () => {
  const set = loadSquad(join(data, "dev-v1.1.json"));
  assert.equal(set.version, "1.1");
  assert.deepEqual(counts(set.raw), { articles: 48, paragraphs: 2067 });
  assert.equal(set.examples.length, 10570);
  assert.equal(set.examples.filter((e) => e.isImpossible).length, 0);
  assert.ok(set.examples.every((e) => e.answers.length > 0));
});

Deno.test("dev-v2.0.json has the README's counts", () => {
  const set = loadSquad(join(data, "dev-v2.0.json"));
  assert.equal(set.version, "v2.0");
  assert.deepEqual(counts(set.raw), { articles: 35, paragraphs: 1204 });
  assert.equal(set.examples.length, 11873);
  const impossible = set.examples.filter((e) => e.isImpossible);
  assert.equal(impossible.length, 5945);
  assert.ok(impossible.every((e) => e.answers.length === 0));
});

Deno.test("questions come in file order with their paragraph and title", () => {
  const set = parseSquad({
    version: "x",
    data: [
      {
        title: "A",
        paragraphs: [
          { context: "c1", qas: [{ id: "1", question: "q1", answers: [] }] },
          {
            context: "c2",
            qas: [
              { id: "2", question: "q2", answers: [{ text: "t", answer_start: 0 }] },
              { id: "3", question: "q3", answers: [], is_impossible: true },
            ],
          },
        ],
      },
      {
        title: "B",
        paragraphs: [{ context: "c3", qas: [{ id: "4", question: "q4", answers: [] }] }],
      },
    ],
  });
  assert.deepEqual(set.examples.map((e) => [e.id, e.title, e.context, e.question]), [
    ["1", "A", "c1", "q1"],
    ["2", "A", "c2", "q2"],
    ["3", "A", "c2", "q3"],
    ["4", "B", "c3", "q4"],
  ]);
  assert.deepEqual(set.examples[1].answers, ["t"]);
  assert.deepEqual(set.examples.map((e) => e.isImpossible), [false, false, true, false]);
});

function refuses(json: unknown, pattern: RegExp) {
  assert.throws(() => parseSquad(json, "dev.json"), (error: Error) => {
    assert.ok(error instanceof DataError, `not a DataError: ${error}`);
    assert.match(error.message, /^Cannot read SQuAD file "dev\.json": /);
    assert.match(error.message, pattern);
    return true;
  });
}

const withQa = (qa: unknown) => ({
  version: "1.1",
  data: [{ title: "A", paragraphs: [{ context: "c", qas: [qa] }] }],
});

Deno.test("a missing field names the question by position and id", () => {
  refuses({ data: [] }, /"version" string/);
  refuses({ version: "1.1" }, /"data" array/);
  refuses({ version: "1.1", data: [{ paragraphs: [] }] }, /data\[0\]: expected a "title"/);
  refuses(
    { version: "1.1", data: [{ title: "A", paragraphs: [{ qas: [] }] }] },
    /data\[0\]\.paragraphs\[0\]: expected a "context" string/,
  );
  refuses(withQa({ question: "q", answers: [] }), /qas\[0\]: expected an "id" string/);
  refuses(withQa({ id: "x1", answers: [] }), /qas\[0\]: question "x1": expected a "question"/);
  refuses(withQa({ id: "x1", question: "q" }), /question "x1": expected an "answers" array/);
  refuses(
    withQa({ id: "x1", question: "q", answers: [{ answer_start: 0 }] }),
    /question "x1": answers\[0\]: expected a "text" string/,
  );
  refuses(
    withQa({ id: "x1", question: "q", answers: [{ text: "t" }] }),
    /answers\[0\]: expected an "answer_start" number/,
  );
  refuses(
    withQa({ id: "x1", question: "q", answers: [], is_impossible: "yes" }),
    /"is_impossible" to be true or false/,
  );
});

Deno.test("a dataset without questions is refused, not scored as 0 questions", () => {
  refuses({ version: "1.1", data: [] }, /no questions under "data"$/);
  refuses(
    { version: "1.1", data: [{ title: "A", paragraphs: [{ context: "c", qas: [] }] }] },
    /no questions under "data"$/,
  );
});

Deno.test("a duplicate id is refused, naming both places", () => {
  const qa = { id: "dup", question: "q", answers: [] };
  refuses(
    { version: "1.1", data: [{ title: "A", paragraphs: [{ context: "c", qas: [qa, qa] }] }] },
    /qas\[1\]: id "dup" is also at data\[0\]\.paragraphs\[0\]\.qas\[0\]/,
  );
});

Deno.test("malformed JSON and a missing file are DataErrors naming the file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const bad = join(dir, "bad.json");
    Deno.writeTextFileSync(bad, '{"version": "1.1", "data": [');
    assert.throws(() => loadSquad(bad), DataError, `"${bad}": invalid JSON`);
    assert.throws(() => loadSquad(join(dir, "none.json")), DataError, "file not found");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
