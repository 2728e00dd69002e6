/**
 * The training-throughput section of the leaderboard: for every model a
 * training bench measured, its newest tokens/s in f32 and, beside it, in f16
 * mixed precision, with the run's speed-up over BERT-large where the run
 * measured it (the same-run ratio ALBERT Table 2 reports, in f32).
 */
import { formatCount, formatMedianRange } from "../benchmarks/format.ts";
import { type BoardInput, byZooOrder } from "./albert.ts";
import { type BoardSection, type Cell, dtypeSuffix, linked, speedupText, text } from "./cells.ts";
import { newestMeasurements, speedupInRun } from "./records.ts";

/** Training tokens/s per model and precision, from the newest `bench --train` records. */
export function trainingSection(input: BoardInput): BoardSection {
  const rows: Cell[][] = newestMeasurements(input.set, "train", byZooOrder).map(
    ({ model, entry, run }) => {
      const speedup = speedupInRun(run, model, "train");
      return [
        text(`${model}${dtypeSuffix(run)}`),
        text(formatCount(entry.params as number)),
        text(`${entry.batch}×${entry.seqLen}`),
        text(formatMedianRange(entry.tokensPerSecond as never, 1)),
        text(speedup ? speedupText(model, speedup) : "—"),
        linked("record", run.file, input.href),
      ];
    },
  );
  return {
    id: "training",
    heading: "Training throughput",
    source:
      "The newest `bench --train` record per model and precision: tokens/s of whole training steps (forward, loss, backward, clipping, AdamW), median (min–max) of the timed repetitions. (f16) rows are mixed precision: f16 activations and Linear weight copies, f32 master weights and optimiser, dynamic loss scaling.",
    tables: rows.length
      ? [{
        head: ["model", "params", "batch×seq", "train tokens/s", "speed-up over BERT-large", "run"],
        rows,
      }]
      : [],
    notes: rows.length ? [] : ["no run"],
  };
}
