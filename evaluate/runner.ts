/**
 * Run model rows through a backend in padded batches, with a progress bar and
 * resumable on disk, and hand back each row's own logits in input order.
 */
import type { Backend } from "../backends/backend.ts";
import type { Encoding } from "../tokenizers/tokenizer.ts";
import { createProgress } from "../runtime/progress.ts";
import { padBatch, planBatches } from "./batches.ts";
import type { ResumeStore } from "./resume.ts";

/** What a row's logits are: per label, per position (start, end), or one choice score. */
export type HeadKind = "sequence-classification" | "question-answering" | "multiple-choice";

/** Options of `runRows`. */
export interface RunRowsOptions {
  batchSize: number;
  head: HeadKind;
  padId: number;
  /** Rows that must share a batch (4 for RACE's choices). */
  groupSize?: number;
  /** Task index of a multi-task (PAL) model. */
  task?: number;
  label: string;
  silent?: boolean;
  resume?: ResumeStore;
  /** Which batches to run (a shard's); the others' rows are left without logits. */
  batches?: (batch: number) => boolean;
}

/**
 * Logits per row: classification `[numLabels]`; question answering
 * `[length × 2]` as (start, end) pairs of the row's own positions; multiple
 * choice `[1]`.
 */
export async function runRows(
  backend: Backend,
  rows: readonly Encoding[],
  options: RunRowsOptions,
): Promise<Float32Array[]> {
  const plans = planBatches(rows, options.batchSize, options.groupSize ?? 1);
  const out: Float32Array[] = new Array(rows.length);
  const selected = plans.map((_, b) => options.batches?.(b) ?? true);
  // Callers key the store by the rows and batch size (eval.ts), so batch b is this batch.
  const saved = plans.map((plan, b) => {
    const logits = options.resume?.finished.get(b);
    return logits?.length === plan.rows.length ? logits : undefined;
  });
  const rowsOf = (keep: (b: number) => boolean) =>
    plans.reduce((sum, plan, b) => sum + (selected[b] && keep(b) ? plan.rows.length : 0), 0);
  const progress = createProgress({
    label: options.label,
    total: rowsOf(() => true),
    // Rows resumed from an earlier run count as done but not into the rate.
    initial: rowsOf((b) => saved[b] !== undefined),
    unit: "rows",
    silent: options.silent,
  });
  try {
    for (const [b, plan] of plans.entries()) {
      if (!selected[b]) continue;
      const resumed = saved[b];
      if (resumed) {
        plan.rows.forEach((r, i) => out[r] = resumed[i]);
        continue;
      }
      const batchRows = plan.rows.map((r) => rows[r]);
      const input = padBatch(batchRows, options.padId, options.task);
      const { logits } = await backend.run(input, ["logits"]);
      if (!logits) throw new Error(`${backend.info.name} returned no logits`);
      const perRow = logits.length / input.batchSize;
      if (!Number.isInteger(perRow) || perRow === 0) {
        throw new Error(
          `${backend.info.name} returned ${logits.length} logits for a batch of ${input.batchSize}`,
        );
      }
      const rowLogits = batchRows.map((row, i) => {
        const slice = logits.subarray(i * perRow, (i + 1) * perRow);
        // QA logits are [seqLen, 2]: keep the row's own positions, drop padding.
        return Float32Array.from(
          options.head === "question-answering"
            ? slice.subarray(0, row.inputIds.length * 2)
            : slice,
        );
      });
      plan.rows.forEach((r, i) => out[r] = rowLogits[i]);
      await options.resume?.add(b, rowLogits);
      progress.increment(plan.rows.length);
    }
  } finally {
    progress.stop();
  }
  return out;
}
