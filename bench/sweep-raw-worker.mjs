// A bare thread for bench/sweep.bench.ts's "what the machine allows" reading: the sweep's
// runs, simulated back to back the way a sweep worker does (scenario through the same
// RunConfigMemo, simulation, result JSON), with no pool, no messages per run and no
// results file. Plain JavaScript on the built package, so a worker thread needs no
// TypeScript loader.
//
// workerData: { sweep, from, count, skip } — runs from..from+count-1 of the grid; the
// first `skip` are not timed (cold JIT). Replies { timedRuns, timedMs, interrupts }.

import { parentPort, workerData } from "node:worker_threads";
import { parseSweep } from "../dist/sweep/file.js";
import { Grid } from "../dist/sweep/grid.js";
import { RunConfigMemo } from "../dist/sweep/scenario-of-run.js";
import { compactResultJson } from "../dist/sweep/line.js";
import { runScenario } from "../dist/sim/run.js";

const { sweep, from, count, skip } = workerData;
const spec = parseSweep(sweep, "bench-raw.json");
const grid = new Grid(spec);
const configs = new RunConfigMemo({ baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set });
let timedMs = 0;
let timedRuns = 0;
let interrupts = 0;
for (let i = 0; i < count; i++) {
  const run = grid.runAt((from + i) % grid.size);
  const t0 = performance.now();
  const config = configs.configOf(run.params, run.seed);
  const { result } = runScenario(config);
  compactResultJson(result);
  if (i >= skip) {
    timedMs += performance.now() - t0;
    timedRuns++;
    interrupts += result.interrupts;
  }
}
parentPort.postMessage({ timedRuns, timedMs, interrupts });
