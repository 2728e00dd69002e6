/**
 * Join the shards of a split `eval` (`--shard i/n`) into the run one job would
 * have made: every shard's batches are read back from the logits file beside
 * its record, and `runEval` finishes the run with them (predictions, metrics,
 * record) without recomputing a batch.
 */
import { dirname, join } from "node:path";
import type { Fingerprint } from "../runtime/fingerprint.ts";
import type { StoredRecord } from "../runtime/records.ts";
import { type EvalOptions, type EvalOutcome, type EvalRequest, runEval } from "./eval.ts";
import { ResumeStore } from "./resume.ts";

/** Merge the complete shard records of one eval run; the record goes beside them unless `recordsDir`. */
export async function mergeEvalShards(
  shards: StoredRecord[],
  options: { silent: boolean; recordsDir?: string; gpu?: EvalOptions["gpu"] },
): Promise<EvalOutcome> {
  const batches = new Map<number, Float32Array[]>();
  for (const { path, record } of shards) {
    const logitsPath = join(dirname(path), String(record.logits));
    const store = await ResumeStore.open(logitsPath, String(record.workKey));
    const expected = record.batches as number[];
    const missing = expected.filter((b) => !store.finished.has(b));
    if (missing.length > 0) {
      throw new Error(
        `${logitsPath} lacks batch(es) ${missing.join(", ")} that its record ${path} lists`,
      );
    }
    for (const b of expected) batches.set(b, store.finished.get(b)!);
  }
  const request = shards[0].record.request as EvalRequest;
  return await runEval({
    ...request,
    // Beside the shards, wherever they were gathered (a CI artifact, a shared volume).
    recordsDir: options.recordsDir ?? dirname(shards[0].path),
    silent: options.silent,
    gpu: options.gpu,
    merged: {
      batches,
      from: shards.map((s) => s.path),
      fingerprint: shards[0].record.fingerprint as Fingerprint | undefined,
    },
  });
}
