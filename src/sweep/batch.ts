// Batches of runs (runner.ts): one pool task carries several runs, and the worker
// reports each run's outcome on a MessagePort as soon as it finishes (worker.ts).
//
// Why batches: with one run per task, every run paid a piscina task round trip (an
// AbortController, a timer, the task message and its reply) and the worker sat idle
// from posting one result until the main thread had handed it the next run. On small
// runs (a few ms each) that was a large share of the time, and on a 2-core machine the
// main thread's share is taken from a worker. A batch pays that once; the worker goes
// straight from one run to the next.
//
// What stays per run: the line is written as each run finishes (the port), the timeout
// clock starts when the worker begins each run (so it times the run in progress, not the
// batch, nor the worker's start-up), and
// when the task ends early — the worker crashed, hung or was stopped — the runs reported
// so far are kept, the run at `reported` is the one that was in progress, and the runs
// after it never started.

import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import type { SweepPool } from "./pool.js";
import type { RunReport, RunTask } from "./worker.js";

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** A run's outcome as the worker reports it (the begin notice aside). */
export type RunOutcome = Exclude<RunReport, { begin: true }>;

/**
 * The per-run timeout's clock. The real one uses timers; tests inject one whose time is
 * virtual, so that no test depends on how fast the machine is (a loaded CI machine once
 * failed a run whose real time exceeded a test's timeout).
 */
export interface RunClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `expire` after `ms` unless the returned cancel is called first; `run` is the run timed. */
  arm(ms: number, run: RunTask, expire: () => void): () => void;
}

export const REAL_CLOCK: RunClock = {
  now: () => performance.now(),
  arm: (ms, _run, expire) => {
    const timer = setTimeout(expire, ms);
    return () => clearTimeout(timer);
  },
};

export interface BatchOutcome {
  /** Runs whose outcome arrived: runs[0..reported-1]. */
  reported: number;
  /**
   * Runs the worker took on: runs[0..taken-1]. The runs after them (sent as an extension
   * the worker had not taken when it ended, or after the run in progress when it died)
   * never started: the runner sends them again without using up an attempt.
   */
  taken: number;
  /** Why the task ended before its last run reported (crash, timeout, stop); undefined when it completed. */
  error: unknown;
  /** A run had begun and not reported when the task ended: runs[reported]. */
  inProgress: boolean;
  /** Time the run in progress had been running when the task ended, ms (0 if none had begun). */
  inProgressMs: number;
}

export interface InFlightBatch {
  abort(reason: unknown): void;
  /** Settles after every report that arrived has gone through `onReport`. */
  done: Promise<BatchOutcome>;
}

/**
 * Starts a task for `runs` (which it then owns: an extension is appended to it).
 * `extend`, if given, is asked for more runs when the worker begins the second-to-last
 * run it has: they go to the worker on the task's port while it still has a run to do,
 * so it goes on to them without waiting for the main thread (worker.ts). An empty answer
 * lets the task end.
 */
export function startBatch(pool: SweepPool, runs: RunTask[], timeoutMs: number, onReport: (outcome: RunOutcome) => void, clock: RunClock = REAL_CLOCK, extend?: () => RunTask[]): InFlightBatch {
  const { port1, port2 } = new MessageChannel();
  const controller = new AbortController();
  let reported = 0;
  /** clock.now() when the run in progress began; undefined between runs and before the first. */
  let runBeganMs: number | undefined;
  let cancelTimer = (): void => {};
  /** runs.length when `extend` was last asked: once per length. */
  let extendedAt = 0;
  let ended = false;
  const begin = (k: number): void => {
    // The timeout times the run from the worker's word that it begins it: a worker
    // that is still starting (a replacement after a crash or a timeout loads its
    // modules and compiles its wasm) is never charged to a run, and a worker is never
    // terminated while it loads its modules (Node aborts the whole process then).
    runBeganMs = clock.now();
    cancelTimer = clock.arm(timeoutMs, runs[k]!, () => controller.abort(new TimeoutError(`timed out after ${timeoutMs} ms`)));
    if (extend !== undefined && !ended && k >= runs.length - 2 && extendedAt !== runs.length) {
      extendedAt = runs.length;
      const more = extend();
      if (more.length > 0) {
        runs.push(...more);
        port1.postMessage(more);
      }
    }
  };
  const take = (report: RunReport): void => {
    cancelTimer();
    if ("begin" in report) return begin(report.k);
    reported++;
    runBeganMs = undefined;
    cancelTimer = () => {};
    // A run's outcome also says whether the worker went on to the next run (worker.ts).
    if (report.next) begin(report.k + 1);
    onReport(report);
  };
  port1.on("message", take);
  const done = pool.run({ runs, port: port2 }, { signal: controller.signal, transferList: [port2] }).then(
    (taken) => ({ taken, error: undefined as unknown }),
    (err: unknown) => ({ taken: undefined, error: controller.signal.aborted ? controller.signal.reason : err }),
  );
  return {
    abort: (reason) => controller.abort(reason),
    done: done.then(({ taken, error }) => {
      // The task's reply and the port are separate channels: reports the worker posted
      // before it finished or died may not have been delivered yet. They are already in
      // this port's queue, so take them now, before deciding which run was in progress.
      ended = true;
      try {
        for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) take(m.message as RunReport);
      } finally {
        cancelTimer();
        port1.close();
      }
      const inProgress = runBeganMs !== undefined;
      const inProgressMs = runBeganMs === undefined ? 0 : clock.now() - runBeganMs;
      if (taken !== undefined && reported >= taken) return { reported, taken, error: undefined, inProgress: false, inProgressMs: 0 };
      return { reported, taken: reported + (inProgress ? 1 : 0), error: error ?? new Error("the worker ended the batch early"), inProgress, inProgressMs };
    }),
  };
}

/** Aim for tasks of about this long: long enough that the per-task cost is noise, short enough to share the last runs out evenly. */
export const BATCH_TARGET_MS = 100;
export const MAX_BATCH = 64;

/**
 * Runs per task, from the runs' mean wall time so far: about BATCH_TARGET_MS of work,
 * and never more than a quarter of a worker's fair share of what is left, so the sweep
 * does not end with one worker on a long batch while the others wait. One run per task
 * until a run has been timed.
 */
export class BatchSizer {
  private meanMs = 0;
  private timed = 0;

  constructor(
    private readonly workers: number,
    /** A fixed size instead (tests). */
    private readonly fixed?: number,
  ) {}

  observe(wallMs: number): void {
    // A running mean over the last ~20 runs: the first runs (cold JIT) are several times
    // slower than the rest, and a grid's run times can drift along its axes.
    this.timed++;
    this.meanMs += (wallMs - this.meanMs) / Math.min(this.timed, 20);
  }

  size(remaining: number): number {
    if (this.fixed !== undefined) return this.fixed;
    if (this.timed === 0 || this.meanMs <= 0) return 1;
    const byTime = Math.floor(BATCH_TARGET_MS / this.meanMs);
    const fair = Math.ceil(remaining / (4 * this.workers));
    return Math.max(1, Math.min(byTime, fair, MAX_BATCH));
  }
}

/**
 * How many fresh runs to take from pending[from..count) for a task sized `n`: n, or up
 * to `cap` when that ends the task where a parameter combination ends (pending holds
 * grid indices, `seeds` runs per combination, a combination's runs consecutive).
 *
 * Why: a worker keeps the last combination's validated scenario (RunConfigMemo,
 * scenario-of-run.ts), so a combination cut between two tasks is validated by both
 * workers: with 20 seeds a combination and tasks of ~10 runs, each of two workers
 * validated nearly every combination. Ending tasks at combination ends gives each
 * combination to one worker. When the end is further than `cap` (many seeds), the task
 * stays at n.
 */
export function alignedTake(pending: Uint32Array, from: number, count: number, n: number, cap: number, seeds: number): number {
  if (from + n >= count) return count - from;
  const last = Math.floor(pending[from + n - 1]! / seeds);
  let end = from + n;
  while (end < count && end - from < cap && Math.floor(pending[end]! / seeds) === last) end++;
  return end === count || Math.floor(pending[end]! / seeds) !== last ? end - from : n;
}

/**
 * The most runs alignedTake may give a task sized `n`: three times n, but never more
 * than half of a worker's fair share of what is left, so that the sweep's last runs are
 * still shared out evenly.
 */
export function alignCap(n: number, remaining: number, workers: number): number {
  return Math.max(n, Math.min(3 * n, Math.ceil(remaining / (2 * workers))));
}
