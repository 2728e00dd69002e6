import assert from "node:assert/strict";
import type { ModelConfig } from "./config.ts";
import { fillNormal, initWeights, randomModel, splitmix32, xoshiro128ss } from "./init.ts";
import { zooEntry } from "./zoo.ts";

const tiny = zooEntry("tiny-albert").config;

function bits(data: Float32Array): Uint32Array {
  return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

Deno.test("xoshiro128** matches the reference outputs from state [1, 2, 3, 4]", () => {
  // From Vigna's xoshiro128starstar.c v1.1, as in rand_xoshiro's test; the first three by hand:
  // rotl(2·5, 7)·9 = 11520, then s1 becomes 0, then rotl(1029·5, 7)·9 = 5927040.
  const next = xoshiro128ss([1, 2, 3, 4]);
  assert.deepEqual(Array.from({ length: 10 }, next), [
    11520,
    0,
    5927040,
    70819200,
    2031721883,
    1637235492,
    1287239034,
    3734860849,
    3729100597,
    4258142804,
  ]);
});

Deno.test("splitmix32 is an unsigned 32-bit mixer", () => {
  const values = [0, 1, 2, 0xffffffff].map(splitmix32);
  assert.ok(values.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32));
  assert.equal(new Set(values).size, values.length);
});

Deno.test("fillNormal draws mean 0 and the requested standard deviation", () => {
  const data = new Float32Array(200_001); // odd length: the last pair is half used
  fillNormal(data, xoshiro128ss(11), 0.02);
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  const std = Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / data.length);
  assert.ok(Math.abs(mean) < 0.0003, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.02) < 0.0003, `std ${std}`);
  assert.notEqual(data[data.length - 1], 0);
});

Deno.test("the same seed gives bit-identical weights, pinned to golden values", () => {
  const a = initWeights(tiny, 0);
  const b = initWeights(tiny, 0);
  for (const [name, data] of a) assert.deepEqual(bits(b.get(name)!), bits(data), name);
  // Golden float32 bit patterns: a change here changes every seeded benchmark's weights.
  const pooler = a.get("albert.pooler.weight")!;
  assert.deepEqual([...bits(pooler.subarray(0, 4))], [
    0xbc8df893,
    0xbc5cce53,
    0xbc470fee,
    0x3c954698,
  ]);
});

Deno.test("different seeds give different weights; large seeds use their high bits", () => {
  const name = "albert.pooler.weight";
  const draws = [0, 1, 2 ** 32, -1, 2 ** 40 + 7].map((seed) => initWeights(tiny, seed).get(name)!);
  const keys = new Set(draws.map((d) => [...bits(d.subarray(0, 8))].join(",")));
  assert.equal(keys.size, draws.length);
  assert.throws(() => initWeights(tiny, 0.5), /Seed must be a safe integer, got 0.5/);
});

Deno.test("roles follow Hugging Face _init_weights", () => {
  const config: ModelConfig = {
    ...tiny,
    head: { kind: "question-answering" },
    initializerRange: 0.05,
  };
  const model = randomModel(config, 3);
  for (const spec of model.layout.tensors) {
    const data = model.weights.get(spec.name)!;
    if (spec.role === "bias" || spec.role === "norm-bias") {
      assert.ok(data.every((v) => v === 0), spec.name);
    }
    if (spec.role === "norm-weight") assert.ok(data.every((v) => v === 1), spec.name);
    if (spec.role === "linear-weight" || spec.role === "embedding") {
      const rms = Math.sqrt(data.reduce((a, b) => a + b * b, 0) / data.length);
      assert.ok(Math.abs(rms - 0.05) < 0.05 * 0.25, `${spec.name} rms ${rms}`);
    }
  }
});

Deno.test("the padding row of the word embeddings is zero", () => {
  for (const padTokenId of [0, 5]) {
    const config = { ...tiny, padTokenId };
    const word = initWeights(config, 1).get("albert.embeddings.word_embeddings.weight")!;
    const E = config.embeddingSize;
    assert.ok(word.subarray(padTokenId * E, (padTokenId + 1) * E).every((v) => v === 0));
    assert.ok(word.subarray((padTokenId + 1) * E, (padTokenId + 2) * E).some((v) => v !== 0));
  }
});

Deno.test("adding a head leaves the encoder's weights unchanged", () => {
  const bare = initWeights(tiny, 9);
  const withHead = initWeights(
    { ...tiny, head: { kind: "sequence-classification", numLabels: 3 } },
    9,
  );
  for (const [name, data] of bare) assert.deepEqual(bits(withHead.get(name)!), bits(data), name);
  assert.ok(withHead.has("classifier.weight"));
});

Deno.test("randomModel pairs the config with a full set of weights", () => {
  const config = zooEntry("tiny-bert-pals").config;
  const model = randomModel(config, 0);
  assert.equal(model.config, config);
  assert.deepEqual([...model.weights.keys()], model.layout.tensors.map((t) => t.name));
});
