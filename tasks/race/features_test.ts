import assert from "node:assert/strict";
import type { Tokenized, Tokenizer } from "../../tokenizers/tokenizer.ts";
import { buildRaceInputs, raceQaText } from "./features.ts";
import type { RaceQuestion } from "./load.ts";

/** Whitespace tokenizer with a vocabulary that grows as it sees words, so rows decode by hand. */
class WordTokenizer implements Tokenizer {
  readonly kind = "wordpiece";
  readonly source = "test";
  readonly special = { pad: 0, cls: 1, sep: 2, unk: 3, mask: 4 };
  #words = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"];
  #ids = new Map(this.#words.map((w, i) => [w, i]));
  get vocabSize() {
    return this.#words.length;
  }
  tokenize(text: string): Tokenized {
    const tokens: string[] = [];
    const offsets: [number, number][] = [];
    for (const m of text.matchAll(/\S+/g)) {
      tokens.push(m[0]);
      offsets.push([m.index, m.index + m[0].length]);
    }
    const ids = tokens.map((t) => {
      if (!this.#ids.has(t)) this.#ids.set(t, this.#words.push(t) - 1);
      return this.#ids.get(t)!;
    });
    return { ids, tokens, offsets };
  }
  idToToken(id: number): string {
    return this.#words[id];
  }
}

const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function question(article: string, text: string, options = ["o0", "o1", "o2", "o3"]): RaceQuestion {
  return {
    articleId: "middle1.txt",
    level: "middle",
    article,
    question: text,
    options: options as RaceQuestion["options"],
    answer: "A",
    questionIndex: 0,
  };
}

/** Rows as token strings, for comparisons written by hand. */
function decode(q: RaceQuestion, maxLength?: number, maxQaLength?: number): string[][] {
  const tokenizer = new WordTokenizer();
  return buildRaceInputs(q, tokenizer, maxLength, maxQaLength).map((row) => {
    assert.equal(row.tokenTypeIds.length, row.inputIds.length);
    assert.deepEqual(row.attentionMask, row.inputIds.map(() => 1));
    return row.inputIds.map((id) => tokenizer.idToToken(id));
  });
}

Deno.test("an option fills the blank; other questions are followed by the option", () => {
  assert.equal(raceQaText("He went to _ .", "school"), "He went to school .");
  assert.equal(raceQaText("Where did he go?", "school"), "Where did he go? school");
  // Python's str.replace fills every blank, as ALBERT's race_utils.py does.
  assert.equal(raceQaText("from _ to _ daily", "8"), "from 8 to 8 daily");
  assert.equal(raceQaText("costs _ .", "$& 5"), "costs $& 5 .");
});

Deno.test("four rows, one per option: [CLS] article [SEP] qa [SEP]", () => {
  const rows = decode(question("Tom went home .", "Tom went _ .", ["home", "out", "away", "up"]));
  assert.deepEqual(
    rows,
    ["home", "out", "away", "up"].map((o) => [
      "[CLS]",
      ..."Tom went home .".split(" "),
      "[SEP]",
      "Tom",
      "went",
      o,
      ".",
      "[SEP]",
    ]),
  );
  const noBlank = decode(question("A b .", "Why?", ["x y", "z", "w", "v"]));
  assert.deepEqual(noBlank[0], ["[CLS]", "A", "b", ".", "[SEP]", "Why?", "x", "y", "[SEP]"]);
});

Deno.test("token types are 0 through the first [SEP] and 1 after it", () => {
  const tokenizer = new WordTokenizer();
  const [row] = buildRaceInputs(question("a b c", "q _"), tokenizer);
  // [CLS] a b c [SEP] q o0 [SEP]
  assert.deepEqual(row.tokenTypeIds, [0, 0, 0, 0, 0, 1, 1, 1]);
});

Deno.test("the qa part keeps its last 128 tokens", () => {
  const q = question("a0 a1", words("q", 200).join(" "), ["p0", "p1", "p2", "p3"]);
  const rows = decode(q);
  // 200 question words + 1 option word = 201 qa tokens; the last 128 are q73..q199 and the option.
  rows.forEach((row, i) => {
    assert.deepEqual(row, [
      "[CLS]",
      "a0",
      "a1",
      "[SEP]",
      ...words("q", 200).slice(73),
      `p${i}`,
      "[SEP]",
    ]);
  });
  // A smaller limit, given as an argument.
  assert.deepEqual(decode(q, 512, 3)[0], [
    "[CLS]",
    "a0",
    "a1",
    "[SEP]",
    "q198",
    "q199",
    "p0",
    "[SEP]",
  ]);
});

Deno.test("the article is cut from its end so the row fits 512", () => {
  const article = words("a", 600).join(" ");
  const rows = decode(question(article, "Why _ ?", ["x", "y", "z", "w"]));
  // 512 - 3 special tokens - 3 qa tokens leaves 506 article tokens: a0..a505.
  for (const row of rows) {
    assert.equal(row.length, 512);
    assert.deepEqual(row.slice(0, 507), ["[CLS]", ...words("a", 506)]);
    assert.equal(row[507], "[SEP]");
  }
  assert.deepEqual(rows[2].slice(508), ["Why", "z", "?", "[SEP]"]);
});

Deno.test("a long article and a long qa: qa 128 tokens, article the remaining 381", () => {
  const tokenizer = new WordTokenizer();
  const q = question(words("a", 600).join(" "), words("q", 300).join(" "));
  for (const row of buildRaceInputs(q, tokenizer)) {
    assert.equal(row.inputIds.length, 512);
    assert.equal(row.tokenTypeIds.filter((t) => t === 0).length, 1 + 381 + 1);
    assert.equal(row.tokenTypeIds.filter((t) => t === 1).length, 128 + 1);
    assert.equal(tokenizer.idToToken(row.inputIds[381]), "a380");
    assert.equal(tokenizer.idToToken(row.inputIds[382]), "[SEP]");
  }
});

Deno.test("a qa limit beyond the row still gives rows of at most maxLength", () => {
  const rows = decode(question("a b c", words("q", 20).join(" ")), 8, 128);
  // 8 - 3 special tokens leaves 5 qa tokens (q16..q19 and the option) and no article.
  assert.deepEqual(rows[1], ["[CLS]", "[SEP]", "q16", "q17", "q18", "q19", "o1", "[SEP]"]);
  assert.throws(() => decode(question("a", "q"), 2), RangeError);
});
