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

import type { MessagePort } from "node:worker_threads";
import { getHeapStatistics } from "node:v8";
import { workerData } from "piscina";
import { wasm } from "../wasm.js";
import { runScenario } from "../sim/run.js";
import { injectFault, injectLoadFault } from "./fault-hook.js";
import { compactResultJson, type LineDetail } from "./line.js";
import { RunConfigMemo } from "./scenario-of-run.js";

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

export interface RunTaskResult {
  /** compactResultJson of the result. */
  resultJson: string;
  /** Wall time of the whole task in this worker (scenario, simulation, serialisation), ms. */
  wallMs: number;
  interrupts: number;
  events: number;
  /** This worker's JS heap in use and wasm memory size after the run (leak watch: bench/sweep.bench.ts). */
  workerHeapUsedBytes: number;
  wasmMemoryBytes: number;
}

/** One task: runs to do in order, and where to report each one's outcome. */
export interface BatchTask {
  runs: RunTask[];
  port: MessagePort;
}

/**
 * What the worker posts for runs[k] of its batch: that it begins the run (the main
 * thread's per-run timeout starts here, so a worker's start-up is never charged to a
 * run), then the result or why the run threw.
 */
export type RunReport = { k: number; begin: true } | { k: number; ok: RunTaskResult } | { k: number; error: string; wallMs: number };

const data = workerData as WorkerData;
/** The last combination's validated scenario: its other seeds are not validated again. */
const configs = new RunConfigMemo(data);
injectLoadFault();

/** Answers once the worker's modules (and its wasm instance) are loaded: pool.ts's startWorkers. */
export function ping(): true {
  return true;
}

/** The task: every run of the batch, each one's outcome posted as soon as it is known. */
export default function runBatch({ runs, port }: BatchTask): number {
  for (let k = 0; k < runs.length; k++) {
    port.postMessage({ k, begin: true } satisfies RunReport);
    const started = performance.now();
    let report: RunReport;
    try {
      report = { k, ok: runTask(runs[k]!) };
    } catch (err) {
      report = { k, error: err instanceof Error ? err.message : String(err), wallMs: performance.now() - started };
    }
    port.postMessage(report);
  }
  // Messages already posted are still delivered after close (they are in the main
  // thread's queue); closing frees the port in this long-lived worker.
  port.close();
  return runs.length;
}

function runTask(task: RunTask): RunTaskResult {
  const started = performance.now();
  injectFault(task, task.attempt);
  const config = configs.configOf(task.params, task.seed);
  // Results lines carry the latency histograms (~1–3 KB each), so that summarize and
  // report can pool them across seeds (true pooled percentiles).
  const { result } = runScenario(config, { histograms: true });
  const resultJson = compactResultJson(result, data.detail ?? "full");
  return {
    resultJson,
    wallMs: performance.now() - started,
    interrupts: result.interrupts,
    events: result.events,
    workerHeapUsedBytes: getHeapStatistics().used_heap_size,
    wasmMemoryBytes: wasm.memory.buffer.byteLength,
  };
}
