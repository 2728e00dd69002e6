/**
 * SQuAD v1.1 and v2.0 in the task registry: sliding-window features (384
 * tokens, stride 128, query 64), span decoding over all features of a
 * question (n-best 20, answers up to 30 tokens), the official scorers.
 */
import { type Metrics, requireFiles, type TaskEntry } from "../task.ts";
import {
  evaluateV1WithScores,
  evaluateV2WithScores,
  meanScores,
  scoreSquad,
  SQUAD_DEV_FILES,
} from "./evaluate.ts";
import { buildSquadFeatures } from "./features.ts";
import { loadSquad, type SquadVersion } from "./load.ts";
import { decodeSquad } from "./postprocess.ts";

/** The BERT/ALBERT run_squad defaults (DESIGN §4). */
export const SQUAD_DEFAULTS = {
  maxSeqLength: 384,
  docStride: 128,
  maxQueryLength: 64,
  nBest: 20,
  maxAnswerLength: 30,
};

function entry(version: SquadVersion): TaskEntry {
  const file = SQUAD_DEV_FILES[version];
  const name = `squad/${version}`;
  const load = (root: string, limit?: number) => {
    const [path] = requireFiles(root, name, [file]);
    const examples = loadSquad(path, version).examples;
    return { path, examples: limit === undefined ? examples : examples.slice(0, limit) };
  };
  return {
    name,
    family: "squad",
    head: { kind: "question-answering" },
    metrics: version === "v1.1" ? ["exact_match", "f1"] : [
      "exact",
      "f1",
      "HasAns_exact",
      "HasAns_f1",
      "NoAns_exact",
      "NoAns_f1",
      "best_exact",
      "best_f1",
    ],
    splits: ["dev"],
    files: () => [file],
    size(root) {
      try {
        return Promise.resolve(load(root).examples.length);
      } catch {
        return Promise.resolve(undefined);
      }
    },
    prepare({ root, tokenizer, limit, maxSeqLength }) {
      const { path, examples } = load(root, limit);
      const features = buildSquadFeatures(examples, tokenizer, {
        maxSeqLength: maxSeqLength ?? SQUAD_DEFAULTS.maxSeqLength,
        docStride: SQUAD_DEFAULTS.docStride,
        maxQueryLength: SQUAD_DEFAULTS.maxQueryLength,
      });
      const rows = features.map((f) => ({
        inputIds: f.inputIds,
        tokenTypeIds: f.tokenTypeIds,
        attentionMask: f.inputIds.map(() => 1),
      }));
      return Promise.resolve({
        rows,
        groupSize: 1,
        examples: examples.length,
        dataFiles: [path],
        finish(logits) {
          const outputs = logits.map((l) => ({
            start: l.filter((_, i) => i % 2 === 0),
            end: l.filter((_, i) => i % 2 === 1),
          }));
          const { predictions, naProbs } = decodeSquad(examples, features, outputs, {
            nBest: SQUAD_DEFAULTS.nBest,
            maxAnswerLength: SQUAD_DEFAULTS.maxAnswerLength,
            version2: version === "v2.0",
            nullScoreDiffThreshold: 0,
          });
          const files: Record<string, string> = {
            "predictions.json": JSON.stringify(predictions, null, 2) + "\n",
          };
          if (version === "v2.0") files["na_probs.json"] = JSON.stringify(naProbs, null, 2) + "\n";
          const silent = () => {};
          // Scored once; the per-question scores are what the bootstrap resamples: for v2.0
          // only exact and f1 (the official main numbers), not HasAns/NoAns or best thresholds.
          const scored = examples.length === 0
            ? undefined
            : version === "v1.1"
            ? evaluateV1WithScores(examples, predictions, silent)
            : evaluateV2WithScores(examples, predictions, naProbs, 1.0, silent);
          const metrics = scored?.metrics;
          const scores = scored?.scores;
          const metricsOf = scores && ((indices: Int32Array): Metrics => {
            const { exact, f1 } = meanScores(scores, indices);
            return version === "v1.1" ? { exact_match: exact, f1 } : { exact, f1 };
          });
          const byExample = new Map<number, number[]>();
          features.forEach((f, i) => {
            const list = byExample.get(f.exampleIndex) ?? [];
            list.push(i);
            byExample.set(f.exampleIndex, list);
          });
          return {
            files,
            predictionsFile: "predictions.json",
            naProbsFile: version === "v2.0" ? "na_probs.json" : undefined,
            metrics,
            metricsOf,
            samples: examples.map((e, x) => {
              const own = byExample.get(x) ?? [];
              return {
                id: e.id,
                input_ids: own.map((i) => rows[i].inputIds),
                token_type_ids: own.map((i) => rows[i].tokenTypeIds),
                logits: own.map((i) => ({
                  start_logits: Array.from(outputs[i].start),
                  end_logits: Array.from(outputs[i].end),
                })),
                prediction: predictions[e.id],
                ...(version === "v2.0" ? { na_prob: naProbs[e.id] } : {}),
                label: e.answers,
              };
            }),
          };
        },
      });
    },
    score: ({ root, predictionsFile, naProbsFile, limit, warn }) =>
      Promise.resolve(scoreSquad(root, version, predictionsFile, { naProbsFile, warn, limit })),
  };
}

/** Registry entries of SQuAD v1.1 and v2.0. */
export const SQUAD_ENTRIES: readonly TaskEntry[] = [entry("v1.1"), entry("v2.0")];
