/**
 * The tokenizer interface shared by ALBERT's SentencePiece and BERT's
 * WordPiece, and the pair encoding both use (`[CLS] a [SEP] b [SEP]`).
 * Every token keeps its character span in the original text, so SQuAD can map
 * a predicted span back to the context.
 */

/** A text split into tokens, without special tokens. */
export interface Tokenized {
  /** Vocabulary id of each token. */
  ids: number[];
  /** Each token as its vocabulary entry (`▁the`, `##ing`, `[UNK]`). */
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
  /** `[CLS]`, which starts every row; its vector feeds classification heads. */
  cls: number;
  /** `[SEP]`, which ends each segment. */
  sep: number;
  /** Padding (`<pad>` in ALBERT, `[PAD]` in BERT); attention-masked out. */
  pad: number;
  /** Unknown token (`<unk>` in ALBERT, `[UNK]` in BERT). */
  unk: number;
  /** `[MASK]`, the masked-LM placeholder (unused in fine-tuning). */
  mask: number;
}

/** A loaded tokenizer (SentencePiece for ALBERT, WordPiece for BERT). */
export interface Tokenizer {
  /** The algorithm: SentencePiece (ALBERT's `spiece.model`) or WordPiece (BERT's `vocab.txt`). */
  readonly kind: "sentencepiece" | "wordpiece";
  /** The vocabulary file it was read from. */
  readonly source: string;
  /** Number of vocabulary entries; ids run from 0 to `vocabSize - 1`. */
  readonly vocabSize: number;
  /** Ids of the special tokens. */
  readonly special: SpecialIds;
  /** Split one text into tokens with offsets; no special tokens, no truncation. */
  tokenize(text: string): Tokenized;
  /** The vocabulary entry of an id. */
  idToToken(id: number): string;
}

/** One model input row, unpadded. */
export interface Encoding {
  /** `input_ids`: `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]` as vocabulary ids. */
  inputIds: number[];
  /** `token_type_ids` (segment ids): 0 through the first `[SEP]`, 1 for `b` and its `[SEP]`. */
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
