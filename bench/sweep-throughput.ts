// The throughput half of bench/sweep.bench.ts: one `tscsim sweep` timed as a user runs
// it (throughput), the sweep's own runs on bare threads (rawThreads), and a sweep with
// bare readings of its own thread count just before and after it (bracketed).

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { parseSweep } from "../dist/sweep/file.js";
import { Grid } from "../dist/sweep/grid.js";
import { workerDataOf } from "../dist/sweep/pool.js";
import { watch } from "./sweep-machine.js";
import { pinThread, threadCpuMs } from "./pin-thread.mjs";

/**
 * The throughput grid, 1,680 runs (bench/README.md, "Why this grid"): the cyclictest
 * preset, 1 s simulated, advance 0–5000 ns by 250 × era v5.1/v5.4 × preemption timer on/off
 * × 20 seeds. `quick` shrinks it for a smoke test (50 ms, one seed).
 */
export function benchGrid(quick = false): { base: string; set: Record<string, unknown>; axes: Record<string, unknown>; seeds: number } {
  return {
    base: "cyclictest",
    set: { duration: quick ? "50ms" : "1s", "vms.0.workload.printSummary": false },
    axes: { "kvm.timerAdvance": { from: 0, to: 5000, step: 250 }, "kvm.era": ["v5.1", "v5.4"], "kvm.hvTimer": [true, false] },
    seeds: quick ? 1 : 20,
  };
}

// The package's bin (package.json "bin"): what `tscsim` runs for a user. Its sweep
// workers are the bundled worker, dist/bundle/sweep-worker.cjs (src/sweep/pool.ts).
export const CLI = new URL("../dist/bundle/tscsim.cjs", import.meta.url).pathname;

export interface Throughput {
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
  /** Share of the workers' time in steady state spent in runs (the lines' wallMs after the first, over workers × the steady span). */
  workersBusy: number;
  /** Mean of the lines' own wallMs (the worker's time for each run) over the bare threads' timed runs: the bare reading's counterpart, taken during the sweep. */
  workerMsPerRawRun: number;
  /** Mean of the lines' own wallMs over every run of the grid. */
  workerMsPerRun: number;
  /**
   * Share of the workers' wall time in steady state during which they had a CPU: their
   * threads' CPU time (read from /proc every 500 ms) over the wall time between the first
   * and last readings inside the steady span; null off Linux or with too short a span.
   * The rest is time a worker was ready but another thread (the main thread, V8's helper
   * threads, the other worker, other processes) had its CPU. Drift-free: both are taken
   * over the same interval.
   */
  workersCpuShare: number | null;
  /** Share of the workers' time end to end (workers × the process's wall time) spent in runs: all the lines' wallMs over it. Start-up, shut-down and idle workers lower it; measured within the one sweep, so the machine's drift barely enters it. */
  inRunsShare: number;
}

/**
 * A sweep on `workers` workers with the same number of bare threads timed just before and
 * just after it (the ceiling's two halves, each next to the sweep it is compared with).
 * On this VM the machine's own speed moves by a third within a minute (the host's other
 * tenants): a ceiling taken minutes before the sweeps, as this bench first did, read
 * above 2× on two CPUs in half of one round's repetitions. `drift` (the two bare
 * readings' difference over their mean) says how far the machine moved under the sweep.
 */
export interface Bracketed {
  before: { msPerRun: number };
  sweep: Throughput;
  after: { msPerRun: number };
  /** Mean of the two bare readings: per-run time on this many bare threads. */
  rawMsPerRun: number;
  /** Mean of the two bare readings' share of the threads' wall time with a CPU (null off Linux). */
  rawCpuShare: number | null;
  drift: number;
}

/** What sweepThroughput needs: the grid (a sweep file's object), where to write, and the bare threads' run counts. */
export interface ThroughputConfig {
  sweep: unknown;
  /** A scratch directory for the sweep file and results. */
  dir: string;
  /** Runs per bare thread, of which the first `rawSkip` are untimed (cold JIT). */
  rawRuns: number;
  rawSkip: number;
  /** A forced GC (node --expose-gc), if there is one. */
  gc?: () => void;
}

/** The measurements over one grid: `runs` is its size, `bracketed` a sweep with its bare readings. */
export function sweepThroughput({ sweep: THROUGHPUT_SWEEP, dir, rawRuns: RAW_RUNS, rawSkip: RAW_SKIP, gc }: ThroughputConfig): {
  runs: number;
  bracketed: (workers: number, pinCpu?: number) => Promise<Bracketed>;
} {
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
  async function throughput(workers: number, pinCpu?: number): Promise<Throughput> {
    const out = join(dir, `throughput-${workers}.jsonl`);
    let childCpu = 0;
    const done = watch(() => childCpu);
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, "sweep", THROUGHPUT_FILE, "--out", out, "--workers", String(workers)], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, TSCSIM_SWEEP_TIMING: "1" },
    });
    let stderr = "";
    let pinned = 0;
    const workerTids: number[] = [];
    child.stderr.on("data", (d: Buffer) => {
      const from = stderr.lastIndexOf("\n") + 1;
      stderr += d.toString();
      // Each worker says which OS thread it is as soon as it has loaded (TSCSIM_SWEEP_TIMING=1).
      for (const m of stderr.slice(from).matchAll(/^tscsim: sweep worker thread (\d+)$/gm)) {
        workerTids.push(Number(m[1]));
        if (pinCpu === undefined) continue;
        pinThread(Number(m[1]), pinCpu);
        pinned++;
      }
    });
    // The workers' threads' CPU time, every 500 ms (two small /proc reads: nothing a worker notices).
    const cpuReadings: { atMs: number; cpuMs: (number | null)[] }[] = [];
    const poll = setInterval(() => {
      if (workerTids.length === workers) cpuReadings.push({ atMs: performance.now(), cpuMs: workerTids.map((tid) => threadCpuMs(tid, child.pid!)) });
    }, 500);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(poll);
    const endMs = performance.now();
    /** A step's stamp, as this process's performance.now() (the epoch ms less this process's time origin). */
    const stampMs = (step: string): number => {
      const m = new RegExp(`^tscsim: sweep timing [0-9.]+ ms \\(([0-9.]+) epoch ms\\) ${step}$`, "m").exec(stderr);
      if (m === null) throw new Error(`bench: tscsim sweep --workers ${workers} printed no "${step}" timing line: ${stderr.slice(-500)}`);
      return Number(m[1]) - performance.timeOrigin;
    };
    if (code !== 0) throw new Error(`bench: tscsim sweep --workers ${workers} exited ${code}: ${stderr}`);
    if (pinCpu !== undefined && pinned !== workers) throw new Error(`bench: tscsim sweep --workers ${workers} named ${pinned} worker threads to pin to CPU ${pinCpu}: ${stderr.slice(-500)}`);
    const firstMs = stampMs("first line written");
    const lastGrowMs = stampMs("last line written");
    childCpu = Number(/^tscsim: sweep timing .* process CPU ([0-9.]+) ms$/m.exec(stderr)?.[1] ?? 0) / 1000;
    const machine = done();
    const lines = readFileSync(out, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { id: string; status: string; wallMs: number; result: { interrupts: number } });
    rmSync(out);
    if (lines.some((l) => l.status !== "ok")) throw new Error("bench: runs failed");
    if (lines.length !== THROUGHPUT_RUNS) throw new Error(`bench: tscsim sweep --workers ${workers} wrote ${lines.length} lines for ${THROUGHPUT_RUNS} runs`);
    const interrupts = lines.reduce((n, l) => n + l.result.interrupts, 0);
    // The workers' own time per run (each line's wallMs) on the runs the bare threads do:
    // the same runs, timed the same way, during the sweep.
    const rawIds = new Set(RAW_RUNS_OF_GRID.slice(RAW_SKIP).map((r) => r.id));
    const onRaw = lines.filter((l) => rawIds.has(l.id));
    const workerMsPerRawRun = onRaw.reduce((n, l) => n + l.wallMs, 0) / onRaw.length;
    // The share of the workers' time in steady state spent in runs: the lines' wallMs
    // (after the first line) over workers × the steady span. Measured within the one sweep,
    // so the machine's drift does not enter it; what it misses is the time the workers wait
    // for runs, hand results over, and lose to this process's other threads.
    const steadyRunMs = lines.slice(1).reduce((n, l) => n + l.wallMs, 0);
    // Readings strictly inside the steady span in which every worker thread was still there.
    const inSpan = cpuReadings.filter((r) => r.atMs > firstMs && r.atMs < lastGrowMs && r.cpuMs.every((c) => c !== null));
    const workersCpuShare =
      inSpan.length < 2 ? null : inSpan.at(-1)!.cpuMs.reduce((n: number, c, i) => n + c! - inSpan[0]!.cpuMs[i]!, 0) / (workers * (inSpan.at(-1)!.atMs - inSpan[0]!.atMs));
    const allRunMs = steadyRunMs + lines[0]!.wallMs;
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
      workerMsPerRawRun,
      workerMsPerRun: allRunMs / lines.length,
      workersCpuShare,
      inRunsShare: allRunMs / (workers * wallMs),
      workersBusy: steadyRunMs / (workers * (lastGrowMs - firstMs)),
      firstLineMs: firstMs - t0,
      afterLastLineMs: endMs - lastGrowMs,
    };
  }

  /** The smallest stride ≥ `want` that shares no factor with `n`: stepping by it visits every residue mod n. */
  function coprimeStride(want: number, n: number): number {
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    let s = Math.max(1, want);
    while (gcd(s, n) !== 1) s++;
    return s;
  }

  /**
   * The runs the bare threads simulate: RAW_RUNS of them, whole parameter combinations (all
   * their seeds, in order, as a sweep worker takes them) spread over the grid so that they
   * cost what the sweep's runs cost on average. Combinations are taken with a stride that
   * shares no factor with their count, so that every axis's values come in turn: until
   * 2026-12-06 the stride was a multiple of the inner axes' product (84 combinations, every
   * 4th, then every 12th), and every bare run was era v5.1 with the preemption timer on, the
   * costliest quarter of the grid (~15 % more events per run than with it off; 23.2 ms a
   * run against 18.9–20.4 ms for the other three quarters in one sample), so the bare
   * threads read slower per run than the sweep's workers. Before that they were the grid's
   * first 130 runs, all at the smallest advance (lines of ~12 KB against ~20 KB).
   */
  const { RAW_RUNS_OF_GRID, RAW_BASE } = (() => {
    const spec = parseSweep(THROUGHPUT_SWEEP, THROUGHPUT_FILE);
    const grid = new Grid(spec);
    const seeds = grid.size / grid.combinations;
    const combos = Math.max(1, Math.ceil(RAW_RUNS / seeds));
    const stride = coprimeStride(Math.round(grid.combinations / combos), grid.combinations);
    const out: { index: number; id: string; params: Record<string, unknown>; seed: number }[] = [];
    for (let j = 0; j < combos && out.length < RAW_RUNS; j++) {
      const combo = (j * stride) % grid.combinations;
      for (let s = 0; s < seeds && out.length < RAW_RUNS; s++) {
        // As a sweep task carries a run (src/sweep/worker.ts RunTask, less the attempt).
        const { index, id, params, seed } = grid.runAt(combo * seeds + s);
        out.push({ index, id, params, seed });
      }
    }
    // A sweep worker's workerData, which the worker's bundle reads as it loads.
    return { RAW_RUNS_OF_GRID: out, RAW_BASE: workerDataOf(spec, "full") };
  })();

  /** Per-run time of the sweep's runs simulated back to back on `threads` bare threads (sweep-raw-worker.mjs), after the cold start. */
  async function rawThreads(threads: number, pinCpu?: number): Promise<{ msPerRun: number; interruptsPerRun: number; cpuShare: number | null }> {
    // The threads start their timed runs together (sweep-raw-worker.mjs's gate): a thread
    // that started early would otherwise time some runs alone on the machine.
    // The throughput reading before it parsed a results file of ~34 MB in this thread:
    // collect that garbage now rather than while the bare threads are timed.
    gc?.();
    const gate = new SharedArrayBuffer(8);
    new Int32Array(gate)[1] = threads;
    const replies = await Promise.all(
      Array.from({ length: threads }, () => new Promise<{ timedRuns: number; timedMs: number; interrupts: number; timedSpanMs: number; timedCpuMs: number | null }>((resolve, reject) => {
        // Every thread does the same runs (RAW_RUNS_OF_GRID): the per-run times compare like with like.
        const w = new Worker(new URL("./sweep-raw-worker.mjs", import.meta.url), { workerData: { ...RAW_BASE, runs: RAW_RUNS_OF_GRID, skip: RAW_SKIP, gate, cpu: pinCpu } });
        w.once("message", (m) => void w.terminate().then(() => resolve(m)));
        w.once("error", reject);
      })),
    );
    const runs = replies.reduce((n, r) => n + r.timedRuns, 0);
    const cpuShare = replies.some((r) => r.timedCpuMs === null) ? null : replies.reduce((n, r) => n + r.timedCpuMs!, 0) / replies.reduce((n, r) => n + r.timedSpanMs, 0);
    return { msPerRun: replies.reduce((n, r) => n + r.timedMs, 0) / runs, interruptsPerRun: replies.reduce((n, r) => n + r.interrupts, 0) / runs, cpuShare };
  }


  async function bracketed(workers: number, pinCpu?: number): Promise<Bracketed> {
    const before = await rawThreads(workers, pinCpu);
    const sweep = await throughput(workers, pinCpu);
    const after = await rawThreads(workers, pinCpu);
    const rawMsPerRun = (before.msPerRun + after.msPerRun) / 2;
    const rawCpuShare = before.cpuShare === null || after.cpuShare === null ? null : (before.cpuShare + after.cpuShare) / 2;
    return { before: { msPerRun: before.msPerRun }, sweep, after: { msPerRun: after.msPerRun }, rawMsPerRun, rawCpuShare, drift: Math.abs(after.msPerRun - before.msPerRun) / rawMsPerRun };
  }
  return { runs: THROUGHPUT_RUNS, bracketed };
}
