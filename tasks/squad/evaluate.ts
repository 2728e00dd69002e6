/**
 * Ports of the official SQuAD scorers: `evaluate-v1.1.py` (EM and F1) and `evaluate-v2.0.py`
 * (EM and F1 overall, HasAns/NoAns, and the best no-answer thresholds), computing every value
 * in the same order as the scripts so the results agree to the last few bits.
 *
 * One deliberate departure: the v2.0 script drops a question without a prediction from `total`
 * and then crashes (KeyError) on the HasAns/NoAns breakdown. Here, as in v1.1, such a question
 * is warned about, scores 0 and counts in every total; with every question predicted the two
 * agree exactly.
 */
import {
  DataError,
  jsonSnippet,
  limitHint,
  type Metrics,
  PredictionsError,
  quoted,
  readTextSync,
  requireFiles,
} from "../task.ts";
import { loadSquad, type SquadExample, type SquadVersion } from "./load.ts";

/** Where warnings go (the scripts print them to stderr). */
export type Warn = (message: string) => void;

const warnToStderr: Warn = (message) => console.error(message);

/** Python's `string.punctuation`: ASCII only, so other symbols (e.g. `–`, `€`) are kept. */
const PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

/**
 * `re.sub(r'\b(a|an|the)\b', ' ', text)` on a Python 3 str, whose `\w` is Unicode
 * (letters, digits, other numerics, `_`); JavaScript's `\b` is ASCII-only, so the
 * boundary is spelled out with lookarounds.
 */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** The characters Python's `str.split()` splits on (`str.isspace`); not `\uFEFF`, unlike `\s`. */
const PY_WHITESPACE =
  // deno-lint-ignore no-control-regex -- Python's whitespace includes \x1c-\x1f
  /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Python's `s.split()`: runs of whitespace separate, no empty tokens. */
function pySplit(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((token) => token.length > 0);
}

/** Lowercase, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace. */
export function normalizeAnswer(text: string): string {
  let out = "";
  for (const ch of text.toLowerCase()) if (!PUNCTUATION.has(ch)) out += ch;
  return pySplit(out.replace(ARTICLES, " ")).join(" ");
}

/** 1 when prediction and gold answer are equal after normalisation, else 0 (both scripts). */
export function exactMatch(prediction: string, truth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(truth) ? 1 : 0;
}

/**
 * Token F1 with multiset (Counter) overlap. The scripts differ only when a side has no tokens:
 * v2.0 gives 1 if both are empty and 0 otherwise; v1.1 always gives 0 (no common tokens).
 */
export function f1Score(prediction: string, truth: string, version: SquadVersion = "v2.0"): number {
  const predTokens = pySplit(normalizeAnswer(prediction));
  const goldTokens = pySplit(normalizeAnswer(truth));
  if (version === "v2.0" && (predTokens.length === 0 || goldTokens.length === 0)) {
    return predTokens.length === goldTokens.length ? 1 : 0;
  }
  const goldCounts = new Map<string, number>();
  for (const token of goldTokens) goldCounts.set(token, (goldCounts.get(token) ?? 0) + 1);
  let numSame = 0;
  for (const token of predTokens) {
    const left = goldCounts.get(token) ?? 0;
    if (left > 0) {
      numSame += 1;
      goldCounts.set(token, left - 1);
    }
  }
  if (numSame === 0) return 0;
  const precision = (1.0 * numSame) / predTokens.length;
  const recall = (1.0 * numSame) / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Each question's exact and F1 (0 to 1) in data order: what the scorers average. */
export interface QuestionScores {
  exact: number[];
  f1: number[];
}

const silent: Warn = () => {};

/**
 * 100 × the mean exact and F1 over `indices` (repeats count), summed left to right as both
 * scripts do, so every index in order gives the scorers' numbers bit for bit.
 */
export function meanScores(
  scores: QuestionScores,
  indices: ArrayLike<number>,
): { exact: number; f1: number } {
  let exactSum = 0;
  let f1Sum = 0;
  for (let k = 0; k < indices.length; k++) {
    exactSum += scores.exact[indices[k]];
    f1Sum += scores.f1[indices[k]];
  }
  return { exact: (100.0 * exactSum) / indices.length, f1: (100.0 * f1Sum) / indices.length };
}

/** Each question's `evaluate-v1.1.py` exact and F1; a question without a prediction scores 0. */
function questionScoresV1(
  examples: SquadExample[],
  predictions: Record<string, string>,
  warn: Warn = silent,
): QuestionScores {
  const scores: QuestionScores = { exact: [], f1: [] };
  for (const example of examples) {
    if (!Object.hasOwn(predictions, example.id)) {
      warn(`Unanswered question ${example.id} will receive score 0.`);
      scores.exact.push(0);
      scores.f1.push(0);
      continue;
    }
    if (example.answers.length === 0) {
      // max() over no gold answers is an error in the script too; v2.0 data needs its scorer.
      throw new DataError(
        `Cannot score question ${quoted(example.id)} with the v1.1 scorer: it has no answers`,
      );
    }
    const prediction = predictions[example.id];
    scores.exact.push(Math.max(...example.answers.map((gold) => exactMatch(prediction, gold))));
    scores.f1.push(Math.max(...example.answers.map((gold) => f1Score(prediction, gold, "v1.1"))));
  }
  return scores;
}

/** `evaluate-v1.1.py`: `{exact_match, f1}` ×100 over every question; a missing one scores 0. */
export function evaluateV1(
  examples: SquadExample[],
  predictions: Record<string, string>,
  warn: Warn = warnToStderr,
): Metrics {
  return evaluateV1WithScores(examples, predictions, warn).metrics;
}

/** `evaluateV1` with the per-question scores it averaged (for bootstrap intervals). */
export function evaluateV1WithScores(
  examples: SquadExample[],
  predictions: Record<string, string>,
  warn: Warn = warnToStderr,
): { metrics: Metrics; scores: QuestionScores } {
  const scores = questionScoresV1(examples, predictions, warn);
  warnUnknownIds(examples, predictions, "predictions", warn);
  nonEmptyTotal(examples);
  const { exact, f1 } = meanScores(scores, examples.map((_, i) => i));
  return { metrics: { exact_match: exact, f1 }, scores };
}

/**
 * `evaluate-v2.0.py`: exact, f1, total, then HasAns_* and NoAns_* (each only when the data has
 * such questions), then best_exact, best_exact_thresh, best_f1, best_f1_thresh when no-answer
 * probabilities are given. A question is predicted unanswerable when its probability exceeds
 * `naProbThresh`; a question with a prediction but no probability counts as 0.0 (warned).
 */
export function evaluateV2(
  examples: SquadExample[],
  predictions: Record<string, string>,
  naProbs?: Record<string, number>,
  naProbThresh = 1.0,
  warn: Warn = warnToStderr,
): Metrics {
  return evaluateV2WithScores(examples, predictions, naProbs, naProbThresh, warn).metrics;
}

/**
 * `evaluateV2` with each question's exact and F1 after the no-answer threshold (what `exact`
 * and `f1` average; for bootstrap intervals).
 */
export function evaluateV2WithScores(
  examples: SquadExample[],
  predictions: Record<string, string>,
  naProbs?: Record<string, number>,
  naProbThresh = 1.0,
  warn: Warn = warnToStderr,
): { metrics: Metrics; scores: QuestionScores } {
  nonEmptyTotal(examples);
  const { raw, scores, answered, hasAns, probs, probOf } = scoreV2(
    examples,
    predictions,
    naProbs,
    naProbThresh,
    warn,
  );
  const out: Metrics = evalDict(scores, examples.map((_, i) => i));
  for (const [prefix, want] of [["HasAns", true], ["NoAns", false]] as const) {
    const indices = examples.map((_, i) => i).filter((i) => hasAns[i] === want);
    if (indices.length === 0) continue;
    for (const [key, value] of Object.entries(evalDict(scores, indices))) {
      out[`${prefix}_${key}`] = value;
    }
  }
  if (naProbs !== undefined) {
    const order = sortedByProb(examples, answered, probs, probOf);
    const [bestExact, exactThresh] = findBestThresh(
      examples,
      raw.exact,
      order,
      hasAns,
      predictions,
    );
    const [bestF1, f1Thresh] = findBestThresh(examples, raw.f1, order, hasAns, predictions);
    out.best_exact = bestExact;
    out.best_exact_thresh = exactThresh;
    out.best_f1 = bestF1;
    out.best_f1_thresh = f1Thresh;
  }
  return { metrics: out, scores };
}

/** The per-question part of `evaluateV2`: raw and thresholded scores, with its warnings. */
function scoreV2(
  examples: SquadExample[],
  predictions: Record<string, string>,
  naProbs: Record<string, number> | undefined,
  naProbThresh: number,
  warn: Warn,
) {
  const hasAns = examples.map((example) => example.answers.length > 0);
  const answered = examples.map((example) => Object.hasOwn(predictions, example.id));
  // The script's default no-answer probabilities: 0.0 for every prediction.
  const probs = naProbs ?? Object.fromEntries(Object.keys(predictions).map((id) => [id, 0.0]));
  const unprobed = examples.filter((e, i) => answered[i] && !Object.hasOwn(probs, e.id));
  if (unprobed.length > 0) {
    warn(
      `${unprobed.length} questions have no no-answer probability and count as 0.0` +
        ` (first: ${quoted(unprobed[0].id)})`,
    );
  }
  const probOf = (id: string) => Object.hasOwn(probs, id) ? probs[id] : 0.0;

  const raw: QuestionScores = { exact: [], f1: [] };
  examples.forEach((example, i) => {
    if (!answered[i]) {
      warn(`Missing prediction for ${example.id}`);
      raw.exact.push(0);
      raw.f1.push(0);
      return;
    }
    const kept = example.answers.filter((gold) => normalizeAnswer(gold) !== "");
    // An unanswerable question's only correct answer is the empty string.
    const golds = kept.length > 0 ? kept : [""];
    const prediction = predictions[example.id];
    raw.exact.push(Math.max(...golds.map((gold) => exactMatch(prediction, gold))));
    raw.f1.push(Math.max(...golds.map((gold) => f1Score(prediction, gold, "v2.0"))));
  });
  warnUnknownIds(examples, predictions, "predictions", warn);
  if (naProbs !== undefined) warnUnknownIds(examples, naProbs, "no-answer probabilities", warn);

  // apply_no_ans_threshold: above the threshold the prediction counts as "no answer".
  const threshold = (values: number[]) =>
    values.map((score, i) =>
      answered[i] && probOf(examples[i].id) > naProbThresh ? (hasAns[i] ? 0.0 : 1.0) : score
    );
  const scores: QuestionScores = { exact: threshold(raw.exact), f1: threshold(raw.f1) };
  return { raw, scores, answered, hasAns, probs, probOf };
}

/** make_eval_dict: sums left to right in file order, then 100.0 * sum / total. */
function evalDict(scores: QuestionScores, indices: number[]): Metrics {
  return { ...meanScores(scores, indices), total: indices.length };
}

/**
 * The script's `sorted(na_probs, key=...)`: a stable sort of the probability file's keys, so
 * ties keep file order (JSON objects put integer-like keys first; SQuAD ids never are).
 * Questions the file lacks join at 0.0 after it; ids not in the data are dropped, as the
 * script skips them.
 */
function sortedByProb(
  examples: SquadExample[],
  answered: boolean[],
  probs: Record<string, number>,
  probOf: (id: string) => number,
): { index: number; prob: number }[] {
  const indexOf = new Map(examples.map((example, i) => [example.id, i]));
  const listed = Object.keys(probs).map((id) => indexOf.get(id))
    .filter((i): i is number => i !== undefined && answered[i]);
  const unlisted = examples.map((_, i) => i)
    .filter((i) => answered[i] && !Object.hasOwn(probs, examples[i].id));
  return [...listed, ...unlisted].map((index) => ({ index, prob: probOf(examples[index].id) }))
    .sort((a, b) => a.prob - b.prob);
}

/**
 * find_best_thresh: start with every question predicted unanswerable, then switch them to
 * their predicted answer in order of rising probability, keeping the best running score.
 * Unanswered questions never score, so they are left out of the starting count.
 */
function findBestThresh(
  examples: SquadExample[],
  raw: number[],
  order: { index: number; prob: number }[],
  hasAns: boolean[],
  predictions: Record<string, string>,
): [number, number] {
  let cur = order.filter(({ index }) => !hasAns[index]).length;
  let best = cur;
  let bestThresh = 0.0;
  for (const { index, prob } of order) {
    if (hasAns[index]) cur += raw[index];
    else if (predictions[examples[index].id]) cur -= 1;
    if (cur > best) {
      best = cur;
      bestThresh = prob;
    }
  }
  return [(100.0 * best) / examples.length, bestThresh];
}

function nonEmptyTotal(examples: SquadExample[]): number {
  if (examples.length === 0) throw new DataError("Cannot score SQuAD: the data has no questions");
  return examples.length;
}

function warnUnknownIds(
  examples: SquadExample[],
  map: Record<string, unknown>,
  what: string,
  warn: Warn,
): void {
  const known = new Set(examples.map((example) => example.id));
  const unknown = Object.keys(map).filter((id) => !known.has(id));
  if (unknown.length === 0) return;
  const shown = unknown.slice(0, 5).map((id) => quoted(id)).join(", ");
  warn(
    `${unknown.length} of the ${what} ${
      unknown.length === 1 ? "has an id" : "have ids"
    } not in the data, ignored: ${shown}` +
      (unknown.length > 5 ? ", …" : ""),
  );
}

/** Read a predictions file (`{"<id>": "<answer>"}`); a PredictionsError names the file. */
export function readPredictions(file: string): Record<string, string> {
  return readIdMap(file, "string", "predictions");
}

/** Read a no-answer probabilities file (`{"<id>": <number>}`); a PredictionsError names it. */
export function readNaProbs(file: string): Record<string, number> {
  return readIdMap(file, "number", "no-answer probabilities");
}

function readIdMap<T extends "string" | "number">(
  file: string,
  type: T,
  what: string,
): Record<string, T extends "string" ? string : number> {
  const fail = (why: string): never => {
    throw new PredictionsError(`Cannot read SQuAD ${what} "${file}": ${why}`);
  };
  const text = readTextSync(file, fail);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`invalid JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new PredictionsError(
      `Cannot read SQuAD ${what} "${file}": expected a JSON object mapping question ids to ` +
        `${type === "string" ? "answer strings" : "numbers"}`,
    );
  }
  for (const [id, value] of Object.entries(json)) {
    if (type === "string" ? typeof value !== "string" : typeof value !== "number") {
      throw new PredictionsError(
        `Cannot read SQuAD ${what} "${file}": question ${quoted(id)} has ${jsonSnippet(value)}, ` +
          `expected a ${type}`,
      );
    }
  }
  return json as Record<string, T extends "string" ? string : number>;
}

/** The official dev file of each version, relative to the data directory. */
export const SQUAD_DEV_FILES: Record<SquadVersion, string> = {
  "v1.1": "squad/dev-v1.1.json",
  "v2.0": "squad/dev-v2.0.json",
};

/** How `scoreSquad` reads and reports. */
export interface ScoreSquadOptions {
  /** No-answer probabilities (v2.0) for the best-threshold metrics. */
  naProbsFile?: string;
  warn?: Warn;
  /** Score the first `limit` questions only (the subset `eval --limit` ran). */
  limit?: number;
}

/** Score a predictions file (and optional no-answer probabilities) against the dev set. */
export function scoreSquad(
  root: string,
  version: SquadVersion,
  predictionsFile: string,
  options: ScoreSquadOptions = {},
): Metrics {
  const { naProbsFile, warn = warnToStderr, limit } = options;
  const [dataFile] = requireFiles(root, `squad/${version}`, [SQUAD_DEV_FILES[version]]);
  // The version is checked on loading: the v1.1 script only warns, then fails on v2.0 data.
  const dataset = loadSquad(dataFile, version);
  const examples = limit === undefined ? dataset.examples : dataset.examples.slice(0, limit);
  const predictions = readPredictions(predictionsFile);
  const metrics = version === "v1.1" ? evaluateV1(examples, predictions, warn) : evaluateV2(
    examples,
    predictions,
    naProbsFile === undefined ? undefined : readNaProbs(naProbsFile),
    1.0,
    warn,
  );
  // After the per-question warnings, whose count alone would not say why so many are missing.
  const predicted = examples.map((e) => Object.hasOwn(predictions, e.id));
  const hint = limitHint(predicted, "questions", "sentence");
  if (hint !== "") warn(hint);
  return metrics;
}
