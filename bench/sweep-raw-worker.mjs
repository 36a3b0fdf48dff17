// A bare thread for bench/sweep.bench.ts's "what the machine allows" reading: the sweep's
// runs, simulated back to back doing exactly a sweep worker's per-run work (runToLine,
// src/sweep/run-task.ts: scenario through the same RunConfigMemo, simulation with
// histograms, result JSON, the encoded results line), with no pool, no messages per run
// and no results file. The code is the sweep worker's own, as built: its bundle,
// dist/bundle/sweep-worker-code.cjs (src/sweep/worker.ts exports runToLine and
// RunConfigMemo for this). Until 2026-12-06 these threads ran the unbundled dist/
// modules: a sweep's lone worker then took up to a quarter less time per run than the
// lone bare thread on the same CPU. Per run the bare thread executes ~109 M
// instructions either way (callgrind: 109.3 M unbundled, 109.0 M bundled) against the
// sweep worker's 105.9 M; the bundled code's cost in time is nearer the worker's
// (pinned to one CPU, three alternations: 2.0–2.4 s of thread CPU for 120 runs against
// the worker's 1.9–2.6 s; unbundled 2.6–3.0 s against 2.2–2.7 s).
//
// workerData: { runs, baseRaw, baseLabel, set, skip, gate, cpu } — the runs ({ index, id,
// params, seed }, as a sweep task carries them) in that order, and the sweep's base and
// `set` (a sweep worker's workerData, which the bundle reads as it loads); the first
// `skip` are not timed (cold JIT). `gate` is a SharedArrayBuffer of two Int32
// cells: each thread adds 1 to cell 0 when its untimed runs are done, and the timed runs
// start only when cell 0 reaches cell 1 (the number of threads), so the threads' timed
// runs overlap from the first to (nearly) the last: none is timed while it has a core to
// itself. `cpu`, if set, is the CPU this thread pins itself to (taskset). Replies
// { timedRuns, timedMs, interrupts, lineBytes, timedSpanMs, timedCpuMs }: the wall time
// from the gate's opening to the last run's end, and the thread's own CPU time over it
// (null off Linux); the first minus the second is the time it waited for a CPU.

import { parentPort, workerData } from "node:worker_threads";
import { ownThreadId, pinThread, threadCpuMs } from "./pin-thread.mjs";
import { loadRunCode } from "./run-code.mjs";

const { runs, skip, gate, cpu } = workerData;
const tid = ownThreadId();
// Pinned to a CPU when asked (for the lone thread: pin-thread.mjs says why).
if (cpu !== undefined) pinThread(tid, cpu);
const { run: runOne } = loadRunCode(workerData);
const cells = new Int32Array(gate);
let timedMs = 0;
let timedRuns = 0;
let interrupts = 0;
let lineBytes = 0;
let cpuStartMs = null;
let spanStartMs = 0;
for (let i = 0; i < runs.length; i++) {
  if (i === skip) {
    Atomics.add(cells, 0, 1);
    Atomics.notify(cells, 0);
    for (let n = Atomics.load(cells, 0); n < cells[1]; n = Atomics.load(cells, 0)) Atomics.wait(cells, 0, n);
    cpuStartMs = threadCpuMs(tid);
    spanStartMs = performance.now();
  }
  const run = runs[i];
  const t0 = performance.now();
  const r = runOne(run);
  if (i >= skip) {
    timedMs += performance.now() - t0;
    timedRuns++;
    interrupts += r.interrupts;
    lineBytes += r.line.length;
  }
}
const cpuEndMs = threadCpuMs(tid);
const timedSpanMs = performance.now() - spanStartMs;
parentPort.postMessage({ timedRuns, timedMs, interrupts, lineBytes, timedSpanMs, timedCpuMs: cpuStartMs === null || cpuEndMs === null ? null : cpuEndMs - cpuStartMs });
