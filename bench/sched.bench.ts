// The host scheduler's cost on the wasm engine (issue #16 item 8): cyclictest's guest
// timer interrupts per wall-clock second at 64 and 1024 vCPUs without a scheduler, with
// one (one CPU per vCPU, pinned) and with 2:1 overcommit; then the scale case, vCPUs
// ten to a CPU, on both engines. Release wasm. Run with
// `node --import tsx bench/sched.bench.ts` (`--scale-vcpus N`, default 10,000; 100,000
// is the case and takes minutes on the TypeScript engine, so that engine runs
// a tenth of it). Writes bench/results/sched.json.

import os from "node:os";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../src/wasm.js";
import type { EngineChoice } from "../src/sim/engine.js";
import { median, refuseDebugWasm, writeJson } from "./report.js";
import { buildShared, cyclictestSets, timedRun } from "./cyclictest-case.js";

refuseDebugWasm(wasmVariant);

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const scaleVcpus = arg("--scale-vcpus", 10_000);
const reps = arg("--reps", 5);

type Variant = "none" | "pinned" | "overcommit";
const VARIANTS: readonly Variant[] = ["none", "pinned", "overcommit"];

/** cyclictest at 1 ms as bench/sim.bench.ts runs it; the scheduler as the variant says. */
function variantSets(vcpus: number, durationNs: number, variant: Variant): string[] {
  const sets = cyclictestSets(vcpus, durationNs);
  if (variant === "pinned") sets.push(`host.cpus=${vcpus}`, `vms.0.pin=${JSON.stringify(Array.from({ length: vcpus }, (_, i) => i))}`);
  if (variant === "overcommit") sets.push(`host.cpus=${Math.max(1, vcpus / 2)}`);
  return sets;
}

const once = (vcpus: number, durationNs: number, variant: Variant, engine: EngineChoice) => timedRun(buildShared("cyclictest", variantSets(vcpus, durationNs, variant), engine));

const loadAtStart = os.loadavg()[0]!;
const throughput = [];
for (const [vcpus, durationNs] of [
  [64, 1e9],
  [1024, 200e6],
] as const) {
  // Warm-up, then the variants interleaved rep by rep, so a slower phase of the shared machine hits all three.
  for (const v of VARIANTS) once(vcpus, durationNs, v, "wasm");
  const walls: Record<Variant, number[]> = { none: [], pinned: [], overcommit: [] };
  const counts: Record<Variant, { interrupts: number; events: number }> = { none: { interrupts: 0, events: 0 }, pinned: { interrupts: 0, events: 0 }, overcommit: { interrupts: 0, events: 0 } };
  for (let r = 0; r < reps; r++) {
    for (const v of VARIANTS) {
      const run = once(vcpus, durationNs, v, "wasm");
      walls[v].push(run.wallMs);
      counts[v] = { interrupts: run.interrupts, events: run.events };
    }
  }
  for (const v of VARIANTS) {
    const wallMs = median(walls[v]);
    const row = {
      vcpus,
      variant: v,
      simulatedNs: durationNs,
      ...counts[v],
      wallMsMedian: wallMs,
      wallMsAll: walls[v],
      interruptsPerSecond: counts[v].interrupts / (wallMs / 1000),
      eventsPerSecond: counts[v].events / (wallMs / 1000),
      ratioToNone: median(walls.none) / wallMs,
    };
    throughput.push(row);
    process.stdout.write(
      `${String(vcpus).padStart(5)} vCPUs, ${v.padEnd(10)}: ${(row.interruptsPerSecond / 1e6).toFixed(2)} M interrupts/s, ${(row.eventsPerSecond / 1e6).toFixed(2)} M events/s, ${row.ratioToNone.toFixed(2)}× the speed without a scheduler (wall ms ${walls[v].map((w) => w.toFixed(0)).join(" ")})\n`,
    );
  }
}

// Scale: vCPUs ten to a CPU, 50 µs of work per 1 ms wake-up (run queues that fill), 20 ms.
const scale = [];
for (const [engine, vcpus] of [
  ["wasm", scaleVcpus],
  ["ts", Math.max(10, scaleVcpus / 10)],
  ["wasm", Math.max(10, scaleVcpus / 10)],
] as const) {
  const sets = [`vms.0.vcpus=${vcpus}`, "duration=20ms", "vms.0.workload.interval=1ms", "vms.0.workload.work=50us", "vms.0.workload.printSummary=false", `host.cpus=${vcpus / 10}`];
  const { wallMs, interrupts, events } = timedRun(buildShared("cyclictest", sets, engine));
  const row = { engine, vcpus, cpus: vcpus / 10, simulatedNs: 20e6, wallMs, interrupts, events, interruptsPerSecond: interrupts / (wallMs / 1000), eventsPerSecond: events / (wallMs / 1000) };
  scale.push(row);
  process.stdout.write(`scale: ${vcpus} vCPUs on ${vcpus / 10} CPUs (${engine}): ${(row.interruptsPerSecond / 1e3).toFixed(0)} k interrupts/s, ${(row.eventsPerSecond / 1e6).toFixed(2)} M events/s, ${(wallMs / 1000).toFixed(1)} s\n`);
}

writeJson(fileURLToPath(new URL("results/sched.json", import.meta.url)), {
  schema: "tscsim-bench-sched/1",
  date: new Date().toISOString(),
  machine: { node: process.version, cpuModel: os.cpus()[0]?.model ?? "", cores: os.cpus().length, loadAverage1m: { atStart: loadAtStart, atEnd: os.loadavg()[0]! } },
  config: { reps, scaleVcpus },
  throughput,
  scale,
});
