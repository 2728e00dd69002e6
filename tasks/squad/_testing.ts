/**
 * Test helpers for the SQuAD tests: a whitespace tokenizer with real offsets (so features and
 * decoded spans can be worked out by hand), example builders and one float tolerance check.
 */
import assert from "node:assert/strict";
import type { Tokenized, Tokenizer } from "../../tokenizers/tokenizer.ts";
import type { SquadExample } from "./load.ts";

/**
 * Splits on whitespace and lowercases for the id, like an uncased vocabulary, so a decoded
 * answer shows whether it came from the context (as written) or from the tokens.
 */
export class WhitespaceTokenizer implements Tokenizer {
  readonly kind = "wordpiece";
  readonly source = "whitespace (test)";
  readonly special = { pad: 0, cls: 1, sep: 2, unk: 3, mask: 4 };
  #vocab = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"];
  #ids = new Map(this.#vocab.map((token, id) => [token, id]));

  get vocabSize(): number {
    return this.#vocab.length;
  }

  tokenize(text: string): Tokenized {
    const out: Tokenized = { ids: [], tokens: [], offsets: [] };
    for (const match of text.matchAll(/\S+/g)) {
      const token = match[0].toLowerCase();
      let id = this.#ids.get(token);
      if (id === undefined) {
        id = this.#vocab.push(token) - 1;
        this.#ids.set(token, id);
      }
      out.ids.push(id);
      out.tokens.push(token);
      out.offsets.push([match.index, match.index + match[0].length]);
    }
    return out;
  }

  idToToken(id: number): string {
    return this.#vocab[id];
  }
}

/** A question with defaults for the fields a test does not care about. */
export function example(fields: Partial<SquadExample> & { id: string }): SquadExample {
  return {
    title: "T",
    context: "",
    question: "q",
    answers: [],
    isImpossible: false,
    ...fields,
  };
}

/** `w0 w1 … w(n-1)`. */
export function words(n: number, prefix = "w"): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");
}

/** The one tolerance of the scorer tests: the fixtures hold the script's values to 1e-9. */
export function assertClose(actual: number, expected: number, what: string, tol = 1e-9): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: got ${actual}, expected ${expected} (tolerance ${tol})`,
  );
}
