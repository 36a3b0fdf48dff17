// The wasm engine against a native C model of the same work (issue #13, target 2):
// cyclictest at 64 and 1,024 vCPUs, ns per guest timer interrupt, in one process pair.
// bench/native/cyclictest_model.c runs the very simulation the wasm engine runs — the
// inputs are copied out of wasm once a Simulation is built (assembly/sim/bench_probe.ts)
// — and must report the same events, interrupts, latency sums and histogram checksum
// before any ratio is reported. Release wasm; gcc -O2 (skipped with a note without gcc).
//
//   taskset -c 1 node --expose-gc --import tsx bench/native-sim.bench.ts [--pairs N] [--reps N] [--quick] [--keep]
//
// Pin it (the C model inherits the affinity): the JSON records the CPUs it was allowed.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../src/wasm.js";
import { NATIVE_CFLAGS } from "../src/bench/native.js";
import type { Simulation } from "../src/sim/engine.js";
import type { HostMetrics } from "../src/metrics/index.js";
import { buildModel, firstDifference, runModelOrExit, cpusAllowedList, runWasmLoop, snapshot, type NativeResult } from "./native/model.js";
import { median, refuseDebugWasm, writeJson, wholeFlag } from "./report.js";
import { buildShared, cyclictestSets } from "./cyclictest-case.js";
import { gcAndSettle } from "./settle.js";

refuseDebugWasm(wasmVariant);

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => wholeFlag(args, name, fallback);
const quick = args.includes("--quick");
/** Interleaved wasm/native pairs per case. */
const PAIRS = flag("--pairs", quick ? 3 : 9);
/** Timed runs per native process (after one untimed warm-up run); its median is the pair's native figure. */
const NATIVE_REPS = flag("--reps", 3);
const WASM_WARMUPS = 3;

interface Case {
  vcpus: number;
  durationNs: number;
}
const CASES: Case[] = [
  { vcpus: 64, durationNs: quick ? 200e6 : 2e9 },
  { vcpus: 1024, durationNs: quick ? 20e6 : 200e6 },
];

const gc = (globalThis as { gc?: () => void }).gc;

/** As bench/sim.bench.ts and `tscsim run`: one host, its histograms shared by all vCPUs. */
function build(c: Case): { sim: Simulation; host: HostMetrics } {
  return buildShared("cyclictest", cyclictestSets(c.vcpus, c.durationNs), "wasm");
}

/** `Simulation.run()` as `tscsim run` calls it (the log replayed, the totals handed to the host's collectors). */
async function runWasmEndToEnd(c: Case): Promise<number> {
  const { sim } = build(c);
  await gcAndSettle(gc);
  const t0 = performance.now();
  sim.run();
  return performance.now() - t0;
}

const dir = mkdtempSync(join(os.tmpdir(), "tscsim-cmodel-"));
const binary = join(dir, "cyclictest_model");
const skipped = buildModel(binary);

function runNative(input: string, reps: number): NativeResult {
  return runModelOrExit(binary, input, reps);
}

const cpusAllowed = cpusAllowedList();
const loadStart = os.loadavg();
const spread = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs), relativeRangePercent: (100 * (Math.max(...xs) - Math.min(...xs))) / median(xs) });

const results = [];
if (skipped !== null) process.stdout.write(`native model skipped: ${skipped}\n`);
for (const c of CASES) {
  // Warm-ups: V8 tiers the wasm up in the background during a process's first runs.
  for (let i = 0; i < WASM_WARMUPS; i++) runWasmLoop(build(c).sim, gc);
  const check = runWasmLoop(build(c).sim, gc);
  let native: NativeResult | null = null;
  let input = "";
  if (skipped === null) {
    const { sim, host } = build(c);
    input = join(dir, `input-${c.vcpus}.bin`);
    writeFileSync(input, snapshot(sim, host));
    native = runNative(input, 1);
    const k = firstDifference(native, check.figures);
    if (k !== null) {
      process.stderr.write(`bench: at ${c.vcpus} vCPUs the native model's ${k} is ${native[k]}, the wasm engine's ${check.figures[k]}: not the same work, no ratio\n`);
      process.exit(1);
    }
  }
  const wasmNs: number[] = [];
  const nativeNs: number[] = [];
  const wasmCpuNs: number[] = [];
  const nativeCpuNs: number[] = [];
  const endToEndNs: number[] = [];
  /** CPU ns per interrupt V8's other threads used during each timed wasm run, and the ms each settle waited. */
  const backgroundNs: number[] = [];
  const settleMs: number[] = [];
  const interrupts = check.figures.interrupts;
  for (let p = 0; p < PAIRS; p++) {
    // Alternate which side goes first, so a drifting machine weighs on both.
    const order = p % 2 === 0 ? ["wasm", "native"] : ["native", "wasm"];
    for (const side of order) {
      if (side === "wasm") {
        const sim = build(c).sim;
        settleMs.push((await gcAndSettle(gc)) ?? NaN);
        const w = runWasmLoop(sim);
        wasmNs.push((w.wallMs * 1e6) / interrupts);
        wasmCpuNs.push((w.cpuMs * 1e6) / interrupts);
        if (w.backgroundCpuMs !== null) backgroundNs.push((w.backgroundCpuMs * 1e6) / interrupts);
      } else if (skipped === null) {
        const n = runNative(input, NATIVE_REPS);
        nativeNs.push(n.medianNsPerInterrupt);
        nativeCpuNs.push(n.medianCpuNsPerInterrupt);
      }
    }
    endToEndNs.push(((await runWasmEndToEnd(c)) * 1e6) / interrupts);
  }
  const wasmMedian = median(wasmNs);
  const nativeMedian = skipped === null ? median(nativeNs) : null;
  const pairRatios = nativeNs.map((n, i) => wasmNs[i]! / n);
  const wasmCpu = median(wasmCpuNs);
  const nativeCpu = skipped === null ? median(nativeCpuNs) : null;
  const row = {
    vcpus: c.vcpus,
    simulatedNs: c.durationNs,
    events: check.figures.events,
    interrupts,
    checked: skipped === null ? { events: true, interrupts: true, sumNs: true, sumCycles: true, spinNs: true, histChecksum: check.figures.histChecksum, callbacksChecksum: check.figures.callbacksChecksum } : null,
    wasm: { nsPerInterruptMedian: wasmMedian, interruptsPerSecond: 1e9 / wasmMedian, samplesNsPerInterrupt: wasmNs, spread: spread(wasmNs) },
    cpuTime: {
      wasmNsPerInterruptMedian: wasmCpu,
      wasmSamples: wasmCpuNs,
      wasmSpread: spread(wasmCpuNs),
      nativeNsPerInterruptMedian: nativeCpu,
      nativeSamples: nativeCpuNs,
      nativeSpread: nativeCpu === null ? null : spread(nativeCpuNs),
      wasmOverNative: nativeCpu === null ? null : wasmCpu / nativeCpu,
      // On the pinned CPU, V8's other threads take from the wall time; the bench's gc()
      // before each run was their work, now waited out (bench/settle.ts).
      wasmBackgroundNsPerInterruptMedian: backgroundNs.length > 0 ? median(backgroundNs) : null,
      wasmBackgroundSamples: backgroundNs,
      settleMsSamples: settleMs,
    },
    wasmEndToEnd: { nsPerInterruptMedian: median(endToEndNs), samplesNsPerInterrupt: endToEndNs, spread: spread(endToEndNs) },
    native: nativeMedian === null ? { skipped } : { nsPerInterruptMedian: nativeMedian, interruptsPerSecond: 1e9 / nativeMedian, samplesNsPerInterrupt: nativeNs, spread: spread(nativeNs) },
    ratio: nativeMedian === null ? null : { wasmOverNative: wasmMedian / nativeMedian, medianOfPairRatios: median(pairRatios), pairRatios, endToEndOverNative: median(endToEndNs) / nativeMedian },
  };
  results.push(row);
  const r = row.ratio;
  process.stdout.write(
    `${String(c.vcpus).padStart(5)} vCPUs: wasm ${wasmMedian.toFixed(1)} ns/interrupt (${(1e3 / wasmMedian).toFixed(2)} M/s, range ${row.wasm.spread.relativeRangePercent.toFixed(0)} %)` +
      (nativeMedian === null ? "" : `, native ${nativeMedian.toFixed(1)} ns (range ${row.native.spread!.relativeRangePercent.toFixed(0)} %), ratio ${r!.wasmOverNative.toFixed(3)}× (pairs' median ${r!.medianOfPairRatios.toFixed(3)}×)`) +
      `; end to end ${row.wasmEndToEnd.nsPerInterruptMedian.toFixed(1)} ns\n` +
      `        CPU time: wasm ${wasmCpu.toFixed(1)} ns/interrupt (range ${row.cpuTime.wasmSpread.relativeRangePercent.toFixed(0)} %)` +
      (nativeCpu === null ? "" : `, native ${nativeCpu.toFixed(1)} ns (range ${row.cpuTime.nativeSpread!.relativeRangePercent.toFixed(0)} %), ratio ${row.cpuTime.wasmOverNative!.toFixed(3)}×`) +
      (row.cpuTime.wasmBackgroundNsPerInterruptMedian === null ? "\n" : `; V8's other threads ${row.cpuTime.wasmBackgroundNsPerInterruptMedian.toFixed(1)} ns/interrupt during the wasm runs\n`),
  );
}
if (args.includes("--keep")) process.stdout.write(`model and inputs kept in ${dir}\n`);
else rmSync(dir, { recursive: true, force: true });

const at1024 = results.find((r) => r.vcpus === 1024)!;
const targetOf = (metric: string, value: number | null) => ({
  target: `cyclictest at 1,024 vCPUs <= 1.2x the native model's ns per interrupt (engine loop, medians, same run; ${metric})`,
  limit: 1.2,
  value,
  status: value === null ? "skipped" : value <= 1.2 ? "pass" : "miss",
});
const targets = [targetOf("wall time", at1024.ratio?.wasmOverNative ?? null), targetOf("CPU time", at1024.cpuTime.wasmOverNative)];
for (const t of targets) process.stdout.write(`${t.status.toUpperCase()}  ${t.target}${t.value === null ? "" : ` (measured ${t.value.toFixed(3)}x)`}\n`);
const loadEnd = os.loadavg();
process.stdout.write(`load average (1, 5, 15 min): start ${loadStart.map((x) => x.toFixed(2)).join(" ")}, end ${loadEnd.map((x) => x.toFixed(2)).join(" ")}; CPUs allowed: ${cpusAllowed}\n`);

if (!quick) {
  const out = fileURLToPath(new URL("./results/native-sim.json", import.meta.url));
  writeJson(out, {
    schema: "tscsim-bench-native-sim/1",
    date: new Date().toISOString(),
    machine: { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, cpusAllowed, loadAverage: { atStart: loadStart, atEnd: loadEnd } },
    workload: "cyclictest preset, 1 ms interval, guest 2.1 GHz on a 2.994 GHz host, shared histograms, seed 1",
    config: { pairs: PAIRS, nativeRepsPerProcess: NATIVE_REPS, nativeWarmupRunsPerProcess: 1, wasmWarmups: WASM_WARMUPS, compiler: "gcc", cflags: NATIVE_CFLAGS, statistic: "median", gcExposed: gc !== undefined },
    results,
    targets,
  });
  process.stdout.write(`wrote ${out}\n`);
}
