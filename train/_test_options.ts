/** The `runTrain` options the training tests start from: a small RTE run on the shared data. */
import { join } from "node:path";
import type { TrainOptions } from "./run.ts";

/** The shared data directory beside the repository. */
export const DATA = new URL("../../shared/data", import.meta.url).pathname;

/** Options of a short tiny-ALBERT run on RTE writing under `out`; `extra` overrides any. */
export function baseOptions(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    recordsDir: join(out, "records"),
    model: "tiny-albert-spm",
    tasks: ["glue/rte"],
    data: DATA,
    out,
    epochs: 2,
    limit: 48,
    evalLimit: 16,
    batchSize: 8,
    lr: 1e-3,
    warmup: 0.1,
    seed: 3,
    optimizer: "adamw",
    weightDecay: 0.01,
    saveSteps: 4,
    logSteps: 2,
    resume: false,
    silent: true,
    ...extra,
  };
}
