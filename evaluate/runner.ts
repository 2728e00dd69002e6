/**
 * Run model rows through a backend in padded batches, with a progress bar and
 * resumable on disk, and hand back each row's own logits in input order.
 */
import type { Backend } from "../backends/backend.ts";
import type { TaskHead } from "../tasks/task.ts";
import type { Encoding } from "../tokenizers/tokenizer.ts";
import { createProgress } from "../runtime/progress.ts";
import { type BatchPlan, padBatch, planBatches } from "./batches.ts";
import type { ResumeStore, StoredAt } from "./resume.ts";

/** A batch's logits given to `runRows` (a shard's, for merge), and the file line they came from. */
export interface GivenBatch {
  logits: Float32Array[];
  at: StoredAt;
}

/** Options of `runRows`. */
export interface RunRowsOptions {
  batchSize: number;
  /** The task's head: what each row's logits are and how many (see `rowWidth`). */
  head: TaskHead;
  padId: number;
  /** Rows that must share a batch (4 for RACE's choices). */
  groupSize?: number;
  /** Task index of a multi-task (PAL) model. */
  task?: number;
  label: string;
  silent?: boolean;
  /** The run's own finished batches: one that does not fit is computed again, with a warning. */
  resume?: ResumeStore;
  /**
   * Batches that are not computed here (merge's, from the shards), before any
   * of `resume`: one that does not fit is all there is of that batch, so an error.
   */
  given?: ReadonlyMap<number, GivenBatch>;
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
  const widthOf = (r: number) => rowWidth(options.head, rows[r]);
  const where = (at: StoredAt | undefined) => at ? `${at.path} line ${at.line}` : "Stored logits";
  const saved = plans.map((plan, b) => {
    if (!selected[b]) return undefined;
    const given = options.given?.get(b);
    if (given) {
      const problem = batchProblem(given.logits, plan, widthOf);
      if (problem) throw new Error(`${where(given.at)}: batch ${b} ${problem}`);
      return given.logits;
    }
    // Callers key the store by the rows and batch size (eval.ts), so batch b is this batch.
    // The run's own resume file is a cache: a batch read wrong is computed again.
    const resume = options.resume;
    const logits = resume?.finished.get(b);
    const problem = logits && batchProblem(logits, plan, widthOf);
    if (!problem) return logits;
    console.error(
      `warning: ${where(resume!.storedAt(b))}: batch ${b} ${problem}; computing it again`,
    );
    return undefined;
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
          options.head.kind === "question-answering"
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

/** How many logits a row gets: per label, two per position (QA's start and end), or one choice score. */
function rowWidth(head: TaskHead, row: Encoding): number {
  if (head.kind === "question-answering") return row.inputIds.length * 2;
  if (head.kind === "multiple-choice") return 1;
  return head.numLabels;
}

/** What is wrong with a stored batch for `plan`'s rows, or undefined when it fits. */
function batchProblem(
  logits: Float32Array[],
  plan: BatchPlan,
  widthOf: (r: number) => number,
): string | undefined {
  if (logits.length !== plan.rows.length) {
    return `has ${logits.length} rows, but the batch has ${plan.rows.length}`;
  }
  for (const [i, r] of plan.rows.entries()) {
    const width = widthOf(r);
    if (logits[i].length !== width) {
      return `row ${i} has ${logitCount(logits[i].length)}, but the head gives ${width}`;
    }
  }
  return undefined;
}

/** "1 logit", "3 logits". */
const logitCount = (n: number): string => `${n} logit${n === 1 ? "" : "s"}`;
