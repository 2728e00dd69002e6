/**
 * Text transforms that remember where each output character came from. Both
 * tokenizers normalise text (collapse whitespace, NFKD/NFD, lowercase) before
 * splitting it, and SQuAD needs every token's span in the text as written, so
 * each step maps every UTF-16 unit of its output to a `[start, end)` span of
 * the original text. Spans stay in order through every step.
 */

/** A string and, per UTF-16 unit, the `[start, end)` span of original text it came from. */
export interface Tracked {
  text: string;
  starts: number[];
  ends: number[];
}

const MARK = /^\p{M}$/u;

/** Whether every unit is ASCII, which every normalisation form leaves as it is. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** The original text, each unit mapped to itself. */
export function track(text: string): Tracked {
  const starts = new Array<number>(text.length);
  const ends = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) {
    starts[i] = i;
    ends[i] = i + 1;
  }
  return { text, starts, ends };
}

/** Appends strings with one span each (every unit of a string gets the same span). */
export class TrackedBuilder {
  #parts: string[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  push(s: string, start: number, end: number): void {
    this.#parts.push(s);
    for (let i = 0; i < s.length; i++) {
      this.starts.push(start);
      this.ends.push(end);
    }
  }

  build(): Tracked {
    return { text: this.#parts.join(""), starts: this.starts, ends: this.ends };
  }
}

/** The units `[a, b)` of a tracked string. */
export function slice(t: Tracked, a: number, b: number): Tracked {
  return { text: t.text.slice(a, b), starts: t.starts.slice(a, b), ends: t.ends.slice(a, b) };
}

/** The original span covered by units `[a, b)` (b > a); spans are in order, so first start, last end. */
export function spanOf(t: Tracked, a: number, b: number): [number, number] {
  return [t.starts[a], t.ends[b - 1]];
}

/** Python's `str.isspace` for one code point, which `str.split()` and `str.strip()` use. */
export function isPythonSpace(cp: number): boolean {
  return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp === 0x85 ||
    cp === 0xa0 || cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 ||
    cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/** Python's `text.split()`: the unit ranges `[start, end)` of the whitespace-separated words. */
export function pythonWords(text: string): [number, number][] {
  const words: [number, number][] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    // Every Python whitespace character is in the BMP, so one unit is one code point here.
    if (isPythonSpace(text.charCodeAt(i))) {
      if (start >= 0) words.push([start, i]);
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) words.push([start, text.length]);
  return words;
}

/** `" ".join(text.split())`: each joining space covers the whitespace run it replaces. */
export function collapseWhitespace(t: Tracked): Tracked {
  const words = pythonWords(t.text);
  const out = new TrackedBuilder();
  words.forEach(([a, b], k) => {
    if (k > 0) {
      const prev = words[k - 1][1];
      out.push(" ", t.starts[prev], t.ends[a - 1]);
    }
    for (let i = a; i < b; i++) out.push(t.text[i], t.starts[i], t.ends[i]);
  });
  return out.build();
}

/** Replace every occurrence of each key by its value, left to right, spans merged per match. */
export function replaceAll(t: Tracked, pairs: readonly [string, string][]): Tracked {
  if (!pairs.some(([from]) => t.text.includes(from))) return t;
  const out = new TrackedBuilder();
  let i = 0;
  outer: while (i < t.text.length) {
    for (const [from, to] of pairs) {
      if (t.text.startsWith(from, i)) {
        out.push(to, t.starts[i], t.ends[i + from.length - 1]);
        i += from.length;
        continue outer;
      }
    }
    out.push(t.text[i], t.starts[i], t.ends[i]);
    i++;
  }
  return out.build();
}

/**
 * Unicode normalisation with spans. The text is cut into clusters (a character
 * and the marks after it); every output unit of a cluster covers the whole
 * cluster, so an `e` that lost its accent still covers the accent in the
 * source. Clusters whose normalisation interacts (Hangul jamo, reordered
 * marks) are merged until the pieces add up to the whole-string result.
 */
export function normalize(t: Tracked, form: "NFC" | "NFD" | "NFKD"): Tracked {
  const { text } = t;
  if (isAscii(text)) return t;
  const whole = text.normalize(form);
  if (whole === text) return t;
  const bounds = [0];
  let i = 0;
  for (const ch of text) {
    if (i > 0 && !MARK.test(ch)) bounds.push(i);
    i += ch.length;
  }
  bounds.push(text.length);
  let groups = bounds;
  const norm = (a: number, b: number) => text.slice(a, b).normalize(form);
  const joined = (g: number[]) => g.slice(1).map((b, k) => norm(g[k], b)).join("");
  if (joined(groups) !== whole) {
    groups = [0];
    for (let k = 1; k < bounds.length - 1; k++) {
      const a = groups[groups.length - 1];
      const [b, c] = [bounds[k], bounds[k + 1]];
      if (norm(a, c) === norm(a, b) + norm(b, c)) groups.push(b);
    }
    groups.push(text.length);
    if (joined(groups) !== whole) groups = [0, text.length];
  }
  const out = new TrackedBuilder();
  for (let k = 1; k < groups.length; k++) {
    const [a, b] = [groups[k - 1], groups[k]];
    out.push(norm(a, b), t.starts[a], t.ends[b - 1]);
  }
  return out.build();
}

/**
 * Drop every code point for which `drop` is true. A dropped character's span
 * joins the character kept before it, so an `e` whose accent was dropped
 * still covers the accent.
 */
export function dropChars(t: Tracked, drop: (ch: string) => boolean): Tracked {
  const out = new TrackedBuilder();
  let i = 0;
  let last = 0;
  for (const ch of t.text) {
    const end = t.ends[i + ch.length - 1];
    if (!drop(ch)) {
      out.push(ch, t.starts[i], end);
      last = ch.length;
    } else {
      for (let k = out.ends.length - last; k < out.ends.length; k++) out.ends[k] = end;
    }
    i += ch.length;
  }
  return out.build();
}

/**
 * Lowercase as Python's `str.lower()` (full mappings, final sigma). Only a few
 * characters change length ('İ' becomes 'i' + U+0307); those get per-character spans.
 */
export function lower(t: Tracked): Tracked {
  const lowered = t.text.toLowerCase();
  if (lowered.length === t.text.length) return { ...t, text: lowered };
  const out = new TrackedBuilder();
  let i = 0;
  for (const ch of t.text) {
    out.push(ch.toLowerCase(), t.starts[i], t.ends[i + ch.length - 1]);
    i += ch.length;
  }
  // The whole-string result keeps final-sigma context; its length equals the per-character one.
  return { ...out.build(), text: lowered };
}

const combining = new Map<string, boolean>();

/**
 * Python's `unicodedata.combining(ch) != 0` (a nonzero canonical combining
 * class) for a character that is already decomposed. JavaScript has no
 * property for the class, but canonical ordering reveals it: a mark of class
 * c with 0 < c < 240 moves before U+0345 (class 240), and one with c > 1 moves
 * after U+0334 (class 1).
 */
export function isCombining(ch: string): boolean {
  if (ch.charCodeAt(0) < 0x300) return false;
  let known = combining.get(ch);
  if (known === undefined) {
    known = ("a\u0345" + ch).normalize("NFD") !== "a\u0345" + ch ||
      ("a" + ch + "\u0334").normalize("NFD") !== "a" + ch + "\u0334";
    combining.set(ch, known);
  }
  return known;
}
