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

/** A shard's measured rows and their unit names, or an error naming the file. */
function shardRows({ path, record }: StoredRecord): { rows: Row[]; units: string[] } {
  const field = record.gemm !== undefined ? "gemm" : "models";
  const rows = record[field];
  const fail = (problem: string): never => {
    throw new Error(`Cannot merge ${path}: ${problem}`);
  };
  if (!Array.isArray(rows) || !rows.every((r) => typeof r === "object" && r !== null)) {
    fail(`its "${field}" is not a list of measured ${field === "gemm" ? "shapes" : "models"}`);
  }
  const units = (rows as Row[]).map((row, i) => {
    if (field === "models") {
      if (typeof row.name !== "string") fail(`its models[${i}] has no "name"`);
      return row.name as string;
    }
    const { m, n, k } = row;
    if (![m, n, k].every((x) => Number.isInteger(x) && (x as number) > 0)) {
      fail(`its gemm[${i}] lacks a positive integer "m", "n" or "k"`);
    }
    return gemmUnit({ m: m as number, n: n as number, k: k as number });
  });
  return { rows: rows as Row[], units };
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

/** The merged bench record of complete shard records (in shard order). */
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
