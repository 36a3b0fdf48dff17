// Shards (issue #5 §4): `--shard i/n`, 0-based — shard i of n runs the grid runs whose
// index % n == i. 0-based because cluster schedulers number that way:
// Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX to 0..completions-1 and a Slurm
// `--array=0-3` sets SLURM_ARRAY_TASK_ID to 0..3, so `--shard $JOB_COMPLETION_INDEX/4`
// works as is. Round-robin (rather than contiguous blocks) spreads slow corners of the
// grid — large vCPU counts, long durations — evenly over the shards.

import { InputRangeError } from "../errors.js";

export interface Shard {
  /** 0-based shard number, 0 ≤ index < count. */
  index: number;
  count: number;
}

export const WHOLE_GRID: Shard = { index: 0, count: 1 };

const SHARD = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;
const MAX_SHARDS = 1_000_000;

export function parseShard(text: string): Shard {
  const m = SHARD.exec(text);
  const allowed = `i/n with 0 <= i < n <= ${MAX_SHARDS.toLocaleString("en-US")}, 0-based (e.g. --shard 0/4 … --shard 3/4, or --shard $JOB_COMPLETION_INDEX/4)`;
  if (!m) throw new InputRangeError("--shard", text, allowed);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS || index >= count) throw new InputRangeError("--shard", text, allowed);
  return { index, count };
}

/** The grid indices of a shard's runs, in order: every count-th from its index. */
export function* shardIndices(size: number, shard: Shard): Generator<number> {
  for (let i = shard.index; i < size; i += shard.count) yield i;
}

/** Runs of a grid of `size` in the shard. */
export function shardSize(size: number, shard: Shard): number {
  return size > shard.index ? Math.floor((size - 1 - shard.index) / shard.count) + 1 : 0;
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
