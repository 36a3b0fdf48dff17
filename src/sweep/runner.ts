// Runs a sweep (issue #5 §2, §3): the runs of this shard not yet in the results file go
// to a worker pool in batches (batch.ts), one batch per worker at a time; each finished
// run is appended as one line at once. A run that throws, crashes its worker or exceeds
// the per-run timeout is tried once more, alone, then recorded as failed with both
// errors — never dropped. Stopping (the `stop` signal: SIGINT/SIGTERM in the CLI) keeps
// every finished run and abandons the ones in flight; they are simply not in the file,
// so --resume runs them.
//
// Only as many tasks as workers are in flight: a worker never waits in piscina's queue,
// so the per-run timeout times the run itself; stopping has at most one run per worker
// to abandon (a batch's later runs have not started); and the main thread holds a few
// batches of runs however big the grid.

import { InputUnusableError } from "../errors.js";
import type { SweepSpec } from "./file.js";
import { Grid, type RunSpec } from "./grid.js";
import { failedLine, type LineDetail } from "./line.js";
import { alignCap, alignedTake, BatchSizer, startBatch, type InFlightBatch, type OutboxTestOptions, type RunClock, type RunOutcome } from "./batch.js";
import { WorkerStartError } from "./errors.js";
import { startPool, workerDataOf, type StartingPool, type SweepPool } from "./pool.js";
import type { RunTask, RunTaskResult } from "./worker.js";
import { validateGrid } from "./preflight.js";
import { isRegularOrNew, ResultsAppender, type TornTail } from "./results-file.js";
import { existingRuns, pendingRuns } from "./existing-runs.js";
import { lockResultsFile } from "./lock.js";
import { formatShard, shardSize, WHOLE_GRID, type Shard } from "./shard.js";
import { sweepTiming, sweepTimingCpu } from "./timing.js";

/** How many times a run is tried before it is recorded as failed. */
const ATTEMPTS = 2;
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

export interface SweepOptions {
  spec: SweepSpec;
  /** Results file (JSONL), appended to. */
  out: string;
  workers: number;
  /** Continue an existing results file: skip the runs it already has. */
  resume?: boolean;
  /** What each line's result keeps: everything (default) or the aggregates only (no per-vCPU array). */
  detail?: LineDetail;
  /** With resume: move unreadable lines in the middle of the file to `<out>.rejected` and go on. */
  repair?: boolean;
  /** With resume: run again the runs recorded as failed (the new line supersedes). */
  retryFailed?: boolean;
  shard?: Shard;
  /** Per-run timeout per attempt, ms, from the worker's word that it begins the run. */
  timeoutMs?: number;
  /** The timeout's clock (tests inject a virtual one); default: real timers. */
  clock?: RunClock;
  /** How long a worker lets finished runs wait before it wakes this thread, ms (batch.ts REPORT_WINDOW_MS; 0: every run). */
  reportWindowMs?: number;
  /** Runs per pool task, fixed (tests pin it to exercise batches); default: sized from the runs' times (batch.ts). */
  batchRuns?: number;
  /** Test seams on each batch's outbox (batch.ts): a small ring, a look at the worker's side. */
  outboxTest?: OutboxTestOptions;
  /** Abort to stop: finished runs are kept, runs in flight abandoned. */
  stop?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** Every finished run's worker-side figures (benchmarks: per-worker memory). */
  onRunDone?: (r: RunTaskResult) => void;
  /** Things a user should know (a repaired torn line, a retry); one line each. */
  onNotice?: (message: string) => void;
}

export interface SweepProgress {
  /** Runs in this shard. */
  total: number;
  /** Runs of this shard with a line in the file (ok or failed), including earlier sessions. */
  done: number;
  /** Of those, failed. */
  failed: number;
  /** Runs found done in the file at the start (--resume). */
  skipped: number;
  /** Runs finished in this session. */
  sessionDone: number;
  /** Guest timer interrupts simulated in this session. */
  sessionInterrupts: number;
  /** performance.now() when the pool started. */
  startedMs: number;
}

export interface SweepOutcome extends SweepProgress {
  interrupted: boolean;
  /** A torn last line found (and cut) on resume. */
  torn: TornTail | null;
  /** Lines in the file whose id is not a run of this sweep and shard (kept, not run). */
  foreign: number;
  /** Workers actually started. */
  workers: number;
  /** Grid size and the shard, for messages. */
  gridSize: number;
  shard: Shard;
}

interface Job {
  run: RunSpec;
  attempt: number;
  errors: string[];
  wallMs: number;
}

export { rejectedFileOf } from "./existing-runs.js";

function describeRun(run: RunSpec): string {
  return `run ${run.index} (${run.id})`;
}

export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  sweepTiming("runner loaded");
  const grid = new Grid(options.spec);
  // The workers load their code (a few hundred ms) while this thread validates the grid
  // (~1 ms per parameter combination), when the sweep is sure to need them all: a new
  // results file (a resumed one may have fewer runs left than workers, or none). Until
  // the sweep takes the pool, no worker is sent anything; a sweep that fails before then
  // (an invalid grid, a locked or unusable --out) ends the pool with the same error.
  const early = options.resume === true || options.stop?.aborted === true ? undefined : startEarly(options, grid);
  if (early !== undefined) sweepTiming("pool created early");
  try {
    validateGrid(grid);
    sweepTiming("grid validated");
    // Before the first read (resume cuts a torn tail) and the first write: one writer per file.
    // Standard output, a pipe or a device has no lock file and nothing to resume.
    const lock = isRegularOrNew(options.out) ? lockResultsFile(options.out) : undefined;
    try {
      return await runLocked(options, grid, early);
    } finally {
      lock?.release();
    }
  } finally {
    await early?.discard();
  }
}

/** The pool for every run of the shard, started now; undefined if it cannot be (runLocked then tries again and reports why). */
function startEarly(options: SweepOptions, grid: Grid): StartingPool | undefined {
  try {
    return startPool(Math.max(1, Math.min(options.workers, shardSize(grid.size, options.shard ?? WHOLE_GRID))), workerDataOf(options.spec, options.detail ?? "full"));
  } catch {
    return undefined;
  }
}

async function runLocked(options: SweepOptions, grid: Grid, early: StartingPool | undefined): Promise<SweepOutcome> {
  const shard = options.shard ?? WHOLE_GRID;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const notice = options.onNotice ?? (() => {});
  const { status, torn } = existingRuns(options.out, options.resume === true, options.repair === true, notice);
  const total = shardSize(grid.size, shard);
  const { pending, pendingCount, skipped, failed, foreign } = pendingRuns(grid, shard, status, options.retryFailed === true);
  if (foreign > 0) notice(`${options.out}: ${foreign} line${foreign === 1 ? " is" : "s are"} not a run of this sweep${shard.count > 1 ? ` and shard ${formatShard(shard)}` : ""} (another sweep, or an edited one); kept, not counted`);

  const progress: SweepProgress = { total, done: skipped, failed, skipped, sessionDone: 0, sessionInterrupts: 0, startedMs: performance.now() };
  const outcome = (interrupted: boolean, workers: number): SweepOutcome => ({ ...progress, interrupted, torn, foreign, workers, gridSize: grid.size, shard });
  if (pendingCount === 0 || options.stop?.aborted) return outcome(options.stop?.aborted === true && pendingCount > 0, 0);

  const workers = Math.max(1, Math.min(options.workers, pendingCount));
  // The file first: an unwritable --out must fail before the sweep takes any worker.
  const appender = new ResultsAppender(options.out);
  sweepTiming("results file open");
  let starting: StartingPool;
  let started = false;
  try {
    // The early pool has a worker for each run of the shard up to options.workers, which
    // is this count when nothing is resumed; otherwise (never, today) it is ended unused.
    starting = early !== undefined && early.workers === workers ? early : startPool(workers, workerDataOf(options.spec, options.detail ?? "full"));
    starting.taken = true;
    if (early !== undefined && early !== starting) early.discard().catch(() => {});
  } catch (err) {
    appender.close();
    throw new WorkerStartError(err);
  }
  const pool: SweepPool = starting.pool;
  // Errors outside any task (a worker that dies between tasks) are reported, not fatal:
  // piscina replaces the worker. Before the workers are up, the start-up check below
  // reports the same error once, as the reason the sweep cannot run.
  starting.onError = (err: Error) => {
    if (started) notice(`worker error outside a run: ${err.message}`);
  };
  try {
    // A worker that cannot even load (no wasm build, no TypeScript loader) would fail
    // every run twice and fill the file with "failed" lines: find out first. The runs
    // start when one worker is up; one that fails to load later stops the sweep (below).
    await starting.firstReady;
    started = true;
    sweepTiming("first worker up");
  } catch (err) {
    appender.close();
    await pool.destroy();
    throw new WorkerStartError(err);
  }
  options.onProgress?.(progress);

  const sizer = new BatchSizer(workers, options.batchRuns);
  const inFlight = new Set<InFlightBatch>();
  /** A failed run's next attempt: sent alone, so it owns its task. */
  const retries: Job[] = [];
  /** Runs of a batch that ended before reaching them: not attempted, so no attempt is used up. */
  const requeued: Job[] = [];
  let next = 0;
  let stopping = options.stop?.aborted === true;
  let writeError: Error | undefined;
  let fatal: unknown;
  /** Why a worker failed to load after the runs had started on another (starting.ready). */
  let lateStartError: unknown;
  /** Every run has been dealt with: a worker still loading is no longer needed. */
  let finishing = false;
  let resolveAll = (): void => {};

  const onStop = (): void => {
    stopping = true;
    for (const b of inFlight) b.abort(new Error("sweep stopped"));
    if (inFlight.size === 0) resolveAll();
  };
  /** Writing a line failed (disk full, quota): stop, keep what is written. */
  const guard = (write: () => void): void => {
    try {
      write();
    } catch (err) {
      writeError ??= err as Error;
      if (!stopping) onStop();
    }
  };
  /** Lines counted in `progress` but held for the group's writev (appender.hold()): uncounted if it fails. */
  let heldDone = 0;
  let heldFailed = 0;
  const flushHeld = (): void => {
    try {
      appender.flushHeld();
    } catch (err) {
      progress.done -= heldDone;
      progress.sessionDone -= heldDone;
      progress.failed -= heldFailed;
      throw err;
    } finally {
      heldDone = 0;
      heldFailed = 0;
    }
  };
  const record = (line: string | Uint8Array, ok: boolean): void => {
    if (typeof line === "string") appender.append(line);
    else appender.appendBytes(line);
    if (appender.holding) {
      heldDone++;
      if (!ok) heldFailed++;
    }
    if (progress.sessionDone === 0) sweepTiming("first line written");
    progress.done++;
    progress.sessionDone++;
    if (!ok) progress.failed++;
    options.onProgress?.(progress);
  };
  const failAttempt = (job: Job, reason: string, ms: number): void => {
    if (stopping) return; // abandoned: not in the file, so --resume runs it
    job.errors.push(reason);
    job.wallMs += ms;
    const { run } = job;
    if (job.attempt < ATTEMPTS) {
      notice(`${describeRun(run)}: attempt ${job.attempt} failed (${reason}); retrying`);
      retries.push({ ...job, attempt: job.attempt + 1 });
    } else {
      notice(`${describeRun(run)}: failed after ${ATTEMPTS} attempts; recorded as failed`);
      record(failedLine(run.id, run.params, run.seed, job.errors.map((e, i) => `attempt ${i + 1}: ${e}`).join("; "), job.wallMs), false);
    }
  };
  const onReport = (job: Job, report: RunOutcome): void => {
    if ("error" in report) return failAttempt(job, report.error, report.wallMs);
    const res = report.ok;
    sizer.observe(res.wallMs);
    progress.sessionInterrupts += res.interrupts;
    options.onRunDone?.(res);
    // A run that finished is kept even while stopping.
    // The worker built the line (run-task.ts) from this job's id, params and seed.
    record(res.line, true);
  };

  /** First attempts (requeued ones first), as many as the sizer says. */
  const takeFresh = (): Job[] => {
    const remaining = requeued.length + pendingCount - next;
    let n = sizer.size(remaining);
    const jobs = requeued.splice(0, n);
    // A task of fresh runs ends where a parameter combination ends, when that is near
    // (batch.ts alignedTake); a size pinned by the caller (tests) is kept as it is.
    if (jobs.length === 0 && options.batchRuns === undefined) n = alignedTake(pending, next, pendingCount, n, alignCap(n, remaining, workers), grid.spec.seeds.length);
    while (jobs.length < n && next < pendingCount) jobs.push({ run: grid.runAt(pending[next++]!), attempt: 1, errors: [], wallMs: 0 });
    return jobs;
  };
  const takeBatch = (): Job[] => {
    const retry = retries.shift();
    return retry !== undefined ? [retry] : takeFresh();
  };
  const taskOf = ({ run, attempt }: Job): RunTask => ({ index: run.index, id: run.id, params: run.params, seed: run.seed, attempt });

  const launch = (jobs: Job[]): void => {
    // A batch is extended with first attempts while it runs (batch.ts), so a worker goes
    // from batch to batch without waiting for this thread; a retry waits for a task of
    // its own (the batch then ends), and nothing is added once stopping.
    const extend = (): RunTask[] => {
      if (stopping || retries.length > 0) return [];
      const more = takeFresh();
      jobs.push(...more);
      return more.map(taskOf);
    };
    // The lines of each group of outcomes read from the worker's outbox go out in one
    // writev(2) when the group is done (`flushed`): their bytes are read in place and
    // valid until then.
    const report = (r: RunOutcome): void => {
      appender.hold();
      guard(() => onReport(jobs[r.k]!, r));
    };
    const batch = startBatch(pool, jobs.map(taskOf), timeoutMs, report, { clock: options.clock, extend, windowMs: options.reportWindowMs, flushed: () => guard(flushHeld), ...options.outboxTest });
    inFlight.add(batch);
    batch.done
      .then(({ reported, taken, error, inProgress, inProgressMs }) => {
        if (stopping) return;
        if (error !== undefined && (inProgress || reported === 0)) {
          // The run in progress when the task ended (or, if none had begun, the first:
          // a worker that dies before every run must not be retried for ever).
          const reason = error instanceof Error ? error.message : String(error);
          guard(() => failAttempt(jobs[reported]!, reason, inProgressMs));
          requeued.unshift(...jobs.slice(reported + 1));
        } else {
          // Runs the worker never took (an extension it ended before seeing, or the runs
          // after a finished one when it died between runs): sent again as they are.
          requeued.unshift(...jobs.slice(error !== undefined ? reported : taken));
        }
      })
      .catch((err: unknown) => {
        // A bug of ours, not a run's failure: stop, keep what is written, and say so.
        fatal ??= err;
        if (!stopping) onStop();
      })
      .finally(() => {
        inFlight.delete(batch);
        pump();
      });
  };

  // A worker that fails to load after another is up: the sweep stops as if none could
  // start (WorkerStartError), keeping the lines already written (--resume goes on).
  starting.ready.then(
    () => sweepTiming("workers up"),
    (err: unknown) => {
      if (stopping || finishing) return;
      lateStartError = err;
      onStop();
    },
  );

  const pump = (): void => {
    while (!stopping && inFlight.size < workers) {
      const jobs = takeBatch();
      if (jobs.length === 0) break;
      launch(jobs);
    }
    if (inFlight.size === 0) {
      options.stop?.removeEventListener("abort", onStop);
      resolveAll();
    }
  };

  try {
    await new Promise<void>((resolve) => {
      resolveAll = resolve;
      options.stop?.addEventListener("abort", onStop, { once: true });
      pump();
    });
  } finally {
    // The workers' threads end (tens of ms: Node tears each isolate down) while this thread
    // flushes the results file (the last second's fsync): the two overlap, and the sweep
    // ends sooner by the shorter of them.
    sweepTiming("last line written");
    finishing = true;
    // A worker may still be loading its code when a small sweep ends (its runs all went
    // to the first worker up): ending a thread while it loads can abort the process.
    await starting.ready.catch(() => {});
    const destroyed = pool.destroy();
    try {
      appender.close();
    } catch (err) {
      writeError ??= err as Error;
    }
    await destroyed;
    sweepTiming("pool destroyed");
    sweepTimingCpu();
  }
  if (fatal !== undefined) throw fatal;
  if (lateStartError !== undefined) throw new WorkerStartError(lateStartError, { done: progress.done, total: progress.total, out: options.out });
  if (writeError !== undefined) {
    const code = (writeError as NodeJS.ErrnoException).code;
    throw new InputUnusableError("--out", options.out, `a write failed (${code ?? writeError.message}); the sweep stopped with ${progress.done} of ${progress.total} runs in it`, "a file that can be written to: free the space and --resume");
  }
  const interrupted = stopping && progress.done < progress.total;
  return outcome(interrupted, workers);
}
