import assert from "node:assert/strict";
import { buildSquadFeatures } from "./features.ts";
import { example, WhitespaceTokenizer, words } from "./_testing.ts";

const CLS = 1;
const SEP = 2;

Deno.test("a long context becomes strided windows, each token max-context in exactly one", () => {
  const tokenizer = new WhitespaceTokenizer();
  const context = words(20);
  const ex = example({ id: "x", question: "who is it", context });
  // 14 positions − 3 question − 3 specials = 8 context tokens per window, stride 3:
  // windows start at 0, 3, 6, 9, 12 (12 + 8 = 20 reaches the end).
  const features = buildSquadFeatures([ex], tokenizer, {
    maxSeqLength: 14,
    docStride: 3,
    maxQueryLength: 64,
  });
  assert.equal(features.length, 5);
  const question = tokenizer.tokenize("who is it").ids;
  const contextIds = tokenizer.tokenize(context).ids;
  const spans = tokenizer.tokenize(context).offsets;
  features.forEach((feature, k) => {
    assert.equal(feature.exampleIndex, 0);
    assert.deepEqual(feature.inputIds, [
      CLS,
      ...question,
      SEP,
      ...contextIds.slice(3 * k, 3 * k + 8),
      SEP,
    ]);
    assert.deepEqual(feature.tokenTypeIds, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(feature.attentionMask, feature.inputIds.map(() => 1));
    assert.deepEqual(feature.contextSpan, [
      null,
      null,
      null,
      null,
      null,
      ...spans.slice(3 * k, 3 * k + 8),
      null,
    ]);
    // Specials and the question are never max-context.
    assert.deepEqual(feature.tokenIsMaxContext.slice(0, 5), [false, false, false, false, false]);
    assert.equal(feature.tokenIsMaxContext[13], false);
  });
  // Every context token is max-context in exactly one window.
  const owners = contextIds.map(() => 0);
  for (const [k, feature] of features.entries()) {
    for (let i = 0; i < 8; i++) if (feature.tokenIsMaxContext[5 + i]) owners[3 * k + i] += 1;
  }
  assert.deepEqual(owners, contextIds.map(() => 1));
  // w9 is in windows 1 (3–10), 2 (6–13) and 3 (9–16); min(left, right) is 1, 3 and 0, so
  // window 2, where it sits at position 5 + 3.
  assert.deepEqual(features.map((f, k) => f.tokenIsMaxContext[5 + 9 - 3 * k]).slice(1, 4), [
    false,
    true,
    false,
  ]);
  // The first window owns w0–w5: w5 scores min(5, 2) there and min(2, 5) in the next, a
  // tie that goes to the first window; w6 scores 1 there and 3 in the next.
  assert.deepEqual(features[0].tokenIsMaxContext.slice(5, 13), [
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    false,
  ]);
});

Deno.test("the defaults: 384 positions, stride 128, question up to 64 tokens", () => {
  const tokenizer = new WhitespaceTokenizer();
  const ex = example({ id: "x", question: words(10, "q"), context: words(500) });
  const features = buildSquadFeatures([ex], tokenizer);
  // 384 − 10 − 3 = 371 per window; starts 0, 128, 256 (256 + 244 = 500 ends it).
  assert.equal(features.length, 3);
  assert.deepEqual(features.map((f) => f.inputIds.length), [384, 384, 13 + 244]);
  assert.deepEqual(features[2].contextSpan[12], tokenizer.tokenize(ex.context).offsets[256]);
});

Deno.test("the question is cut to maxQueryLength tokens", () => {
  const tokenizer = new WhitespaceTokenizer();
  const ex = example({ id: "x", question: "one two three four five", context: "a b c" });
  const [feature] = buildSquadFeatures([ex], tokenizer, { maxQueryLength: 2 });
  const q = tokenizer.tokenize("one two").ids;
  assert.deepEqual(feature.inputIds, [CLS, ...q, SEP, ...tokenizer.tokenize("a b c").ids, SEP]);
  assert.deepEqual(feature.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(feature.tokenIsMaxContext, [
    false,
    false,
    false,
    false,
    true,
    true,
    true,
    false,
  ]);
});

Deno.test("spans are character offsets into the context as written", () => {
  const tokenizer = new WhitespaceTokenizer();
  const context = "  Hello,   World!";
  const [feature] = buildSquadFeatures([example({ id: "x", question: "q", context })], tokenizer);
  const texts = feature.contextSpan.map((span) => span && context.slice(...span));
  assert.deepEqual(texts, [null, null, null, "Hello,", "World!", null]);
});

Deno.test("features follow example order; an empty context gives no feature", () => {
  const tokenizer = new WhitespaceTokenizer();
  const features = buildSquadFeatures([
    example({ id: "a", context: "x y" }),
    example({ id: "b", context: "   " }),
    example({ id: "c", context: "z" }),
  ], tokenizer);
  assert.deepEqual(features.map((f) => f.exampleIndex), [0, 2]);
});

Deno.test("a length that leaves no room for the context is refused", () => {
  const tokenizer = new WhitespaceTokenizer();
  const ex = example({ id: "x", question: "a b c", context: "d" });
  assert.throws(
    () => buildSquadFeatures([ex], tokenizer, { maxSeqLength: 6 }),
    RangeError,
    'question "x"',
  );
  assert.throws(() => buildSquadFeatures([ex], tokenizer, { docStride: 0 }), RangeError);
});
