import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  collapseWhitespace,
  dropChars,
  isCombining,
  lower,
  normalize,
  pythonWords,
  replaceAll,
  track,
  type Tracked,
} from "./_text.ts";

/** Each output unit with the source text it covers. */
function pairs(t: Tracked, source: string): [string, string][] {
  return [...t.text].map((_, i) => [t.text[i], source.slice(t.starts[i], t.ends[i])]);
}

Deno.test("Python's str.split whitespace, including U+2028 and U+001C", () => {
  deepStrictEqual(pythonWords(" a\u2028b\x1cc\u00a0d  "), [[1, 2], [3, 4], [5, 6], [7, 8]]);
  // U+200B and U+FEFF are not whitespace to Python.
  deepStrictEqual(pythonWords("a\u200bb\ufeff"), [[0, 4]]);
});

Deno.test("collapsed whitespace covers the run it replaced", () => {
  const source = " a \t b ";
  const t = collapseWhitespace(track(source));
  strictEqual(t.text, "a b");
  deepStrictEqual(pairs(t, source), [["a", "a"], [" ", " \t "], ["b", "b"]]);
});

Deno.test("replacements cover every character they replaced", () => {
  const source = "``x''";
  const t = replaceAll(track(source), [["``", '"'], ["''", '"']]);
  deepStrictEqual(pairs(t, source), [['"', "``"], ["x", "x"], ['"', "''"]]);
});

Deno.test("normalisation maps each output to its whole cluster", () => {
  const source = "ﬁé";
  const t = normalize(track(source), "NFKD");
  strictEqual(t.text, "fie\u0301");
  deepStrictEqual(pairs(t, source), [["f", "ﬁ"], ["i", "ﬁ"], ["e", "é"], ["\u0301", "é"]]);
  // Hangul jamo compose across two starters: the clusters are merged.
  const jamo = "\u1100\u1161x";
  const composed = normalize(track(jamo), "NFC");
  strictEqual(composed.text, "가x");
  deepStrictEqual(pairs(composed, jamo), [["가", "\u1100\u1161"], ["x", "x"]]);
});

Deno.test("a dropped mark joins the character before it", () => {
  const source = "e\u0301x";
  const t = dropChars(track(source), isCombining);
  deepStrictEqual(pairs(t, source), [["e", "e\u0301"], ["x", "x"]]);
});

Deno.test("lowercasing that changes length keeps per-character spans", () => {
  const source = "İA";
  const t = lower(track(source));
  strictEqual(t.text, "i\u0307a");
  deepStrictEqual(pairs(t, source), [["i", "İ"], ["\u0307", "İ"], ["a", "A"]]);
  // Final sigma is kept from the whole-string mapping.
  strictEqual(lower(track("ΟΔΟΣ")).text, "οδος");
});

Deno.test("combining class from canonical ordering", () => {
  // U+0301 (230), U+0334 (1) and U+0345 (240) are combining; U+0903 is a spacing mark of class 0.
  for (const ch of ["\u0301", "\u0334", "\u0345", "\u3099", "\u{1D165}"]) {
    strictEqual(isCombining(ch), true, ch);
  }
  for (const ch of ["a", "\u0903", "\u1100"]) strictEqual(isCombining(ch), false, ch);
});
