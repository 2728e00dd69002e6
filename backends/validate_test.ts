/** The input checks both engines share: each bad batch gets its own clear message. */
import assert from "node:assert/strict";
import type { EncoderInput } from "./backend.ts";
import { validateInput } from "./validate.ts";
import { zooEntry } from "../models/zoo.ts";

const config = zooEntry("tiny-bert-pals").config; // vocab 99, 2 token types, 64 positions, 2 tasks

function batch(overrides: Partial<EncoderInput> = {}): EncoderInput {
  return {
    batchSize: 2,
    seqLen: 3,
    inputIds: Int32Array.from([5, 6, 7, 8, 9, 0]),
    tokenTypeIds: Int32Array.from([0, 0, 1, 0, 1, 0]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 1, 0]),
    ...overrides,
  };
}

Deno.test("validateInput accepts a padded batch and resolves the task", () => {
  assert.equal(validateInput(config, batch()), 0);
  assert.equal(validateInput(config, batch(), 1), 1);
  assert.equal(validateInput(config, batch({ task: 1 }), 0), 1);
});

Deno.test("validateInput refuses each kind of bad batch with its own message", () => {
  const cases: [Partial<EncoderInput>, RegExp][] = [
    [{ inputIds: Int32Array.from([5, 6, 99, 8, 9, 0]) }, /Token id 99 at position 2 .*size 99/],
    [{ inputIds: Int32Array.from([5, -1, 7, 8, 9, 0]) }, /Token id -1 at position 1/],
    [{ tokenTypeIds: Int32Array.from([0, 2, 0, 0, 0, 0]) }, /Token type 2 .*type_vocab_size 2/],
    [
      { attentionMask: Int32Array.from([1, 1, 1, 0, 0, 0]) },
      /Sequence 1 of the batch has no unmasked token/,
    ],
    [{ inputIds: Int32Array.from([5, 6, 7]) }, /"input_ids" has 3 values, expected 2×3 = 6/],
    [{ seqLen: 0 }, /Invalid batch shape \[2, 0\]/],
    [{ task: 2 }, /Task index 2 is out of range: the model has 2 task/],
  ];
  for (const [overrides, message] of cases) {
    assert.throws(() => validateInput(config, batch(overrides)), message);
  }
  const long = 65;
  assert.throws(
    () =>
      validateInput(config, {
        batchSize: 1,
        seqLen: long,
        inputIds: new Int32Array(long),
        tokenTypeIds: new Int32Array(long),
        attentionMask: new Int32Array(long).fill(1),
      }),
    /Sequence length 65 exceeds max_position_embeddings 64/,
  );
});
