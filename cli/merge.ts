/** `deno task harness merge`: join the shard records of split `eval` and `bench` runs. */
import { dirname } from "node:path";
import { outputDirFlag, parseCommandLine, UsageError } from "./flags.ts";
import { listRecords, readRecord, type StoredRecord, writeRecord } from "../runtime/records.ts";
import { shardLabel } from "../runtime/shard.ts";

const HELP = `Usage: deno task harness merge [flags] RECORD|DIR...

Join the records of a run split with --shard i/n (eval or bench) into the run
one job would have made. Give the shard records, or directories holding them
(every shard record directly inside is taken; records that are not shards are
ignored). Each run's shards 1..n must all be there. An eval's logits files
must sit beside their records, and its model and data must be reachable at the
paths the shards used.

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
  const merged: { kind: string; path: string; shards: number; metrics?: unknown }[] = [];
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
      });
    } else {
      const { mergeBenchShards } = await import("../benchmarks/merge.ts");
      const dir = records ?? dirname(shards[0].path);
      const path = await writeRecord(mergeBenchShards(shards), { dir });
      merged.push({ kind, path, shards: shards.length });
    }
  }
  if (flags.json) console.log(JSON.stringify(merged, null, 2));
  else {
    for (const m of merged) {
      console.log(`${m.kind}: merged ${m.shards} shards into ${m.path}`);
      if (m.metrics) console.log(JSON.stringify(m.metrics));
    }
  }
  return 0;
}

/** Shard records from files and directories (each read once). */
async function readInputs(inputs: string[]): Promise<StoredRecord[]> {
  const seen = new Map<string, StoredRecord>();
  for (const input of inputs) {
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(input);
    } catch {
      throw new Error(`Cannot merge "${input}": no such file or directory`);
    }
    const found = stat.isDirectory
      ? await listRecords(input)
      : [{ path: input, record: await readRecord(input) }];
    for (const r of found) if (r.record.shard) seen.set(r.path, r);
  }
  return [...seen.values()];
}

/** Shards grouped by run (kind and work key), each group complete and in shard order. */
function groupShards(records: StoredRecord[]): StoredRecord[][] {
  const groups = new Map<string, StoredRecord[]>();
  for (const r of records) {
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
    const byIndex: StoredRecord[] = [];
    for (const r of group) {
      const shard = r.record.shard!;
      if (shard.count !== count) {
        throw new Error(
          `Cannot merge ${r.path}: shard ${shardLabel(shard)} of a run split ${count} ways`,
        );
      }
      const other = byIndex[shard.index - 1];
      // A shard rerun (e.g. with --force) leaves two records; the newer one counts.
      if (!other || String(r.record.createdAt) > String(other.record.createdAt)) {
        byIndex[shard.index - 1] = r;
      }
    }
    const missing = [...Array(count).keys()].filter((i) => !byIndex[i]).map((i) => i + 1);
    if (missing.length > 0) {
      const r = group[0].record;
      throw new Error(
        `Cannot merge ${r.kind} ${r.model ?? r.suite} ${r.task ?? ""}: shard(s) ${
          missing.map((i) => `${i}/${count}`).join(", ")
        } missing (have ${group.map((g) => g.path).join(", ")})`,
      );
    }
    return byIndex;
  });
}
