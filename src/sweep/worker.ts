// The pool worker (piscina). Each worker thread loads its own wasm instance
// (src/wasm.ts), and the simulator keeps its state in that instance's memory, so a
// worker runs one task at a time (the pool never gives it two).
// The base scenario and `set` come once per worker as workerData; a task carries only
// the runs' axis values, seeds and ids.
//
// A task is a batch of runs (batch.ts): the worker runs them one after the other and
// posts each run's outcome on the task's MessagePort the moment it has it, so the main
// thread writes each line as its run finishes and knows which run was in progress if
// the worker dies or hangs. A run that throws is reported as such and the batch goes
// on: one bad run does not cost its batch-mates a recomputation.
//
// One message per run: the worker says it begins the batch's first run, and each run's
// outcome also says that the next run of the batch begins (the worker goes straight on
// to it). The finished line travels as bytes the main thread writes as they are
// (run-task.ts).

// piscina hands the pool's workerData to each thread as the thread's own
// (worker_threads' workerData, what piscina's `workerData` export reads): taken from
// there, a worker does not load piscina's pool module just to read it.
import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { injectFault, injectLoadFault } from "./fault-hook.js";
import type { LineDetail } from "./line.js";
import { runToLine, type RunTaskResult } from "./run-task.js";
import { RunConfigMemo } from "./scenario-of-run.js";

export type { RunTaskResult } from "./run-task.js";

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

/** One task: runs to do in order, and where to report each one's outcome. */
export interface BatchTask {
  runs: RunTask[];
  port: MessagePort;
}

/**
 * What the worker posts for runs[k] of its batch: that it begins the run (only for the
 * batch's first run: the main thread's per-run timeout starts here, so a worker's
 * start-up is never charged to a run), then the result or why the run threw, with
 * whether the worker went straight on to runs[k + 1] (`next`).
 */
export type RunReport = { k: number; begin: true } | { k: number; next: boolean; ok: RunTaskResult } | { k: number; next: boolean; error: string; wallMs: number };

const data = workerData as WorkerData;
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
 * Every run of the batch, each one's outcome posted as soon as it is known. Runs the main
 * thread adds while the batch runs (batch.ts's `extend`) arrive on the port and are taken
 * when the last run in hand is done, so the worker does not wait for the main thread
 * between batches. Returns how many runs it took. `runOne` is the run itself (runTask;
 * test/sweep-batch.test.ts passes a fake to order the port's messages deterministically).
 */
export function runBatchWith(runOne: (task: RunTask) => RunTaskResult, { runs, port }: BatchTask): number {
  if (runs.length > 0) port.postMessage({ k: 0, begin: true } satisfies RunReport);
  for (let k = 0; k < runs.length; k++) {
    const started = performance.now();
    let ok: RunTaskResult | undefined;
    let error = "";
    let errorMs = 0;
    try {
      ok = runOne(runs[k]!);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      errorMs = performance.now() - started;
    }
    if (k + 1 === runs.length) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) runs.push(...(m.message as RunTask[]));
    }
    const next = k + 1 < runs.length;
    // The line's buffer changes hands: no copy of a ~20 KB line per run.
    if (ok !== undefined) port.postMessage({ k, next, ok } satisfies RunReport, [ok.line.buffer as ArrayBuffer]);
    else port.postMessage({ k, next, error, wallMs: errorMs } satisfies RunReport);
  }
  // Messages already posted are still delivered after close (they are in the main
  // thread's queue); closing frees the port in this long-lived worker.
  port.close();
  return runs.length;
}

function runTask(task: RunTask): RunTaskResult {
  injectFault(task, task.attempt);
  return runToLine(configs, task, data.detail ?? "full");
}
