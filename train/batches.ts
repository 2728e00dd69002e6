/**
 * Training batches: a seeded shuffle per epoch, then length bucketing within
 * windows of 50 batches (sorting a window by length and cutting it into
 * batches, then shuffling the batch order) so padding stays small while the
 * order stays random. Everything follows from (seed, epoch), so a resumed run
 * sees exactly the batches the interrupted one would have. Sequences are
 * padded to a multiple of 8 to keep the number of recorded shapes small.
 */
import { xoshiro128ss } from "../models/init.ts";
import type { Encoding } from "../tokenizers/tokenizer.ts";
import type { TrainBatch } from "./trainer.ts";

/** Batches per length-sorted window. */
const WINDOW = 50;
/** Padded lengths are rounded up to a multiple of this. */
export const LENGTH_MULTIPLE = 8;

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Row indices of every batch of one epoch (1-based), in training order. */
export function epochBatches(
  rows: readonly Encoding[],
  options: { batchSize: number; seed: number; epoch: number },
): number[][] {
  const { batchSize } = options;
  const next = xoshiro128ss((options.seed * 7919 + options.epoch) >>> 0);
  const order = shuffle(rows.map((_, i) => i), next);
  const batches: number[][] = [];
  const window = batchSize * WINDOW;
  for (let start = 0; start < order.length; start += window) {
    const chunk = order.slice(start, start + window);
    chunk.sort((a, b) => rows[a].inputIds.length - rows[b].inputIds.length || a - b);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return shuffle(batches, next);
}

/** Pad the rows of one batch (and their targets) into a training batch. */
export function trainBatch(
  rows: readonly Encoding[],
  targets: readonly number[],
  indices: readonly number[],
  options: { padId: number; task: number },
): TrainBatch {
  const longest = Math.max(...indices.map((i) => rows[i].inputIds.length));
  const seqLen = Math.ceil(longest / LENGTH_MULTIPLE) * LENGTH_MULTIPLE;
  const batch = indices.length;
  const inputIds = new Array<number>(batch * seqLen).fill(options.padId);
  const tokenTypeIds = new Array<number>(batch * seqLen).fill(0);
  const attentionMask = new Array<number>(batch * seqLen).fill(0);
  indices.forEach((index, b) => {
    const row = rows[index];
    for (let t = 0; t < row.inputIds.length; t++) {
      inputIds[b * seqLen + t] = row.inputIds[t];
      tokenTypeIds[b * seqLen + t] = row.tokenTypeIds[t];
      attentionMask[b * seqLen + t] = row.attentionMask[t];
    }
  });
  return {
    batch,
    seqLen,
    task: options.task,
    inputIds,
    tokenTypeIds,
    attentionMask,
    labels: indices.map((i) => targets[i]),
  };
}

/**
 * One task's endless supply of batches: its epochs (of its own data) one
 * after another, each shuffled by `epochBatches`. Multi-task training draws
 * from several streams at different rates; a stream's position follows from
 * how many batches were taken, so a resumed run replays it exactly.
 */
export class TaskStream {
  #epoch = 0;
  #batches: number[][] = [];
  #next = 0;

  constructor(
    readonly rows: readonly Encoding[],
    readonly options: { batchSize: number; seed: number },
  ) {
    if (rows.length === 0) throw new RangeError("A task stream needs at least one row");
  }

  /** Row indices of the next batch. */
  next(): number[] {
    if (this.#next >= this.#batches.length) {
      this.#epoch++;
      this.#batches = epochBatches(this.rows, { ...this.options, epoch: this.#epoch });
      this.#next = 0;
    }
    return this.#batches[this.#next++];
  }
}
