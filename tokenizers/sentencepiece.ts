/**
 * ALBERT's tokenizer: the preprocessing of ALBERT's `tokenization.py` and
 * Hugging Face's `AlbertTokenizer` (`preprocess_text`), SentencePiece, then
 * the split of pieces like `▁9,` into `▁9` `,` (`_tokenize`). Every piece
 * keeps the span of original text it came from.
 */
import { SentencePieceProcessor } from "sentencepiece-js";
import {
  collapseWhitespace,
  dropChars,
  isCombining,
  lower,
  normalize,
  replaceAll,
  track,
  type Tracked,
} from "./_text.ts";
import { parseModel, PieceType, type SpmModel, SpmNormalizer } from "./_spm_model.ts";
import type { SpecialIds, Tokenized, Tokenizer } from "./tokenizer.ts";

/** ALBERT's preprocessing switches, as `AlbertTokenizer` names them. */
export interface SentencePieceOptions {
  /** Lowercase before SentencePiece (default true). */
  doLowerCase?: boolean;
  /** Keep accents; when false, NFKD and drop combining marks (default false). */
  keepAccents?: boolean;
  /** Collapse whitespace runs to one space and strip the ends (default true). */
  removeSpace?: boolean;
}

const SPACE = "\u2581";
const DIGIT = /^\p{Nd}$/u;

/** A piece and the units `[a, b)` of the normalised text it covers. */
type Piece = { text: string; a: number; b: number };

class SentencePieceTokenizer implements Tokenizer {
  readonly kind = "sentencepiece";
  readonly vocabSize: number;
  readonly special: SpecialIds;
  readonly #ids = new Map<string, number>();
  readonly #unk: number;
  readonly #normalizer: SpmNormalizer;

  constructor(
    readonly source: string,
    readonly model: SpmModel,
    readonly processor: SentencePieceProcessor,
    readonly options: Required<SentencePieceOptions>,
  ) {
    this.vocabSize = model.pieces.length;
    // SentencePiece refuses a model with a repeated piece; should one slip through, the first wins.
    model.pieces.forEach((p, id) => this.#ids.has(p) || this.#ids.set(p, id));
    const unk = model.types.indexOf(PieceType.unknown);
    this.#unk = unk >= 0 ? unk : this.#lookup("<unk>");
    this.special = {
      cls: this.#lookup("[CLS]"),
      sep: this.#lookup("[SEP]"),
      pad: this.#lookup("<pad>"),
      unk: this.#unk,
      mask: this.#lookup("[MASK]"),
    };
    this.#normalizer = new SpmNormalizer(model);
  }

  #lookup(piece: string): number {
    const id = this.#ids.get(piece);
    if (id === undefined) {
      throw new Error(`Cannot load SentencePiece model "${this.source}": no piece "${piece}"`);
    }
    return id;
  }

  /** `preprocess_text`: whitespace, quotes, accents, case. */
  preprocess(text: string): Tracked {
    let t = track(text);
    if (this.options.removeSpace) t = collapseWhitespace(t);
    t = replaceAll(t, [["``", '"'], ["''", '"']]);
    if (!this.options.keepAccents) t = dropChars(normalize(t, "NFKD"), isCombining);
    if (this.options.doLowerCase) t = lower(t);
    return t;
  }

  tokenize(text: string): Tokenized {
    const pre = this.preprocess(text);
    const pieces = this.processor.encodePieces(pre.text);
    const norm = this.#normalizer.normalize(pre);
    const located = locate(pieces, norm.text);
    const split = located.flatMap((p) => this.#splitDigitComma(p, norm.text));
    const out: Tokenized = { ids: [], tokens: [], offsets: [] };
    for (const p of split) {
      out.tokens.push(p.text);
      out.ids.push(this.#ids.get(p.text) ?? this.#unk);
      out.offsets.push(pieceSpan(p, norm));
    }
    return out;
  }

  /**
   * `_tokenize`: a piece ending in a digit and `,` is encoded again without the
   * comma (`9,9` gives `▁9` `,` `9`, not `▁9,` `9`); a leading `▁` that the
   * second encoding adds is dropped when the piece had none.
   */
  #splitDigitComma(piece: Piece, norm: string): Piece[] {
    if (!piece.text.endsWith(",")) return [piece];
    const chars = [...piece.text];
    if (chars.length < 2 || !DIGIT.test(chars[chars.length - 2])) return [piece];
    let parts = this.processor.encodePieces(piece.text.slice(0, -1).replaceAll(SPACE, ""));
    if (piece.text[0] !== SPACE && parts[0]?.[0] === SPACE) {
      parts = parts[0] === SPACE ? parts.slice(1) : [parts[0].slice(1), ...parts.slice(1)];
    }
    if (piece.b - piece.a !== piece.text.length) {
      // The piece itself was not found in the normalised text: all parts share its span.
      return [...parts, ","].map((text) => ({ text, a: piece.a, b: piece.b }));
    }
    // Find each part's characters inside the piece; the comma is its last unit.
    const out: Piece[] = [];
    const end = piece.b - 1;
    let at = piece.a;
    for (const text of parts) {
      const core = text.replace(/^\u2581+/, "");
      let a = at;
      while (a < end && norm[a] === SPACE) a++;
      if (norm.startsWith(core, a) && a + core.length <= end) {
        out.push({ text, a, b: a + core.length });
        at = a + core.length;
      } else {
        out.push({ text, a: piece.a, b: end });
      }
    }
    out.push({ text: ",", a: piece.b - 1, b: piece.b });
    return out;
  }

  idToToken(id: number): string {
    const piece = this.model.pieces[id];
    if (piece === undefined) {
      throw new RangeError(`Id ${id} is outside the vocabulary of ${this.vocabSize} pieces`);
    }
    return piece;
  }
}

/**
 * Where each piece lies in the normalised text. SentencePiece's pieces
 * concatenate to exactly that text; if they ever do not (a normaliser rule
 * this replay lacks), each piece is searched for from the previous one.
 */
function locate(pieces: string[], norm: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  if (pieces.join("") === norm) {
    for (const text of pieces) {
      out.push({ text, a: at, b: at + text.length });
      at += text.length;
    }
    return out;
  }
  for (const text of pieces) {
    const found = norm.indexOf(text, at);
    if (found >= 0) {
      out.push({ text, a: found, b: found + text.length });
      at = found + text.length;
    } else {
      out.push({ text, a: at, b: at });
    }
  }
  return out;
}

/**
 * A piece's span in the original text, leaving out a leading `▁`; a piece that
 * is only `▁` gets an empty span where the next character starts.
 */
function pieceSpan(p: Piece, norm: Tracked): [number, number] {
  let a = p.a;
  while (a < p.b && norm.text[a] === SPACE) a++;
  if (a < p.b) return [norm.starts[a], norm.ends[p.b - 1]];
  if (p.b < norm.text.length) return [norm.starts[p.b], norm.starts[p.b]];
  const end = norm.text.length > 0 ? norm.ends[norm.text.length - 1] : 0;
  return [end, end];
}

/** Load a SentencePiece `.model` file as ALBERT's tokenizer. */
export async function loadSentencePiece(
  path: string,
  options: SentencePieceOptions = {},
): Promise<Tokenizer> {
  const fail = (reason: unknown) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    return new Error(`Cannot load SentencePiece model "${path}": ${message}`, { cause: reason });
  };
  let model: SpmModel;
  const processor = new SentencePieceProcessor();
  try {
    model = parseModel(await Deno.readFile(path));
    await processor.load(path);
  } catch (error) {
    throw fail(error);
  }
  // The WebAssembly wrapper ignores the load status; a model it rejected encodes nothing.
  if (processor.encodePieces("a").length === 0) throw fail("SentencePiece rejected the model");
  return new SentencePieceTokenizer(path, model, processor, {
    doLowerCase: options.doLowerCase ?? true,
    keepAccents: options.keepAccents ?? false,
    removeSpace: options.removeSpace ?? true,
  });
}
