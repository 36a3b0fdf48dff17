// A forced GC before a timed run, and the wait for V8's background threads to go quiet
// after it (bench/README.md, "Background threads").
//
// Why: `gc()` is a full mark-compact. V8 sweeps the freed pages on its worker threads for
// a few ms after `gc()` returns (measured on this machine: 0.2–6 ms of worker-thread CPU
// in the 5 ms after it, none after 10 ms). A bench pinned to one CPU (taskset) shares that
// CPU with those threads, so a run timed straight after `gc()` is charged for the sweep: it
// was the whole of the native-model bench's gap between wall and main-thread CPU time
// (20–35 ns per interrupt, ~8 % at 1,024 vCPUs). A user's `tscsim run` has no forced GC
// (its loop allocates nothing), so the sweep is the bench's own cost, not the engine's.

import { readdirSync, readFileSync } from "node:fs";

const SELF = String(process.pid);
let taskClock = true;

/**
 * CPU time of this process's threads other than the main one so far, ms (the scheduler's
 * run time, /proc/self/task/<tid>/schedstat); null where there is no such file.
 */
export function backgroundCpuMs(): number | null {
  if (!taskClock) return null;
  let sumNs = 0;
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      if (tid === SELF) continue;
      try {
        sumNs += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    taskClock = false;
    return null;
  }
  return sumNs / 1e6;
}

const POLL_MS = 2;
/** Background CPU below this per poll counts as quiet. */
const QUIET_MS = 0.02;
/** Quiet polls in a row before a timed run may start. */
const QUIET_POLLS = 3;
/** Never wait longer than this (a thread busy for another reason does not stall the bench). */
const MAX_WAIT_MS = 500;

/**
 * `gc()` (when exposed), then wait until the background threads have used (almost) no CPU
 * for QUIET_POLLS polls in a row, at most MAX_WAIT_MS. Returns the ms waited, or null
 * without a per-thread clock (then it waits one fixed MAX_WAIT_MS / 10).
 */
export async function gcAndSettle(gc: (() => void) | undefined): Promise<number | null> {
  gc?.();
  const t0 = performance.now();
  const first = backgroundCpuMs();
  if (first === null) {
    await sleep(MAX_WAIT_MS / 10);
    return null;
  }
  let last: number = first;
  let quiet = 0;
  while (quiet < QUIET_POLLS && performance.now() - t0 < MAX_WAIT_MS) {
    await sleep(POLL_MS);
    const now: number = backgroundCpuMs() ?? last;
    quiet = now - last < QUIET_MS ? quiet + 1 : 0;
    last = now;
  }
  return performance.now() - t0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
