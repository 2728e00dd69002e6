/**
 * SQuAD features as BERT's `run_squad.py` builds them: the question truncated to
 * `maxQueryLength` tokens, the context cut into overlapping windows (`docStride`), each window
 * laid out as `[CLS] question [SEP] window [SEP]`. Every context position keeps its character
 * span in the context, so a predicted token span maps back to the original text, and knows
 * whether this window is the one where it has the most context on both sides.
 */
import type { Tokenizer } from "../../tokenizers/tokenizer.ts";
import type { SquadExample } from "./load.ts";

/** The feature sizes (DESIGN §4: 384, 128, 64). */
export interface SquadFeatureOptions {
  /** Tokens per feature, special tokens included. */
  maxSeqLength: number;
  /** How far (in tokens) each window starts after the previous one, at most. */
  docStride: number;
  /** Question tokens kept (the rest are dropped from the end). */
  maxQueryLength: number;
}

/** The options of BERT's and ALBERT's SQuAD runs. */
export const SQUAD_FEATURE_DEFAULTS: SquadFeatureOptions = {
  maxSeqLength: 384,
  docStride: 128,
  maxQueryLength: 64,
};

/** One model input: a question with one window of its context, unpadded. */
export interface SquadFeature {
  /** Index of the example in the list given to `buildSquadFeatures`. */
  exampleIndex: number;
  inputIds: number[];
  /** 0 for `[CLS]`, the question and its `[SEP]`; 1 for the window and the final `[SEP]`. */
  tokenTypeIds: number[];
  /** All ones (the row is unpadded), as `Encoding` has it. */
  attentionMask: number[];
  /** Per position: `[start, end)` characters of the context, or null outside the window. */
  contextSpan: ([number, number] | null)[];
  /** Per position: whether this window gives the token its most context (false outside it). */
  tokenIsMaxContext: boolean[];
}

/** One window over the context tokens. */
interface DocSpan {
  start: number;
  length: number;
}

/** Split every example into features, in example order then window order. */
export function buildSquadFeatures(
  examples: SquadExample[],
  tokenizer: Tokenizer,
  options: Partial<SquadFeatureOptions> = {},
): SquadFeature[] {
  const { maxSeqLength, docStride, maxQueryLength } = { ...SQUAD_FEATURE_DEFAULTS, ...options };
  if (!(docStride >= 1)) throw new RangeError(`Doc stride must be at least 1, got ${docStride}`);
  const { cls, sep } = tokenizer.special;
  const features: SquadFeature[] = [];
  examples.forEach((example, exampleIndex) => {
    const query = tokenizer.tokenize(example.question).ids.slice(0, maxQueryLength);
    const doc = tokenizer.tokenize(example.context);
    // The 3 are [CLS] and the two [SEP].
    const maxTokensForDoc = maxSeqLength - query.length - 3;
    if (maxTokensForDoc < 1) {
      throw new RangeError(
        `Max sequence length ${maxSeqLength} leaves no room for the context of question ` +
          `"${example.id}" (${query.length} question tokens)`,
      );
    }
    const spans = docSpans(doc.ids.length, maxTokensForDoc, docStride);
    spans.forEach((span, spanIndex) => {
      const window = doc.ids.slice(span.start, span.start + span.length);
      const head = query.length + 2;
      const inputIds = [cls, ...query, sep, ...window, sep];
      const tokenTypeIds = inputIds.map((_, i) => (i < head ? 0 : 1));
      const contextSpan: ([number, number] | null)[] = inputIds.map(() => null);
      const tokenIsMaxContext = inputIds.map(() => false);
      for (let i = 0; i < span.length; i++) {
        const [start, end] = doc.offsets[span.start + i];
        contextSpan[head + i] = [start, end];
        tokenIsMaxContext[head + i] = isMaxContext(spans, spanIndex, span.start + i);
      }
      features.push({
        exampleIndex,
        inputIds,
        tokenTypeIds,
        attentionMask: inputIds.map(() => 1),
        contextSpan,
        tokenIsMaxContext,
      });
    });
  });
  return features;
}

/**
 * The windows of `run_squad.py`: each takes up to `maxTokens` tokens and the next starts
 * `min(length, stride)` later, until one reaches the end. An empty context has no windows
 * (and so its question no features), as there.
 */
function docSpans(numTokens: number, maxTokens: number, stride: number): DocSpan[] {
  const spans: DocSpan[] = [];
  let start = 0;
  while (start < numTokens) {
    const length = Math.min(numTokens - start, maxTokens);
    spans.push({ start, length });
    if (start + length === numTokens) break;
    start += Math.min(length, stride);
  }
  return spans;
}

/**
 * BERT's `_check_is_max_context`: a token in several windows belongs to the one where
 * min(left context, right context) + 0.01 × window length is largest (the first on ties),
 * so that each token is predicted from the window that sees most around it.
 */
function isMaxContext(spans: DocSpan[], current: number, position: number): boolean {
  let bestScore = -Infinity;
  let bestIndex = -1;
  spans.forEach((span, index) => {
    const end = span.start + span.length - 1;
    if (position < span.start || position > end) return;
    const score = Math.min(position - span.start, end - position) + 0.01 * span.length;
    if (score > bestScore) {
      bestScore = score;
      bestIndex = index;
    }
  });
  return bestIndex === current;
}
