import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError, PredictionsError } from "../task.ts";
import {
  evaluateV1,
  evaluateV2,
  exactMatch,
  f1Score,
  normalizeAnswer,
  readNaProbs,
  readPredictions,
  scoreSquad,
} from "./evaluate.ts";
import { assertClose, example } from "./_testing.ts";

const shared = fileURLToPath(new URL("../../../shared/", import.meta.url));
const fixtures = join(shared, "fixtures", "squad");

/** Collects warnings instead of printing them. */
function collector(): { warn: (message: string) => void; messages: string[] } {
  const messages: string[] = [];
  return { warn: (message) => messages.push(message), messages };
}

Deno.test("v1.1 scorer reproduces the official output on the BERT ensemble fixture", () => {
  const { warn, messages } = collector();
  const file = join(fixtures, "v1.1-bert-ensemble.predictions.json");
  const metrics = scoreSquad(join(shared, "data"), "v1.1", file, { warn });
  assert.deepEqual(Object.keys(metrics), ["exact_match", "f1"]);
  assertClose(metrics.exact_match, 86.20624408703878, "exact_match");
  assertClose(metrics.f1, 92.19557978351129, "f1");
  assert.deepEqual(messages, []);
});

Deno.test("v2.0 scorer reproduces the official output on the BERT single fixture", () => {
  const { warn, messages } = collector();
  const file = join(fixtures, "v2.0-bert-single.predictions.json");
  const metrics = scoreSquad(join(shared, "data"), "v2.0", file, { warn });
  const official: Record<string, number> = {
    exact: 78.74168280973637,
    f1: 81.77528052374727,
    total: 11873,
    HasAns_exact: 74.10593792172739,
    HasAns_f1: 80.18183293833516,
    HasAns_total: 5928,
    NoAns_exact: 83.36417157275021,
    NoAns_f1: 83.36417157275021,
    NoAns_total: 5945,
  };
  assert.deepEqual(Object.keys(metrics), Object.keys(official));
  for (const [key, value] of Object.entries(official)) assertClose(metrics[key], value, key);
  assert.deepEqual(messages, []);
});

Deno.test("normalisation: case, punctuation, articles, whitespace as the scripts do", () => {
  assert.equal(normalizeAnswer("The  Eiffel-Tower!"), "eiffeltower");
  assert.equal(normalizeAnswer("A theater, an anthem; THE end."), "theater anthem end");
  assert.equal(normalizeAnswer("  \t\nNew\u00a0York \u3000 "), "new york");
  // Only ASCII punctuation goes; Python's str.split does not split on U+FEFF.
  assert.equal(normalizeAnswer("1–2 €5 x\ufeffy"), "1–2 €5 x\ufeffy");
  // Python's \b is Unicode-aware: "é" and "1" are word characters, so the "the" stays.
  assert.equal(normalizeAnswer("éthe the1 the"), "éthe the1");
  // Punctuation goes before articles, so "l'the" becomes one word "lthe".
  assert.equal(normalizeAnswer("l'the"), "lthe");
  assert.equal(normalizeAnswer("the a an"), "");
});

Deno.test("exact match compares normalised strings", () => {
  assert.equal(exactMatch("the Apple.", "apple"), 1);
  assert.equal(exactMatch("apples", "apple"), 0);
  assert.equal(exactMatch("", "The"), 1);
});

Deno.test("F1 by hand: partial overlap, repeated tokens, empty sides per version", () => {
  // pred {quick, brown, fox}, gold {quick, red, fox, jumps}: P = 2/3, R = 1/2, F1 = 4/7.
  assertClose(f1Score("the quick brown fox", "a quick red fox jumps"), 4 / 7, "partial");
  // Counter semantics: three "fox" against two share two; P = 2/3, R = 1, F1 = 4/5.
  assertClose(f1Score("fox fox fox", "fox fox"), 4 / 5, "counter");
  assert.equal(f1Score("Paris", "paris!"), 1);
  assert.equal(f1Score("London", "Paris"), 0);
  // v2.0: no tokens on either side scores 1 only when both are empty.
  assert.equal(f1Score("", "", "v2.0"), 1);
  assert.equal(f1Score("the", "", "v2.0"), 1);
  assert.equal(f1Score("", "Paris", "v2.0"), 0);
  assert.equal(f1Score("Paris", "", "v2.0"), 0);
  // v1.1: no common tokens, so 0, even for two empty answers.
  assert.equal(f1Score("", "", "v1.1"), 0);
});

Deno.test("v1.1: the best of several gold answers counts", () => {
  const examples = [
    example({ id: "q1", answers: ["Denver Broncos", "the Broncos", "Broncos"] }),
    example({ id: "q2", answers: ["blue whale", "whale shark"] }),
  ];
  const metrics = evaluateV1(examples, { q1: "Broncos", q2: "whale" }, () => {});
  // q1 matches "Broncos" exactly; q2 scores F1 2/3 against either gold, EM 0.
  assertClose(metrics.exact_match, 50, "exact_match");
  assertClose(metrics.f1, (100 * (1 + 2 / 3)) / 2, "f1");
});

Deno.test("missing predictions score 0 with a warning, and unknown ids are warned about", () => {
  const examples = [
    example({ id: "q1", answers: ["Paris"] }),
    example({ id: "q2", answers: ["Rome"] }),
  ];
  const one = collector();
  assert.deepEqual(evaluateV1(examples, { q1: "Paris", zz: "x" }, one.warn), {
    exact_match: 50,
    f1: 50,
  });
  assert.ok(one.messages.includes("Unanswered question q2 will receive score 0."));
  assert.ok(
    one.messages.some((m) => /1 of the predictions has an id not in the data.*"zz"/.test(m)),
  );

  const two = collector();
  const v2 = evaluateV2(
    [...examples, example({ id: "q3" })],
    { q1: "Paris" },
    undefined,
    1.0,
    two.warn,
  );
  assert.deepEqual(v2, {
    exact: 100 / 3,
    f1: 100 / 3,
    total: 3,
    HasAns_exact: 50,
    HasAns_f1: 50,
    HasAns_total: 2,
    NoAns_exact: 0,
    NoAns_f1: 0,
    NoAns_total: 1,
  });
  assert.deepEqual(two.messages, ["Missing prediction for q2", "Missing prediction for q3"]);
});

Deno.test("v2.0: empty answers, golds that normalise to nothing, and the key set", () => {
  const examples = [
    example({ id: "a", answers: ["The", "an apple"] }),
    example({ id: "b", answers: [] }),
    example({ id: "c", answers: [] }),
  ];
  const metrics = evaluateV2(examples, { a: "apple", b: "", c: "pear" }, undefined, 1.0, () => {});
  // "The" is dropped from the golds, "apple" matches "an apple"; "" is right for b, "pear" not for c.
  assert.deepEqual(metrics, {
    exact: 200 / 3,
    f1: 200 / 3,
    total: 3,
    HasAns_exact: 100,
    HasAns_f1: 100,
    HasAns_total: 1,
    NoAns_exact: 50,
    NoAns_f1: 50,
    NoAns_total: 2,
  });
  // Only answerable questions: no NoAns_* keys, as in the script.
  const only = evaluateV2(examples.slice(0, 1), { a: "apple" }, undefined, 1.0, () => {});
  assert.deepEqual(Object.keys(only), [
    "exact",
    "f1",
    "total",
    "HasAns_exact",
    "HasAns_f1",
    "HasAns_total",
  ]);
});

// Five questions worked by hand for the threshold tests.
//   id  gold         prediction  na prob  EM  F1
//   q1  Paris        Paris       0.2      1   1
//   q2  blue whale   whale       0.3      0   2/3
//   q3  (none)       ""          0.9      1   1
//   q4  (none)       cat         0.4      0   0
//   q5  red          blue        0.1      0   0
const hand = [
  example({ id: "q1", answers: ["Paris"] }),
  example({ id: "q2", answers: ["blue whale"] }),
  example({ id: "q3", answers: [] }),
  example({ id: "q4", answers: [] }),
  example({ id: "q5", answers: ["red"] }),
];
const handPreds = { q1: "Paris", q2: "whale", q3: "", q4: "cat", q5: "blue" };
const handProbs = { q1: 0.2, q2: 0.3, q3: 0.9, q4: 0.4, q5: 0.1 };

Deno.test("best thresholds on a hand-made set", () => {
  const metrics = evaluateV2(hand, handPreds, handProbs, 1.0, () => {});
  // No probability exceeds 1.0, so the raw scores stand: EM 2/5, F1 (1 + 2/3 + 1)/5.
  assertClose(metrics.exact, 40, "exact");
  assertClose(metrics.f1, (100 * (8 / 3)) / 5, "f1");
  assertClose(metrics.HasAns_f1, (100 * (5 / 3)) / 3, "HasAns_f1");
  // Everything predicted "no answer" scores 2 (q3, q4). Switching to the predictions in order
  // of rising probability: q5 +0 → 2, q1 +1 → 3, q2 +0 (EM) / +2/3 (F1), q4 −1, q3 0.
  // EM peaks at 3 after q1 (thresh 0.2); F1 at 3 + 2/3 after q2 (thresh 0.3).
  assert.deepEqual(Object.keys(metrics).slice(9), [
    "best_exact",
    "best_exact_thresh",
    "best_f1",
    "best_f1_thresh",
  ]);
  assertClose(metrics.best_exact, 60, "best_exact");
  assert.equal(metrics.best_exact_thresh, 0.2);
  assertClose(metrics.best_f1, (100 * (11 / 3)) / 5, "best_f1");
  assert.equal(metrics.best_f1_thresh, 0.3);
});

Deno.test("a no-answer threshold turns confident questions into empty answers", () => {
  // Above 0.35: q4 and q3 count as "no answer", both right: EM 3/5, F1 (1 + 2/3 + 1 + 1)/5.
  const metrics = evaluateV2(hand, handPreds, handProbs, 0.35, () => {});
  assertClose(metrics.exact, 60, "exact");
  assertClose(metrics.f1, (100 * (11 / 3)) / 5, "f1");
  assertClose(metrics.NoAns_exact, 100, "NoAns_exact");
  assertClose(metrics.HasAns_exact, 100 / 3, "HasAns_exact");
});

Deno.test("a question without a no-answer probability counts as 0.0, with a warning", () => {
  const { warn, messages } = collector();
  const { q4: _, ...probs } = handProbs;
  const metrics = evaluateV2(hand, handPreds, probs, 0.35, warn);
  // q4 now keeps its wrong "cat"; q3 still becomes "no answer".
  assertClose(metrics.exact, 40, "exact");
  assert.ok(messages.some((m) => m.startsWith("1 questions have no no-answer probability")));
});

Deno.test("bad predictions and probability files are PredictionsErrors naming the file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const write = (name: string, text: string) => {
      const path = join(dir, name);
      Deno.writeTextFileSync(path, text);
      return path;
    };
    const ok = write("ok.json", '{"q1": "Paris", "q2": ""}');
    assert.deepEqual(readPredictions(ok), { q1: "Paris", q2: "" });
    const cases: [() => unknown, RegExp][] = [
      [() => readPredictions(write("a.json", "{")), /a\.json": invalid JSON/],
      [() => readPredictions(write("b.json", '["Paris"]')), /b\.json": expected a JSON object/],
      [() => readPredictions(write("c.json", '{"q1": 3}')), /c\.json": question "q1" has 3/],
      [() => readNaProbs(write("d.json", '{"q1": "0.5"}')), /d\.json": question "q1" has "0.5"/],
      [() => readPredictions(join(dir, "none.json")), /none\.json": file not found/],
    ];
    for (const [read, pattern] of cases) {
      assert.throws(
        read,
        (error: Error) => error instanceof PredictionsError && pattern.test(error.message),
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("scoring without the data files lists what the task expects", () => {
  assert.throws(
    () => scoreSquad("/nonexistent-data", "v2.0", "p.json"),
    DataError,
    "squad/dev-v2.0.json",
  );
});

Deno.test("v1.1 scorer refuses a question with no answers instead of scoring -Infinity", () => {
  assert.throws(() => evaluateV1([example({ id: "x" })], { x: "" }, () => {}), DataError, '"x"');
});

/** A data folder holding `squad/dev-v1.1.json` with `json`; removed by the caller. */
function squadRoot(json: unknown): string {
  const root = Deno.makeTempDirSync();
  Deno.mkdirSync(join(root, "squad"));
  Deno.writeTextFileSync(join(root, "squad", "dev-v1.1.json"), JSON.stringify(json));
  return root;
}

Deno.test("scoring v1.1 refuses v2.0 data before reading the predictions", () => {
  const v2 = JSON.parse(Deno.readTextFileSync(join(shared, "data", "squad", "dev-v2.0.json")));
  const root = squadRoot(v2);
  try {
    assert.throws(
      () => scoreSquad(root, "v1.1", join(root, "no-predictions.json")),
      (error: Error) => {
        assert.ok(error instanceof DataError, `not a DataError: ${error}`);
        assert.match(error.message, /dev-v1\.1\.json": its "version" is "v2\.0", but squad\/v1\.1/);
        return true;
      },
    );
    // With its version edited to 1.1, the first unanswerable question is named instead.
    const first = v2.data.flatMap((a: { paragraphs: { qas: { id: string; answers: [] }[] }[] }) =>
      a.paragraphs.flatMap((p) => p.qas)
    ).find((q: { answers: [] }) => q.answers.length === 0);
    Deno.writeTextFileSync(
      join(root, "squad", "dev-v1.1.json"),
      JSON.stringify({ ...v2, version: "1.1" }),
    );
    assert.throws(
      () => scoreSquad(root, "v1.1", join(root, "no-predictions.json")),
      DataError,
      `question "${first.id}" has no answers`,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("predictions of exactly the first N questions get a --limit N warning", () => {
  const qas = ["x", "y", "z"].map((id) => ({
    id,
    question: "q",
    answers: [{ text: id, answer_start: 0 }],
  }));
  const root = squadRoot({
    version: "1.1",
    data: [{ title: "T", paragraphs: [{ context: "x y z", qas }] }],
  });
  try {
    const file = join(root, "p.json");
    const score = (predictions: Record<string, string>, limit?: number) => {
      Deno.writeTextFileSync(file, JSON.stringify(predictions));
      const { warn, messages } = collector();
      return { metrics: scoreSquad(root, "v1.1", file, { warn, limit }), messages };
    };
    const two = score({ x: "x", y: "y" });
    assert.deepEqual(two.metrics, { exact_match: (100 * 2) / 3, f1: (100 * 2) / 3 });
    assert.deepEqual(two.messages, [
      "Unanswered question z will receive score 0.",
      'The predictions cover exactly the first 2 questions: if they come from "eval --limit 2", ' +
      "score with --limit 2",
    ]);
    assert.deepEqual(score({ x: "x", y: "y" }, 2), {
      metrics: { exact_match: 100, f1: 100 },
      messages: [],
    });
    // Not a first part: only the per-question warning.
    assert.deepEqual(score({ x: "x", z: "z" }).messages, [
      "Unanswered question y will receive score 0.",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
