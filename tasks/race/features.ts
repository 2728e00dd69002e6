/**
 * RACE model inputs, as ALBERT's `race_utils.py` builds them (`read_examples` and
 * `convert_single_example`): four rows per question, `[CLS] article [SEP] qa [SEP]`, one per
 * option, where the model scores each row and a softmax over the four picks the answer.
 */
import type { Encoding, Tokenizer } from "../../tokenizers/tokenizer.ts";
import type { RaceQuestion } from "./load.ts";

/**
 * The question joined with one option. A cloze question ("He went to _ .") has the option in
 * place of the blank, every `_` of it, because ALBERT uses Python's `question.replace("_",
 * option)`, which replaces all occurrences (a few questions have two blanks, "from _ to _");
 * any other question is followed by a space and the option.
 */
export function raceQaText(question: string, option: string): string {
  // A replacer function, so "$&" or "$1" in an option is inserted literally.
  return question.includes("_") ? question.replaceAll("_", () => option) : `${question} ${option}`;
}

/**
 * The four unpadded rows of a question, one per option: `[CLS] article [SEP] qa [SEP]` with
 * the qa part kept to its last `maxQaLength` tokens and the article cut from its end to fit
 * `maxLength`; token type 0 for `[CLS]`, the article and the first `[SEP]`, 1 after.
 */
export function buildRaceInputs(
  q: RaceQuestion,
  tokenizer: Tokenizer,
  maxLength = 512,
  maxQaLength = 128,
): Encoding[] {
  if (maxLength < 3 || maxQaLength < 0) {
    throw new RangeError(`RACE max length ${maxLength} / max qa length ${maxQaLength} too small`);
  }
  // ALBERT assumes the qa limit leaves room for [CLS] and two [SEP]s (128 of 512); clamp so a
  // larger limit still yields rows of at most maxLength instead of a negative article slice.
  const qaLimit = Math.min(maxQaLength, maxLength - 3);
  const { cls, sep } = tokenizer.special;
  const article = tokenizer.tokenize(q.article).ids;
  return q.options.map((option) => {
    const qaAll = tokenizer.tokenize(raceQaText(q.question, option)).ids;
    // Keep the end: the option (the part that differs between rows) comes last.
    const qa = qaAll.slice(Math.max(0, qaAll.length - qaLimit));
    const context = article.slice(0, maxLength - 3 - qa.length);
    const inputIds = [cls, ...context, sep, ...qa, sep];
    const tokenTypeIds = inputIds.map((_, i) => (i < context.length + 2 ? 0 : 1));
    return { inputIds, tokenTypeIds, attentionMask: inputIds.map(() => 1) };
  });
}
