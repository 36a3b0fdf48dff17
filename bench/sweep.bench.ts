// Sweep throughput and memory (issue #5 §6):
//  0. what the machine allows at the time, before each repetition: (a) a pure-CPU loop
//     on 1 and on N worker threads (the machine is shared, so "2 cores" may be 1.2 at
//     that moment), and (b) the sweep's own runs simulated back to back on bare threads
//     (no pool, no results file: bench/sweep-raw-worker.mjs, each run exactly a sweep
//     worker's per-run work, src/sweep/run-task.ts), the same runs on 1 thread and on each
//     of N, timed together after the cold start — the simulator's own scaling on this
//     machine (shared caches, memory, V8's GC helper threads), the ceiling for any sweep
//     machinery;
//  1. a fixed grid of 1,680 runs (cyclictest, 4 vCPUs, 1 s simulated each: see
//     bench/README.md for why) through `tscsim sweep` (the package's bin, the bundled
//     CLI dist/bundle/tscsim.cjs, a new process)
//     with 1 worker and with every core: runs/s and guest interrupts/s end to end (from
//     spawning the process to its exit) and in steady state (from the first line in the
//     results file to the last), three times, alternating the order; the load average
//     and the CPU other processes used during each measurement are recorded with it.
//     The headline figures are medians over the repetitions;
//  2. a 10,000-run sweep of tiny runs (1 ms, 1 vCPU) on every core through runSweep in
//     this process, sampling the process's RSS (main thread and workers) and the main
//     thread's JS heap (after a forced GC) every 250 runs: start, end, max and the
//     least-squares slope per run.
// Release wasm. Run with `node --expose-gc --import tsx bench/sweep.bench.ts`
// (npm run bench does); `--quick` shrinks every part for a smoke test and writes nothing.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// The built package (npm run bench builds it first): what `tscsim sweep` runs, with
// plain-JavaScript workers rather than workers that compile the TypeScript sources.
import { wasmVariant } from "../dist/wasm.js";
import { parseSweep } from "../dist/sweep/file.js";
import { Grid } from "../dist/sweep/grid.js";
import { runSweep } from "../dist/sweep/runner.js";
import { median, refuseDebugWasm, writeJson } from "./report.js";

refuseDebugWasm(wasmVariant);

const quick = process.argv.includes("--quick");
const gc = (globalThis as { gc?: () => void }).gc;
const cores = os.availableParallelism();
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-sweep-bench-"));

const THROUGHPUT_SWEEP = {
  base: "cyclictest",
  set: { duration: quick ? "50ms" : "1s", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": { from: 0, to: 5000, step: 250 }, "kvm.era": ["v5.1", "v5.4"], "kvm.hvTimer": [true, false] },
  seeds: quick ? 1 : 20,
};
const THROUGHPUT_REPS = quick ? 1 : 3;
/** Runs per bare thread for the simulator's own scaling, and how many of them are the untimed cold start. */
const RAW_RUNS = quick ? 15 : 130;
const RAW_SKIP = 10;
const MEMORY_RUNS = quick ? 1000 : 10_000;
const MEMORY_SWEEP = {
  base: "cyclictest",
  set: { duration: "1ms", "vms.0.vcpus": 1, "kvm.era": "v5.4", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": { from: 0, to: (MEMORY_RUNS / 10 - 1) * 10, step: 10 } },
  seeds: 10,
};

/** System-wide CPU time (all cores) from /proc/stat, in seconds; null where there is none. */
function systemCpu(): { busyS: number } | null {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
    return { busyS: busy / 100 }; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * Watches a measurement: load averages, and the cores' worth of CPU that other
 * processes used meanwhile — system-wide busy time minus this process's and minus
 * `childCpuS()` (the sweep process's own CPU time, from its last timing line).
 */
function watch(childCpuS: () => number = () => 0): () => { loadavgStart: number[]; loadavgEnd: number[]; otherCpuCores: number | null } {
  const loadavgStart = os.loadavg();
  const sys0 = systemCpu();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const sys1 = systemCpu();
    const own = process.cpuUsage(own0);
    const ownS = (own.user + own.system) / 1e6;
    const otherCpuCores = sys0 === null || sys1 === null ? null : Math.max(0, (sys1.busyS - sys0.busyS - ownS - childCpuS()) / wallS);
    return { loadavgStart, loadavgEnd: os.loadavg(), otherCpuCores };
  };
}

interface Throughput {
  workers: number;
  loadavgStart: number[];
  loadavgEnd: number[];
  /** Cores' worth of CPU other processes used during the measurement (null off Linux). */
  otherCpuCores: number | null;
  runs: number;
  interrupts: number;
  wallMs: number;
  runsPerSecond: number;
  interruptsPerSecond: number;
  steadyRunsPerSecond: number;
  steadyInterruptsPerSecond: number;
  /** The fixed part of end to end: from spawning the process to the first line in the results file (start-up, workers, the first run), and from the last line to the process's exit (pool shut down, exit), ms. */
  firstLineMs: number;
  afterLastLineMs: number;
}

// The package's bin (package.json "bin"): what `tscsim` runs for a user. Its sweep
// workers are the bundled worker, dist/bundle/sweep-worker.cjs (src/sweep/pool.ts).
const CLI = new URL("../dist/bundle/tscsim.cjs", import.meta.url).pathname;
const THROUGHPUT_FILE = join(dir, "throughput.json");
/** Runs in the throughput grid: each sweep must write a line for every one. */
const THROUGHPUT_RUNS = new Grid(parseSweep(THROUGHPUT_SWEEP, THROUGHPUT_FILE)).size;
writeFileSync(THROUGHPUT_FILE, JSON.stringify(THROUGHPUT_SWEEP));
/**
 * `tscsim sweep` as a user runs it — a new process, the built CLI, progress lines on a
 * non-terminal stderr — timed from spawning it to its exit: that is "end to end". The
 * steady-state clock runs from the first line written to the last, over the runs after
 * the first, as the sweep itself stamps them (TSCSIM_SWEEP_TIMING=1: src/sweep/timing.ts,
 * each stamp also in ms since the epoch, which this process's clock shares); the sweep's
 * CPU time, for the "other processes" figure, is its own last stamp. Nothing watches the
 * results file meanwhile: looking at it every 10 ms cost ~4.5 % of a CPU on this VM,
 * taken from the workers when two fill both CPUs (the bare threads of the ceiling ran
 * without it). Interrupts are summed from the lines themselves.
 */
async function throughput(workers: number): Promise<Throughput> {
  const out = join(dir, `throughput-${workers}.jsonl`);
  let childCpu = 0;
  const done = watch(() => childCpu);
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, "sweep", THROUGHPUT_FILE, "--out", out, "--workers", String(workers)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, TSCSIM_SWEEP_TIMING: "1" },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const endMs = performance.now();
  /** A step's stamp, as this process's performance.now() (the epoch ms less this process's time origin). */
  const stampMs = (step: string): number => {
    const m = new RegExp(`^tscsim: sweep timing [0-9.]+ ms \\(([0-9.]+) epoch ms\\) ${step}$`, "m").exec(stderr);
    if (m === null) throw new Error(`bench: tscsim sweep --workers ${workers} printed no "${step}" timing line: ${stderr.slice(-500)}`);
    return Number(m[1]) - performance.timeOrigin;
  };
  if (code !== 0) throw new Error(`bench: tscsim sweep --workers ${workers} exited ${code}: ${stderr}`);
  const firstMs = stampMs("first line written");
  const lastGrowMs = stampMs("last line written");
  childCpu = Number(/^tscsim: sweep timing .* process CPU ([0-9.]+) ms$/m.exec(stderr)?.[1] ?? 0) / 1000;
  const machine = done();
  const lines = readFileSync(out, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { status: string; result: { interrupts: number } });
  rmSync(out);
  if (lines.some((l) => l.status !== "ok")) throw new Error("bench: runs failed");
  if (lines.length !== THROUGHPUT_RUNS) throw new Error(`bench: tscsim sweep --workers ${workers} wrote ${lines.length} lines for ${THROUGHPUT_RUNS} runs`);
  const interrupts = lines.reduce((n, l) => n + l.result.interrupts, 0);
  const wallMs = endMs - t0;
  const steadyS = (lastGrowMs - firstMs) / 1000;
  return {
    workers,
    ...machine,
    runs: lines.length,
    interrupts,
    wallMs,
    runsPerSecond: lines.length / (wallMs / 1000),
    interruptsPerSecond: interrupts / (wallMs / 1000),
    steadyRunsPerSecond: (lines.length - 1) / steadyS,
    steadyInterruptsPerSecond: (interrupts - lines[0]!.result.interrupts) / steadyS,
    firstLineMs: firstMs - t0,
    afterLastLineMs: endMs - lastGrowMs,
  };
}

/**
 * The runs the bare threads simulate: RAW_RUNS of them, whole parameter combinations (all
 * their seeds, in order, as a sweep worker takes them) spread evenly over the grid, so
 * that they cost what the sweep's runs cost on average (the grid's first runs, all at
 * the smallest advance, write ~12 KB lines against ~20 KB over the whole grid).
 */
const RAW_INDICES: number[] = (() => {
  const grid = new Grid(parseSweep(THROUGHPUT_SWEEP, THROUGHPUT_FILE));
  const seeds = grid.size / grid.combinations;
  const combos = Math.max(1, Math.ceil(RAW_RUNS / seeds));
  const out: number[] = [];
  for (let j = 0; j < combos && out.length < RAW_RUNS; j++) {
    const combo = Math.floor((j * grid.combinations) / combos);
    for (let s = 0; s < seeds && out.length < RAW_RUNS; s++) out.push(combo * seeds + s);
  }
  return out;
})();

/** Per-run time of the sweep's runs simulated back to back on `threads` bare threads (sweep-raw-worker.mjs), after the cold start. */
async function rawThreads(threads: number): Promise<{ msPerRun: number; interruptsPerRun: number }> {
  // The threads start their timed runs together (sweep-raw-worker.mjs's gate): a thread
  // that started early would otherwise time some runs alone on the machine.
  const gate = new SharedArrayBuffer(8);
  new Int32Array(gate)[1] = threads;
  const replies = await Promise.all(
    Array.from({ length: threads }, () => new Promise<{ timedRuns: number; timedMs: number; interrupts: number }>((resolve, reject) => {
      // Every thread does the same runs (RAW_INDICES): the per-run times compare like with like.
      const w = new Worker(new URL("./sweep-raw-worker.mjs", import.meta.url), { workerData: { sweep: THROUGHPUT_SWEEP, indices: RAW_INDICES, skip: RAW_SKIP, gate } });
      w.once("message", (m) => void w.terminate().then(() => resolve(m)));
      w.once("error", reject);
    })),
  );
  const runs = replies.reduce((n, r) => n + r.timedRuns, 0);
  return { msPerRun: replies.reduce((n, r) => n + r.timedMs, 0) / runs, interruptsPerRun: replies.reduce((n, r) => n + r.interrupts, 0) / runs };
}

/** The simulator's own speed-up from 1 to N threads on this machine right now: N × (per-run time on 1) / (per-run time on N). */
async function simulatorScaling(threads: number): Promise<{ oneThreadMsPerRun: number; nThreadsMsPerRun: number; ceiling: number }> {
  const one = await rawThreads(1);
  const n = await rawThreads(threads);
  return { oneThreadMsPerRun: one.msPerRun, nThreadsMsPerRun: n.msPerRun, ceiling: (threads * one.msPerRun) / n.msPerRun };
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

// The bin keeps a code cache per command, made by the first `tscsim sweep` that has none
// (src/cli/code-cache.ts), and the sweep's workers one of their own, written when a
// worker's first batch returns (src/sweep/worker-code-cache.ts): one untimed one-run
// sweep first fills both, so that every timed sweep — the first 1-worker one included —
// starts as a user's second sweep does.
{
  const warmFile = join(dir, "warm.json");
  const warmOut = join(dir, "warm.jsonl");
  writeFileSync(warmFile, JSON.stringify({ ...THROUGHPUT_SWEEP, axes: { "kvm.timerAdvance": [0] }, seeds: 1 }));
  const warm = spawnSync(process.execPath, [CLI, "sweep", warmFile, "--out", warmOut, "--workers", "1"], { stdio: ["ignore", "ignore", "pipe"] });
  if (warm.status !== 0) throw new Error(`bench: the warm-up sweep exited ${warm.status}: ${warm.stderr}`);
  rmSync(warmOut);
}
const loadStart = os.loadavg();
const started = performance.now();
// The machine is shared: each repetition first measures what the machine offers right
// then, and the 1-worker and all-core sweeps alternate in order so a drift hits both.
interface Rep {
  machine: Awaited<ReturnType<typeof machineParallelism>>;
  simulator: Awaited<ReturnType<typeof simulatorScaling>>;
  one: Throughput;
  all: Throughput;
  speedup: number;
  steadySpeedup: number;
}
const reps: Rep[] = [];
const f2 = (x: number): string => x.toFixed(2);
const load = (t: Throughput): string => `load ${f2(t.loadavgStart[0]!)}→${f2(t.loadavgEnd[0]!)}, others ${t.otherCpuCores === null ? "?" : f2(t.otherCpuCores)} cores`;
for (let r = 0; r < THROUGHPUT_REPS; r++) {
  const machine = await machineParallelism(cores);
  const simulator = await simulatorScaling(cores);
  let one: Throughput;
  let all: Throughput;
  if (r % 2 === 0) {
    one = await throughput(1);
    all = await throughput(cores);
  } else {
    all = await throughput(cores);
    one = await throughput(1);
  }
  // The two sweeps must have done the same work: every run of the grid, and (the results
  // do not depend on the number of workers) the same guest interrupts in all.
  if (one.runs !== all.runs || one.interrupts !== all.interrupts) {
    throw new Error(`bench: the 1-worker and ${cores}-worker sweeps differ: ${one.runs} / ${all.runs} runs, ${one.interrupts} / ${all.interrupts} interrupts`);
  }
  const rep = { machine, simulator, one, all, speedup: all.runsPerSecond / one.runsPerSecond, steadySpeedup: all.steadyRunsPerSecond / one.steadyRunsPerSecond };
  reps.push(rep);
  process.stdout.write(
    `rep ${r + 1}: CPU loop ${f2(machine.speedup)}×, bare simulator ${f2(simulator.ceiling)}× (${f2(simulator.oneThreadMsPerRun)} → ${f2(simulator.nThreadsMsPerRun)} ms/run)\n` +
      `  1 worker:  ${f2(one.runsPerSecond)} runs/s, ${(one.interruptsPerSecond / 1e6).toFixed(3)} M int/s (steady ${f2(one.steadyRunsPerSecond)} runs/s; first line ${one.firstLineMs.toFixed(0)} ms, exit ${one.afterLastLineMs.toFixed(0)} ms after the last) [${load(one)}]\n` +
      `  ${cores} workers: ${f2(all.runsPerSecond)} runs/s, ${(all.interruptsPerSecond / 1e6).toFixed(3)} M int/s (steady ${f2(all.steadyRunsPerSecond)} runs/s; first line ${all.firstLineMs.toFixed(0)} ms, exit ${all.afterLastLineMs.toFixed(0)} ms after the last) [${load(all)}]\n` +
      `  speed-up ${f2(rep.speedup)}× end to end, ${f2(rep.steadySpeedup)}× steady\n`,
  );
}
const med = (pick: (r: Rep) => number): number => median(reps.map(pick));
// The headline is the median over the repetitions of each figure, and of each
// repetition's own speed-up (its 1-worker and all-core sweeps ran minutes apart at most).
const medians = {
  oneWorker: { runsPerSecond: med((r) => r.one.runsPerSecond), interruptsPerSecond: med((r) => r.one.interruptsPerSecond), steadyRunsPerSecond: med((r) => r.one.steadyRunsPerSecond), steadyInterruptsPerSecond: med((r) => r.one.steadyInterruptsPerSecond), firstLineMs: med((r) => r.one.firstLineMs), afterLastLineMs: med((r) => r.one.afterLastLineMs) },
  allWorkers: { runsPerSecond: med((r) => r.all.runsPerSecond), interruptsPerSecond: med((r) => r.all.interruptsPerSecond), steadyRunsPerSecond: med((r) => r.all.steadyRunsPerSecond), steadyInterruptsPerSecond: med((r) => r.all.steadyInterruptsPerSecond), firstLineMs: med((r) => r.all.firstLineMs), afterLastLineMs: med((r) => r.all.afterLastLineMs) },
  speedup: med((r) => r.speedup),
  steadySpeedup: med((r) => r.steadySpeedup),
  cpuLoopSpeedup: med((r) => r.machine.speedup),
  bareSimulatorSpeedup: med((r) => r.simulator.ceiling),
  // Issue #13 target 6: each repetition's sweep speed-up over the bare-thread ceiling it
  // measured just before (the two CPUs differ, so the absolute speed-up depends on them).
  speedupOfCeiling: med((r) => r.speedup / r.simulator.ceiling),
  steadySpeedupOfCeiling: med((r) => r.steadySpeedup / r.simulator.ceiling),
};
const speedup = medians.speedup;
const steadySpeedup = medians.steadySpeedup;
process.stdout.write(
  `medians over ${reps.length} reps: 1 worker ${f2(medians.oneWorker.runsPerSecond)} runs/s, ${cores} workers ${f2(medians.allWorkers.runsPerSecond)} runs/s; ` +
    `speed-up ${f2(speedup)}× end to end, ${f2(steadySpeedup)}× steady (CPU loop ${f2(medians.cpuLoopSpeedup)}×, bare simulator ${f2(medians.bareSimulatorSpeedup)}×)\n`,
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
  { target: `1→${cores}-worker speed-up >= 0.95× the bare-thread ceiling of the same rep (end to end; median of ${reps.length} reps)`, measured: medians.speedupOfCeiling, pass: medians.speedupOfCeiling >= 0.95 },
  { target: `1→${cores}-worker speed-up >= 0.95× the bare-thread ceiling of the same rep (steady state; median of ${reps.length} reps)`, measured: medians.steadySpeedupOfCeiling, pass: medians.steadySpeedupOfCeiling >= 0.95 },
  { target: `>= 1.8× runs/s from 1 to ${cores} workers (end to end: process start to exit; median of ${reps.length} reps)`, measured: speedup, pass: speedup >= 1.8 },
  { target: `>= 1.8× runs/s from 1 to ${cores} workers (steady state; median of ${reps.length} reps)`, measured: steadySpeedup, pass: steadySpeedup >= 1.8 },
  // Flat: the main thread's heap does not grow with the runs (< 100 B/run over the
  // second half), the workers' wasm memory ends where it started, and the process RSS —
  // which rises and falls with the worker heaps' garbage collection — peaks in the second
  // half no more than 20% above its first-half peak (a leak of even 1 KiB/run would add
  // 5 MiB per 5,000 runs and keep climbing; a GC sawtooth does not). A heap that falls over
  // the second half (a collection late in it) is no leak: only growth fails.
  { target: "flat main-thread heap: < 100 B/run growth over the second half", measured: heap.slopeBytesPerRunSecondHalf, pass: heap.slopeBytesPerRunSecondHalf < 100 },
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
writeJson(fileURLToPath(out), {
  date: new Date().toISOString(),
  machine: { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores, loadavgStart: loadStart, loadavgEnd: os.loadavg() },
  gcExposed: gc !== undefined,
  throughput: {
    sweep: THROUGHPUT_SWEEP,
    runs: reps[0]!.one.runs,
    command: `node dist/bundle/tscsim.cjs sweep <sweep> --out <file> --workers 1|${cores}`,
    medians,
    reps,
  },
  memory: { sweep: MEMORY_SWEEP, ...mem, rssPeakRatioSecondToFirstHalf: rssPeakRatio },
  targets,
  elapsedSeconds: (performance.now() - started) / 1000,
});
process.stdout.write(`wrote ${out.pathname}\n`);
