import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadWordPiece, parseVocab, WordPieceTokenizer } from "./wordpiece.ts";
import { encodePair } from "./tokenizer.ts";

const VOCAB = fileURLToPath(
  new URL("../../shared/data/vocab/bert-base-uncased/vocab.txt", import.meta.url),
);
const bert = await loadWordPiece(VOCAB);

// Expected ids are the line numbers − 1 of bert-base-uncased/vocab.txt (found with grep -nx),
// and the splits follow BERT's algorithm by hand.
const ID = {
  unk: 100,
  hello: 7592,
  comma: 1010,
  world: 2088,
  bang: 999,
  cafe: 7668,
  naive: 15743,
  wo: 1855, // 我
  bei: 1781, // 北
  jing: 1755, // 京
  ren: 1756, // 人
  una: 14477,
  hashFfa: 20961,
  hashBle: 3468,
  playing: 2652,
  xx: 22038,
  hashXx: 20348,
  ab: 11113,
  istanbul: 9960,
};

function check(text: string, tokens: string[], ids: number[], spans?: string[]) {
  const out = bert.tokenize(text);
  deepStrictEqual(out.tokens, tokens);
  deepStrictEqual(out.ids, ids);
  if (spans) deepStrictEqual(out.offsets.map(([a, b]) => text.slice(a, b)), spans);
}

Deno.test("punctuation splits off as tokens of its own", () => {
  check(
    "Hello, world!",
    ["hello", ",", "world", "!"],
    [ID.hello, ID.comma, ID.world, ID.bang],
    ["Hello", ",", "world", "!"],
  );
});

Deno.test("accents are stripped and case folded; offsets keep them", () => {
  check("Café naïve", ["cafe", "naive"], [ID.cafe, ID.naive], ["Café", "naïve"]);
  // Decomposed input: the accent is part of the token's source.
  check("Cafe\u0301", ["cafe"], [ID.cafe], ["Cafe\u0301"]);
  // 'İ' lowercases to 'i' + U+0307, whose mark is then stripped.
  check("İSTANBUL", ["istanbul"], [ID.istanbul], ["İSTANBUL"]);
});

Deno.test("CJK ideographs are one token each", () => {
  // 我 is in the vocabulary; 爱 and 你 are not, so each is [UNK] on its own.
  check("我爱你", ["我", "[UNK]", "[UNK]"], [ID.wo, ID.unk, ID.unk], ["我", "爱", "你"]);
  check("北京人", ["北", "京", "人"], [ID.bei, ID.jing, ID.ren]);
});

Deno.test("greedy longest match first with ## continuations", () => {
  // "unaf…" is not in the vocabulary, "una" is; then "##ffa", then "##ble".
  check(
    "unaffable",
    ["una", "##ffa", "##ble"],
    [ID.una, ID.hashFfa, ID.hashBle],
    ["una", "ffa", "ble"],
  );
  check("Playing", ["playing"], [ID.playing], ["Playing"]);
});

Deno.test("a word over 100 characters is one [UNK]", () => {
  const long = "x".repeat(101);
  check(long, ["[UNK]"], [ID.unk], [long]);
  // 100 characters still split: "xx" (no "xxx"), then 49 × "##xx".
  const words = bert.tokenize("x".repeat(100));
  deepStrictEqual(words.ids, [ID.xx, ...Array(49).fill(ID.hashXx)]);
  deepStrictEqual(words.offsets[1], [2, 4]);
});

Deno.test("control characters are dropped and whitespace characters split", () => {
  // NUL, U+FFFD, U+200B (Cf) and vertical tab (Cc) vanish; tab, NBSP (Zs) and newlines split.
  check(
    "hel\u0000lo\tworld\u00a0!\r\n",
    ["hello", "world", "!"],
    [ID.hello, ID.world, ID.bang],
    ["hel\u0000lo", "world", "!"],
  );
  check("a\u000bb \ufffd\u200b", ["ab"], [ID.ab]);
  check(" \t\n", [], []);
});

Deno.test("special ids and vocabulary come from vocab.txt", () => {
  deepStrictEqual(bert.special, { cls: 101, sep: 102, pad: 0, unk: 100, mask: 103 });
  strictEqual(bert.kind, "wordpiece");
  strictEqual(bert.vocabSize, 30522);
  strictEqual(bert.source, VOCAB);
  strictEqual(bert.idToToken(ID.hello), "hello");
  throws(() => bert.idToToken(30522), RangeError);
});

Deno.test("pair encoding with BERT ids", () => {
  const a = bert.tokenize("Hello, world!").ids;
  const b = bert.tokenize("Playing").ids;
  const row = encodePair(bert.special, a, b, 16);
  deepStrictEqual(row.inputIds, [101, ID.hello, ID.comma, ID.world, ID.bang, 102, ID.playing, 102]);
  deepStrictEqual(row.tokenTypeIds, [0, 0, 0, 0, 0, 0, 1, 1]);
});

Deno.test("cased vocabulary: no lowercasing, accents kept unless asked", () => {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Café", "Cafe", "Hel", "##lo", "é"];
  const cased = new WordPieceTokenizer(vocab, { doLowerCase: false, source: "tiny" });
  deepStrictEqual(cased.tokenize("Hello Café").tokens, ["Hel", "##lo", "Café"]);
  // Hugging Face composes (NFC) first, so a decomposed é matches "Café" too.
  deepStrictEqual(cased.tokenize("Cafe\u0301").ids, [5]);
  deepStrictEqual(cased.tokenize("hello").tokens, ["[UNK]"]);
  const stripped = new WordPieceTokenizer(vocab, { doLowerCase: false, stripAccents: true });
  deepStrictEqual(stripped.tokenize("Café").tokens, ["Cafe"]);
});

Deno.test("a vocabulary without a special token is refused, naming the source", () => {
  throws(
    () => new WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]"], { source: "v.txt" }),
    { message: 'Vocabulary "v.txt" has no "[MASK]" token' },
  );
});

Deno.test("vocab.txt lines: CRLF accepted, final newline ignored", async () => {
  deepStrictEqual(parseVocab("a\r\nb\n##c\n"), ["a", "b", "##c"]);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/vocab.txt`, "");
    await rejects(loadWordPiece(`${dir}/vocab.txt`), (e: Error) => e.message.includes(dir));
    await rejects(loadWordPiece(`${dir}/none.txt`), (e: Error) => e.message.includes(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
