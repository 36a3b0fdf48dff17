// One run of a sweep as a worker does it, from the run's axis values to its finished
// results line: the scenario (RunConfigMemo), the simulation with histograms, the result
// as compact JSON, and the whole line, UTF-8 encoded, newline included. Shared by the pool
// worker (worker.ts) and the sweep bench's bare threads (bench/sweep-raw-worker.mjs), so
// the bench's ceiling does exactly the per-run work a sweep worker does.
//
// Why the worker builds the line's bytes: on a machine with as many cores as workers,
// every cycle the main thread spends on a run is taken from a worker. The line goes to
// the main thread as an ArrayBuffer it owns (transferred, not copied), and the main
// thread's share of a run is one write(2) of those bytes.

import { getHeapStatistics } from "node:v8";
import { wasm } from "../wasm.js";
import { runScenario } from "../sim/run.js";
import { compactResultJson, okLine, type LineDetail } from "./line.js";
import type { RunConfigMemo } from "./scenario-of-run.js";

/** What a run needs besides the sweep's base scenario. */
export interface RunInput {
  id: string;
  params: Record<string, unknown>;
  seed: number;
}

export interface RunTaskResult {
  /** The results line (okLine) and its newline, UTF-8; its buffer is transferable. */
  line: Uint8Array;
  /** Wall time of the run in this worker (scenario, simulation, result JSON), ms: the line's wallMs. */
  wallMs: number;
  interrupts: number;
  events: number;
  /** This worker's JS heap in use and wasm memory size after the run (leak watch: bench/sweep.bench.ts). */
  workerHeapUsedBytes: number;
  wasmMemoryBytes: number;
}

const encoder = new TextEncoder();

export function runToLine(configs: RunConfigMemo, run: RunInput, detail: LineDetail): RunTaskResult {
  const started = performance.now();
  const config = configs.configOf(run.params, run.seed);
  // Results lines carry the latency histograms (~1–3 KB each), so that summarize and
  // report can pool them across seeds (true pooled percentiles).
  const { result } = runScenario(config, { histograms: true });
  const resultJson = compactResultJson(result, detail);
  const wallMs = performance.now() - started;
  return {
    line: encoder.encode(`${okLine(run.id, run.params, run.seed, resultJson, wallMs)}\n`),
    wallMs,
    interrupts: result.interrupts,
    events: result.events,
    workerHeapUsedBytes: getHeapStatistics().used_heap_size,
    wasmMemoryBytes: wasm.memory.buffer.byteLength,
  };
}
