// Round-trip accuracy (issue #12 §5), printed: a cyclictest run on a known non-default host
// is traced (ns and µs timestamps), fitted, and run again on the fitted host; prints the
// latency p50/p99 of both runs and each fitted delay's median/p99 against the known ones.
// Run with `npx tsx bench/round-trip.ts` (test/calibrate/round-trip.test.ts asserts the bounds).

import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/sim/run.js";
import { runTraced, traceRequest } from "../src/trace/cli-options.js";
import { fitTraces } from "../src/calibrate/fit-host.js";
const KNOWN: Record<string, { median: number; p99: number }> = { hrtimer: { median: 3000, p99: 15000 }, wakeup: { median: 7000, p99: 30000 }, vmExit: { median: 400, p99: 1200 }, vmEntry: { median: 350, p99: 1000 }, msrExit: { median: 1500, p99: 5000 } };
const sets = Object.entries(KNOWN).map(([n, d]) => `host.delays.${n}={"dist":"lognormal","median":"${d.median}ns","p99":"${d.p99}ns"}`);
const BASE = ["duration=1s", "vms.0.vcpus=4", "kvm.haltPoll.max=0", "vms.0.workload.printSummary=false"];
for (const p of ["ns", "us"] as const) {
  const config = loadScenario("cyclictest", [...BASE, ...sets]);
  const file = `/tmp/rt-${p}.txt`;
  const first = runTraced(config, { engine: "auto" }, traceRequest({ trace: file, traceNs: p === "ns" }, config)!).result;
  const fit = fitTraces([file]);
  const fs2 = Object.entries(fit.host.delays).map(([n, d]) => `host.delays.${n}=${JSON.stringify(d)}`);
  const second = runScenario(loadScenario("cyclictest", [...BASE, ...sets, ...fs2])).result;
  console.log(p, "latency p50", first.latency.ns.p50, second.latency.ns.p50, ((second.latency.ns.p50 / first.latency.ns.p50 - 1) * 100).toFixed(2) + "%", "p99", first.latency.ns.p99, second.latency.ns.p99, ((second.latency.ns.p99 / first.latency.ns.p99 - 1) * 100).toFixed(2) + "%");
  for (const d of fit.delays) if (d.fit) { const k = KNOWN[d.name]!; const q = d.fit.quantilesNs; console.log("  ", d.name, d.fit.chosen.form, JSON.stringify(d.fit.chosen.dist).slice(0, 80), "sample p50", q.p50.toFixed(0), ((q.p50 / k.median - 1) * 100).toFixed(2) + "%", "p99", q.p99.toFixed(0), ((q.p99 / k.p99 - 1) * 100).toFixed(2) + "%"); }
}
