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

/**
 * Row indices of every batch of one epoch (1-based), in training order.
 * With `groupSize` > 1 (RACE: 4 options per question) whole groups are
 * shuffled and batched, `batchSize` groups to a batch, and stay contiguous.
 */
export function epochBatches(
  rows: readonly Encoding[],
  options: { batchSize: number; seed: number; epoch: number; groupSize?: number },
): number[][] {
  const { batchSize } = options;
  const group = options.groupSize ?? 1;
  if (rows.length % group !== 0) {
    throw new RangeError(`${rows.length} rows do not split into groups of ${group}`);
  }
  const length = (g: number) => {
    let n = 0;
    for (let r = g * group; r < (g + 1) * group; r++) n = Math.max(n, rows[r].inputIds.length);
    return n;
  };
  const next = xoshiro128ss((options.seed * 7919 + options.epoch) >>> 0);
  const order = shuffle([...Array(rows.length / group).keys()], next);
  const batches: number[][] = [];
  const window = batchSize * WINDOW;
  for (let start = 0; start < order.length; start += window) {
    const chunk = order.slice(start, start + window);
    chunk.sort((a, b) => length(a) - length(b) || a - b);
    for (let i = 0; i < chunk.length; i += batchSize) {
      batches.push(
        chunk.slice(i, i + batchSize).flatMap((g) =>
          Array.from({ length: group }, (_, c) => g * group + c)
        ),
      );
    }
  }
  return shuffle(batches, next);
}

/**
 * Pad the rows of one batch (and their targets) into a training batch. With
 * `groupSize` > 1 the rows come in whole groups and each group has one label
 * (the target of its first row: every row of a RACE question carries the answer).
 */
export function trainBatch(
  rows: readonly Encoding[],
  targets: readonly number[],
  indices: readonly number[],
  options: { padId: number; task: number; groupSize?: number },
): TrainBatch {
  const group = options.groupSize ?? 1;
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
    labels: group > 1
      ? indices.filter((_, b) => b % group === 0).map((i) => targets[i])
      : indices.map((i) => targets[i]),
    ...(group > 1 ? { choices: group } : {}),
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
    readonly options: { batchSize: number; seed: number; groupSize?: number },
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
