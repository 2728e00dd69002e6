import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PredictionsError } from "../task.ts";
import { loadRace, type RaceQuestion } from "./load.ts";
import { formatRacePredictions, parseRacePredictions, scoreRace } from "./predictions.ts";

const shared = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

const q = (articleId: string, questionIndex: number, answer: RaceQuestion["answer"]) =>
  ({
    articleId,
    level: articleId.startsWith("high") ? "high" : "middle",
    article: "",
    question: "",
    options: ["", "", "", ""],
    answer,
    questionIndex,
  }) as RaceQuestion;

const small = [q("middle2.txt", 0, "A"), q("middle2.txt", 1, "C"), q("high7.txt", 0, "D")];

Deno.test("predictions are one JSON object, an article a line, in question order", () => {
  const text = formatRacePredictions(small, ["B", "C", "A"]);
  assert.equal(text, '{\n  "middle2.txt": ["B", "C"],\n  "high7.txt": ["A"]\n}\n');
  assert.deepEqual(parseRacePredictions(text, "p.json", small), ["B", "C", "A"]);
  assert.equal(formatRacePredictions([], []), "{}\n");
  // Key order in the file does not matter.
  assert.deepEqual(
    parseRacePredictions('{"high7.txt": ["D"], "middle2.txt": ["A", "A"]}', "p.json", small),
    ["A", "A", "D"],
  );
});

Deno.test("gold answers as predictions score 100 on the shared dev set", async () => {
  const questions = loadRace(shared, "dev");
  const dir = Deno.makeTempDirSync({ prefix: "race_pred_" });
  try {
    const file = join(dir, "race_dev.json");
    const gold = questions.map((x) => x.answer);
    Deno.writeTextFileSync(file, formatRacePredictions(questions, gold));
    assert.deepEqual(await scoreRace(shared, "dev", file), {
      accuracy: 100,
      middle: 100,
      high: 100,
    });
    // All "A": the score is the share of questions whose answer is A.
    Deno.writeTextFileSync(file, formatRacePredictions(questions, gold.map(() => "A")));
    const metrics = await scoreRace(shared, "dev", file);
    const share = (xs: RaceQuestion[]) =>
      (100 * xs.filter((x) => x.answer === "A").length) / xs.length;
    assert.equal(metrics.accuracy, share(questions));
    assert.equal(metrics.high, share(questions.filter((x) => x.level === "high")));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const many = Array.from({ length: 7 }, (_, i) => q(`high${i}.txt`, 0, "A"));
const sevenA = Object.fromEntries(many.map((x) => [x.articleId, ["A"]]));

const bad: [string, string, RaceQuestion[], RegExp][] = [
  ["invalid JSON", '{"middle2.txt": [', small, /not valid JSON/],
  ["an array", '["A", "C", "D"]', small, /expected a JSON object from article id to labels/],
  [
    "an unknown article",
    '{"middle2.txt": ["A", "C"], "high7.txt": ["D"], "high9.txt": ["B"]}',
    small,
    /1 article \("high9\.txt"\) not in the data/,
  ],
  [
    "missing articles",
    '{"high3.txt": ["A"]}',
    many,
    /no predictions for 6 articles \("high0\.txt", "high1\.txt", "high2\.txt", "high4\.txt", "high5\.txt", \.\.\. \(6 in all\)\)$/,
  ],
  [
    "too few answers",
    '{"middle2.txt": ["A"], "high7.txt": ["D"]}',
    small,
    /article "middle2\.txt": 1 answers, expected 2/,
  ],
  [
    "too many answers",
    '{"middle2.txt": ["A", "B"], "high7.txt": ["D", "D"]}',
    small,
    /"high7\.txt": 2 answers, expected 1/,
  ],
  [
    "answers not a list",
    '{"middle2.txt": "AC", "high7.txt": ["D"]}',
    small,
    /"middle2\.txt": expected an array of labels, got "AC"/,
  ],
  [
    "a label E",
    '{"middle2.txt": ["A", "E"], "high7.txt": ["D"]}',
    small,
    /"middle2\.txt" question 2: label "E" is not A, B, C or D/,
  ],
  [
    "a numeric label",
    '{"middle2.txt": ["A", "B"], "high7.txt": [3]}',
    small,
    /"high7\.txt" question 1: label 3/,
  ],
];

bad.push(
  [
    "the first articles only, the last cut short (eval --limit)",
    '{"middle2.txt": ["A", "B"], "high7.txt": ["D"], "high9.txt": ["A"]}',
    [...small, q("high9.txt", 0, "A"), q("high9.txt", 1, "B"), q("high11.txt", 0, "C")],
    /no predictions for 1 article \("high11\.txt"\); the predictions cover exactly the first 4 questions: if they come from "eval --limit 4", score with --limit 4$/,
  ],
  [
    "every article, the last cut short",
    '{"middle2.txt": ["A", "B"], "high7.txt": ["D"], "high9.txt": ["A"]}',
    [...small, q("high9.txt", 0, "A"), q("high9.txt", 1, "B")],
    /"high9\.txt": 1 answers, expected 2; the predictions cover exactly the first 4 questions: .* --limit 4$/,
  ],
  [
    "a gap before the last article",
    '{"middle2.txt": ["A", "B"], "high9.txt": ["A"]}',
    [...small, q("high9.txt", 0, "A")],
    /no predictions for 1 article \("high7\.txt"\)$/,
  ],
  [
    "a long list of labels",
    `{"middle2.txt": "${"A".repeat(500)}", "high7.txt": ["D"]}`,
    small,
    new RegExp(`"middle2\\.txt": expected an array of labels, got "${"A".repeat(80)}…"$`),
  ],
);

for (const [what, text, questions, pattern] of bad) {
  Deno.test(`a predictions file with ${what} is a PredictionsError naming the file`, () => {
    assert.throws(() => parseRacePredictions(text, "out/race.json", questions), (error: Error) => {
      assert.ok(error instanceof PredictionsError, `not a PredictionsError: ${error}`);
      assert.match(error.message, /^Cannot read RACE predictions "out\/race\.json": /);
      assert.match(error.message, pattern);
      return true;
    });
  });
}

Deno.test("a full set of articles parses", () => {
  assert.deepEqual(
    parseRacePredictions(JSON.stringify(sevenA), "p.json", many),
    many.map(() => "A"),
  );
});

Deno.test("an unreadable predictions file is a PredictionsError naming it", async () => {
  await assert.rejects(
    scoreRace(shared, "dev", "/nonexistent/race_dev.json"),
    (error: Error) =>
      error instanceof PredictionsError && /"\/nonexistent\/race_dev\.json"/.test(error.message),
  );
});
