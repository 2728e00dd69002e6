import assert from "node:assert/strict";
import type { RaceLevel, RaceQuestion } from "./load.ts";
import { raceMetrics } from "./metrics.ts";

const q = (level: RaceLevel, answer: RaceQuestion["answer"]): RaceQuestion => ({
  articleId: `${level}1.txt`,
  level,
  article: "",
  question: "",
  options: ["", "", "", ""],
  answer,
  questionIndex: 0,
});

Deno.test("accuracy overall and per level, ×100", () => {
  const questions = [
    q("middle", "A"),
    q("middle", "B"),
    q("middle", "C"),
    q("high", "D"),
    q("high", "A"),
  ];
  // middle: 2 of 3 right; high: 1 of 2 right; overall 3 of 5.
  const metrics = raceMetrics(questions, ["A", "B", "D", "D", "B"]);
  assert.deepEqual(Object.keys(metrics), ["accuracy", "middle", "high"]);
  assert.equal(metrics.accuracy, 60);
  assert.ok(Math.abs(metrics.middle - 200 / 3) < 1e-12);
  assert.equal(metrics.high, 50);
});

Deno.test("a level with no questions is left out rather than NaN", () => {
  assert.deepEqual(raceMetrics([q("high", "B"), q("high", "C")], ["B", "A"]), {
    accuracy: 50,
    high: 50,
  });
  assert.deepEqual(raceMetrics([], []), {});
});

Deno.test("predictions must align with the questions", () => {
  assert.throws(() => raceMetrics([q("high", "B")], []), /1 questions but 0 predictions/);
});
