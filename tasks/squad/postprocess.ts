/**
 * From start/end logits to answer texts, as BERT's `run_squad.py` `write_predictions` does:
 * for each question, take the `nBest` best start and end positions of every window, keep the
 * valid spans, rank them by start + end logit, and read the best one's text straight out of
 * the context through the tokens' character spans (so casing, accents and punctuation are as
 * written). For v2.0 the null answer scores the smallest CLS start + end over the windows and
 * wins when it beats the best span by more than `nullScoreDiffThreshold`.
 */
import type { SquadFeature } from "./features.ts";
import type { SquadExample } from "./load.ts";

/** The model's logits for one feature, one value per input position. */
export interface SquadOutput {
  start: ArrayLike<number>;
  end: ArrayLike<number>;
}

/** How answers are decoded. */
export interface SquadDecodeOptions {
  /** Start and end positions kept per window, and answers kept per question. */
  nBest: number;
  /** Longest answer, in tokens. */
  maxAnswerLength: number;
  /** SQuAD v2.0: the empty answer competes with the spans. */
  version2: boolean;
  /** v2.0: answer "" when null score − best span score exceeds this. */
  nullScoreDiffThreshold: number;
}

/** The decoding settings of BERT's and ALBERT's SQuAD runs (DESIGN §4). */
export const SQUAD_DECODE_DEFAULTS: Omit<SquadDecodeOptions, "version2"> = {
  nBest: 20,
  maxAnswerLength: 30,
  nullScoreDiffThreshold: 0,
};

/** One of a question's best answers, as in BERT's `nbest_predictions.json`. */
export interface SquadNbestEntry {
  text: string;
  /** Softmax of start + end logit over the question's n-best list. */
  probability: number;
  startLogit: number;
  endLogit: number;
}

/** Decoded answers, keyed by question id. */
export interface SquadDecoded {
  /** The answer text per question (the official scorers' predictions file). */
  predictions: Record<string, string>;
  /**
   * v2.0: the probability of the empty answer in the n-best softmax (a no-answer probability
   * for the v2.0 scorer's `--na-prob-file`); empty for v1.1.
   */
  naProbs: Record<string, number>;
  /**
   * v2.0: null score − best span score (BERT's `null_odds.json`; the v2.0 scorer's best
   * thresholds on it give `nullScoreDiffThreshold`); `Number.MAX_VALUE` when no span is valid.
   * Empty for v1.1.
   */
  nullOdds: Record<string, number>;
  /** The n-best list per question, best first. */
  nbest: Record<string, SquadNbestEntry[]>;
}

/** A candidate answer before deduplication by text. */
interface Candidate {
  feature: number;
  startIndex: number;
  endIndex: number;
  startLogit: number;
  endLogit: number;
  isNull: boolean;
}

/** Decode every question's answer from the outputs of its features (one output per feature). */
export function decodeSquad(
  examples: SquadExample[],
  features: SquadFeature[],
  outputs: SquadOutput[],
  options: Partial<SquadDecodeOptions> & Pick<SquadDecodeOptions, "version2">,
): SquadDecoded {
  const { nBest, maxAnswerLength, version2, nullScoreDiffThreshold } = {
    ...SQUAD_DECODE_DEFAULTS,
    ...options,
  };
  if (outputs.length !== features.length) {
    throw new RangeError(`Got ${outputs.length} outputs for ${features.length} features`);
  }
  const byExample = examples.map((): number[] => []);
  features.forEach((feature, f) => {
    const n = feature.inputIds.length;
    if (outputs[f].start.length !== n || outputs[f].end.length !== n) {
      throw new RangeError(
        `Output ${f} has ${outputs[f].start.length} start and ${outputs[f].end.length} end ` +
          `logits, expected ${n} (one per input position)`,
      );
    }
    const list = byExample[feature.exampleIndex];
    if (list === undefined) {
      throw new RangeError(`Feature ${f} names example ${feature.exampleIndex}, which is absent`);
    }
    list.push(f);
  });

  const decoded: SquadDecoded = { predictions: {}, naProbs: {}, nullOdds: {}, nbest: {} };
  examples.forEach((example, e) => {
    const candidates: Candidate[] = [];
    // The window whose CLS scores lowest gives the null answer (BERT starts from 1e6).
    let nullCandidate: Candidate | undefined;
    let minNullScore = Infinity;
    for (const f of byExample[e]) {
      const feature = features[f];
      const { start, end } = outputs[f];
      if (version2) {
        const score = start[0] + end[0];
        if (nullCandidate === undefined || score < minNullScore) {
          minNullScore = score;
          nullCandidate = {
            feature: f,
            startIndex: 0,
            endIndex: 0,
            startLogit: start[0],
            endLogit: end[0],
            isNull: true,
          };
        }
      }
      const ends = bestIndexes(end, nBest);
      for (const s of bestIndexes(start, nBest)) {
        for (const t of ends) {
          // Spans in the question or specials, backwards, too long, or better seen from
          // another window are thrown out.
          if (feature.contextSpan[s] === null || feature.contextSpan[t] === null) continue;
          if (!feature.tokenIsMaxContext[s]) continue;
          if (t < s || t - s + 1 > maxAnswerLength) continue;
          candidates.push({
            feature: f,
            startIndex: s,
            endIndex: t,
            startLogit: start[s],
            endLogit: end[t],
            isNull: false,
          });
        }
      }
    }
    // With no window at all (an empty context) the null answer scores 0 + 0, as in BERT.
    const nullEntry = nullCandidate ??
      { feature: -1, startIndex: 0, endIndex: 0, startLogit: 0, endLogit: 0, isNull: true };
    if (version2) candidates.push(nullEntry);
    // A stable sort, as Python's sorted(): equal scores keep window, start, end order.
    candidates.sort((a, b) => (b.startLogit + b.endLogit) - (a.startLogit + a.endLogit));

    const nbest: Omit<SquadNbestEntry, "probability">[] = [];
    const seen = new Set<string>();
    for (const candidate of candidates) {
      if (nbest.length >= nBest) break;
      let text = "";
      if (!candidate.isNull) {
        const spans = features[candidate.feature].contextSpan;
        text = example.context.slice(
          spans[candidate.startIndex]![0],
          spans[candidate.endIndex]![1],
        );
        // A span of zero-width tokens would read as "" and pass for the null answer; and one
        // text is listed once, with its best score.
        if (text === "" || seen.has(text)) continue;
      }
      seen.add(text);
      nbest.push({ text, startLogit: candidate.startLogit, endLogit: candidate.endLogit });
    }
    if (version2 && !seen.has("")) {
      nbest.push({ text: "", startLogit: nullEntry.startLogit, endLogit: nullEntry.endLogit });
    }
    const probs = softmax(nbest.map((entry) => entry.startLogit + entry.endLogit));
    const entries = nbest.map((entry, i) => ({ ...entry, probability: probs[i] }));
    decoded.nbest[example.id] = entries;

    const best = entries.find((entry) => entry.text !== "");
    if (!version2) {
      // BERT would answer "empty" here; an empty answer is simply wrong, which is the point.
      decoded.predictions[example.id] = best?.text ?? "";
      return;
    }
    const nullScore = nullEntry.startLogit + nullEntry.endLogit;
    const diff = best === undefined
      ? Number.MAX_VALUE
      : nullScore - best.startLogit - best.endLogit;
    decoded.nullOdds[example.id] = diff;
    decoded.naProbs[example.id] = entries.find((entry) => entry.text === "")?.probability ?? 0;
    decoded.predictions[example.id] = best === undefined || diff > nullScoreDiffThreshold
      ? ""
      : best.text;
  });
  return decoded;
}

/** BERT's `_get_best_indexes`: the n largest positions, larger first, lower index on ties. */
function bestIndexes(logits: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: logits.length }, (_, i) => i)
    .sort((a, b) => logits[b] - logits[a])
    .slice(0, n);
}

/** BERT's `_compute_softmax`: shifted by the maximum so large logits do not overflow. */
function softmax(scores: number[]): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  let total = 0;
  for (const x of exps) total += x;
  return exps.map((x) => x / total);
}
