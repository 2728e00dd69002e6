/**
 * Turn unpadded model rows into padded batches. Rows are grouped by length
 * (longest first) so each batch pads only to its own longest row, and every
 * batch remembers which rows it holds so outputs go back in input order.
 */
import type { EncoderInput } from "../backends/backend.ts";
import type { Encoding } from "../tokenizers/tokenizer.ts";

/** One batch: the row indices it holds, in batch order. */
export interface BatchPlan {
  rows: number[];
}

/**
 * Split row indices into batches of at most `batchSize` rows. `groupSize` keeps
 * runs of rows together (RACE's four choices of a question); rows are ordered by
 * length, longest first, so that padding is small and the slowest batch comes
 * first (an out-of-memory error shows up at once, not at the end).
 */
export function planBatches(
  rows: readonly Encoding[],
  batchSize: number,
  groupSize = 1,
): BatchPlan[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  }
  if (rows.length % groupSize !== 0) {
    throw new RangeError(`${rows.length} rows do not split into groups of ${groupSize}`);
  }
  const groups = Array.from({ length: rows.length / groupSize }, (_, g) => g);
  const groupLength = (g: number) => {
    let longest = 0;
    for (let i = 0; i < groupSize; i++) {
      longest = Math.max(longest, rows[g * groupSize + i].inputIds.length);
    }
    return longest;
  };
  const lengths = groups.map(groupLength);
  // Stable: equal lengths keep input order, so the plan is deterministic.
  groups.sort((a, b) => lengths[b] - lengths[a] || a - b);
  const groupsPerBatch = Math.max(1, Math.floor(batchSize / groupSize));
  const plans: BatchPlan[] = [];
  for (let i = 0; i < groups.length; i += groupsPerBatch) {
    const rowsOfBatch: number[] = [];
    for (const g of groups.slice(i, i + groupsPerBatch)) {
      for (let j = 0; j < groupSize; j++) rowsOfBatch.push(g * groupSize + j);
    }
    plans.push({ rows: rowsOfBatch });
  }
  return plans;
}

/** Pad the given rows to their longest length with `padId` and a zero attention mask. */
export function padBatch(
  rows: readonly Encoding[],
  padId: number,
  task?: number,
): EncoderInput {
  const batchSize = rows.length;
  const seqLen = Math.max(...rows.map((r) => r.inputIds.length));
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const tokenTypeIds = new Int32Array(batchSize * seqLen);
  const attentionMask = new Int32Array(batchSize * seqLen);
  rows.forEach((row, b) => {
    inputIds.set(row.inputIds, b * seqLen);
    tokenTypeIds.set(row.tokenTypeIds, b * seqLen);
    attentionMask.set(row.attentionMask, b * seqLen);
  });
  return { batchSize, seqLen, inputIds, tokenTypeIds, attentionMask, task };
}
