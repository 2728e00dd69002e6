/**
 * The tokenizer interface shared by ALBERT's SentencePiece and BERT's
 * WordPiece, and the pair encoding both use (`[CLS] a [SEP] b [SEP]`).
 * Every token keeps its character span in the original text, so SQuAD can map
 * a predicted span back to the context.
 */

/** A text split into tokens, without special tokens. */
export interface Tokenized {
  ids: number[];
  tokens: string[];
  /**
   * `[start, end)` UTF-16 offsets of each token into the original (un-normalised)
   * text, so `text.slice(start, end)` is the source of the token (with accents
   * and case as written; a leading `▁` or `##` marker covers no characters).
   */
  offsets: [number, number][];
}

/** Vocabulary ids of the special tokens. */
export interface SpecialIds {
  cls: number;
  sep: number;
  pad: number;
  unk: number;
  mask: number;
}

/** A loaded tokenizer (SentencePiece for ALBERT, WordPiece for BERT). */
export interface Tokenizer {
  readonly kind: "sentencepiece" | "wordpiece";
  /** The vocabulary file it was read from. */
  readonly source: string;
  readonly vocabSize: number;
  readonly special: SpecialIds;
  /** Split one text into tokens with offsets; no special tokens, no truncation. */
  tokenize(text: string): Tokenized;
  /** The vocabulary entry of an id. */
  idToToken(id: number): string;
}

/** One model input row, unpadded. */
export interface Encoding {
  inputIds: number[];
  tokenTypeIds: number[];
  /** All ones (the row is unpadded); padding is added per batch. */
  attentionMask: number[];
}

/**
 * Truncate two token lists in place, longest first, until together they fit
 * `maxTokens` (BERT's `_truncate_seq_pair`: drop from the end of the longer one,
 * from `b` when equal).
 */
export function truncateLongestFirst<T>(a: T[], b: T[], maxTokens: number): void {
  while (a.length + b.length > maxTokens) {
    if (a.length > b.length) a.pop();
    else b.pop();
  }
}

/**
 * `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]` from token ids, truncated longest
 * first to `maxLength` in all; token type 0 up to and including the first
 * `[SEP]`, 1 after it.
 */
export function encodePair(
  special: SpecialIds,
  a: number[],
  b: number[] | undefined,
  maxLength: number,
): Encoding {
  const first = a.slice();
  const second = b?.slice() ?? [];
  const reserved = b === undefined ? 2 : 3;
  if (maxLength < reserved + 1) {
    throw new RangeError(`max length ${maxLength} leaves no room for tokens`);
  }
  truncateLongestFirst(first, second, maxLength - reserved);
  const inputIds = [special.cls, ...first, special.sep];
  const tokenTypeIds = inputIds.map(() => 0);
  if (b !== undefined) {
    inputIds.push(...second, special.sep);
    tokenTypeIds.push(...second.map(() => 1), 1);
  }
  return { inputIds, tokenTypeIds, attentionMask: inputIds.map(() => 1) };
}
