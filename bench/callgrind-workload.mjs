// A workloads-bench row's wasm loop for instruction counts (bench/README.md, "Instruction
// counts"), as bench/native/callgrind-run.mjs does for cyclictest: four warm-up runs of the
// warm-up duration, then one of the given duration. Run it twice under callgrind with two
// durations; the difference in instructions over the difference in interrupts is the
// loop's cost per interrupt. Uses the built package (npm run build).
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable --no-liftoff \
//     --hash-seed=1 --random-seed=1 bench/callgrind-workload.mjs rearm-storm 1024 2.5e6 12.5e6
//
// Rows: cyclictest, rearm-storm, rearm-storm-lazy, cyclictest-pv, cyclictest-lazy, periodic-busy,
// periodic-hlt (bench/workloads.bench.ts's rows).

import { wasm } from "../dist/wasm.js";
import { loadScenario } from "../dist/scenario/load.js";
import { Simulation } from "../dist/sim/engine.js";
import { HostMetrics } from "../dist/metrics/index.js";
import { pathToFileURL } from "node:url";

const ROWS = {
  cyclictest: ["cyclictest", ["vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"]],
  "rearm-storm": ["s15-lazy-tscdeadline", ["kvm.lazyTscDeadline=false"]],
  "rearm-storm-lazy": ["s15-lazy-tscdeadline", []],
  "cyclictest-pv": ["cyclictest", ["vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false", "kvm.pvDeadline=true", "vms.0.workload.deadlineMsr=pv"]],
  "cyclictest-lazy": ["cyclictest", ["vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false", "kvm.lazyTscDeadline=true"]],
  "periodic-busy": ["s10-periodic-negative-delta", []],
  "periodic-hlt": ["s10-periodic-negative-delta", ["vms.0.workload.wait=hlt"]],
};
/**
 * Four warm-up runs of warmNs, then one of durationNs, of a row's wasm loop alone (the
 * metric log cleared as it fills); prints the last run's events and interrupts, then the
 * interrupts of all five runs (bench/native/wasm-lines.mjs counts over the whole run).
 */
export function runRow(name, vcpus, warmNs, durationNs) {
  const row = ROWS[name];
  if (row === undefined) throw new Error(`row: one of ${Object.keys(ROWS).join(", ")}`);
  const scenario = (d) => loadScenario(row[0], [`vms.0.vcpus=${vcpus}`, `duration=${d}`, "vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz", ...row[1]]);
  let interrupts = 0;
  let allRuns = 0;
  for (const d of [warmNs, warmNs, warmNs, warmNs, durationNs]) {
    const sim = new Simulation(scenario(d), new HostMetrics({ perVcpuHistograms: false }), [], { engine: "wasm" });
    sim.start();
    while (wasm.ctEngineRun() !== 0) wasm.engineLogClear();
    interrupts = 0;
    for (let v = 0; v < vcpus; v++) interrupts += new Float64Array(wasm.memory.buffer, wasm.engineSlotsOf(v), 1)[0];
    allRuns += interrupts;
  }
  process.stdout.write(`events ${wasm.ctEngineEvents()} interrupts ${interrupts} (last run)\nall runs: interrupts ${allRuns}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const warmNs = Number(process.argv[4] ?? 2.5e6);
  runRow(process.argv[2] ?? "rearm-storm", Number(process.argv[3] ?? 1024), warmNs, Number(process.argv[5] ?? warmNs));
}
