import assert from "node:assert/strict";
import { countEncoderParameters, countParameters, parameterMultiplier } from "./params.ts";
import { PAL_ZOO_TASKS, zooEntry } from "./zoo.ts";

const count = (name: string) => countEncoderParameters(zooEntry(name).config);

Deno.test("released models have their exact Hugging Face parameter counts", () => {
  assert.equal(count("albert-base-v2"), 11_683_584);
  assert.equal(count("albert-large-v2"), 17_683_968);
  assert.equal(count("albert-xlarge-v2"), 58_724_864);
  assert.equal(count("albert-xxlarge-v2"), 222_595_584);
  assert.equal(count("bert-base-uncased"), 109_482_240);
  // v1 and v2 differ only in activation and dropout.
  assert.equal(count("albert-base-v1"), count("albert-base-v2"));
  // The all-shared E=128 ablation is ALBERT-base itself.
  assert.equal(count("albert-base-e128-all-shared"), count("albert-base-v2"));
});

// tiny: V=99, P=64 positions, T=2 token types, E=16 (ALBERT), H=32, I=64, L=2.
const linear = (inF: number, outF: number) => inF * outF + outF;
const norm = (n: number) => 2 * n;
const tinyLayer = 4 * linear(32, 32) + norm(32) + linear(32, 64) + linear(64, 32) + norm(32);

Deno.test("tiny ALBERT: factorised embeddings and one shared layer", () => {
  const embeddings = (99 + 64 + 2) * 16 + norm(16);
  const mapping = linear(16, 32);
  const expected = embeddings + mapping + tinyLayer + linear(32, 32);
  assert.equal(expected, 12_816);
  assert.equal(count("tiny-albert"), expected);
});

Deno.test("tiny ALBERT with 2 groups of 2 inner layers stores four layers", () => {
  const expected = (99 + 64 + 2) * 16 + norm(16) + linear(16, 32) + 4 * tinyLayer + linear(32, 32);
  assert.equal(count("tiny-albert-groups"), expected);
});

Deno.test("tiny BERT: embeddings of size H and independent layers", () => {
  const expected = (99 + 64 + 2) * 32 + norm(32) + 2 * tinyLayer + linear(32, 32);
  assert.equal(expected, 23_488);
  assert.equal(count("tiny-bert"), expected);
});

Deno.test("heads add their classifiers", () => {
  const config = zooEntry("tiny-bert").config;
  const base = countParameters(config);
  const withHead = (head: typeof config.head) => countParameters({ ...config, head });
  assert.equal(withHead({ kind: "sequence-classification", numLabels: 3 }) - base, linear(32, 3));
  assert.equal(withHead({ kind: "question-answering" }) - base, linear(32, 2));
  assert.equal(withHead({ kind: "multiple-choice" }) - base, linear(32, 1));
});

// PALs, from the original code: per task an encoder V_E (H·d + d) and a decoder V_D (d·H + H)
// shared across layers, and per adapted layer Q, K, V in the small space, 3(d² + d).
const palsPerTask = (H: number, d: number, layers: number) =>
  H * d + d + (d * H + H) + layers * 3 * (d * d + d);

Deno.test("tiny BERT with PALs: shared encoder/decoder plus per-layer attention", () => {
  const expected = 23_488 + 2 * palsPerTask(32, 12, 2);
  assert.equal(count("tiny-bert-pals"), expected);
  // The multi-task head adds one 2-label classifier per task.
  assert.equal(countParameters(zooEntry("tiny-bert-pals").config), expected + 2 * linear(32, 2));
});

Deno.test("PALs multiplier for 8 tasks on BERT-base is about 1.133", () => {
  const base = 109_482_240;
  const perTask = palsPerTask(768, 204, 12);
  assert.equal(perTask, 156_876 + 157_440 + 12 * 3 * 41_820); // 1,819,836
  const withPals = base + PAL_ZOO_TASKS * perTask;
  assert.equal(count("bert-base-pals"), withPals);
  const multiplier = parameterMultiplier(zooEntry("bert-base-pals").config);
  assert.equal(multiplier, withPals / base);
  assert.ok(Math.abs(multiplier - 1.133) < 0.0005, `multiplier ${multiplier}`);
});

Deno.test("PAL variants: top half of the layers, and low-rank adapters", () => {
  assert.equal(count("bert-base-pals-top-half"), 109_482_240 + 8 * palsPerTask(768, 204, 6));
  // Low-rank: per layer and task V_E (H·d + d) and V_D (d·H + H), d = 100, nothing shared.
  assert.equal(
    count("bert-base-low-rank"),
    109_482_240 + 8 * 12 * (linear(768, 100) + linear(100, 768)),
  );
});

Deno.test("top-projected: down/up projections and 6 attention layers in the small space", () => {
  const d = 204;
  const topLayer = 4 * linear(d, d) + norm(d);
  const perTask = linear(768, d) + linear(d, 768) + 6 * topLayer;
  assert.equal(count("bert-base-top-projected"), 109_482_240 + 8 * perTask);
});
