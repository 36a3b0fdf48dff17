// What a results file already holds when a sweep starts (runner.ts): each run's status by
// id, with --resume; an existing file without --resume is refused; unreadable lines are
// refused or, with --repair, moved aside; a torn last line (a process killed mid-write)
// is cut off. Read before the first run, under the results file's lock. pendingRuns then
// says which runs of the shard are left to do.

import { existsSync, statSync } from "node:fs";
import { InputUnusableError } from "../errors.js";
import type { Grid } from "./grid.js";
import { moveLinesAside, scanResults, repairTornTail, STDOUT, type BadLine, type ScanResults, type TornTail } from "./results-file.js";
import { shardIndices, shardSize, type Shard } from "./shard.js";

/** Where --repair moves the unreadable lines of `out`. */
export function rejectedFileOf(out: string): string {
  return `${out}.rejected`;
}

/** Existing lines: id -> status ("ok" wins over "failed" when both are there). */
export function existingRuns(out: string, resume: boolean, repair: boolean, notice: (m: string) => void): { status: Map<string, "ok" | "failed">; torn: TornTail | null } {
  const status = new Map<string, "ok" | "failed">();
  if (out === STDOUT || !existsSync(out)) return { status, torn: null };
  const stat = statSync(out);
  if (!stat.isFile() || stat.size === 0) return { status, torn: null };
  if (!resume) {
    throw new InputUnusableError("--out", out, `already has results (${stat.size.toLocaleString("en-US")} bytes)`, "a new results file, or --resume to continue this one");
  }
  const bad: BadLine[] = [];
  const read = scanResults(
    out,
    (line) => {
      if (status.get(line.id) !== "ok") status.set(line.id, line.status);
    },
    (b) => {
      bad.push(b);
    },
    "--out",
  );
  if (bad.length > 0) {
    const first = bad[0]!;
    const which = bad.length === 1 ? `line ${first.lineNo} (at byte ${first.offset}) is ${first.reason}` : `${bad.length} lines are unreadable (the first, line ${first.lineNo} at byte ${first.offset}, is ${first.reason})`;
    const side = rejectedFileOf(out);
    if (!repair) {
      throw new InputUnusableError("--out", out, which, `complete result lines, one per run: add --repair to move unreadable lines to ${side} (kept as they are) and run their runs again`);
    }
    moveLinesAside(out, bad, side);
    notice(`${out}: ${which}; moved ${bad.length === 1 ? "it" : "them"} to ${side} (line${bad.length === 1 ? "" : "s"} ${bad.slice(0, 10).map((b) => b.lineNo).join(", ")}${bad.length > 10 ? ", …" : ""}); ${bad.length === 1 ? "its run is" : "their runs are"} run again`);
    // Offsets moved: the torn tail (if any) is found again in the repaired file.
    return finishRead(out, status, notice);
  }
  return finishTail(out, read, status, notice);
}

function finishRead(out: string, status: Map<string, "ok" | "failed">, notice: (m: string) => void): { status: Map<string, "ok" | "failed">; torn: TornTail | null } {
  status.clear();
  const read = scanResults(
    out,
    (line) => {
      if (status.get(line.id) !== "ok") status.set(line.id, line.status);
    },
    undefined,
    "--out",
  );
  return finishTail(out, read, status, notice);
}

function finishTail(out: string, read: ScanResults, status: Map<string, "ok" | "failed">, notice: (m: string) => void): { status: Map<string, "ok" | "failed">; torn: TornTail | null } {
  if (read.torn !== null) {
    notice(`${out}: ignored a torn last line (${read.torn.bytes} bytes at byte ${read.torn.offset}: ${read.torn.reason}), left by a process that was killed mid-write; cut it off`);
  }
  repairTornTail(out, read);
  return { status, torn: read.torn };
}

/** The runs of a shard a sweep still has to do, given what the results file holds (existingRuns). */
export interface PendingRuns {
  /** Grid indices of the runs to do, in grid order: pending[0..pendingCount). */
  pending: Uint32Array;
  pendingCount: number;
  /** Runs of the shard already in the file and not run again (ok, or failed without --retry-failed). */
  skipped: number;
  /** Of those, failed. */
  failed: number;
  /** Lines in the file whose id is not a run of this sweep and shard. */
  foreign: number;
}

export function pendingRuns(grid: Grid, shard: Shard, status: Map<string, "ok" | "failed">, retryFailed: boolean): PendingRuns {
  const pending = new Uint32Array(shardSize(grid.size, shard));
  let pendingCount = 0;
  let matched = 0;
  let skipped = 0;
  let failed = 0;
  for (const i of shardIndices(grid.size, shard)) {
    // A run's id (a hash) is only needed to look it up in an existing file; the runs
    // sent to the workers get theirs when they are sent.
    const s = status.size === 0 ? undefined : status.get(grid.runAt(i).id);
    if (s !== undefined) matched++;
    if (s === "ok" || (s === "failed" && !retryFailed)) {
      skipped++;
      if (s === "failed") failed++;
    } else {
      pending[pendingCount++] = i;
    }
  }
  return { pending, pendingCount, skipped, failed, foreign: status.size - matched };
}
