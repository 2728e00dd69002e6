/**
 * Join the shard records of a split `bench` (`--shard i/n`) into one record:
 * each model or GEMM shape comes from the shard that owned it, with the
 * speed-up measured in that shard against its own run of the reference.
 */
import type { RunRecord, StoredRecord } from "../runtime/records.ts";
import { inShard } from "../runtime/shard.ts";
import { gemmUnit } from "./suites.ts";

/** The merged bench record of complete shard records (in shard order). */
export function mergeBenchShards(shards: StoredRecord[]): RunRecord {
  const first = shards[0].record;
  const units = first.allUnits as string[];
  const rowsOf = (r: RunRecord) => (r.gemm ?? r.models) as { name?: string; m?: number }[];
  const unitOf = (row: { name?: string; m?: number; n?: number; k?: number }) =>
    row.name ?? gemmUnit(row as { m: number; n: number; k: number });
  const rows = units.map((unit, j) => {
    const owner = shards.find(({ record }) => inShard(j, record.shard));
    const row = owner && rowsOf(owner.record).find((r) => unitOf(r) === unit);
    if (!row) throw new Error(`No shard record holds "${unit}" (shard ${j % shards.length + 1})`);
    return row;
  });
  const { shard: _shard, reusedUnits: _reused, createdAt: _created, ...rest } = first;
  return {
    ...rest,
    ...(first.gemm ? { gemm: rows } : { models: rows }),
    mergedFrom: shards.map((s) => s.path),
  };
}
