/**
 * The parts of a SentencePiece `.model` file (a `ModelProto` protobuf) the
 * tokenizer needs: the vocabulary, and the normaliser SentencePiece applies
 * before it splits text. The WebAssembly build only returns pieces, so the
 * normaliser is replayed here (as `normalizer.cc` does it) to learn which
 * source characters every piece came from.
 */
import { type Tracked, TrackedBuilder } from "./_text.ts";

/** `ModelProto.SentencePiece.Type`. */
export const PieceType = { normal: 1, unknown: 2, control: 3, userDefined: 4 } as const;

/** What the tokenizer reads from a model file. */
export interface SpmModel {
  pieces: string[];
  types: number[];
  /** `NormalizerSpec.precompiled_charsmap`: a double-array trie of rewrite rules. */
  charsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

type Field = { field: number; wire: number; value: number; bytes?: Uint8Array };

/** Iterate the fields of one protobuf message; throws on a malformed one. */
function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    for (let scale = 1, n = 0; n < 10; n++, scale *= 128) {
      if (pos >= buf.length) throw new Error("truncated varint");
      const byte = buf[pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
    }
    throw new Error("varint longer than 10 bytes");
  };
  while (pos < buf.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    if (field === 0) throw new Error("field number 0");
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > buf.length) throw new Error("truncated fixed-width field");
      yield { field, wire, value: 0, bytes: buf.subarray(pos, pos + size) };
      pos += size;
    } else if (wire === 2) {
      const size = varint();
      if (pos + size > buf.length) throw new Error(`field ${field} runs past the end`);
      yield { field, wire, value: size, bytes: buf.subarray(pos, pos + size) };
      pos += size;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parse a `ModelProto`; throws an Error saying what is wrong when it is not one. */
export function parseModel(buf: Uint8Array): SpmModel {
  const model: SpmModel = {
    pieces: [],
    types: [],
    charsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  for (const top of fields(buf)) {
    if (top.field === 1 && top.wire === 2) {
      let piece: string | undefined;
      let type: number = PieceType.normal;
      for (const f of fields(top.bytes!)) {
        if (f.field === 1 && f.wire === 2) piece = utf8.decode(f.bytes);
        if (f.field === 3 && f.wire === 0) type = f.value;
      }
      if (piece === undefined) throw new Error(`piece ${model.pieces.length} has no text`);
      model.pieces.push(piece);
      model.types.push(type);
    } else if (top.field === 3 && top.wire === 2) {
      for (const f of fields(top.bytes!)) {
        if (f.field === 2 && f.wire === 2) model.charsmap = f.bytes!;
        if (f.field === 3 && f.wire === 0) model.addDummyPrefix = f.value !== 0;
        if (f.field === 4 && f.wire === 0) model.removeExtraWhitespaces = f.value !== 0;
        if (f.field === 5 && f.wire === 0) model.escapeWhitespaces = f.value !== 0;
      }
    }
  }
  if (model.pieces.length === 0) throw new Error("no vocabulary pieces");
  return model;
}

/** The rewrite rules of `precompiled_charsmap`: `<trie size u32><double-array trie><strings>`. */
class CharsMap {
  readonly #units: Uint32Array;
  readonly #strings: Uint8Array;
  readonly #decoded = new Map<number, string>();

  constructor(blob: Uint8Array) {
    if (blob.length === 0) {
      this.#units = new Uint32Array(0);
      this.#strings = blob;
      return;
    }
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const size = blob.length >= 4 ? view.getUint32(0, true) : -1;
    if (size < 0 || size % 4 !== 0 || 4 + size > blob.length) {
      throw new Error("malformed precompiled_charsmap");
    }
    this.#units = new Uint32Array(size / 4);
    for (let i = 0; i < this.#units.length; i++) this.#units[i] = view.getUint32(4 + 4 * i, true);
    this.#strings = blob.subarray(4 + size);
  }

  /** Darts `commonPrefixSearch`, keeping the longest rule: `[bytes matched, string offset]`. */
  longest(bytes: Uint8Array, pos: number): [number, number] {
    const units = this.#units;
    if (units.length === 0) return [0, 0];
    let best: [number, number] = [0, 0];
    let node = offset(units[0]);
    for (let i = pos; i < bytes.length; i++) {
      node ^= bytes[i];
      const unit = units[node];
      // label() keeps bit 31 so that a leaf unit never matches a byte.
      if (unit === undefined || (unit & 0x800000ff) >>> 0 !== bytes[i]) break;
      node ^= offset(unit);
      if ((unit >>> 8) & 1) best = [i + 1 - pos, units[node] & 0x7fffffff];
    }
    return best;
  }

  /** The NUL-terminated replacement string at `at`. */
  text(at: number): string {
    let s = this.#decoded.get(at);
    if (s === undefined) {
      let end = at;
      while (end < this.#strings.length && this.#strings[end] !== 0) end++;
      s = new TextDecoder().decode(this.#strings.subarray(at, end));
      this.#decoded.set(at, s);
    }
    return s;
  }
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

/** UTF-8 bytes of a string and, at each character's first byte, its UTF-16 index. */
function utf8WithIndex(text: string): { bytes: Uint8Array; unitAt: Int32Array } {
  const bytes = new TextEncoder().encode(text);
  const unitAt = new Int32Array(bytes.length + 1).fill(-1);
  let b = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    unitAt[b] = i;
    // Lone surrogates are encoded as U+FFFD (3 bytes), like TextEncoder does.
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp >= 0x10000 ? 2 : 1;
  }
  unitAt[bytes.length] = text.length;
  return { bytes, unitAt };
}

const SPACE_SYMBOL = "\u2581";

/** SentencePiece's normaliser (`Normalizer::Normalize`), replayed with spans. */
export class SpmNormalizer {
  readonly #map: CharsMap;
  readonly #model: SpmModel;
  /** User-defined pieces bypass the rules; longest first, as `PrefixMatcher` matches. */
  readonly #userDefined: { text: string; bytes: number }[];
  readonly #userFirst: Set<string>;

  constructor(model: SpmModel) {
    this.#model = model;
    this.#map = new CharsMap(model.charsmap);
    this.#userDefined = model.pieces
      .filter((_, id) => model.types[id] === PieceType.userDefined)
      .map((text) => ({ text, bytes: new TextEncoder().encode(text).length }))
      .sort((a, b) => b.bytes - a.bytes);
    this.#userFirst = new Set(this.#userDefined.map((sym) => sym.text[0]));
  }

  /** The text SentencePiece splits (spaces as `▁`), each unit mapped to the original text. */
  normalize(t: Tracked): Tracked {
    const { bytes, unitAt } = utf8WithIndex(t.text);
    const m = this.#model;
    // One rule at byte `pos`: [replacement, bytes consumed] (`NormalizePrefix`).
    const prefix = (pos: number): [string, number] => {
      const u = unitAt[pos];
      if (this.#userFirst.has(t.text[u])) {
        for (const sym of this.#userDefined) {
          if (t.text.startsWith(sym.text, u)) return [sym.text, sym.bytes];
        }
      }
      const [length, at] = this.#map.longest(bytes, pos);
      if (length > 0) return [this.#map.text(at), length];
      const lead = bytes[pos];
      const n = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
      return [t.text.slice(u, unitAt[pos + n]), n];
    };
    const span = (pos: number, n: number): [number, number] => {
      return [t.starts[unitAt[pos]], t.ends[unitAt[pos + n] - 1]];
    };
    let pos = 0;
    if (m.removeExtraWhitespaces) {
      while (pos < bytes.length) {
        const [s, n] = prefix(pos);
        if (s !== " ") break;
        pos += n;
      }
    }
    const out = new TrackedBuilder();
    if (pos >= bytes.length) return out.build();
    const space = m.escapeWhitespaces ? SPACE_SYMBOL : " ";
    if (m.addDummyPrefix) {
      const at = t.starts[unitAt[pos]];
      out.push(space, at, at);
    }
    let prevSpace = m.removeExtraWhitespaces;
    while (pos < bytes.length) {
      let [s, n] = prefix(pos);
      if (prevSpace) s = s.replace(/^ +/, "");
      if (s.length > 0) {
        const [a, b] = span(pos, n);
        out.push(m.escapeWhitespaces ? s.replaceAll(" ", SPACE_SYMBOL) : s, a, b);
        prevSpace = s.endsWith(" ");
      }
      pos += n;
      if (!m.removeExtraWhitespaces) prevSpace = false;
    }
    const built = out.build();
    let end = built.text.length;
    if (m.removeExtraWhitespaces) { while (end > 0 && built.text[end - 1] === space) end--; }
    built.starts.length = built.ends.length = end;
    return { ...built, text: built.text.slice(0, end) };
  }
}
