// A quick same-process check (issue #13 target 1): interrupts per wall-clock second of the
// periodic (S10's 4768 Hz on the hv timer, busy, and halting between interrupts) and
// oneshot (S08's 100 µs) workloads against
// cyclictest (1 ms), at 64 and 1,024 vCPUs, on the wasm engine; runs interleaved, medians
// and spreads, and the ratio to cyclictest. bench/workloads.bench.ts is the full bench.
// Run with `taskset -c 1 node --import tsx bench/lapic-count-throughput.ts [reps]`.

import { wasmVariant } from "../src/wasm.js";
import { loadScenario } from "../src/scenario/load.js";
import { Simulation } from "../src/sim/engine.js";
import { HostMetrics } from "../src/metrics/index.js";
import { median, refuseDebugWasm } from "./report.js";

refuseDebugWasm(wasmVariant);

/** Each workload's scenario, its simulated ns chosen for ~200,000 interrupts at 64 vCPUs (a fifth at 1,024). */
const WORKLOADS: Record<string, (vcpus: number) => string[]> = {
  cyclictest: (n) => ["cyclictest", `vms.0.vcpus=${n}`, `duration=${n > 64 ? 200e6 : 3e9}`, "vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz", "vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"],
  periodic: (n) => ["s10-periodic-negative-delta", `vms.0.vcpus=${n}`, `duration=${n > 64 ? 42e6 : 650e6}`],
  "periodic-hlt": (n) => ["s10-periodic-negative-delta", `vms.0.vcpus=${n}`, `duration=${n > 64 ? 42e6 : 650e6}`, "vms.0.workload.wait=hlt"],
  oneshot: (n) => ["s08-hv-oneshot", `vms.0.vcpus=${n}`, `duration=${n > 64 ? 20e6 : 310e6}`],
};

function once(args: string[]): { interrupts: number; wallMs: number; engine: string } {
  const [preset, ...overrides] = args;
  const config = loadScenario(preset!, overrides);
  const host = new HostMetrics({ perVcpuHistograms: false });
  const sim = new Simulation(config, host, [], { engine: "auto" });
  const t0 = performance.now();
  sim.run();
  const wallMs = performance.now() - t0;
  return { interrupts: host.vcpus.reduce((n, m) => n + m.totals().interrupts, 0), wallMs, engine: sim.engine };
}

const reps = Number(process.argv[2] ?? 7);
for (const vcpus of [64, 1024]) {
  const rates: Record<string, number[]> = {};
  for (const name of Object.keys(WORKLOADS)) once(WORKLOADS[name]!(vcpus)); // warm-up
  for (let r = 0; r < reps; r++) {
    for (const [name, args] of Object.entries(WORKLOADS)) {
      const { interrupts, wallMs, engine } = once(args(vcpus));
      if (engine !== "wasm") throw new Error(`${name} ran on the ${engine} engine`);
      (rates[name] ??= []).push(interrupts / (wallMs / 1000));
    }
  }
  const base = median(rates.cyclictest!);
  for (const [name, xs] of Object.entries(rates)) {
    const m = median(xs);
    console.log(`${vcpus} vCPUs ${name.padEnd(12)} median ${(m / 1e6).toFixed(3)} M interrupts/s  spread ${(Math.min(...xs) / 1e6).toFixed(3)}-${(Math.max(...xs) / 1e6).toFixed(3)}  ratio to cyclictest ${(m / base).toFixed(3)}`);
  }
}
