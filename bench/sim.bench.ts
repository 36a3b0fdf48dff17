// Simulation throughput (issue #3 §9): guest timer interrupts delivered per wall-clock
// second for the cyclictest workload at 1, 64, 1024 and 100,000 vCPUs, events per
// second, and simulator memory per vCPU (excluding latency histograms). Release wasm.
// Run with `node --expose-gc --import tsx bench/sim.bench.ts` (npm run bench does).

import os from "node:os";
import { fileURLToPath } from "node:url";
import { wasm, wasmVariant } from "../src/wasm.js";
import type { EngineChoice, Simulation } from "../src/sim/engine.js";
import type { HostMetrics } from "../src/metrics/index.js";
import { median, refuseDebugWasm, writeJson } from "./report.js";
import { buildShared, cyclictestSets } from "./cyclictest-case.js";

refuseDebugWasm(wasmVariant);

interface Case {
  vcpus: number;
  /** Simulated duration, chosen for a few seconds of wall time. */
  durationNs: number;
  reps: number;
  /**
   * Untimed runs first: V8 compiles wasm with its baseline tier and optimises hot
   * functions in the background, so the first runs of a process are slower (their wall
   * times are kept as `warmupWallMs`).
   */
  warmups: number;
}

const CASES: Case[] = [
  { vcpus: 1, durationNs: 20e9, reps: 11, warmups: 3 },
  { vcpus: 64, durationNs: 1e9, reps: 11, warmups: 3 },
  { vcpus: 1024, durationNs: 200e6, reps: 11, warmups: 3 },
  { vcpus: 100_000, durationNs: 10e6, reps: 1, warmups: 0 },
];

const gc = (globalThis as { gc?: () => void }).gc;

// As `tscsim run` does: the simulation adds the host's collectors (on the wasm engine,
// all but the first when the run ends, inside the timed run).
function build(c: Case, engine: EngineChoice = "auto"): { sim: Simulation; host: HostMetrics } {
  return buildShared("cyclictest", cyclictestSets(c.vcpus, c.durationNs), engine);
}


/** Keeps the measured simulation reachable until the heap readings are taken. */
let keepAlive: unknown = null;

interface MemoryReading {
  bytesPerVcpu: number;
  jsHeapPerVcpu: number;
  arrayBuffersPerVcpu: number;
  wasmPerVcpu: number;
}

/**
 * JS heap, typed-array and wasm memory growth per vCPU (histograms are shared by all
 * vCPUs here, so they are excluded): `simulation` once built and started — the state a
 * run works on — and `afterRun` once run, with every vCPU's collector the result is made
 * from. Measured first, in a fresh wasm memory, so the growth is this simulation's.
 */
function memoryPerVcpu(c: Case): { simulation: MemoryReading; afterRun: MemoryReading } {
  gc?.();
  const base = { heap: process.memoryUsage().heapUsed, buffers: process.memoryUsage().arrayBuffers, wasm: wasm.memory.buffer.byteLength };
  const reading = (): MemoryReading => {
    gc?.();
    const js = (process.memoryUsage().heapUsed - base.heap) / c.vcpus;
    const buffers = (process.memoryUsage().arrayBuffers - base.buffers) / c.vcpus;
    const w = (wasm.memory.buffer.byteLength - base.wasm) / c.vcpus;
    return { bytesPerVcpu: js + buffers + w, jsHeapPerVcpu: js, arrayBuffersPerVcpu: buffers, wasmPerVcpu: w };
  };
  const built = build(c);
  built.sim.start();
  keepAlive = built;
  const simulation = reading();
  built.sim.run();
  const afterRun = reading();
  keepAlive = null;
  return { simulation, afterRun };
}

const memoryAt1e5 = memoryPerVcpu(CASES[CASES.length - 1]!);
const describe = (m: MemoryReading): string =>
  `${m.bytesPerVcpu.toFixed(0)} B/vCPU (JS heap ${m.jsHeapPerVcpu.toFixed(0)}, typed arrays ${m.arrayBuffersPerVcpu.toFixed(0)}, wasm ${m.wasmPerVcpu.toFixed(0)})`;
process.stdout.write(`memory at 100,000 vCPUs: simulation ${describe(memoryAt1e5.simulation)}; after the run, with the collectors ${describe(memoryAt1e5.afterRun)}\n`);
if (gc === undefined) process.stdout.write("(run with node --expose-gc for a clean memory reading)\n");

const results = [];
/** The same 1024-vCPU case on the TypeScript engine, measured in this run for the ratio. */
const TS_CASE: Case & { engine: EngineChoice } = { ...CASES[2]!, engine: "ts" };
for (const c of [...CASES, TS_CASE] as (Case & { engine?: EngineChoice })[]) {
  const walls: number[] = [];
  let interrupts = 0;
  let events = 0;
  let engine = "";
  const warmupWallMs: number[] = [];
  for (let r = 0; r < c.warmups; r++) {
    const { sim } = build(c, c.engine ?? "auto");
    const t0 = performance.now();
    sim.run();
    warmupWallMs.push(performance.now() - t0);
  }
  for (let r = 0; r < c.reps; r++) {
    const { sim, host } = build(c, c.engine ?? "auto");
    engine = sim.engine;
    const t0 = performance.now();
    sim.run();
    walls.push(performance.now() - t0);
    interrupts = host.vcpus.reduce((n, m) => n + m.totals().interrupts, 0);
    events = sim.events;
  }
  const wallMs = median(walls);
  const mem = c.vcpus === 100_000 ? memoryAt1e5 : null;
  const row = {
    vcpus: c.vcpus,
    engine,
    simulatedNs: c.durationNs,
    interrupts,
    events,
    wallMsMedian: wallMs,
    wallMsAll: walls,
    warmupWallMs,
    interruptsPerSecond: interrupts / (wallMs / 1000),
    eventsPerSecond: events / (wallMs / 1000),
    realTimeFactor: c.durationNs / 1e6 / wallMs,
    memory: mem,
  };
  results.push(row);
  process.stdout.write(
    `${String(c.vcpus).padStart(7)} vCPUs (${engine} engine): ${(row.interruptsPerSecond / 1e6).toFixed(2)} M interrupts/s, ${(row.eventsPerSecond / 1e6).toFixed(2)} M events/s, ${row.realTimeFactor.toFixed(2)}× real time` +
      "\n",
  );
}

const at1024 = results.find((r) => r.vcpus === 1024 && r.engine === "wasm")!;
const at1024Ts = results.find((r) => r.vcpus === 1024 && r.engine === "ts")!;
const engineSpeedup = at1024.interruptsPerSecond / at1024Ts.interruptsPerSecond;
process.stdout.write(`wasm engine / TypeScript engine at 1024 vCPUs, same run: ${engineSpeedup.toFixed(2)}×\n`);
const mem1e5 = results.find((r) => r.vcpus === 100_000)!.memory!.simulation;
const targets = [
  { target: ">= 2,000,000 interrupts/s on one core at 1024 vCPUs", measured: at1024.interruptsPerSecond, pass: at1024.interruptsPerSecond >= 2e6 },
  { target: "<= 512 bytes per vCPU (excluding histograms), at 100,000 vCPUs: the simulation's state", measured: mem1e5.bytesPerVcpu, pass: mem1e5.bytesPerVcpu <= 512 },
  { target: "100,000 vCPUs in one process", measured: 100_000, pass: true },
];
for (const t of targets) process.stdout.write(`${t.pass ? "PASS" : "MISS"}  ${t.target} (measured ${t.measured.toFixed(0)})\n`);

const out = new URL("./results/sim.json", import.meta.url);
writeJson(fileURLToPath(out), {
  date: new Date().toISOString(),
  machine: { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, loadavg: os.loadavg() },
  workload: "cyclictest preset, 1 ms interval, guest 2.1 GHz on a 2.994 GHz host, shared histograms",
  gcExposed: gc !== undefined,
  results,
  wasmOverTsEngineAt1024: engineSpeedup,
  targets,
});
process.stdout.write(`wrote ${out.pathname}\n`);
