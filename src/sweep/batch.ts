// Batches of runs (runner.ts): one pool task carries several runs, and the worker
// publishes each run's outcome in the task's outbox (outbox.ts) as soon as it finishes
// (worker.ts), waking this thread now and then to read them.
//
// Why batches: with one run per task, every run paid a piscina task round trip (an
// AbortController, a timer, the task message and its reply) and the worker sat idle
// from posting one result until the main thread had handed it the next run. On small
// runs (a few ms each) that was a large share of the time, and on a 2-core machine the
// main thread's share is taken from a worker. A batch pays that once; the worker goes
// straight from one run to the next.
//
// Why wake-ups every REPORT_WINDOW_MS rather than per run: each message costs this
// thread 70-120 us on this kind of VM (docs/performance.md); a wake-up now carries the
// outcomes of every run finished since the last (about five of the bench's ~10 ms runs).
//
// What stays per run: the line of each run is written in run order; the timeout times
// the run in progress (the outbox says which it is, from the worker's word that it
// begins it, so a worker's start-up is never charged to a run); and when the task ends
// early — the worker crashed, hung or was stopped — every run it finished is read from
// the outbox and kept, the run after them is the one that was in progress (if it had
// begun), and the runs after it never started.

import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { newOutbox, OutboxReader, type RunOutcome } from "./outbox.js";
import type { SweepPool } from "./pool.js";
import type { RunTask } from "./worker.js";

export type { RunOutcome } from "./outbox.js";

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * How long a worker lets finished runs wait before it wakes this thread, ms. Chosen with
 * bench/sweep-window.mjs (docs/performance.md): the wake-ups per run fall as the window
 * grows (1 at 0 ms; ~0.5 at 32 ms and ~0.3 at 64 ms with the bench's runs on one shared
 * CPU, ~20 ms each) and so does this thread's CPU. It was 50 ms; 100 ms (with tasks and
 * extensions of BATCH_TARGET_MS, twice the window, so that a wake-up by time carries the
 * next runs before the worker runs low) halves the wake-ups again (docs/performance.md,
 * "Fewer wake-ups still"): with both CPUs busy with workers, each wake-up is
 * taken from a worker. A finished line still waits far less than the once-a-second
 * fsync, and the ring (RING_BYTES, 512 KiB) holds a window of the bench's runs on a free CPU
 * (~10 lines of ~20 KB) two and a half times over.
 */
export const REPORT_WINDOW_MS = 100;

/** The watchdog looks at the run in progress this many times per timeout (see startBatch). */
export const TIMEOUT_CHECKS = 8;

/**
 * The main thread reads each batch's outbox at least this often, ms, whatever the worker
 * does: a line finished just before its worker began a long run (the worker cannot wake
 * the main thread during a run) waits at most this long, as long as the results file's
 * fsync interval.
 */
export const READ_EVERY_MS = 1000;

/**
 * The per-run timeout's clock. The real one uses timers; tests inject one whose time is
 * virtual, so that no test depends on how fast the machine is (a loaded CI machine once
 * failed a run whose real time exceeded a test's timeout).
 */
export interface RunClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /**
   * Calls `expire` after `ms` unless the returned cancel is called first. `current` says
   * which run is in progress now (undefined: none), for a virtual clock to decide
   * whether its time passes.
   */
  arm(ms: number, current: () => RunTask | undefined, expire: () => void): () => void;
}

export const REAL_CLOCK: RunClock = {
  now: () => performance.now(),
  arm: (ms, _current, expire) => {
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
  /** Takes every outcome the worker has published (they reach onReport), then ends the task. */
  abort(reason: unknown): void;
  /** Settles after every outcome the worker published has gone through `onReport`. */
  done: Promise<BatchOutcome>;
}

export interface BatchOptions extends OutboxTestOptions {
  /** The timeout's clock; default real timers. */
  clock?: RunClock;
  /**
   * Asked for more runs when fewer than the last lot (at least two) are left to begin:
   * they go to the worker on the task's port while it still has runs to do, so it goes on
   * to them without waiting for the main thread (worker.ts). An empty answer lets the task end.
   */
  extend?: () => RunTask[];
  /** The worker's wake-up window (REPORT_WINDOW_MS; 0: a wake-up per run). */
  windowMs?: number;
  /** Called after each group of outcomes handed to onReport (the lines' bytes are only valid until then). */
  flushed?: () => void;
}

/** Seams for tests on a batch's outbox (test/sweep-outbox-overflow.test.ts). */
export interface OutboxTestOptions {
  /** The ring's size, bytes (outbox.ts newOutbox; default RING_BYTES): a small one fills with a few outcomes. */
  ringBytes?: number;
  /** Shown each batch's outbox as it is made: a test watches the worker's side through it. */
  onOutbox?: (outbox: SharedArrayBuffer) => void;
}

/**
 * Starts a task for `runs` (which it then owns: an extension is appended to it).
 *
 * The per-run timeout: this thread looks at the outbox's run in progress at each wake-up
 * and TIMEOUT_CHECKS times per timeout besides, or every READ_EVERY_MS if that is more
 * often (one timer per batch, not one per run),
 * and ends the task when the same run has been in progress for timeoutMs since it first
 * saw it. A run seen in progress had begun before, so no run is killed before it has run
 * timeoutMs; it is seen at most timeoutMs / TIMEOUT_CHECKS after it began, so it is killed
 * at most that much later than timeoutMs (plus the timer's lateness on a loaded machine).
 */
export function startBatch(pool: SweepPool, runs: RunTask[], timeoutMs: number, onReport: (outcome: RunOutcome) => void, options: BatchOptions = {}): InFlightBatch {
  const { clock = REAL_CLOCK, extend, windowMs = REPORT_WINDOW_MS, flushed, ringBytes, onOutbox } = options;
  const { port1, port2 } = new MessageChannel();
  const outbox = newOutbox(ringBytes);
  onOutbox?.(outbox);
  const reader = new OutboxReader(outbox, port1);
  const controller = new AbortController();
  let reported = 0;
  /** runs.length when `extend` was last asked: once per length. */
  let extendedAt = 0;
  /** How many runs the task started with, then the last extension's. */
  let lastLot = runs.length;
  let ended = false;
  /** The run in progress as this thread last saw it: `begun` (runs begun then) and when it was first seen. */
  let watched: { begun: number; sinceMs: number } | undefined;
  let cancelTick = (): void => {};
  const tickMs = Math.min(timeoutMs / TIMEOUT_CHECKS, READ_EVERY_MS);

  const take = (outcome: RunOutcome): void => {
    reported++;
    onReport(outcome);
  };
  /** Reads the outbox: outcomes to onReport in order, the run in progress to the watchdog, more runs when low. */
  const observe = (): void => {
    reader.drain(take, flushed);
    const { begun, finished } = reader.position();
    if (begun <= finished) watched = undefined;
    else if (watched?.begun !== begun) watched = { begun, sinceMs: clock.now() };
    // More runs once fewer than the last lot are left to begin: they ride on a wake-up by
    // time, before the worker has to ask (when down to two).
    if (extend !== undefined && !ended && runs.length - begun <= Math.max(2, lastLot) && extendedAt !== runs.length) {
      extendedAt = runs.length;
      const more = extend();
      lastLot = more.length;
      if (more.length > 0) {
        runs.push(...more);
        port1.postMessage(more);
      }
    }
  };
  const current = (): RunTask | undefined => {
    const { begun, finished } = reader.position();
    return begun > finished ? runs[begun - 1] : undefined;
  };
  const arm = (): void => {
    const ms = watched === undefined ? tickMs : Math.min(tickMs, watched.sinceMs + timeoutMs - clock.now());
    cancelTick = clock.arm(ms, current, tick);
  };
  const tick = (): void => {
    if (ended) return;
    observe();
    if (watched !== undefined && clock.now() - watched.sinceMs >= timeoutMs) {
      controller.abort(new TimeoutError(`timed out after ${timeoutMs} ms`));
      return;
    }
    arm();
  };
  port1.on("message", (m: unknown) => {
    reader.message(m);
    observe();
  });
  arm();
  // The task gets a copy of the runs: piscina clones a task only when a worker takes it,
  // and a task queued meanwhile (its worker replaced after a crash, still starting) would
  // otherwise carry the runs `extend` adds to `runs` as well as the port's message of
  // them, and the worker would run them twice (each line written twice).
  const done = pool.run({ runs: runs.slice(), port: port2, outbox, windowMs }, { signal: controller.signal, transferList: [port2] }).then(
    (taken) => ({ taken, error: undefined as unknown }),
    (err: unknown) => ({ taken: undefined, error: controller.signal.aborted ? controller.signal.reason : err }),
  );
  return {
    abort: (reason) => {
      // What the worker has finished reaches the file now, not after its run in progress.
      if (!ended) observe();
      controller.abort(reason);
    },
    done: done.then(({ taken, error }) => {
      // The task's reply and the port are separate channels: outcomes too big for the
      // outbox that the worker posted before it finished or died may not have been
      // delivered yet. They are already in this port's queue: take them, then the outbox.
      ended = true;
      let position;
      try {
        // A stopped worker may still be finishing a run while its thread is torn down:
        // read until the outbox holds nothing this thread has not taken, so that the run
        // after the last one taken is the one in progress, if any.
        do {
          for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) reader.message(m.message);
          reader.drain(take, flushed);
          position = reader.position();
        } while (position.finished > reported);
        // Stopped while it waited for room in the ring for an outcome's stub: the outcome
        // itself was posted (a finished run), only its place in the ring is missing.
        reader.takeUnpublished(reported, take, flushed);
      } finally {
        cancelTick();
        port1.close();
      }
      const { begun, beganEpochMs } = position;
      let inProgress = begun > reported;
      if (inProgress && error instanceof TimeoutError && watched?.begun !== begun) {
        // The run timed out finished between the last look and the worker's end, and the
        // next one was cut short: it is not charged an attempt (the runner sends it again).
        inProgress = false;
      }
      // The watchdog's clock for the run it watched (a timeout: virtual in tests), else the worker's word of when it began.
      const inProgressMs = !inProgress ? 0 : watched?.begun === begun ? clock.now() - watched.sinceMs : Math.max(0, performance.timeOrigin + performance.now() - beganEpochMs);
      if (taken !== undefined && reported >= taken) return { reported, taken, error: undefined, inProgress: false, inProgressMs: 0 };
      return { reported, taken: reported + (inProgress ? 1 : 0), error: error ?? new Error("the worker ended the batch early"), inProgress, inProgressMs };
    }),
  };
}

/**
 * Aim for tasks (and the runs sent ahead to extend them) of about this long: long enough
 * that the per-task cost is noise, and twice the wake-up window (REPORT_WINDOW_MS), so
 * that the runs sent at one wake-up last the worker past the next; the last runs are
 * shared out evenly by the fair-share cap (BatchSizer.size).
 */
export const BATCH_TARGET_MS = 200;
export const MAX_BATCH = 64;

/**
 * Runs per task, from the runs' wall time so far (the running mean, or the last run if
 * it was shorter): about BATCH_TARGET_MS of work,
 * and never more than a quarter of a worker's fair share of what is left, so the sweep
 * does not end with one worker on a long batch while the others wait. One run per task
 * until a run has been timed.
 */
export class BatchSizer {
  private meanMs = 0;
  private lastMs = 0;
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
    this.lastMs = wallMs;
  }

  size(remaining: number): number {
    if (this.fixed !== undefined) return this.fixed;
    if (this.timed === 0 || this.meanMs <= 0) return 1;
    // The shorter of the running mean and the last run: while the workers warm up, the
    // mean carries the first runs' cold JIT (the bench's first run takes ~20 times a warm
    // one) for ~20 runs, and sized from it alone the tasks stayed at one run each, every
    // one a round trip through this thread with the worker idle meanwhile. A task sized
    // too big costs nothing the fair-share cap below does not bound: its runs go on being
    // reported as they finish, and the last runs are shared out by count.
    const byTime = Math.floor(BATCH_TARGET_MS / Math.max(Math.min(this.meanMs, this.lastMs), Number.MIN_VALUE));
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
