/**
 * RACE in the task registry: four rows per question (one per option), the
 * multiple-choice head scores each, the highest score is the answer; accuracy
 * overall and per level.
 */
import type { Split, TaskEntry } from "../task.ts";
import { buildRaceInputs } from "./features.ts";
import { loadRace, RACE_LABELS, type RaceQuestion } from "./load.ts";
import { createHash } from "node:crypto";
import { raceMetrics } from "./metrics.ts";
import { formatRacePredictions, scoreRace } from "./predictions.ts";

/** RACE's max sequence length in the ALBERT paper's code. */
export const RACE_MAX_SEQ_LENGTH = 512;
/** The question+option part keeps its last 128 tokens. */
export const RACE_MAX_QA_LENGTH = 128;

/**
 * SHA-256 of what the rows do not hold: each question's article id, level, index and answer
 * (the rows already cover the article, question and option text). Small, so cheap for train.
 */
function questionsDigest(questions: readonly RaceQuestion[]): string {
  const hash = createHash("sha256");
  for (const q of questions) {
    hash.update(JSON.stringify([q.articleId, q.level, q.questionIndex, q.answer]));
  }
  return hash.digest("hex");
}

function loadSubset(root: string, split: Split, limit?: number) {
  const all = loadRace(root, split);
  return limit === undefined ? all : all.slice(0, limit);
}

/** The RACE registry entry. */
export const RACE_ENTRY: TaskEntry = {
  name: "race",
  family: "race",
  head: { kind: "multiple-choice" },
  metrics: ["accuracy", "middle", "high"],
  splits: ["train", "dev", "test"],
  files: (split) => [`race/${split}/middle/*.txt`, `race/${split}/high/*.txt`],
  size(root, split) {
    try {
      return Promise.resolve(loadRace(root, split).length);
    } catch {
      return Promise.resolve(undefined);
    }
  },
  prepare({ root, split, tokenizer, limit, maxSeqLength }) {
    const questions = loadSubset(root, split, limit);
    const rows = questions.flatMap((q) =>
      buildRaceInputs(q, tokenizer, maxSeqLength ?? RACE_MAX_SEQ_LENGTH, RACE_MAX_QA_LENGTH)
    );
    return Promise.resolve({
      rows,
      groupSize: 4,
      examples: questions.length,
      // Each option's row carries its question's answer index (the loss reads one per question).
      targets: questions.flatMap((q) => Array(4).fill(RACE_LABELS.indexOf(q.answer))),
      // 1,400–25,000 small files per split: the fingerprint names the split, not each file,
      // and the work keys hash the rows and this digest of the questions read instead.
      dataFiles: [],
      contentDigest: questionsDigest(questions),
      finish(logits) {
        const scores = questions.map((_, i) => [0, 1, 2, 3].map((c) => logits[i * 4 + c][0]));
        // First highest score; a NaN never wins (comparisons with NaN are false).
        const predictions = scores.map((s) =>
          RACE_LABELS[s.reduce((best, x, c) => (x > s[best] ? c : best), 0)]
        );
        return {
          files: { "predictions.json": formatRacePredictions(questions, predictions) },
          predictionsFile: "predictions.json",
          metrics: questions.length > 0 ? raceMetrics(questions, predictions) : undefined,
          // Resampled questions keep their level, so middle/high come out of the same draw.
          metricsOf: questions.length > 0
            ? (indices) =>
              raceMetrics(
                Array.from(indices, (i) => questions[i]),
                Array.from(indices, (i) => predictions[i]),
              )
            : undefined,
          samples: questions.map((q, i) => ({
            article_id: q.articleId,
            question_index: q.questionIndex,
            level: q.level,
            input_ids: rows.slice(i * 4, i * 4 + 4).map((r) => r.inputIds),
            token_type_ids: rows.slice(i * 4, i * 4 + 4).map((r) => r.tokenTypeIds),
            logits: scores[i],
            prediction: predictions[i],
            label: q.answer,
          })),
        };
      },
    });
  },
  score: ({ root, split, predictionsFile, limit }) =>
    scoreRace(root, split, predictionsFile, limit),
};
