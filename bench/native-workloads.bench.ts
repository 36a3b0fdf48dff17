// Is issue #13's target 1 for rearm-storm a property of the workload or of the engine?
// The native C models (bench/native/rearm_storm_model.c, cyclictest_model.c) run the
// rearm-storm row and the cyclictest row of bench/workloads.bench.ts, doing the very work the wasm engine does
// (the same events, draws, chaining and parking, from the inputs copied out of wasm). Its
// interrupts/s of rearm-storm over cyclictest is what native code doing the same work
// reaches against target 1's 0.8×; wasm rearm-storm over native rearm-storm says how far
// the engine is from the machine on that workload. Per vCPU count (64 and 1,024), in one
// process pair: wasm and native, both workloads, interleaved pair by pair (the order
// alternating), medians. Each workload's model figures must equal the wasm engine's before
// any ratio is reported. Release wasm; gcc -O2 (skipped with a note without gcc).
//
//   taskset -c 1 node --expose-gc --import tsx bench/native-workloads.bench.ts [--pairs N] [--reps N] [--quick]
//
// Pin it (the C model inherits the affinity): the JSON records the CPUs it was allowed.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../src/wasm.js";
import { NATIVE_CFLAGS } from "../src/bench/native.js";
import { buildModel, firstDifference, runModelOrExit, cpusAllowedList, runWasmLoop, snapshot, type Figures, type NativeResult } from "./native/model.js";
import { median, refuseDebugWasm, writeJson, wholeFlag } from "./report.js";
import { BENCH_RATES, buildShared } from "./cyclictest-case.js";
import { gcAndSettle } from "./settle.js";

refuseDebugWasm(wasmVariant);

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => wholeFlag(args, name, fallback);
const quick = args.includes("--quick");
/** Interleaved rounds per vCPU count, each timing every workload once on each side. */
const PAIRS = flag("--pairs", quick ? 2 : 7);
/** Timed runs per native process (after one untimed warm-up run); its median is the round's native figure. */
const NATIVE_REPS = flag("--reps", 3);
const WASM_WARMUPS = 3;

/** bench/workloads.bench.ts's rows (the same presets and sets). */
interface Row {
  name: "cyclictest" | "rearm-storm";
  preset: string;
  sets: readonly string[];
  interruptsPerVcpuHz: number;
}
const ROWS: readonly Row[] = [
  { name: "cyclictest", preset: "cyclictest", sets: ["vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"], interruptsPerVcpuHz: 1000 },
  { name: "rearm-storm", preset: "s15-lazy-tscdeadline", sets: ["kvm.lazyTscDeadline=false"], interruptsPerVcpuHz: 8000 },
];
/** Interrupts per run, as bench/workloads.bench.ts sizes its runs (fewer with --quick). */
const TARGET_INTERRUPTS = quick ? 50_000 : 200_000;
const VCPUS = [64, 1024] as const;
const TARGET_RATIO = 0.8;

const durationNs = (r: Row, vcpus: number) => Math.round((TARGET_INTERRUPTS / (vcpus * r.interruptsPerVcpuHz)) * 1e9);
const build = (r: Row, vcpus: number) => buildShared(r.preset, [`vms.0.vcpus=${vcpus}`, `duration=${durationNs(r, vcpus)}`, ...BENCH_RATES, ...r.sets], "wasm");

const gc = (globalThis as { gc?: () => void }).gc;
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-cmodel-"));
const binaries = ROWS.map((r) => join(dir, `${r.name}_model`));
const skipped = ROWS.map((r, i) => buildModel(binaries[i]!, r.name)).find((why) => why !== null) ?? null;

function runNative(i: number, input: string, reps: number): NativeResult {
  return runModelOrExit(binaries[i]!, input, reps);
}

const cpusAllowed = cpusAllowedList();
const loadStart = os.loadavg();
const spread = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
const fmt = (xs: number[], d = 2) => `${median(xs).toFixed(d)} [${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}]`;

if (skipped !== null) process.stdout.write(`native model skipped: ${skipped}\n`);
const results = [];
for (const vcpus of VCPUS) {
  const checks: Figures[] = [];
  const inputs: string[] = [];
  for (const [ri, r] of ROWS.entries()) {
    for (let i = 0; i < WASM_WARMUPS; i++) runWasmLoop(build(r, vcpus).sim, gc);
    const check = runWasmLoop(build(r, vcpus).sim, gc).figures;
    checks.push(check);
    if (skipped !== null) continue;
    const { sim, host } = build(r, vcpus);
    const input = join(dir, `input-${r.name}-${vcpus}.bin`);
    writeFileSync(input, snapshot(sim, host));
    inputs.push(input);
    const native = runNative(ri, input, 1);
    const k = firstDifference(native, check);
    if (k !== null) {
      process.stderr.write(`bench: ${r.name} at ${vcpus} vCPUs: the native model's ${k} is ${native[k]}, the wasm engine's ${check[k]}: not the same work, no ratio\n`);
      process.exit(1);
    }
  }
  // ns per interrupt per round: [row][round]
  const wasmNs = ROWS.map(() => [] as number[]);
  const nativeNs = ROWS.map(() => [] as number[]);
  const wasmCpuNs = ROWS.map(() => [] as number[]);
  const nativeCpuNs = ROWS.map(() => [] as number[]);
  for (let p = 0; p < PAIRS; p++) {
    const sides = p % 2 === 0 ? ["wasm", "native"] : ["native", "wasm"];
    const rows = p % 2 === 0 ? [0, 1] : [1, 0];
    for (const side of sides) {
      for (const i of rows) {
        if (side === "wasm") {
          const sim = build(ROWS[i]!, vcpus).sim;
          // After gc(), V8's sweep on its other threads would be charged to the pinned run (bench/settle.ts).
          await gcAndSettle(gc);
          const w = runWasmLoop(sim);
          wasmNs[i]!.push((w.wallMs * 1e6) / checks[i]!.interrupts);
          wasmCpuNs[i]!.push((w.cpuMs * 1e6) / checks[i]!.interrupts);
        } else if (skipped === null) {
          const n = runNative(i, inputs[i]!, NATIVE_REPS);
          nativeNs[i]!.push(n.medianNsPerInterrupt);
          nativeCpuNs[i]!.push(n.medianCpuNsPerInterrupt);
        }
      }
    }
  }
  const [CT, RS] = [0, 1];
  // interrupts/s of rearm-storm over cyclictest = cyclictest's ns per interrupt over rearm-storm's, per round.
  const perRound = (xs: number[][], f: (ct: number, rs: number) => number) => xs[RS]!.map((rs, k) => f(xs[CT]![k]!, rs));
  const nativeRatios = skipped === null ? perRound(nativeNs, (ct, rs) => ct / rs) : [];
  const nativeCpuRatios = skipped === null ? perRound(nativeCpuNs, (ct, rs) => ct / rs) : [];
  const wasmRatios = perRound(wasmNs, (ct, rs) => ct / rs);
  const wasmCpuRatios = perRound(wasmCpuNs, (ct, rs) => ct / rs);
  const wasmOverNativeRs = skipped === null ? wasmNs[RS]!.map((w, k) => w / nativeNs[RS]![k]!) : [];
  const wasmOverNativeRsCpu = skipped === null ? wasmCpuNs[RS]!.map((w, k) => w / nativeCpuNs[RS]![k]!) : [];
  const wasmOverNativeCt = skipped === null ? wasmNs[CT]!.map((w, k) => w / nativeNs[CT]![k]!) : [];
  const rowOf = (i: number) => ({
    workload: ROWS[i]!.name,
    preset: ROWS[i]!.preset,
    sets: ROWS[i]!.sets,
    simulatedNs: durationNs(ROWS[i]!, vcpus),
    events: checks[i]!.events,
    interrupts: checks[i]!.interrupts,
    eventsPerInterrupt: checks[i]!.events / checks[i]!.interrupts,
    checked: skipped === null ? { figures: "events, interrupts, sumNs, sumCycles, spinNs, histChecksum, callbacksChecksum, nowNs", histChecksum: checks[i]!.histChecksum, callbacksChecksum: checks[i]!.callbacksChecksum } : null,
    wasm: { nsPerInterruptMedian: median(wasmNs[i]!), samples: wasmNs[i]!, cpuNsPerInterruptMedian: median(wasmCpuNs[i]!), cpuSamples: wasmCpuNs[i]! },
    native: skipped === null ? { nsPerInterruptMedian: median(nativeNs[i]!), samples: nativeNs[i]!, cpuNsPerInterruptMedian: median(nativeCpuNs[i]!), cpuSamples: nativeCpuNs[i]! } : { skipped },
  });
  const row = {
    vcpus,
    workloads: [rowOf(CT), rowOf(RS)],
    rearmStormOverCyclictest: {
      measure: "interrupts/s of rearm-storm over cyclictest's (target 1's measure), per round, median [min, max]",
      native: skipped === null ? { wall: median(nativeRatios), wallSpread: spread(nativeRatios), cpu: median(nativeCpuRatios), cpuSpread: spread(nativeCpuRatios), samples: nativeRatios } : null,
      wasmLoop: { wall: median(wasmRatios), wallSpread: spread(wasmRatios), cpu: median(wasmCpuRatios), cpuSpread: spread(wasmCpuRatios), samples: wasmRatios },
      target: TARGET_RATIO,
      nativeStatus: skipped === null ? (median(nativeRatios) >= TARGET_RATIO ? "native meets 0.8x" : "native misses 0.8x") : "skipped",
    },
    wasmOverNative:
      skipped === null
        ? {
            rearmStorm: { wall: median(wasmOverNativeRs), wallSpread: spread(wasmOverNativeRs), cpu: median(wasmOverNativeRsCpu), cpuSpread: spread(wasmOverNativeRsCpu) },
            cyclictest: { wall: median(wasmOverNativeCt), wallSpread: spread(wasmOverNativeCt) },
          }
        : null,
  };
  results.push(row);
  const ns = (xs: number[]) => `${median(xs).toFixed(1)} ns`;
  process.stdout.write(
    `${String(vcpus).padStart(5)} vCPUs  events/interrupt: cyclictest ${row.workloads[0]!.eventsPerInterrupt.toFixed(1)}, rearm-storm ${row.workloads[1]!.eventsPerInterrupt.toFixed(1)}\n` +
      `        wasm loop:  cyclictest ${ns(wasmNs[CT]!)}/interrupt, rearm-storm ${ns(wasmNs[RS]!)}; rearm-storm/cyclictest interrupts/s ${fmt(wasmRatios)}× (CPU ${fmt(wasmCpuRatios)}×)\n` +
      (skipped === null
        ? `        native:     cyclictest ${ns(nativeNs[CT]!)}/interrupt, rearm-storm ${ns(nativeNs[RS]!)}; rearm-storm/cyclictest interrupts/s ${fmt(nativeRatios)}× (CPU ${fmt(nativeCpuRatios)}×)\n` +
          `        wasm over native: rearm-storm ${fmt(wasmOverNativeRs)}× (CPU ${fmt(wasmOverNativeRsCpu)}×), cyclictest ${fmt(wasmOverNativeCt)}×\n`
        : ""),
  );
}
rmSync(dir, { recursive: true, force: true });
const loadEnd = os.loadavg();
process.stdout.write(`load average (1, 5, 15 min): start ${loadStart.map((x) => x.toFixed(2)).join(" ")}, end ${loadEnd.map((x) => x.toFixed(2)).join(" ")}; CPUs allowed: ${cpusAllowed}\n`);

if (!quick) {
  const out = fileURLToPath(new URL("./results/native-workloads.json", import.meta.url));
  writeJson(out, {
    schema: "tscsim-bench-native-workloads/1",
    date: new Date().toISOString(),
    machine: { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, cpusAllowed, loadAverage: { atStart: loadStart, atEnd: loadEnd } },
    common: "vms.0.tscKhz=2.1GHz, host.tscKhz=2994MHz, shared histograms, seed 1; rows as bench/workloads.bench.ts",
    config: { rounds: PAIRS, targetInterruptsPerRun: TARGET_INTERRUPTS, nativeRepsPerProcess: NATIVE_REPS, nativeWarmupRunsPerProcess: 1, wasmWarmups: WASM_WARMUPS, compiler: "gcc", cflags: NATIVE_CFLAGS, statistic: "median", gcExposed: gc !== undefined },
    results,
  });
  process.stdout.write(`wrote ${out}\n`);
}
