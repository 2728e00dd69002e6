/**
 * Sharded runs: `--shard i/n` (1-based, as in Jest and Playwright) gives job i
 * of n every n-th unit of work, so n jobs on a scheduler (a CI matrix, a
 * Kubernetes Indexed Job) split a run deterministically and `merge` can join
 * their records into the run one job would have made.
 */
import type { Shard } from "./records.ts";

/** Parse `i/n` with 1 ≤ i ≤ n; throws a message naming the flag otherwise. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new Error(`Flag "--shard" must be i/n with 1 ≤ i ≤ n (e.g. 2/3), got "${text}"`);
  }
  return { index, count };
}

/** Whether unit `position` (0-based, in the run's fixed order) belongs to `shard`. */
export function inShard(position: number, shard: Shard | undefined): boolean {
  return shard === undefined || position % shard.count === shard.index - 1;
}

/** `-shard<i>of<n>` for the names of a shard's files; empty without a shard. */
export function shardSuffix(shard: Shard | undefined): string {
  return shard ? `-shard${shard.index}of${shard.count}` : "";
}

/** `i/n`, as the flag spells it. */
export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
