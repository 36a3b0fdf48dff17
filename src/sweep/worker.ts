// The pool worker (piscina): runs one simulation per task. Each worker thread loads its
// own wasm instance (src/wasm.ts), and the simulator keeps its state in that instance's
// memory, so a worker runs one task at a time (the pool never gives it two).
// The base scenario and `set` come once per worker as workerData; a task carries only
// the run's axis values, seed and id.

import { getHeapStatistics } from "node:v8";
import { workerData } from "piscina";
import { wasm } from "../wasm.js";
import { validateScenario } from "../scenario/schema.js";
import { runScenario } from "../sim/run.js";
import { injectFault, injectLoadFault } from "./fault-hook.js";
import { compactResultJson } from "./line.js";
import { scenarioOfRun } from "./scenario-of-run.js";

export interface WorkerData {
  baseRaw: unknown;
  baseLabel: string;
  set: [string, unknown][];
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

const data = workerData as WorkerData;
injectLoadFault();

/** Answers once the worker's modules (and its wasm instance) are loaded: runner.ts's start-up check. */
export function ping(): true {
  return true;
}

export default function runTask(task: RunTask): RunTaskResult {
  const started = performance.now();
  injectFault(task, task.attempt);
  const config = validateScenario(scenarioOfRun({ baseRaw: data.baseRaw, set: data.set, params: task.params, seed: task.seed }), data.baseLabel);
  const { result } = runScenario(config);
  const resultJson = compactResultJson(result);
  return {
    resultJson,
    wallMs: performance.now() - started,
    interrupts: result.interrupts,
    events: result.events,
    workerHeapUsedBytes: getHeapStatistics().used_heap_size,
    wasmMemoryBytes: wasm.memory.buffer.byteLength,
  };
}
