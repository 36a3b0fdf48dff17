import { loadScenario } from "../src/scenario/load.js";
import { Simulation } from "../src/sim/engine.js";
import { HostMetrics } from "../src/metrics/index.js";
const n = Number(process.argv[2] ?? 1024);
const dur = Number(process.argv[3] ?? 200e6);
const engine = (process.argv[4] ?? "auto") as "auto";
for (let rep = 0; rep < Number(process.argv[5] ?? 3); rep++) {
const config = loadScenario("cyclictest", [`vms.0.vcpus=${n}`, `duration=${dur}`, "vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz", "vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"]);
const host = new HostMetrics({ perVcpuHistograms: false });
const sim = new Simulation(config, (id) => host.addVcpu(id.vm, id.vcpu), [], { engine });
const t0 = performance.now(); const c0 = process.cpuUsage();
sim.run();
const wall = performance.now() - t0; const cu = process.cpuUsage(c0); const ms = (cu.user + cu.system) / 1000;
console.log(sim.engine, `wall ${wall.toFixed(0)} cpu ${ms.toFixed(0)} ms`, `${(sim.events / ms / 1e3).toFixed(2)} M ev/s`, `${((n * dur / 1e6) / ms / 1e3).toFixed(2)} M int/s approx`);
}
