// A bare thread for bench/sweep.bench.ts's "what the machine allows" reading: the sweep's
// runs, simulated back to back doing exactly a sweep worker's per-run work (runToLine,
// src/sweep/run-task.ts: scenario through the same RunConfigMemo, simulation with
// histograms, result JSON, the encoded results line), with no pool, no messages per run
// and no results file. Plain JavaScript on the built package, so a worker thread needs no
// TypeScript loader.
//
// workerData: { sweep, indices, skip, gate, cpu } — the grid's runs at `indices`, in that order;
// the first `skip` are not timed (cold JIT). `gate` is a SharedArrayBuffer of two Int32
// cells: each thread adds 1 to cell 0 when its untimed runs are done, and the timed runs
// start only when cell 0 reaches cell 1 (the number of threads), so the threads' timed
// runs overlap from the first to (nearly) the last: none is timed while it has a core to
// itself. `cpu`, if set, is the CPU this thread pins itself to (taskset). Replies
// { timedRuns, timedMs, interrupts, lineBytes }.

import { spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { parseSweep } from "../dist/sweep/file.js";
import { Grid } from "../dist/sweep/grid.js";
import { RunConfigMemo } from "../dist/sweep/scenario-of-run.js";
import { runToLine } from "../dist/sweep/run-task.js";

const { sweep, indices, skip, gate, cpu } = workerData;
// Pinned to a CPU when asked (sweep.bench.ts's pinThread, for the lone thread): this
// thread's OS id from /proc/thread-self (<pid>/task/<tid>).
if (cpu !== undefined) {
  const tid = /task\/(\d+)$/.exec(readlinkSync("/proc/thread-self"))?.[1];
  const r = spawnSync("taskset", ["-p", "-c", String(cpu), String(tid)], { encoding: "utf8" });
  if (tid === undefined || r.status !== 0) throw new Error(`bench: cannot pin a bare thread to CPU ${cpu}: ${r.error?.message ?? r.stderr}`);
}
const spec = parseSweep(sweep, "bench-raw.json");
const grid = new Grid(spec);
const configs = new RunConfigMemo({ baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set });
const cells = new Int32Array(gate);
let timedMs = 0;
let timedRuns = 0;
let interrupts = 0;
let lineBytes = 0;
for (let i = 0; i < indices.length; i++) {
  if (i === skip) {
    Atomics.add(cells, 0, 1);
    Atomics.notify(cells, 0);
    for (let n = Atomics.load(cells, 0); n < cells[1]; n = Atomics.load(cells, 0)) Atomics.wait(cells, 0, n);
  }
  const run = grid.runAt(indices[i]);
  const t0 = performance.now();
  const r = runToLine(configs, run, "full");
  if (i >= skip) {
    timedMs += performance.now() - t0;
    timedRuns++;
    interrupts += r.interrupts;
    lineBytes += r.line.length;
  }
}
parentPort.postMessage({ timedRuns, timedMs, interrupts, lineBytes });
