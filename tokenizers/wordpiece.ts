/**
 * BERT's tokenizer: `BasicTokenizer` (clean, split CJK ideographs, whitespace,
 * lowercase and strip accents, split punctuation) then `WordpieceTokenizer`
 * (greedy longest match first with `##` continuations), as google-research/bert
 * `tokenization.py` and Hugging Face's `BertTokenizer` do it. Every token keeps
 * the span of original text it came from.
 */
import {
  dropChars,
  lower,
  normalize,
  pythonWords,
  slice,
  type Tracked,
  TrackedBuilder,
} from "./_text.ts";
import type { SpecialIds, Tokenized, Tokenizer } from "./tokenizer.ts";

/** BERT's tokenizer switches, as `BertTokenizer` names them. */
export interface WordPieceOptions {
  /** Lowercase each word (default true). */
  doLowerCase?: boolean;
  /** NFD and drop nonspacing marks (default: the value of `doLowerCase`). */
  stripAccents?: boolean;
  /** Where the vocabulary came from, for messages and `Tokenizer.source`. */
  source?: string;
}

/** `max_input_chars_per_word`: longer words become `[UNK]` whole. */
const MAX_WORD_CHARS = 100;
const CONTROL = /^[\p{Cc}\p{Cf}]$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;

/** `_is_control`: categories Cc and Cf, except tab, newline and carriage return. */
function isControl(ch: string, cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  return cp < 0x80 ? cp < 0x20 || cp === 0x7f : CONTROL.test(ch);
}

/** `_is_whitespace`: space, tab, newline, carriage return and category Zs. */
function isWhitespace(ch: string, cp: number): boolean {
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d) return true;
  return cp >= 0x80 && SPACE_SEPARATOR.test(ch);
}

/** `_is_punctuation`: all non-alphanumeric printable ASCII, and category P. */
function isPunctuation(ch: string, cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)) return true;
  if (cp >= 123 && cp <= 126) return true;
  return cp >= 0x80 && PUNCTUATION.test(ch);
}

/** `_is_chinese_char`: the CJK Unified Ideographs blocks (not Hiragana, Katakana or Hangul). */
function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

/** `_clean_text` and `_tokenize_chinese_chars` in one pass. */
function clean(text: string): Tracked {
  const out = new TrackedBuilder();
  let i = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const [a, b] = [i, i + ch.length];
    i = b;
    if (cp === 0 || cp === 0xfffd || isControl(ch, cp)) continue;
    if (isWhitespace(ch, cp)) out.push(" ", a, b);
    else if (isChineseChar(cp)) {
      out.push(" ", a, a);
      out.push(ch, a, b);
      out.push(" ", b, b);
    } else out.push(ch, a, b);
  }
  return out.build();
}

/** `_run_split_on_punc`: every punctuation character becomes a word of its own. */
function splitOnPunctuation(word: Tracked): Tracked[] {
  const out: Tracked[] = [];
  let start = 0;
  let i = 0;
  for (const ch of word.text) {
    const next = i + ch.length;
    if (isPunctuation(ch, ch.codePointAt(0)!)) {
      if (start < i) out.push(slice(word, start, i));
      out.push(slice(word, i, next));
      start = next;
    }
    i = next;
  }
  if (start < word.text.length) out.push(slice(word, start, word.text.length));
  return out;
}

/** BERT's WordPiece tokenizer over a vocabulary (one entry per id). */
export class WordPieceTokenizer implements Tokenizer {
  /** Always `wordpiece` (BERT's `vocab.txt`). */
  readonly kind = "wordpiece";
  /** The vocabulary file it was read from (`options.source`, else `<vocabulary>`). */
  readonly source: string;
  /** Number of vocabulary entries (lines of `vocab.txt`). */
  readonly vocabSize: number;
  /** Ids of `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]` and `[MASK]`. */
  readonly special: SpecialIds;
  readonly #vocab: readonly string[];
  readonly #ids = new Map<string, number>();
  /** Longest entry in code points (without `##`): no longer candidate can match. */
  readonly #longest: number;
  readonly #doLowerCase: boolean;
  readonly #stripAccents: boolean;

  /** A tokenizer over `vocab` (entry i has id i); throws if a special token is missing. */
  constructor(vocab: readonly string[], options: WordPieceOptions = {}) {
    this.source = options.source ?? "<vocabulary>";
    this.#vocab = vocab;
    this.vocabSize = vocab.length;
    // As BERT's `load_vocab` fills a dict, a repeated entry keeps its last id.
    vocab.forEach((token, id) => this.#ids.set(token, id));
    let longest = 0;
    for (const token of vocab) {
      const core = token.startsWith("##") ? token.slice(2) : token;
      longest = Math.max(longest, [...core].length);
    }
    this.#longest = longest;
    this.#doLowerCase = options.doLowerCase ?? true;
    this.#stripAccents = options.stripAccents ?? this.#doLowerCase;
    this.special = {
      cls: this.#lookup("[CLS]"),
      sep: this.#lookup("[SEP]"),
      pad: this.#lookup("[PAD]"),
      unk: this.#lookup("[UNK]"),
      mask: this.#lookup("[MASK]"),
    };
  }

  #lookup(token: string): number {
    const id = this.#ids.get(token);
    if (id === undefined) {
      throw new Error(`Vocabulary "${this.source}" has no "${token}" token`);
    }
    return id;
  }

  /**
   * `BasicTokenizer.tokenize`: the words WordPiece splits, with their spans.
   * @internal
   */
  basicTokenize(text: string): Tracked[] {
    // Hugging Face composes (NFC) before splitting so that "e" + U+0301 and "é" match alike.
    const cleaned = normalize(clean(text), "NFC");
    const words: Tracked[] = [];
    for (const [a, b] of pythonWords(cleaned.text)) {
      let word = slice(cleaned, a, b);
      if (this.#doLowerCase) word = lower(word);
      if (this.#stripAccents) {
        word = dropChars(normalize(word, "NFD"), (ch) => NONSPACING_MARK.test(ch));
      }
      // Lowercasing and stripping never add whitespace, so no second whitespace split is needed.
      if (word.text.length > 0) words.push(...splitOnPunctuation(word));
    }
    return words;
  }

  tokenize(text: string): Tokenized {
    const out: Tokenized = { ids: [], tokens: [], offsets: [] };
    for (const word of this.basicTokenize(text)) this.#wordpiece(word, out);
    return out;
  }

  /** `WordpieceTokenizer.tokenize` for one word: greedy longest match first. */
  #wordpiece(word: Tracked, out: Tokenized): void {
    const chars = [...word.text];
    const unitAt = [0];
    for (const ch of chars) unitAt.push(unitAt[unitAt.length - 1] + ch.length);
    const wholeSpan: [number, number] = [word.starts[0], word.ends[word.text.length - 1]];
    const pieces: { token: string; id: number; from: number; to: number }[] = [];
    let bad = chars.length > MAX_WORD_CHARS;
    for (let start = 0; !bad && start < chars.length;) {
      let end = Math.min(chars.length, start + this.#longest);
      let found: number | undefined;
      let token = "";
      for (; start < end; end--) {
        token = (start > 0 ? "##" : "") + word.text.slice(unitAt[start], unitAt[end]);
        found = this.#ids.get(token);
        if (found !== undefined) break;
      }
      if (found === undefined) bad = true;
      else {
        pieces.push({ token, id: found, from: unitAt[start], to: unitAt[end] });
        start = end;
      }
    }
    if (bad) {
      out.ids.push(this.special.unk);
      out.tokens.push(this.#vocab[this.special.unk]);
      out.offsets.push(wholeSpan);
      return;
    }
    for (const p of pieces) {
      out.ids.push(p.id);
      out.tokens.push(p.token);
      out.offsets.push([word.starts[p.from], word.ends[p.to - 1]]);
    }
  }

  idToToken(id: number): string {
    const token = this.#vocab[id];
    if (token === undefined) {
      throw new RangeError(`Id ${id} is outside the vocabulary of ${this.vocabSize} entries`);
    }
    return token;
  }
}

/** Split a `vocab.txt` into entries: one per line, line ending removed. */
export function parseVocab(text: string): string[] {
  const lines = text.split("\n").map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Load a BERT `vocab.txt` (one token per line, id = line number − 1) as a WordPiece tokenizer. */
export async function loadWordPiece(
  path: string,
  options: Omit<WordPieceOptions, "source"> = {},
): Promise<WordPieceTokenizer> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(path));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot read vocabulary "${path}": ${reason}`, { cause: error });
  }
  const vocab = parseVocab(text);
  if (vocab.length === 0) throw new Error(`Cannot read vocabulary "${path}": the file is empty`);
  return new WordPieceTokenizer(vocab, { ...options, source: path });
}
