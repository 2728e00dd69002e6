import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError, type Split } from "../task.ts";
import { loadRace, type RaceQuestion } from "./load.ts";

const shared = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

/** Articles (distinct ids) and questions per level. */
function counts(questions: RaceQuestion[]) {
  const out: Record<string, { articles: number; questions: number }> = {};
  for (const level of ["middle", "high"]) {
    const qs = questions.filter((q) => q.level === level);
    out[level] = { articles: new Set(qs.map((q) => q.articleId)).size, questions: qs.length };
  }
  return out;
}

/** The order the loader promises: middle then high, files by number, questions in order. */
function assertOrdered(questions: RaceQuestion[]) {
  const key = (q: RaceQuestion) => [
    q.level === "middle" ? 0 : 1,
    Number(q.articleId.replace(/^(middle|high)|\.txt$/g, "")),
    q.questionIndex,
  ];
  for (let i = 1; i < questions.length; i++) {
    const [a, b] = [key(questions[i - 1]), key(questions[i])];
    const before = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
    assert.ok(before < 0, `${questions[i - 1].articleId} before ${questions[i].articleId}`);
  }
}

for (
  const [split, expected] of [
    ["dev", { high: [1021, 3451], middle: [368, 1436] }],
    ["test", { high: [1045, 3498], middle: [362, 1436] }],
  ] as const
) {
  Deno.test(`the shared RACE ${split} set has the README's counts, in order`, () => {
    const questions = loadRace(shared, split);
    assert.deepEqual(counts(questions), {
      middle: { articles: expected.middle[0], questions: expected.middle[1] },
      high: { articles: expected.high[0], questions: expected.high[1] },
    });
    assertOrdered(questions);
    assert.equal(questions[0].level, "middle");
    assert.equal(questions[0].questionIndex, 0);
    for (const q of questions) {
      assert.ok(q.articleId.startsWith(q.level), q.articleId);
      assert.ok(q.article.length > 0 && q.options.length === 4, q.articleId);
    }
  });
}

Deno.test("the shared RACE train set has the README's question counts", () => {
  const questions = loadRace(shared, "train");
  // The README counts files (18,728 high); two of them (high/15946.txt, high/16528.txt) hold
  // no questions, so 18,726 high articles have questions.
  const files = (level: string) => [...Deno.readDirSync(join(shared, "race/train", level))].length;
  assert.deepEqual([files("middle"), files("high")], [6409, 18728]);
  assert.deepEqual(counts(questions), {
    middle: { articles: 6409, questions: 25421 },
    high: { articles: 18726, questions: 62445 },
  });
});

/** A throwaway data folder holding `race/dev/<level>/<name>` files. */
function tempData(files: Record<string, string>, split: Split = "dev"): string {
  const root = Deno.makeTempDirSync({ prefix: "race_test_" });
  for (const level of ["middle", "high"]) {
    Deno.mkdirSync(join(root, "race", split, level), { recursive: true });
  }
  for (const [name, text] of Object.entries(files)) {
    Deno.writeTextFileSync(join(root, "race", split, name), text);
  }
  return root;
}

const article = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id,
    article: `Article ${id}.`,
    questions: ["First _ .", "Second?"],
    options: [["a", "b", "c", "d"], ["e", "f", "g", "h"]],
    answers: ["B", "D"],
    ...extra,
  });

Deno.test("files load middle first, then high, in numeric file order", () => {
  const root = tempData({
    "high/2.txt": article("high2.txt"),
    "middle/10.txt": article("middle10.txt"),
    "middle/2.txt": article("middle2.txt"),
    "middle/1.txt": article("middle1.txt", { questions: [], options: [], answers: [] }),
    "middle/notes.md": "not a RACE file",
  });
  try {
    const questions = loadRace(root, "dev");
    assert.deepEqual(
      questions.map((q) => `${q.articleId}#${q.questionIndex}`),
      [
        "middle2.txt#0",
        "middle2.txt#1",
        "middle10.txt#0",
        "middle10.txt#1",
        "high2.txt#0",
        "high2.txt#1",
      ],
    );
    assert.deepEqual(questions[5], {
      articleId: "high2.txt",
      level: "high",
      article: "Article high2.txt.",
      question: "Second?",
      options: ["e", "f", "g", "h"],
      answer: "D",
      questionIndex: 1,
    });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

/** The DataError message of `loadRace(root, split)`. */
function loadError(root: string, split: Split): string {
  try {
    loadRace(root, split);
  } catch (error) {
    assert.ok(error instanceof DataError, `not a DataError: ${error}`);
    return error.message;
  }
  assert.fail("loaded without an error");
}

Deno.test("a split absent beside the other splits is named, without blaming --data", () => {
  const root = tempData({}, "train");
  try {
    Deno.mkdirSync(join(root, "race", "dev"));
    assert.equal(
      loadError(root, "test"),
      `Cannot load RACE test: "${join(root, "race", "test")}" is not in this copy of the data; ` +
        `its folder holds "dev", "train" ` +
        `(\`deno task harness tasks --data ${root}\` lists the splits found)`,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a missing level folder shows the expected layout", () => {
  const root = tempData({}, "test");
  try {
    Deno.removeSync(join(root, "race", "test", "middle"));
    const message = loadError(root, "test");
    assert.match(message, /missing folder ".*race\/test\/middle"/);
    assert.match(message, /race\/test\/middle\/<n>\.txt\n {2}race\/test\/high\/<n>\.txt/);
    // The split's folder is there, so the data directory is the right one.
    assert.doesNotMatch(message, /HARNESS_DATA/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("without race/ or the data directory, the message says how to set --data", () => {
  const root = Deno.makeTempDirSync({ prefix: "race_test_" });
  try {
    assert.equal(
      loadError(root, "dev"),
      `Cannot load RACE dev: missing ${join(root, "race", "dev")}; ` +
        `the RACE task expects this layout under ${JSON.stringify(root)}:\n` +
        "  race/dev/middle/<n>.txt\n  race/dev/high/<n>.txt\n" +
        '(one JSON object per file: {"id", "article", "questions", "options", "answers"}; ' +
        "set --data DIR or HARNESS_DATA to the folder holding glue/, squad/ and race/)",
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
  assert.equal(
    loadError("/nonexistent/data", "dev"),
    'Cannot load RACE dev: the data directory "/nonexistent/data" does not exist; set --data ' +
      "DIR or HARNESS_DATA to the folder holding glue/, squad/ and race/ " +
      "(the task reads race/dev/middle/<n>.txt, race/dev/high/<n>.txt there)",
  );
});

Deno.test("a RACE file that is not UTF-8 is a DataError naming the file", () => {
  const root = tempData({ "middle/1.txt": article("middle1.txt") });
  try {
    const text = article("high3.txt", { article: "Caf\u00e9." });
    const file = join(root, "race", "dev", "high", "3.txt");
    Deno.writeFileSync(file, new Uint8Array([...text].map((c) => c.charCodeAt(0)))); // Latin-1
    assert.equal(
      loadError(root, "dev"),
      `Cannot read RACE file "${file}": not valid UTF-8 (byte 0xE9 at offset ` +
        `${text.indexOf("\u00e9")}, line 1); save the file as UTF-8`,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a split without questions is a DataError, not 0 questions scored", () => {
  const root = tempData({
    "middle/1.txt": article("middle1.txt", { questions: [], options: [], answers: [] }),
  });
  try {
    assert.throws(() => loadRace(root, "dev"), (error: Error) => {
      assert.ok(error instanceof DataError);
      assert.match(error.message, /^Cannot load RACE dev: no questions in ".*race\/dev"; /);
      return true;
    });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

const malformed: [string, string, RegExp][] = [
  ["not JSON", "{", /not valid JSON/],
  ["an array", "[]", /expected one JSON object/],
  [
    "no answers",
    JSON.stringify({ ...JSON.parse(article("x")), answers: undefined }),
    /missing field "answers"/,
  ],
  ["a numeric id", article("x", { id: 7 }), /field "id" is not a non-empty string/],
  ["options not a list", article("x", { options: "abcd" }), /field "options" is not an array/],
  [
    "3 options",
    article("x", { options: [["a", "b", "c", "d"], ["e", "f", "g"]] }),
    /question 2: expected 4 options, got 3/,
  ],
  [
    "an answer E",
    article("x", { answers: ["B", "E"] }),
    /question 2: answer "E" is not A, B, C or D/,
  ],
  ["a lower-case answer", article("x", { answers: ["b", "D"] }), /question 1: answer "b"/],
  [
    "a long answer",
    article("x", { answers: ["B", "D".repeat(500)] }),
    new RegExp(`question 2: answer "${"D".repeat(80)}…" is not A, B, C or D$`),
  ],
  [
    "more answers",
    article("x", { answers: ["A", "B", "C"] }),
    /2 questions, 2 option lists and 3 answers/,
  ],
  [
    "a numeric question",
    article("x", { questions: ["a", 5] }),
    /question 2: question is not a string/,
  ],
];

for (const [what, text, pattern] of malformed) {
  Deno.test(`a file with ${what} is a DataError naming the file`, () => {
    const root = tempData({ "middle/1.txt": article("middle1.txt"), "high/3.txt": text });
    try {
      assert.throws(() => loadRace(root, "dev"), (error: Error) => {
        assert.ok(error instanceof DataError, `not a DataError: ${error}`);
        assert.match(error.message, /^Cannot read RACE file ".*race\/dev\/high\/3\.txt": /);
        assert.match(error.message, pattern);
        return true;
      });
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  });
}

Deno.test("two files with one id are a DataError naming both", () => {
  const root = tempData({ "middle/1.txt": article("dup.txt"), "high/1.txt": article("dup.txt") });
  try {
    assert.throws(
      () => loadRace(root, "dev"),
      /^DataError: Cannot read RACE file ".*high\/1\.txt": id "dup\.txt" is also in ".*middle\/1\.txt"/,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
