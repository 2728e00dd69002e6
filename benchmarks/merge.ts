/**
 * Join the shard records of a split `bench` (`--shard i/n`) into one record:
 * each model or GEMM shape comes from the shard that owned it, with the
 * speed-up measured in that shard against its own run of the reference.
 * The merged record is the first shard's but for its rows, so every shard
 * must describe the same run (suite, shapes, dtype, ...): one that does not
 * is refused, naming both files.
 */
import { canonicalJson } from "../runtime/fingerprint.ts";
import type { RunRecord, StoredRecord } from "../runtime/records.ts";
import { inShard, shardLabel } from "../runtime/shard.ts";
import { gemmUnit } from "./suites.ts";

/** Fields that differ from shard to shard; every other field describes the run. */
const PER_SHARD = new Set(["shard", "createdAt", "reusedUnits", "models", "gemm"]);

type Row = { name?: unknown; m?: unknown; n?: unknown; k?: unknown; [field: string]: unknown };

/** A shard's measured rows (GEMM shapes or models) and their unit names. */
function shardRows({ record }: StoredRecord): { rows: Row[]; units: string[] } {
  const gemm = record.gemm !== undefined;
  const rows = (gemm ? record.gemm : record.models) as Row[];
  const unit = (row: Row) => gemm ? gemmUnit(row as Parameters<typeof gemmUnit>[0]) : row.name;
  return { rows, units: rows.map((row) => unit(row) as string) };
}

/** The run's units in order, from a shard record's `allUnits`. */
function allUnits({ path, record }: StoredRecord): string[] {
  const units = record.allUnits;
  if (!Array.isArray(units) || !units.every((u) => typeof u === "string")) {
    throw new Error(`Cannot merge ${path}: its "allUnits" is not a list of model or shape names`);
  }
  return units;
}

/** Throw unless `other` describes the same run as `first`, naming the first field that differs. */
function assertSameRun(first: StoredRecord, other: StoredRecord): void {
  const fields = new Set([...Object.keys(first.record), ...Object.keys(other.record)]);
  for (const field of [...fields].filter((f) => !PER_SHARD.has(f)).sort()) {
    const a = canonicalJson(first.record[field] ?? null);
    const b = canonicalJson(other.record[field] ?? null);
    if (a !== b) {
      const shown = (json: string) => json.length > 60 ? `${json.slice(0, 57)}...` : json;
      throw new Error(
        `Cannot merge ${first.path} with ${other.path}: they are shards of different runs ` +
          `("${field}" is ${shown(a)} in one, ${shown(b)} in the other)`,
      );
    }
  }
}

/**
 * The merged bench record of complete shard records (in shard order), each
 * checked first (`checkRecord` of `report/validate.ts`, as `merge` does).
 */
export function mergeBenchShards(shards: StoredRecord[]): RunRecord {
  const first = shards[0].record;
  const units = allUnits(shards[0]);
  const held = shards.map(shardRows);
  for (const other of shards.slice(1)) assertSameRun(shards[0], other);
  // Batch and sequence length live on each model's row: all rows must share them.
  const shape = (row: Row) => `batch ${row.batch ?? "-"}, sequence ${row.seqLen ?? "-"}`;
  const all = held.flatMap(({ rows }, s) => rows.map((row) => ({ row, path: shards[s].path })));
  const odd = all.find(({ row }) => shape(row) !== shape(all[0].row));
  if (odd) {
    const files = odd.path === all[0].path ? odd.path : `${all[0].path} with ${odd.path}`;
    throw new Error(
      `Cannot merge ${files}: models timed at different shapes ` +
        `(${shape(all[0].row)}; ${shape(odd.row)})`,
    );
  }
  const rows = units.map((unit, j) => {
    const s = shards.findIndex(({ record }) => inShard(j, record.shard));
    const i = held[s].units.indexOf(unit);
    if (i < 0) {
      throw new Error(
        `Cannot merge ${shards[s].path}: shard ${shardLabel(shards[s].record.shard!)} ` +
          `owns "${unit}" but holds no row for it`,
      );
    }
    return held[s].rows[i];
  });
  const { shard: _shard, reusedUnits: _reused, createdAt: _created, ...rest } = first;
  return {
    ...rest,
    ...(first.gemm ? { gemm: rows } : { models: rows }),
    mergedFrom: shards.map((s) => s.path),
  };
}
