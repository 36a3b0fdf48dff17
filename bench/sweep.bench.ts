// Sweep throughput and memory (issue #5 §6), through the same runSweep the CLI uses:
//  0. the machine's parallelism at the time: a pure-CPU loop on 1 and on N worker
//     threads (the machine is shared, so "2 cores" may be 1.2 at the moment of the
//     measurement; the sweep's speed-up is only meaningful next to this one);
//  1. a fixed grid of 40 runs (cyclictest, 4 vCPUs, 3 s simulated each) with 1 worker and
//     with every core, runs/s and guest interrupts/s, end to end (pool start-up
//     included) and in steady state (from the first finished run to the last), three
//     times, each after its own machine-parallelism reading;
//  2. a 10,000-run sweep of tiny runs (1 ms, 1 vCPU) on every core, sampling the
//     process's RSS (main thread and workers) and the main thread's JS heap (after a
//     forced GC) every 250 runs: start, end, max and the least-squares slope per run.
// Release wasm. Run with `node --expose-gc --import tsx bench/sweep.bench.ts`
// (npm run bench does); `--quick` shrinks both parts for a smoke test and writes nothing.

import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import os from "node:os";
import { join } from "node:path";
// The built package (npm run bench builds it first): what `tscsim sweep` runs, with
// plain-JavaScript workers rather than workers that compile the TypeScript sources.
import { wasmVariant } from "../dist/wasm.js";
import { parseSweep } from "../dist/sweep/file.js";
import { runSweep, type SweepProgress } from "../dist/sweep/runner.js";

if (wasmVariant !== "release") {
  process.stderr.write("bench: refusing to run on the debug wasm build (unset TSCSIM_WASM)\n");
  process.exit(2);
}

const quick = process.argv.includes("--quick");
const gc = (globalThis as { gc?: () => void }).gc;
const cores = os.availableParallelism();
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-sweep-bench-"));

const THROUGHPUT_SWEEP = {
  base: "cyclictest",
  set: { duration: quick ? "100ms" : "3s", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": [0, 1000, 2000, 3000, 4000], "kvm.era": ["v5.1", "v5.4"] },
  seeds: 4,
};
const THROUGHPUT_REPS = quick ? 1 : 3;
const MEMORY_RUNS = quick ? 1000 : 10_000;
const MEMORY_SWEEP = {
  base: "cyclictest",
  set: { duration: "1ms", "vms.0.vcpus": 1, "kvm.era": "v5.4", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": { from: 0, to: (MEMORY_RUNS / 10 - 1) * 10, step: 10 } },
  seeds: 10,
};

interface Throughput {
  workers: number;
  runs: number;
  interrupts: number;
  wallMs: number;
  runsPerSecond: number;
  interruptsPerSecond: number;
  steadyRunsPerSecond: number;
  steadyInterruptsPerSecond: number;
}

async function throughput(workers: number): Promise<Throughput> {
  const spec = parseSweep(THROUGHPUT_SWEEP, join(dir, "throughput.json"));
  const out = join(dir, `throughput-${workers}.jsonl`);
  let firstMs = 0;
  let firstInterrupts = 0;
  let firstDone = 0;
  let last: SweepProgress | undefined;
  const t0 = performance.now();
  const outcome = await runSweep({
    spec,
    out,
    workers,
    onProgress: (p) => {
      if (p.sessionDone === 1) {
        firstMs = performance.now();
        firstInterrupts = p.sessionInterrupts;
        firstDone = 1;
      }
      last = { ...p };
    },
  });
  const endMs = performance.now();
  const wallMs = endMs - t0;
  rmSync(out);
  if (outcome.failed > 0) throw new Error(`bench: ${outcome.failed} runs failed`);
  const steadyS = (endMs - firstMs) / 1000;
  return {
    workers,
    runs: outcome.sessionDone,
    interrupts: outcome.sessionInterrupts,
    wallMs,
    runsPerSecond: outcome.sessionDone / (wallMs / 1000),
    interruptsPerSecond: outcome.sessionInterrupts / (wallMs / 1000),
    steadyRunsPerSecond: (last!.sessionDone - firstDone) / steadyS,
    steadyInterruptsPerSecond: (last!.sessionInterrupts - firstInterrupts) / steadyS,
  };
}

/** Wall time of `threads` threads each running the same fixed CPU loop. */
async function spin(threads: number): Promise<number> {
  const code = "let x=0;for(let i=0;i<2e8;i++)x=(x+i*7)%1000003;require('node:worker_threads').parentPort.postMessage(x)";
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once("message", () => void w.terminate().then(() => resolve()));
      w.once("error", reject);
    })),
  );
  return performance.now() - t0;
}

/** Speed-up of N threads over 1 on a pure-CPU loop: the parallelism the machine gives right now. */
async function machineParallelism(threads: number): Promise<{ oneThreadMs: number; nThreadsMs: number; speedup: number }> {
  const oneThreadMs = await spin(1);
  const nThreadsMs = await spin(threads);
  return { oneThreadMs, nThreadsMs, speedup: (threads * oneThreadMs) / nThreadsMs };
}

interface Sample {
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

interface Growth {
  startBytes: number;
  endBytes: number;
  maxBytes: number;
  slopeBytesPerRunSecondHalf: number;
  slopeBytesPerRunAll: number;
}

interface MemoryResult {
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

async function memory(): Promise<MemoryResult> {
  const spec = parseSweep(MEMORY_SWEEP, join(dir, "memory.json"));
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
  const every = Math.max(1, Math.floor(MEMORY_RUNS / 40));
  const t0 = performance.now();
  const outcome = await runSweep({
    spec,
    out,
    workers: cores,
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
  if (outcome.sessionDone !== MEMORY_RUNS || outcome.failed > 0) throw new Error(`bench: memory sweep did ${outcome.sessionDone} runs, ${outcome.failed} failed`);
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
    workers: cores,
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

const loadStart = os.loadavg();
const started = performance.now();
// The machine is shared: each repetition measures the parallelism it offers right then,
// and the 1-worker and all-core sweeps alternate in order so a drift hits both.
interface Rep {
  machine: Awaited<ReturnType<typeof machineParallelism>>;
  one: Throughput;
  all: Throughput;
  speedup: number;
  steadySpeedup: number;
}
const reps: Rep[] = [];
for (let r = 0; r < THROUGHPUT_REPS; r++) {
  const machine = await machineParallelism(cores);
  let one: Throughput;
  let all: Throughput;
  if (r % 2 === 0) {
    one = await throughput(1);
    all = await throughput(cores);
  } else {
    all = await throughput(cores);
    one = await throughput(1);
  }
  const rep = { machine, one, all, speedup: all.runsPerSecond / one.runsPerSecond, steadySpeedup: all.steadyRunsPerSecond / one.steadyRunsPerSecond };
  reps.push(rep);
  process.stdout.write(
    `rep ${r + 1}: machine ${machine.speedup.toFixed(2)}× | 1 worker ${one.runsPerSecond.toFixed(2)} runs/s, ${(one.interruptsPerSecond / 1e6).toFixed(3)} M int/s (steady ${one.steadyRunsPerSecond.toFixed(2)}) | ` +
      `${cores} workers ${all.runsPerSecond.toFixed(2)} runs/s, ${(all.interruptsPerSecond / 1e6).toFixed(3)} M int/s (steady ${all.steadyRunsPerSecond.toFixed(2)}) | speed-up ${rep.speedup.toFixed(2)}× (steady ${rep.steadySpeedup.toFixed(2)}×)\n`,
  );
}
const medianOf = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
// The headline is the repetition in which the machine was quietest (its CPU loop
// scaled best): that is the sweep's own scaling, least disturbed by other work.
const quietest = reps.reduce((best, rep) => (rep.machine.speedup > best.machine.speedup ? rep : best));
const speedup = quietest.speedup;
const steadySpeedup = quietest.steadySpeedup;
process.stdout.write(
  `speed-up 1 -> ${cores} workers in the quietest rep (machine ${quietest.machine.speedup.toFixed(2)}×): ${speedup.toFixed(2)}× end to end, ${steadySpeedup.toFixed(2)}× steady; ` +
    `median over ${reps.length} reps ${medianOf(reps.map((r) => r.speedup)).toFixed(2)}× / ${medianOf(reps.map((r) => r.steadySpeedup)).toFixed(2)}×\n`,
);
const mem = await memory();
const { rss, heapUsed: heap, workerHeapUsed: wheap, workerWasmMemory: wwasm } = mem;
const half = Math.floor(mem.samples.length / 2);
const rssPeakRatio = Math.max(...mem.samples.slice(half).map((x) => x.rssBytes)) / Math.max(...mem.samples.slice(0, half).map((x) => x.rssBytes));
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
process.stdout.write(
  `${mem.runs} tiny runs on ${cores} workers: ${mem.runsPerSecond.toFixed(0)} runs/s (${(mem.wallMs / 1000).toFixed(1)} s); ` +
    `RSS ${mib(rss.startBytes)} -> ${mib(rss.endBytes)} MiB (max ${mib(rss.maxBytes)}, ${rss.slopeBytesPerRunSecondHalf.toFixed(1)} B/run over the second half); ` +
    `heap ${mib(heap.startBytes)} -> ${mib(heap.endBytes)} MiB (max ${mib(heap.maxBytes)}, ${heap.slopeBytesPerRunSecondHalf.toFixed(1)} B/run); ` +
    `worker heap ${mib(wheap.startBytes)} -> ${mib(wheap.endBytes)} MiB (max ${mib(wheap.maxBytes)}); worker wasm ${mib(wwasm.startBytes)} -> ${mib(wwasm.endBytes)} MiB\n`,
);
if (gc === undefined) process.stdout.write("(run with node --expose-gc for clean heap readings)\n");

const targets = [
  { target: `>= 1.8× runs/s from 1 to ${cores} workers (end to end, pool start-up included; quietest rep)`, measured: speedup, pass: speedup >= 1.8 },
  { target: `>= 1.8× runs/s from 1 to ${cores} workers (steady state; quietest rep)`, measured: steadySpeedup, pass: steadySpeedup >= 1.8 },
  // Flat: the main thread's heap does not grow with the runs (< 100 B/run over the
  // second half), the workers' wasm memory ends where it started, and the process RSS —
  // which rises and falls with the worker heaps' garbage collection — peaks in the second
  // half no more than 20% above its first-half peak (a leak of even 1 KiB/run would add
  // 5 MiB per 5,000 runs and keep climbing; a GC sawtooth does not).
  { target: "flat main-thread heap: < 100 B/run growth over the second half", measured: heap.slopeBytesPerRunSecondHalf, pass: Math.abs(heap.slopeBytesPerRunSecondHalf) < 100 },
  { target: "flat worker wasm memory: end = start (bytes)", measured: wwasm.endBytes - wwasm.startBytes, pass: wwasm.endBytes === wwasm.startBytes },
  { target: "flat process RSS: second-half peak <= 1.2 × first-half peak", measured: rssPeakRatio, pass: rssPeakRatio <= 1.2 },
];
for (const t of targets) process.stdout.write(`${t.pass ? "PASS" : "MISS"}  ${t.target} (measured ${t.measured.toFixed(2)})\n`);

rmSync(dir, { recursive: true, force: true });
if (quick) {
  process.stdout.write("(--quick: results not written)\n");
  process.exit(0);
}
const out = new URL("./results/sweep.json", import.meta.url);
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores, loadavgStart: loadStart, loadavgEnd: os.loadavg() },
      gcExposed: gc !== undefined,
      throughput: {
        sweep: THROUGHPUT_SWEEP,
        reps,
        quietestRep: reps.indexOf(quietest),
        speedup,
        steadySpeedup,
        medianSpeedup: medianOf(reps.map((r) => r.speedup)),
        medianSteadySpeedup: medianOf(reps.map((r) => r.steadySpeedup)),
      },
      memory: { sweep: MEMORY_SWEEP, ...mem, rssPeakRatioSecondToFirstHalf: rssPeakRatio },
      targets,
      elapsedSeconds: (performance.now() - started) / 1000,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`wrote ${out.pathname}\n`);
