/**
 * Join the shards of a split `eval` (`--shard i/n`) into the run one job would
 * have made: every shard's batches are read back from the logits file beside
 * its record, and `runEval` finishes the run with them (predictions, metrics,
 * record) without recomputing a batch. Nothing of a shard can be recomputed
 * here, so every record field used is checked first, and every stored batch
 * where it is used (`runRows`); a flaw is an error naming the file (and line).
 */
import { basename, dirname, join } from "node:path";
import { canonicalJson, type Fingerprint } from "../runtime/fingerprint.ts";
import type { Shard, StoredRecord } from "../runtime/records.ts";
import { inShard, shardLabel } from "../runtime/shard.ts";
import { type EvalOptions, type EvalOutcome, type EvalRequest, runEval } from "./eval.ts";
import { ResumeStore } from "./resume.ts";
import type { GivenBatch } from "./runner.ts";

/** The fields of an eval shard record that merge reads, checked. */
interface EvalShard {
  path: string;
  shard: Shard;
  workKey: string;
  request: EvalRequest;
  fingerprint: Fingerprint;
  batchCount: number;
  batches: number[];
  logitsPath: string;
}

const isCount = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** The record's fields merge uses, or an error naming the file and the field. */
function evalShard({ path, record }: StoredRecord): EvalShard {
  const fail = (problem: string): never => {
    throw new Error(`Cannot merge ${path}: ${problem}`);
  };
  const request = record.request as Record<string, unknown> | undefined;
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    fail(`its "request" is not an object of eval flags`);
  }
  for (const field of ["model", "task", "split", "data"]) {
    if (typeof request![field] !== "string") fail(`its "request.${field}" is not a string`);
  }
  if (!Number.isInteger(request!.batchSize) || (request!.batchSize as number) < 1) {
    fail(`its "request.batchSize" is not a positive integer`);
  }
  const print = record.fingerprint as Fingerprint | undefined;
  if (
    typeof print !== "object" || print === null || typeof print.configHash !== "string" ||
    !Array.isArray(print.dataFiles)
  ) {
    fail(`its "fingerprint" is missing or lacks configHash and dataFiles`);
  }
  const { batchCount, batches, logits } = record;
  if (!isCount(batchCount) || batchCount === 0) fail(`its "batchCount" is not a positive integer`);
  if (!Array.isArray(batches) || !batches.every(isCount)) {
    fail(`its "batches" is not a list of batch indices`);
  }
  if (typeof logits !== "string" || logits === "" || basename(logits) !== logits) {
    fail(`its "logits" is not the name of a file beside it`);
  }
  const shard = record.shard!;
  // Exactly this shard's share of the batch plan: a batch listed twice or by the wrong
  // shard would silently win over another shard's.
  const share = [...Array(batchCount as number).keys()].filter((b) => inShard(b, shard));
  if (canonicalJson(batches) !== canonicalJson(share)) {
    fail(
      `it lists batches ${(batches as number[]).join(", ")}, but shard ${
        shardLabel(shard)
      } of ${batchCount} batches has ${share.join(", ")}`,
    );
  }
  return {
    path,
    shard,
    workKey: String(record.workKey),
    request: request as unknown as EvalRequest,
    fingerprint: print!,
    batchCount: batchCount as number,
    batches: batches as number[],
    logitsPath: join(dirname(path), logits as string),
  };
}

/** Throw unless `other` describes the same run as `first` (shards of one work key must). */
function assertSameRun(first: EvalShard, other: EvalShard): void {
  const inputs = (s: EvalShard) =>
    canonicalJson([
      s.fingerprint.configHash,
      s.fingerprint.weightsHash ?? null,
      s.fingerprint.dataFiles.map((d) => [d.path, d.sha256]),
    ]);
  const differs = first.batchCount !== other.batchCount
    ? `${first.batchCount} and ${other.batchCount} batches`
    : inputs(first) !== inputs(other)
    ? "different model or data fingerprints"
    : undefined;
  if (differs) {
    throw new Error(
      `Cannot merge ${first.path} with ${other.path}: same work key but ${differs} ` +
        `(a record was edited or damaged; rerun those shards)`,
    );
  }
}

/** Merge the complete shard records of one eval run; the record goes beside them unless `recordsDir`. */
export async function mergeEvalShards(
  shards: StoredRecord[],
  options: { silent: boolean; recordsDir?: string; gpu?: EvalOptions["gpu"] },
): Promise<EvalOutcome> {
  const checked = shards.map(evalShard);
  for (const other of checked.slice(1)) assertSameRun(checked[0], other);
  const { request } = checked[0];
  const batches = new Map<number, GivenBatch>();
  for (const shard of checked) {
    const { path, logitsPath } = shard;
    let store: ResumeStore;
    try {
      store = await ResumeStore.read(logitsPath, shard.workKey);
    } catch (error) {
      throw new Error(`Cannot merge ${path}: ${(error as Error).message}`);
    }
    const missing = shard.batches.filter((b) => !store.finished.has(b));
    if (missing.length > 0) {
      throw new Error(
        `${logitsPath} lacks batch(es) ${missing.join(", ")} that its record ${path} lists`,
      );
    }
    // Each row's width is checked by `runRows`, which knows every row's (QA's vary).
    for (const b of shard.batches) {
      batches.set(b, { logits: store.finished.get(b)!, at: store.storedAt(b)! });
    }
  }
  return await runEval({
    ...request,
    // Beside the shards, wherever they were gathered (a CI artifact, a shared volume).
    recordsDir: options.recordsDir ?? dirname(shards[0].path),
    silent: options.silent,
    gpu: options.gpu,
    merged: {
      batches,
      from: shards.map((s) => s.path),
      fingerprint: checked[0].fingerprint,
    },
  });
}
