// The memory part of bench/sweep.bench.ts: a sweep of many tiny runs on every core
// through runSweep in this process, sampling the process's RSS (main thread and workers)
// and the main thread's JS heap (after a forced GC, when the bench runs with
// --expose-gc) at regular intervals: start, end, max and the least-squares slope per run.

import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseSweep } from "../dist/sweep/file.js";
import { runSweep } from "../dist/sweep/runner.js";

const gc = (globalThis as { gc?: () => void }).gc;

export interface Sample {
  runs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Largest JS heap in use and wasm memory among the workers' latest reports. */
  workerHeapUsedBytes: number;
  wasmMemoryBytes: number;
}

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface Growth {
  startBytes: number;
  endBytes: number;
  maxBytes: number;
  slopeBytesPerRunSecondHalf: number;
  slopeBytesPerRunAll: number;
}

export interface MemoryResult {
  runs: number;
  workers: number;
  wallMs: number;
  runsPerSecond: number;
  resultsFileBytes: number;
  sampleEveryRuns: number;
  rss: Growth;
  heapUsed: Growth;
  workerHeapUsed: Growth;
  workerWasmMemory: Growth;
  samples: Sample[];
}

/** Runs `sweep` (`runs` runs) on `workers` workers, its files in `dir`, sampling about 40 times. */
export async function memory(sweep: unknown, runs: number, workers: number, dir: string): Promise<MemoryResult> {
  const spec = parseSweep(sweep, join(dir, "memory.json"));
  const out = join(dir, "memory.jsonl");
  const samples: Sample[] = [];
  let workerHeap = 0;
  let wasmMemory = 0;
  const sample = (runs: number): void => {
    gc?.();
    const m = process.memoryUsage();
    samples.push({ runs, rssBytes: m.rss, heapUsedBytes: m.heapUsed, workerHeapUsedBytes: workerHeap, wasmMemoryBytes: wasmMemory });
    workerHeap = 0;
  };
  const every = Math.max(1, Math.floor(runs / 40));
  const t0 = performance.now();
  const outcome = await runSweep({
    spec,
    out,
    workers,
    onRunDone: (r) => {
      workerHeap = Math.max(workerHeap, r.workerHeapUsedBytes);
      wasmMemory = Math.max(wasmMemory, r.wasmMemoryBytes);
    },
    onProgress: (p) => {
      if (p.sessionDone > 0 && p.sessionDone % every === 0) sample(p.sessionDone);
    },
  });
  const wallMs = performance.now() - t0;
  const fileBytes = statSync(out).size;
  rmSync(out);
  if (outcome.sessionDone !== runs || outcome.failed > 0) throw new Error(`bench: memory sweep did ${outcome.sessionDone} runs, ${outcome.failed} failed`);
  // The first samples include the workers' start-up (wasm instances, JIT): the slope is
  // fitted over the second half, where a leak would show as steady growth.
  const tail = samples.slice(Math.floor(samples.length / 2));
  const stats = (key: "rssBytes" | "heapUsedBytes" | "workerHeapUsedBytes" | "wasmMemoryBytes"): Growth => ({
    startBytes: samples[0]![key],
    endBytes: samples[samples.length - 1]![key],
    maxBytes: Math.max(...samples.map((s) => s[key])),
    slopeBytesPerRunSecondHalf: slope(
      tail.map((s) => s.runs),
      tail.map((s) => s[key]),
    ),
    slopeBytesPerRunAll: slope(
      samples.map((s) => s.runs),
      samples.map((s) => s[key]),
    ),
  });
  return {
    runs: outcome.sessionDone,
    workers,
    wallMs,
    runsPerSecond: outcome.sessionDone / (wallMs / 1000),
    resultsFileBytes: fileBytes,
    sampleEveryRuns: every,
    rss: stats("rssBytes"),
    heapUsed: stats("heapUsedBytes"),
    workerHeapUsed: stats("workerHeapUsedBytes"),
    workerWasmMemory: stats("wasmMemoryBytes"),
    samples,
  };
}
