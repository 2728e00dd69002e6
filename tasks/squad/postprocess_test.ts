import assert from "node:assert/strict";
import { buildSquadFeatures } from "./features.ts";
import { decodeSquad } from "./postprocess.ts";
import { assertClose, example, WhitespaceTokenizer, words } from "./_testing.ts";

// Tokens by whitespace: The(0) Eiffel(1) Tower(2) is(3) in(4) Paris,(5) France.(6) It(7)
// opened(8) in(9) 1889.(10); with "Where is it?" the layout is [CLS] q q q [SEP] then context
// token i at position 5 + i, and the final [SEP] at 16.
const context = "The Eiffel Tower is in Paris, France. It opened in 1889.";
const paris = example({ id: "p", question: "Where is it?", context });
const at = (token: number) => 5 + token;

/** Zero logits except the planted positions. */
function logits(length: number, planted: Record<number, number>): Float32Array {
  const out = new Float32Array(length);
  for (const [position, value] of Object.entries(planted)) out[Number(position)] = value;
  return out;
}

function setup() {
  const features = buildSquadFeatures([paris], new WhitespaceTokenizer());
  assert.equal(features.length, 1);
  assert.equal(features[0].inputIds.length, 17);
  return features;
}

Deno.test("the planted best span is decoded as written in the context", () => {
  const features = setup();
  // The question positions score highest but are not context, so they are thrown out.
  const start = logits(17, { 1: 10, [at(5)]: 5 });
  const end = logits(17, { 2: 10, [at(6)]: 4, [at(0)]: 4.5 });
  const { predictions, naProbs, nbest } = decodeSquad([paris], features, [{ start, end }], {
    version2: false,
  });
  assert.deepEqual(predictions, { p: "Paris, France." });
  assert.deepEqual(naProbs, {});
  assert.equal(nbest.p[0].text, "Paris, France.");
  assert.equal(nbest.p[0].startLogit + nbest.p[0].endLogit, 9);
  assert.equal(new Set(nbest.p.map((e) => e.text)).size, nbest.p.length, "texts are unique");
  assertClose(nbest.p.reduce((sum, e) => sum + e.probability, 0), 1, "probabilities", 1e-12);
});

Deno.test("answers longer than maxAnswerLength are skipped", () => {
  const features = setup();
  const outputs = [{
    start: logits(17, { [at(0)]: 6, [at(5)]: 5 }),
    end: logits(17, { [at(10)]: 6, [at(6)]: 4 }),
  }];
  const decode = (maxAnswerLength: number) =>
    decodeSquad([paris], features, outputs, { version2: false, maxAnswerLength }).predictions.p;
  // The(6) … 1889.(6) is 11 tokens and scores 12; Paris,(5) … 1889.(6) is 6 tokens, 11;
  // Paris,(5) France.(4) is 2 tokens, 9.
  assert.equal(decode(30), context);
  assert.equal(decode(10), "Paris, France. It opened in 1889.");
  assert.equal(decode(5), "Paris, France.");
});

Deno.test("v2.0: the empty answer wins when the CLS score beats the best span by the threshold", () => {
  const features = setup();
  const outputs = [{
    start: logits(17, { 0: 8, [at(5)]: 5 }),
    end: logits(17, { 0: 8, [at(6)]: 4 }),
  }];
  // With nBest 2 the candidates are CLS (16, the null answer) and Paris, France. (9); every
  // other pairing starts or ends at CLS, outside the context.
  const decoded = decodeSquad([paris], features, outputs, { version2: true, nBest: 2 });
  assert.deepEqual(decoded.predictions, { p: "" });
  assert.deepEqual(decoded.nullOdds, { p: 7 });
  assert.deepEqual(decoded.nbest.p.map((e) => e.text), ["", "Paris, France."]);
  // The null answer's share of the n-best softmax: e^16 / (e^16 + e^9).
  assertClose(decoded.naProbs.p, 1 / (1 + Math.exp(-7)), "naProb", 1e-12);
  // A threshold above the difference of 7 keeps the span.
  const lenient = decodeSquad([paris], features, outputs, {
    version2: true,
    nBest: 2,
    nullScoreDiffThreshold: 7.5,
  });
  assert.deepEqual(lenient.predictions, { p: "Paris, France." });
  assertClose(lenient.naProbs.p, decoded.naProbs.p, "naProb", 0);
});

Deno.test("v2.0: the span wins when CLS is weaker, and the null entry still joins the n-best", () => {
  const features = setup();
  const outputs = [{
    start: logits(17, { 0: -3, [at(5)]: 5 }),
    end: logits(17, { 0: -3, [at(6)]: 4 }),
  }];
  const decoded = decodeSquad([paris], features, outputs, { version2: true, nBest: 2 });
  assert.deepEqual(decoded.predictions, { p: "Paris, France." });
  assert.deepEqual(decoded.nullOdds, { p: -15 });
  assert.deepEqual(decoded.nbest.p.map((e) => e.text), ["Paris, France.", ""]);
  assertClose(decoded.naProbs.p, 1 / (1 + Math.exp(15)), "naProb", 1e-12);
});

Deno.test("across windows: spans count only from their max-context window; null is the min CLS", () => {
  const tokenizer = new WhitespaceTokenizer();
  // 12 positions − 1 question token − 3 = 8 context tokens, stride 4: windows 0–7 and 4–11.
  // w5 (min context 2 vs 1) belongs to the first, w6 (1 vs 2) to the second.
  const ex = example({ id: "w", question: "q", context: words(12) });
  const features = buildSquadFeatures([ex], tokenizer, { maxSeqLength: 12, docStride: 4 });
  assert.equal(features.length, 2);
  const head = 3;
  const outputs = [
    // Window 0 plants w6..w7 at 9 + 1, but w6 is not max-context here; its best valid span
    // scores 0 + 1.
    {
      start: logits(12, { 0: 3, [head + 6]: 9 }),
      end: logits(12, { 0: 3, [head + 7]: 1 }),
    },
    // Window 1 (w4..w11): w6 at position head + 2; w6..w8 scores 4 + 4.
    {
      start: logits(12, { 0: 1, [head + 2]: 4 }),
      end: logits(12, { 0: 1, [head + 4]: 4 }),
    },
  ];
  const v1 = decodeSquad([ex], features, outputs, { version2: false });
  assert.equal(v1.predictions.w, "w6 w7 w8");
  // Null score is the smaller CLS sum (window 1: 2), so the best span (8) wins by 6.
  const v2 = decodeSquad([ex], features, outputs, { version2: true });
  assert.equal(v2.predictions.w, "w6 w7 w8");
  assert.equal(v2.nullOdds.w, 2 - 8);
  const nullEntry = v2.nbest.w.find((e) => e.text === "")!;
  assert.deepEqual([nullEntry.startLogit, nullEntry.endLogit], [1, 1]);
});

Deno.test("with no valid span: v1.1 answers the empty string, v2.0 the null answer", () => {
  const features = setup();
  // Every end logit outranks every start position's partner: ends all before the starts.
  const outputs = [{
    start: logits(17, { [at(10)]: 5 }),
    end: logits(17, { [at(0)]: 5 }),
  }];
  const v1 = decodeSquad([paris], features, outputs, { version2: false, nBest: 1 });
  assert.deepEqual(v1.predictions, { p: "" });
  assert.deepEqual(v1.nbest.p, []);
  const v2 = decodeSquad([paris], features, outputs, { version2: true, nBest: 1 });
  assert.deepEqual(v2.predictions, { p: "" });
  assert.deepEqual(v2.naProbs, { p: 1 });
  assert.equal(v2.nullOdds.p, Number.MAX_VALUE);
});

Deno.test("outputs must match the features one to one", () => {
  const features = setup();
  assert.throws(() => decodeSquad([paris], features, [], { version2: false }), RangeError);
  const short = { start: new Float32Array(16), end: new Float32Array(17) };
  assert.throws(
    () => decodeSquad([paris], features, [short], { version2: false }),
    RangeError,
    "expected 17",
  );
});
