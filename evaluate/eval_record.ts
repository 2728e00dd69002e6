/**
 * The eval run record read back: the result files a record names and hashes,
 * and the outcome of an earlier run of the same work, reused while its files
 * are still the ones it wrote.
 */
import { dirname, join } from "node:path";
import type { Interval } from "../runtime/bootstrap.ts";
import { filesSha256 } from "../runtime/fingerprint.ts";
import { statOrUndefined } from "../runtime/files.ts";
import type { Shard, StoredRecord } from "../runtime/records.ts";
import type { Metrics, Split } from "../tasks/task.ts";
import type { EvalOutcome } from "./eval.ts";

/** The result files a record names and hashes: predictions, then SQuAD v2's na_probs. */
export function resultFiles(predictions: string, naProbs?: string | null): string[] {
  return naProbs ? [predictions, naProbs] : [predictions];
}

/** The outcome of an earlier run of the same work, when its files are still in place. */
export async function reusedOutcome(
  found: StoredRecord,
  outDir: string,
): Promise<EvalOutcome | undefined> {
  const r = found.record as Record<string, unknown> & { shard?: Shard };
  const exists = async (path: unknown) =>
    typeof path === "string" && (await statOrUndefined(path))?.isFile === true;
  const base = {
    task: r.task as string,
    split: r.split as Split,
    examples: r.examples as number,
    recordPath: found.path,
    seconds: r.seconds as number,
    reused: true,
  };
  if (r.shard) {
    const logitsPath = join(dirname(found.path), r.logits as string);
    if (!(await exists(logitsPath))) return undefined;
    return { ...base, outDir, predictionsPath: "", shard: { ...r.shard, logitsPath } };
  }
  if (r.outDir !== outDir || !r.filesSha256) return undefined;
  // Missing, or replaced by another run with the same output directory (say, without --limit).
  const files = resultFiles(r.predictions as string, r.naProbs as string | null);
  if ((await filesSha256(files)) !== r.filesSha256) return undefined;
  return {
    ...base,
    metrics: (r.metrics ?? undefined) as Metrics | undefined,
    metricsCi: (r.metricsCi ?? undefined) as Record<string, Interval> | undefined,
    outDir,
    predictionsPath: r.predictions as string,
    naProbsPath: (r.naProbs ?? undefined) as string | undefined,
  };
}
