// The wasm engine's loop for instruction counts (bench/README.md, "Instruction counts"):
// four warm-up runs of 20 ms simulated (V8 tiers the wasm up meanwhile), then one of the
// given duration, cyclictest as in bench/native-sim.bench.ts. Run it twice under
// callgrind with two durations; the difference in instructions over the difference in
// interrupts is the loop's cost per interrupt. Uses the built package (npm run build).
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable --no-liftoff --hash-seed=1 --random-seed=1 bench/native/callgrind-run.mjs 1024 20e6
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable --no-liftoff --hash-seed=1 --random-seed=1 bench/native/callgrind-run.mjs 1024 100e6

import { wasm } from "../../dist/wasm.js";
import { loadScenario } from "../../dist/scenario/load.js";
import { Simulation } from "../../dist/sim/engine.js";
import { HostMetrics } from "../../dist/metrics/index.js";

const vcpus = Number(process.argv[2] ?? 1024);
const durationNs = Number(process.argv[3] ?? 20e6);
const scenario = (d) => loadScenario("cyclictest", [`vms.0.vcpus=${vcpus}`, `duration=${d}`, "vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz", "vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"]);
let interrupts = 0;
for (const d of [20e6, 20e6, 20e6, 20e6, durationNs]) {
  const sim = new Simulation(scenario(d), new HostMetrics({ perVcpuHistograms: false }), [], { engine: "wasm" });
  sim.start();
  while (wasm.ctEngineRun() !== 0) wasm.engineLogClear();
  interrupts = 0;
  for (let v = 0; v < vcpus; v++) interrupts += new Float64Array(wasm.memory.buffer, wasm.engineSlotsOf(v), 1)[0];
}
process.stdout.write(`events ${wasm.ctEngineEvents()} interrupts ${interrupts} (last run)\n`);
