/** `deno task harness merge`: join the shard records of split `eval` and `bench` runs. */
import { dirname, join, resolve } from "node:path";
import { outputDirFlag, parseCommandLine, UsageError } from "./flags.ts";
import {
  listRecords,
  readRecord,
  type RunRecord,
  type StoredRecord,
  writeRecord,
} from "../runtime/records.ts";
import { shardLabel } from "../runtime/shard.ts";
import { checkRecord, isShardRecord } from "../report/validate.ts";

const HELP = `Usage: deno task harness merge [flags] RECORD|DIR...

Join the records of a run split with --shard i/n (eval or bench) into the run
one job would have made. Give the shard records, or directories holding them.
In a directory every shard record directly inside is taken, records of whole
runs are ignored, and a .json file that is not a run record is skipped with a
warning; a file named on the command line must be a run record. A shard record
whose fields (or, for eval, logits file) are damaged is an error naming the
file. Each run's shards 1..n must all be there; a shard run twice (--force)
counts once, the newer record, with a warning. An eval's logits files must sit
beside their records, and its model and data must be reachable at the paths
the shards used; it prints its metrics and where the merged predictions,
metrics.json (the shards' --out directory) and run record went, as eval does.

Flags:
  --records DIR   Where merged records go (default: the shards' own directory)
  --json          Print the merged records' paths and outcomes as JSON
  -h, --help`;

/** Parse `merge` arguments and merge every complete group of shards. */
export async function mergeCommand(args: string[]): Promise<number> {
  const { values: flags, positionals } = parseCommandLine("merge", args, {
    records: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError(`merge needs shard records or directories (see --help)`);
  }
  const records = outputDirFlag("records", flags.records);
  const groups = groupShards(await readInputs(positionals));
  if (groups.length === 0) throw new Error(`No shard records in ${positionals.join(", ")}`);
  const merged: MergedRun[] = [];
  for (const shards of groups) {
    const { kind } = shards[0].record;
    if (kind === "eval") {
      const { mergeEvalShards } = await import("../evaluate/merge.ts");
      const outcome = await mergeEvalShards(shards, {
        silent: flags.json ?? false,
        recordsDir: records,
      });
      merged.push({
        kind,
        path: outcome.recordPath,
        shards: shards.length,
        metrics: outcome.metrics,
        predictionsPath: outcome.predictionsPath,
        naProbsPath: outcome.naProbsPath,
        metricsPath: outcome.metrics ? join(outcome.outDir, "metrics.json") : undefined,
      });
      if (!flags.json) {
        // As `eval` prints a run: the metrics table, then where each file went.
        console.error(`eval: merged ${shards.length} shards`);
        const { printOutcome } = await import("./eval.ts");
        printOutcome(outcome);
        if (outcome.metrics) console.error(`metrics: ${merged.at(-1)!.metricsPath}`);
      }
    } else {
      const { mergeBenchShards } = await import("../benchmarks/merge.ts");
      const dir = records ?? dirname(shards[0].path);
      const path = await writeRecord(mergeBenchShards(shards), { dir });
      merged.push({ kind, path, shards: shards.length });
      if (!flags.json) console.error(`bench: merged ${shards.length} shards into ${path}`);
    }
  }
  if (flags.json) console.log(JSON.stringify(merged, null, 2));
  return 0;
}

/** One merged run, as `--json` prints it. */
interface MergedRun {
  kind: string;
  /** The merged run record. */
  path: string;
  shards: number;
  metrics?: unknown;
  predictionsPath?: string;
  naProbsPath?: string;
  metricsPath?: string;
}

/**
 * Shard records from files and directories (each file taken once, however it
 * is named). In a directory a file that is not a run record is skipped with
 * a warning; a file named on the command line must be one.
 */
async function readInputs(inputs: string[]): Promise<StoredRecord[]> {
  const seen = new Map<string, StoredRecord>();
  for (const input of inputs) {
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(input);
    } catch {
      throw new Error(`Cannot merge "${input}": no such file or directory`);
    }
    if (!stat.isDirectory) {
      const record = await readRecord(input);
      if (isShardRecord(record)) seen.set(resolve(input), { path: input, record });
      else console.error(`warning: ${input} is not a shard record (it has no "shard"); skipped`);
      continue;
    }
    const stored = await listRecords(input, {
      onUnreadable: (error) => console.error(`warning: ${error.message}; skipped`),
    });
    for (const r of stored) if (isShardRecord(r.record)) seen.set(resolve(r.path), r);
  }
  return [...seen.values()];
}

/** How messages name a run: its kind, model or suite, and task. */
function runName(record: RunRecord): string {
  const parts = [record.kind, record.model ?? record.suite, record.task];
  return parts.filter((p) => typeof p === "string" && p !== "").join(" ");
}

/**
 * Shards grouped by run (kind and work key), each group complete and in shard
 * order; every field a shard's merge reads (its `shard` included) checked first.
 */
function groupShards(records: StoredRecord[]): StoredRecord[][] {
  const groups = new Map<string, StoredRecord[]>();
  for (const r of records) {
    checkRecord(r.path, r.record);
    const { kind, workKey } = r.record;
    if (kind !== "eval" && kind !== "bench") {
      throw new Error(`Cannot merge ${r.path}: only eval and bench shards merge, not "${kind}"`);
    }
    if (typeof workKey !== "string") throw new Error(`Cannot merge ${r.path}: it has no workKey`);
    const key = `${kind} ${workKey}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const count = group[0].record.shard!.count;
    const byIndex: StoredRecord[][] = [...Array(count)].map(() => []);
    for (const r of group) {
      const shard = r.record.shard!;
      if (shard.count !== count) {
        throw new Error(
          `Cannot merge ${r.path}: shard ${shardLabel(shard)} of a run split ${count} ways ` +
            `(as ${group[0].path} is)`,
        );
      }
      byIndex[shard.index - 1].push(r);
    }
    const label = (i: number) => `${i + 1}/${count}`;
    // A shard run twice (e.g. again with --force) leaves two records.
    const twice = byIndex.flatMap((rs, i) =>
      rs.length > 1
        ? [{ shard: `shard ${label(i)}`, times: `appears ${rs.length} times (${paths(rs)})`, rs }]
        : []
    );
    const missing = byIndex.flatMap((rs, i) => rs.length === 0 ? [label(i)] : []);
    if (missing.length > 0) {
      const repeated = twice.map((t) => `${t.shard} ${t.times}`);
      throw new Error(
        `Cannot merge ${runName(group[0].record)}: shard(s) ${missing.join(", ")} missing` +
          (repeated.length > 0 ? `; ${repeated.join("; ")}` : ` (have ${paths(group)})`),
      );
    }
    // Of a shard run twice, the newer record counts.
    const newest = (rs: StoredRecord[]) =>
      rs.reduce((a, b) => String(b.record.createdAt) > String(a.record.createdAt) ? b : a);
    for (const t of twice) {
      const used = newest(t.rs);
      console.error(
        `warning: ${t.shard} of ${runName(used.record)} ${t.times}; using the newest, ${used.path}`,
      );
    }
    return byIndex.map(newest);
  });
}

const paths = (records: StoredRecord[]) => records.map((r) => r.path).join(", ");
