/**
 * Training batches: each epoch covers every row once, follows from (seed,
 * epoch) alone, keeps multiple-choice groups whole and contiguous, and pads
 * into a batch with one label per group.
 */
import assert from "node:assert/strict";
import type { Encoding } from "../tokenizers/tokenizer.ts";
import { epochBatches, TaskStream, trainBatch } from "./batches.ts";

function rows(lengths: number[]): Encoding[] {
  return lengths.map((n, r) => ({
    inputIds: Array.from({ length: n }, (_, t) => 100 + r * 10 + t),
    tokenTypeIds: Array(n).fill(0),
    attentionMask: Array(n).fill(1),
  }));
}

Deno.test("an epoch covers every row once and follows from (seed, epoch)", () => {
  const data = rows(Array.from({ length: 37 }, (_, i) => 3 + (i * 7) % 20));
  const a = epochBatches(data, { batchSize: 8, seed: 5, epoch: 2 });
  assert.deepEqual(a.flat().sort((x, y) => x - y), [...Array(37).keys()]);
  assert.deepEqual(epochBatches(data, { batchSize: 8, seed: 5, epoch: 2 }), a);
  assert.notDeepEqual(epochBatches(data, { batchSize: 8, seed: 5, epoch: 3 }), a);
});

Deno.test("multiple-choice groups stay whole, contiguous and in option order", () => {
  const data = rows(Array.from({ length: 40 }, (_, i) => 2 + (i * 5) % 13));
  const batches = epochBatches(data, { batchSize: 3, seed: 1, epoch: 1, groupSize: 4 });
  assert.deepEqual(batches.flat().sort((x, y) => x - y), [...Array(40).keys()]);
  for (const batch of batches) {
    assert.equal(batch.length % 4, 0);
    for (let g = 0; g < batch.length; g += 4) {
      const first = batch[g];
      assert.equal(first % 4, 0);
      assert.deepEqual(batch.slice(g, g + 4), [first, first + 1, first + 2, first + 3]);
    }
  }
  assert.throws(
    () => epochBatches(rows([1, 2, 3]), { batchSize: 2, seed: 0, epoch: 1, groupSize: 2 }),
    /3 rows do not split into groups of 2/,
  );
});

Deno.test("a grouped batch has one label per group and pads to a multiple of 8", () => {
  const data = rows([3, 9, 4, 5, 2, 2, 2, 2]);
  const targets = [2, 2, 2, 2, 0, 0, 0, 0];
  const batch = trainBatch(data, targets, [4, 5, 6, 7, 0, 1, 2, 3], {
    padId: 0,
    task: 0,
    groupSize: 4,
  });
  assert.equal(batch.batch, 8);
  assert.equal(batch.seqLen, 16);
  assert.equal(batch.choices, 4);
  assert.deepEqual(batch.labels, [0, 2]);
  // Row 5 of the batch is data row 1 (9 tokens): ids then padding, mask 1 then 0.
  assert.deepEqual(Array.from(batch.inputIds).slice(5 * 16, 5 * 16 + 10), [
    ...data[1].inputIds,
    0,
  ]);
  assert.deepEqual(Array.from(batch.attentionMask).slice(5 * 16, 6 * 16), [
    ...Array(9).fill(1),
    ...Array(7).fill(0),
  ]);
});

Deno.test("a task stream runs its epochs back to back", () => {
  const data = rows(Array.from({ length: 10 }, (_, i) => 1 + i));
  const stream = new TaskStream(data, { batchSize: 4, seed: 2 });
  const first = [stream.next(), stream.next(), stream.next()];
  assert.deepEqual(first, epochBatches(data, { batchSize: 4, seed: 2, epoch: 1 }));
  assert.deepEqual(stream.next(), epochBatches(data, { batchSize: 4, seed: 2, epoch: 2 })[0]);
});
