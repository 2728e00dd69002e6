/**
 * RACE predictions files: one JSON object from article id to that article's answer labels in
 * question order, `{"middle1.txt": ["A", "C"], ...}`, so a file stays readable and its
 * alignment with the data does not depend on the order the loader lists files in.
 */
import {
  jsonSnippet,
  limitHint,
  type Metrics,
  parseJsonObject,
  PredictionsError,
  quoted,
  readPredictions,
  type Split,
} from "../task.ts";
import { isRaceLabel, loadRace, type RaceQuestion } from "./load.ts";
import { raceMetrics } from "./metrics.ts";

/** Write predictions aligned with `questions` as the JSON predictions file, one article a line. */
export function formatRacePredictions(questions: RaceQuestion[], predictions: string[]): string {
  if (predictions.length !== questions.length) {
    throw new RangeError(
      `RACE has ${questions.length} questions but ${predictions.length} predictions`,
    );
  }
  const byArticle = groupByArticle(questions);
  const lines = [...byArticle].map(([id, indices]) =>
    `  ${JSON.stringify(id)}: [${indices.map((i) => JSON.stringify(predictions[i])).join(", ")}]`
  );
  return lines.length === 0 ? "{}\n" : `{\n${lines.join(",\n")}\n}\n`;
}

/**
 * Read a predictions file into labels aligned with `questions`; throw a PredictionsError naming
 * `file` when it is not JSON, has unknown or missing articles, the wrong number of answers for
 * an article, or a label other than A to D.
 */
export function parseRacePredictions(
  text: string,
  file: string,
  questions: RaceQuestion[],
): string[] {
  const fail = (why: string): never => {
    throw new PredictionsError(`Cannot read RACE predictions "${file}": ${why}`);
  };
  const given = parseJsonObject(
    text,
    fail,
    `expected a JSON object from article id to labels, e.g. {"high1.txt": ["A"]}`,
  );
  const byArticle = groupByArticle(questions);
  const unknown = Object.keys(given).filter((id) => !byArticle.has(id));
  if (unknown.length > 0) fail(`${listSome(unknown)} not in the data`);
  const missing = [...byArticle.keys()].filter((id) => !Object.hasOwn(given, id));
  if (missing.length > 0) {
    const hint = limitHint(covered(given, questions), "questions");
    fail(`no predictions for ${listSome(missing)}${hint}`);
  }

  const labels = new Array<string>(questions.length);
  for (const [id, indices] of byArticle) {
    const answers = given[id];
    if (!Array.isArray(answers)) {
      fail(`article ${quoted(id)}: expected an array of labels, got ${jsonSnippet(answers)}`);
    }
    const list = answers as unknown[];
    if (list.length !== indices.length) {
      // Too few answers only in the last article predicted is also what `eval --limit` leaves.
      const hint = list.length < indices.length
        ? limitHint(covered(given, questions), "questions")
        : "";
      fail(`article ${quoted(id)}: ${list.length} answers, expected ${indices.length}${hint}`);
    }
    list.forEach((label, j) => {
      if (!isRaceLabel(label)) {
        const what = `label ${jsonSnippet(label)} is not A, B, C or D`;
        fail(`article ${quoted(id)} question ${j + 1}: ${what}`);
      }
      labels[indices[j]] = label as string;
    });
  }
  return labels;
}

/**
 * Score a predictions file against a split of the RACE data under `root`; with `limit`, against
 * its first `limit` questions only (the subset `eval --limit` ran).
 */
export async function scoreRace(
  root: string,
  split: Split,
  predictionsFile: string,
  limit?: number,
): Promise<Metrics> {
  const all = loadRace(root, split);
  const questions = limit === undefined ? all : all.slice(0, limit);
  const text = await readPredictions(predictionsFile);
  return raceMetrics(questions, parseRacePredictions(text, predictionsFile, questions));
}

/**
 * Which questions `given` answers, counting an article's first k questions when it has k
 * labels (a file from `eval --limit N` cuts the last article short); for the `--limit` hint.
 */
function covered(given: Record<string, unknown>, questions: RaceQuestion[]): boolean[] {
  return questions.map((q) => {
    const answers = given[q.articleId];
    return Array.isArray(answers) && q.questionIndex < answers.length;
  });
}

/** Positions in `questions` per article id, articles in first-seen order. */
function groupByArticle(questions: RaceQuestion[]): Map<string, number[]> {
  const byArticle = new Map<string, number[]>();
  questions.forEach((q, i) => {
    const indices = byArticle.get(q.articleId);
    if (indices) indices.push(i);
    else byArticle.set(q.articleId, [i]);
  });
  return byArticle;
}

/** Up to five quoted ids and how many there are in all. */
function listSome(ids: string[]): string {
  const shown = ids.slice(0, 5).map((id) => quoted(id)).join(", ");
  const more = ids.length > 5 ? `, ... (${ids.length} in all)` : "";
  return `${ids.length} article${ids.length === 1 ? "" : "s"} (${shown}${more})`;
}
