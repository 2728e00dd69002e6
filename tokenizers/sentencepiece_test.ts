import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { SentencePieceProcessor } from "sentencepiece-js";
import { loadSentencePiece } from "./sentencepiece.ts";
import { parseModel, SpmNormalizer } from "./_spm_model.ts";
import { track } from "./_text.ts";
import { encodePair, type Tokenizer } from "./tokenizer.ts";

const MODEL = fileURLToPath(
  new URL("../../shared/data/vocab/albert-base-v2/spiece.model", import.meta.url),
);

const lowercased = await loadSentencePiece(MODEL);
const accentsKept = await loadSentencePiece(MODEL, { keepAccents: true });

/** The source text of every token, as SQuAD reads a span back. */
function sources(tokenizer: Tokenizer, text: string): string[] {
  return tokenizer.tokenize(text).offsets.map(([a, b]) => text.slice(a, b));
}

// Reference encodings from ../shared/fixtures/README.md (albert-base-v2's own tokenizer).
Deno.test("fixture: default settings", () => {
  const { tokens, ids } = lowercased.tokenize("This is a test");
  deepStrictEqual(tokens, ["▁this", "▁is", "▁a", "▁test"]);
  deepStrictEqual(ids, [48, 25, 21, 1289]);
});

Deno.test("fixture: accents kept, digits before a comma split off", () => {
  const { tokens, ids } = accentsKept.tokenize("I was born in 92000, and this is falsé.");
  deepStrictEqual(
    tokens,
    [
      "▁i",
      "▁was",
      "▁born",
      "▁in",
      "▁9",
      "2000",
      ",",
      "▁and",
      "▁this",
      "▁is",
      "▁fal",
      "s",
      "é",
      ".",
    ],
  );
  // "é" is not a piece of the vocabulary, so it is <unk> (1).
  deepStrictEqual(ids, [31, 23, 386, 19, 561, 3050, 15, 17, 48, 25, 8256, 18, 1, 9]);
});

Deno.test("special ids and vocabulary come from the model", () => {
  deepStrictEqual(lowercased.special, { cls: 2, sep: 3, pad: 0, unk: 1, mask: 4 });
  strictEqual(lowercased.kind, "sentencepiece");
  strictEqual(lowercased.vocabSize, 30000);
  strictEqual(lowercased.source, MODEL);
  strictEqual(lowercased.idToToken(48), "▁this");
  strictEqual(lowercased.idToToken(2), "[CLS]");
  throws(() => lowercased.idToToken(30000), RangeError);
});

Deno.test("pair encoding: [CLS] a [SEP] b [SEP] with token types", () => {
  const a = lowercased.tokenize("This is a test").ids;
  const b = lowercased.tokenize("a test").ids;
  const row = encodePair(lowercased.special, a, b, 64);
  deepStrictEqual(row.inputIds, [2, 48, 25, 21, 1289, 3, 21, 1289, 3]);
  deepStrictEqual(row.tokenTypeIds, [0, 0, 0, 0, 0, 0, 1, 1, 1]);
  deepStrictEqual(row.attentionMask, [1, 1, 1, 1, 1, 1, 1, 1, 1]);
});

Deno.test("a piece ending in digit and comma is split as Hugging Face does", () => {
  // "9,9": without the split SentencePiece would give "▁9," "9".
  const split = lowercased.tokenize("9,9");
  deepStrictEqual(split.tokens, ["▁9", ",", "9"]);
  deepStrictEqual(split.ids, [561, 15, 518]);
  deepStrictEqual(split.offsets, [[0, 1], [1, 2], [2, 3]]);
  deepStrictEqual(lowercased.tokenize("2000,").tokens, ["▁2000", ","]);
});

Deno.test("offsets point into the original text through every normalisation", () => {
  deepStrictEqual(sources(lowercased, "This is a test"), ["This", "is", "a", "test"]);
  deepStrictEqual(
    sources(accentsKept, "I was born in 92000, and this is falsé."),
    ["I", "was", "born", "in", "9", "2000", ",", "and", "this", "is", "fal", "s", "é", "."],
  );
  // Whitespace runs collapse, accents are stripped, 'İ' lowercases to two characters.
  const text = "  Héllo\tWORLD  İstanbul";
  deepStrictEqual(lowercased.tokenize(text).tokens, ["▁hello", "▁world", "▁istanbul"]);
  deepStrictEqual(sources(lowercased, text), ["Héllo", "WORLD", "İstanbul"]);
  // A decomposed accent belongs to the letter it was stripped from.
  deepStrictEqual(lowercased.tokenize("Cafe\u0301").tokens, ["▁cafe"]);
  deepStrictEqual(sources(lowercased, "Cafe\u0301"), ["Cafe\u0301"]);
});

Deno.test("`` and '' become a quote; a lone ▁ piece has an empty span", () => {
  const text = "``Quoted''";
  const { tokens, offsets } = lowercased.tokenize(text);
  deepStrictEqual(tokens, ["▁", '"', "quo", "ted", '"']);
  deepStrictEqual(offsets, [[0, 0], [0, 2], [2, 5], [5, 8], [8, 10]]);
});

Deno.test("options: case and spaces kept", async () => {
  const raw = await loadSentencePiece(MODEL, { doLowerCase: false, removeSpace: false });
  const { tokens, ids } = raw.tokenize("This is");
  // "T" alone is not in the (lowercase) vocabulary.
  deepStrictEqual(tokens, ["▁", "T", "his", "▁is"]);
  deepStrictEqual(ids, [13, 1, 4398, 25]);
  deepStrictEqual(sources(raw, "This is"), ["", "T", "his", "is"]);
});

Deno.test("empty and blank text give no tokens", () => {
  deepStrictEqual(lowercased.tokenize(""), { ids: [], tokens: [], offsets: [] });
  deepStrictEqual(lowercased.tokenize(" \t\n "), { ids: [], tokens: [], offsets: [] });
});

Deno.test("a corrupt model file is an error naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/spiece.model`;
    await Deno.writeTextFile(path, "this is not a SentencePiece model");
    await rejects(loadSentencePiece(path), (e: Error) => e.message.includes(`"${path}"`));
    await rejects(
      loadSentencePiece(`${dir}/missing.model`),
      (e: Error) => e.message.includes(`"${dir}/missing.model"`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the normaliser replay gives exactly the text SentencePiece splits", async () => {
  // Offsets rely on this: NFKC (ligatures, full width), removed and space-like controls,
  // zero-width space, user-defined pieces, composing marks, CJK, astral characters.
  const texts = [
    "ﬁne ｆｕｌｌ ½ ℡",
    "a\u0000b\u0007c\td\u200be\u3000f",
    "  lead  and trail  ",
    '(x) "y" – £3 €4 - 5.',
    "e\u0301 \u1100\u1161 漢字 \u{1F600} \u{20000}",
    "\u00ad\ufeffz",
  ];
  const model = parseModel(await Deno.readFile(MODEL));
  const normalizer = new SpmNormalizer(model);
  const processor = new SentencePieceProcessor();
  await processor.load(MODEL);
  for (const text of texts) {
    strictEqual(normalizer.normalize(track(text)).text, processor.encodePieces(text).join(""));
  }
});
