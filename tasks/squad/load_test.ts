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
  const set = loadSquad(join(data, "dev-v1.1.json"), "v1.1");
  assert.equal(set.version, "1.1");
  assert.deepEqual(counts(set.raw), { articles: 48, paragraphs: 2067 });
  assert.equal(set.examples.length, 10570);
  assert.equal(set.examples.filter((e) => e.isImpossible).length, 0);
  assert.ok(set.examples.every((e) => e.answers.length > 0));
});

Deno.test("dev-v2.0.json has the README's counts", () => {
  const set = loadSquad(join(data, "dev-v2.0.json"), "v2.0");
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

Deno.test("a v1.1 question without answers is refused on loading, naming the file and id", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = join(dir, "dev-v1.1.json");
    const qas = [
      { id: "5725b1", question: "q", answers: [{ text: "t", answer_start: 0 }] },
      { id: "5725b2", question: "q", answers: [] },
    ];
    const json = { version: "1.1", data: [{ title: "A", paragraphs: [{ context: "t", qas }] }] };
    Deno.writeTextFileSync(file, JSON.stringify(json));
    assert.throws(
      () => loadSquad(file, "v1.1"),
      (error: Error) => {
        assert.ok(error instanceof DataError);
        assert.equal(
          error.message,
          `Cannot read SQuAD file "${file}": data[0].paragraphs[0].qas[1]: question "5725b2" ` +
            "has no answers; every SQuAD v1.1 question has at least one (unanswerable " +
            "questions are v2.0, scored by squad/v2.0)",
        );
        return true;
      },
    );
    // The same question is an unanswerable one to the v2.0 reader.
    assert.deepEqual(loadSquad(file).examples[1].answers, []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a version that contradicts the task is refused; the official spellings pass", () => {
  const qa = { id: "x1", question: "q", answers: [{ text: "t", answer_start: 0 }] };
  const set = (version: string) => ({ ...withQa(qa), version });
  for (const [version, release] of [["1.1", "v1.1"], ["v1.1", "v1.1"], ["v2.0", "v2.0"]]) {
    const parsed = parseSquad(set(version), "dev.json", release as "v1.1" | "v2.0");
    assert.equal(parsed.version, version);
  }
  const refusesAs = (version: string, release: "v1.1" | "v2.0", pattern: RegExp) =>
    assert.throws(() => parseSquad(set(version), "dev.json", release), (error: Error) => {
      assert.ok(error instanceof DataError);
      assert.match(error.message, /^Cannot read SQuAD file "dev\.json": its "version" is /);
      assert.match(error.message, pattern);
      return true;
    });
  refusesAs(
    "v2.0",
    "v1.1",
    /is "v2\.0", but squad\/v1\.1 reads SQuAD v1\.1 data \("version": "1\.1"\)/,
  );
  refusesAs(
    "1.1",
    "v2.0",
    /is "1\.1", but squad\/v2\.0 reads SQuAD v2\.0 data \("version": "v2\.0"\)/,
  );
  refusesAs("", "v1.1", /is "", but/);
  // The real files each pass as their own release only.
  assert.throws(() => loadSquad(join(data, "dev-v2.0.json"), "v1.1"), /"version" is "v2\.0"/);
  assert.throws(() => loadSquad(join(data, "dev-v1.1.json"), "v2.0"), /"version" is "1\.1"/);
});

Deno.test("is_impossible that contradicts the answers is refused", () => {
  refuses(
    withQa({
      id: "x1",
      question: "q",
      answers: [{ text: "t", answer_start: 0 }],
      is_impossible: true,
    }),
    /question "x1": "is_impossible" is true but it has 1 answers$/,
  );
  refuses(
    withQa({ id: "x1", question: "q", answers: [], is_impossible: false }),
    /question "x1": "is_impossible" is false but it has no answers$/,
  );
});

Deno.test("a SQuAD file that is not UTF-8 is a DataError naming the file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = join(dir, "dev-v1.1.json");
    const text = '{"version": "1.1", "data": [{"title": "Caf\u00e9"}]}';
    Deno.writeFileSync(file, new Uint8Array([...text].map((c) => c.charCodeAt(0)))); // Latin-1
    assert.throws(
      () => loadSquad(file),
      DataError,
      `"${file}": not valid UTF-8 (byte 0xE9 at offset ${text.indexOf("\u00e9")}, line 1)`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a long id is cut to 80 characters in messages", () => {
  const id = "i".repeat(300);
  refuses(
    withQa({ id, answers: [] }),
    new RegExp(`question "${"i".repeat(80)}…": expected a "question"`),
  );
});
