// The pool worker (piscina). Each worker thread loads its own wasm instance
// (src/wasm.ts), and the simulator keeps its state in that instance's memory, so a
// worker runs one task at a time (the pool never gives it two).
// The base scenario and `set` come once per worker as workerData; a task carries only
// the runs' axis values, seeds and ids.
//
// A task is a batch of runs (batch.ts): the worker runs them one after the other and
// publishes each run's outcome in the task's outbox (outbox.ts, memory shared with the
// main thread) the moment it has it, with the run it begins next, so that the main thread
// knows which run was in progress if the worker dies or hangs. A run that throws is
// reported as such and the batch goes on: one bad run does not cost its batch-mates a
// recomputation.
//
// Wake-ups, not one message per run: the worker posts a bare message on the task's port
// (the main thread then reads every outcome published since the last) when `windowMs`
// would have passed since its last one before the next run ends (if that run takes as
// long as the last), at once when a run throws, and when it is
// down to its last two runs with no more on its port (the main thread then sends more:
// batch.ts's `extend`, which usually sends them earlier, at a wake-up by time); the
// task's reply wakes the main thread at the end. What the main thread must have at once
// (stopping, a crash, a timeout) it reads from the outbox without waiting for the worker.

// piscina hands the pool's workerData to each thread as the thread's own
// (worker_threads' workerData, what piscina's `workerData` export reads): taken from
// there, a worker does not load piscina's pool module just to read it.
import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { injectFault, injectLoadFault } from "./fault-hook.js";
import { OutboxWriter, type RunOutcome } from "./outbox.js";
import type { LineDetail } from "./line.js";
import { runToLine, type RunTaskResult } from "./run-task.js";
import { RunConfigMemo } from "./scenario-of-run.js";
import { sweepWorkerThread } from "./timing.js";

export type { RunTaskResult } from "./run-task.js";
// The per-run work itself, from this module so that it is in the worker's bundle's exports
// (dist/bundle/sweep-worker-code.cjs): the bare threads of bench/sweep.bench.ts's ceiling
// run the very code a sweep worker runs.
export { runToLine } from "./run-task.js";
export { RunConfigMemo } from "./scenario-of-run.js";
export type { RunOutcome } from "./outbox.js";

export interface WorkerData {
  baseRaw: unknown;
  baseLabel: string;
  set: [string, unknown][];
  /** What each line's result keeps (line.ts); default full. */
  detail?: LineDetail;
}

export interface RunTask {
  index: number;
  id: string;
  params: Record<string, unknown>;
  seed: number;
  /** 1 for the first try, 2 for the retry. */
  attempt: number;
}

/** One task: runs to do in order, where to publish their outcomes, and how often to wake the main thread. */
export interface BatchTask {
  runs: RunTask[];
  /** Wake-ups to the main thread, outcomes too big for the outbox; runs added while the task runs. */
  port: MessagePort;
  /** The task's outbox (outbox.ts): newOutbox(). */
  outbox: SharedArrayBuffer;
  /** Post a wake-up once this long has passed since the last, ms (0: after every run). */
  windowMs: number;
}

const data = workerData as WorkerData;
sweepWorkerThread();
/** The last combination's validated scenario: its other seeds are not validated again. */
const configs = new RunConfigMemo(data);
injectLoadFault();

/** Answers once the worker's modules (and its wasm instance) are loaded: pool.ts's startWorkers. */
export function ping(): true {
  return true;
}

/** The task (piscina calls the default export): runBatchWith this worker's runs. */
export default function runBatch(task: BatchTask): number {
  return runBatchWith(runTask, task);
}

/**
 * Every run of the batch, each one's outcome published as soon as it is known. Runs the
 * main thread adds while the batch runs (batch.ts's `extend`) arrive on the port and are
 * taken once the worker is down to its last two runs in hand, so the worker does not wait
 * for the main thread between batches. Returns how many runs it took. `runOne` is the run itself (runTask;
 * test/sweep-batch.test.ts passes a fake to order things deterministically), `nowMs` the
 * window's clock.
 */
export function runBatchWith(runOne: (task: RunTask) => RunTaskResult, { runs, port, outbox, windowMs }: BatchTask, nowMs: () => number = () => performance.now()): number {
  const box = new OutboxWriter(outbox, port);
  let lastPostMs = nowMs();
  /** runs.length when the worker last said it is down to its last runs: once per length. */
  let lowAt = -1;
  for (let k = 0; k < runs.length; k++) {
    box.begin(k);
    const began = nowMs();
    const started = performance.now();
    let outcome: RunOutcome;
    try {
      outcome = { k, ok: runOne(runs[k]!) };
    } catch (err) {
      outcome = { k, error: err instanceof Error ? err.message : String(err), wallMs: performance.now() - started };
    }
    if (runs.length - (k + 1) <= 2) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) runs.push(...(m.message as RunTask[]));
    }
    box.put(outcome);
    const left = runs.length - (k + 1);
    // No wake-up after the last run: the task's reply follows. Otherwise when the window
    // would pass before the next run ends (if it takes as long as this one), so that a
    // line waits about a window at most, not a window and a run.
    if (left === 0) break;
    const now = nowMs();
    const low = left <= 2 && lowAt !== runs.length;
    if (low || "error" in outcome || now - lastPostMs + (now - began) >= windowMs) {
      if (low) lowAt = runs.length;
      port.postMessage(null);
      lastPostMs = now;
    }
  }
  // Messages already posted are still delivered after close (they are in the main
  // thread's queue); closing frees the port in this long-lived worker. The task's reply
  // wakes the main thread for the last outcomes.
  port.close();
  return runs.length;
}

function runTask(task: RunTask): RunTaskResult {
  injectFault(task, task.attempt);
  return runToLine(configs, task, data.detail ?? "full");
}
