// The simulation the throughput benches time (sim, native-sim, workloads, sched): a preset
// with the benches' common TSC rates, the host's collectors with shared histograms as
// `tscsim run` makes them, and one timed `Simulation.run()`.

import { loadScenario } from "../src/scenario/load.js";
import { Simulation, type EngineChoice } from "../src/sim/engine.js";
import { HostMetrics } from "../src/metrics/index.js";

/** The guest and host TSC rates every throughput bench runs at. */
export const BENCH_RATES = ["vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz"] as const;

/** cyclictest at a 1 ms interval, no summary lines, on `vcpus` vCPUs for `durationNs`. */
export function cyclictestSets(vcpus: number, durationNs: number): string[] {
  return [`vms.0.vcpus=${vcpus}`, `duration=${durationNs}`, ...BENCH_RATES, "vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"];
}

/** `preset` with `sets`, as `tscsim run` builds it: the simulation adds the host's collectors (shared histograms). */
export function buildShared(preset: string, sets: readonly string[], engine: EngineChoice): { sim: Simulation; host: HostMetrics } {
  const host = new HostMetrics({ perVcpuHistograms: false });
  return { sim: new Simulation(loadScenario(preset, [...sets]), host, [], { engine }), host };
}

export interface TimedRun {
  wallMs: number;
  interrupts: number;
  events: number;
  engine: string;
}

/** One timed run of a simulation built by buildShared, with its counts. */
export function timedRun({ sim, host }: { sim: Simulation; host: HostMetrics }): TimedRun {
  const t0 = performance.now();
  sim.run();
  const wallMs = performance.now() - t0;
  return { wallMs, interrupts: host.vcpus.reduce((n, m) => n + m.totals().interrupts, 0), events: sim.events, engine: sim.engine };
}
