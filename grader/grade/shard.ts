// A class bigger than one machine: `dlgrade grade --shard i/n` grades the
// submissions whose id hashes to i (mod n), and `dlgrade merge` puts the n
// shards' out folders back together.
//
// Indices are 0-based (0 ≤ i < n), like a GitHub Actions matrix index and a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX, so either can be passed as it is.
// A student's shard depends on their id alone (sha256 of the id), never on
// who else is in the class: adding a late submission moves nobody.
import { createHash } from 'node:crypto';
import type { Limits } from '../spec/types.ts';

export interface Shard {
  /** 0-based: 0 ≤ index < count. */
  index: number;
  count: number;
}

/** What a sharded run records in summary.shard: which slice, out of how big a class, under which conditions. */
export interface ShardRecord extends Shard {
  /** Submissions discovered in the whole class (before keeping this shard's). */
  classTotal: number;
  /**
   * The conditions the shard was graded under, also for a shard that holds no submission
   * (each result records them too): merge refuses shards whose conditions differ.
   */
  conditions: { limits: Limits; drawId: string; graderHash: string };
}

/** Parses "i/n" (0-based i); throws an Error whose message is meant for the user. */
export function parseShard(raw: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  const how = 'expected i/n with 0 ≤ i < n, counted from 0 (e.g. --shard 0/3, --shard 1/3, --shard 2/3)';
  if (!m) throw new Error(`--shard must be two whole numbers, i/n, got "${raw}"; ${how}`);
  const index = Number(m[1]), count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1) throw new Error(`--shard ${raw}: the number of shards must be at least 1; ${how}`);
  if (index >= count) throw new Error(`--shard ${raw}: shard indices count from 0, so the last of ${count} is ${count - 1}/${count}; ${how}`);
  return { index, count };
}

/** The shard (0-based) a submission id belongs to when the class is cut into `count` shards. */
export function shardOf(id: string, count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  // 48 bits of sha256: uniform enough for any class, exact in a double, the same on every machine.
  return createHash('sha256').update(id, 'utf8').digest().readUIntBE(0, 6) % count;
}

/** The submissions (in their order) that belong to `shard`. */
export function inShard<T extends { id: string }>(submissions: T[], shard: Shard): T[] {
  return submissions.filter((s) => shardOf(s.id, shard.count) === shard.index);
}
