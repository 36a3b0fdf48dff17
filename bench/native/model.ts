// The native C model's side of bench/native-sim.bench.ts (and of its test): the model's
// input copied out of wasm once a Simulation is built (assembly/sim/bench_probe.ts), the
// wasm engine's own figures for the same run, and building and running the model.
// bench/native/cyclictest_model.c and rearm_storm_model.c describe what the models do
// and their scope (one program per workload; the VMs' workload code is in the per-VM cells).

import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { wasm } from "../../src/wasm.js";
import type { Simulation } from "../../src/sim/engine.js";
import type { HostMetrics } from "../../src/metrics/index.js";
import { NATIVE_CFLAGS } from "../../src/bench/native.js";
import { INTERRUPTS, SPIN_NS, SUM_CYCLES, SUM_NS } from "../../src/metrics/vcpu-slots.js";
import { delayProgram } from "../../src/sim/host-delays.js";
import { ZIGGURAT_TABLE_CELLS } from "../../src/sim/ziggurat.js";
import { backgroundCpuMs } from "../settle.js";

const MAGIC = 0x315f6c65646f6d63n; // "cmodel_1"
const HDR_SLOTS = 40;
const VM_CELLS = 36;
const KINDS = 7;

/**
 * The model's input (configuration, VM cells, vCPU records, streams, delay program,
 * ziggurat) for `sim`, built (not yet started) with the host's shared histograms:
 * everything is read from wasm memory, which holds `sim`'s state.
 */
export function snapshot(sim: Simulation, host: HostMetrics): Buffer {
  const config = sim.config;
  if (sim.engine !== "wasm") throw new Error("the native model follows the wasm engine: build the simulation with engine \"wasm\"");
  const mem = () => wasm.memory.buffer;
  const cfg = new Float64Array(mem(), wasm.probeConfig(), 28).slice();
  const n = cfg[0]!;
  const vms = config.vms.length;
  const program = delayProgram(config.host.delays).cells.length;
  const bytes = HDR_SLOTS * 8 + vms * VM_CELLS * 8 + n * 64 + n * KINDS * 16 + program * 8 + ZIGGURAT_TABLE_CELLS * 8;
  const out = Buffer.alloc(bytes);
  const hdr = new BigUint64Array(out.buffer, out.byteOffset, HDR_SLOTS);
  const u = (x: number) => BigInt.asUintN(64, BigInt(x));
  hdr[0] = MAGIC;
  hdr[1] = u(n);
  hdr[2] = u(vms);
  hdr[3] = u(cfg[20]!); // horizon
  hdr[4] = u(cfg[10]!); // start
  hdr[5] = u(cfg[18]!); // host kHz
  hdr[6] = u(cfg[19]!); // host TSC base
  hdr[7] = u(cfg[21]!); // fraction bits
  [1, 2, 3, 4, 5, 6, 7, 8, 9].forEach((k, i) => (hdr[8 + i] = u(cfg[k]!))); // era .. HZ
  hdr[17] = u(cfg[11]!); // stall period
  [12, 13, 14, 15, 16, 17].forEach((k, i) => (hdr[18 + i] = u(cfg[k]!))); // halt polling, hv before wait
  // The first vCPU's collector keeps the run's advance series: its capacity (WasmEngine, deferred sinks).
  hdr[24] = u(host.vcpus[0]!.seriesPoints);
  hdr[25] = u(program);
  for (let k = 0; k < KINDS; k++) hdr[26 + k] = u(wasm.probeDelayRoot(k));
  hdr[33] = u(16 + n); // the queue's first capacity (src/sim/engine.ts, no host stalls)
  hdr[34] = u(cfg[22]!); // summaries
  hdr[35] = u(cfg[23]!); // tracing
  [24, 25, 26, 27].forEach((k, i) => (hdr[36 + i] = u(cfg[k]!))); // lazy / PV deadlines, host scheduler, pauses or migrations
  let o = HDR_SLOTS * 8;
  const copy = (ptr: number, len: number) => {
    out.set(new Uint8Array(mem(), ptr, len), o);
    o += len;
  };
  copy(wasm.probeVmCells(), vms * VM_CELLS * 8);
  const recs = wasm.probeVcpuRecords();
  const stride = wasm.probeVcpuStride();
  const engs = wasm.probeEngineRecords();
  const dv = new DataView(mem());
  for (let v = 0; v < n; v++, o += 64) {
    const r = recs + v * stride;
    const rec = new BigUint64Array(out.buffer, out.byteOffset + o, 8);
    rec[0] = dv.getBigUint64(r, true); // ratio
    rec[1] = dv.getBigUint64(r + 8, true); // offset
    rec[2] = BigInt(dv.getUint32(r + 64, true)); // virtual_tsc_khz
    rec[3] = BigInt(dv.getUint32(r + 68, true)); // mult
    rec[4] = BigInt.asUintN(64, BigInt(dv.getInt32(r + 72, true))); // shift
    rec[5] = BigInt(dv.getUint32(r + 76, true)); // timer_advance_ns
    rec[6] = BigInt(dv.getUint32(r + 80, true) & 1); // scaled
    // VM (engine_layout.ts VM: the address of the VM's cells): its index.
    rec[7] = BigInt((dv.getUint32(engs + v * wasm.ESTRIDE.value + 36, true) - wasm.probeVmCells()) / (VM_CELLS * 8));
  }
  copy(wasm.probeStreams(), n * KINDS * 16);
  copy(wasm.probeDelayProgram(), program * 8);
  copy(wasm.probeZiggurat(), ZIGGURAT_TABLE_CELLS * 8);
  return out;
}

/** FNV-1a over bytes (the model's checksum of its histograms and callback counts). */
function fnv1a(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619) >>> 0;
  return h >>> 0;
}
const hex = (h: number) => h.toString(16).padStart(8, "0");

/** What the model and the engine must agree on before a ratio means anything. */
export interface Figures {
  events: number;
  interrupts: number;
  sumNs: number;
  sumCycles: number;
  spinNs: number;
  histChecksum: string;
  callbacksChecksum: string;
  nowNs: number;
}

/**
 * CPU time of this thread so far, ms: the scheduler's run time of the main thread
 * (/proc/<pid>/task/<pid>/schedstat, ns), which leaves out V8's background threads; the
 * whole process's (process.cpuUsage) where that file is not there. The model reads its own
 * with CLOCK_THREAD_CPUTIME_ID, the same clock.
 */
const SCHEDSTAT = `/proc/${process.pid}/task/${process.pid}/schedstat`;
let schedstat = true;
function threadCpuMs(): number {
  if (schedstat) {
    try {
      return Number(readFileSync(SCHEDSTAT, "utf8").split(" ")[0]) / 1e6;
    } catch {
      schedstat = false;
    }
  }
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The wasm engine's loop alone (ctEngineStart + ctEngineRun, the log cleared as drained)
 * on a built simulation: wall and CPU ms, the CPU ms V8's other threads used meanwhile
 * (null off Linux), and its figures. `gc`, if given, runs just before the clock starts
 * (the bench settles after it instead: bench/settle.ts).
 */
export function runWasmLoop(sim: Simulation, gc?: () => void): { wallMs: number; cpuMs: number; backgroundCpuMs: number | null; figures: Figures } {
  gc?.();
  const b0 = backgroundCpuMs();
  const c0 = threadCpuMs();
  const t0 = performance.now();
  sim.start();
  while (wasm.ctEngineRun() !== 0) wasm.engineLogClear();
  const wallMs = performance.now() - t0;
  const cpuMs = threadCpuMs() - c0;
  const b1 = backgroundCpuMs();
  const n = new Float64Array(wasm.memory.buffer, wasm.probeConfig(), 1)[0]!;
  let interrupts = 0;
  let sumNs = 0;
  let sumCycles = 0;
  let spinNs = 0;
  for (let v = 0; v < n; v++) {
    const s = new Float64Array(wasm.memory.buffer, wasm.engineSlotsOf(v), wasm.SLOTS.value);
    interrupts += s[INTERRUPTS]!;
    sumNs += s[SUM_NS]!;
    sumCycles += s[SUM_CYCLES]!;
    spinNs += s[SPIN_NS]!;
  }
  const cells = wasm.HIST_CELLS.value;
  let h = fnv1a(2166136261, new Uint8Array(wasm.memory.buffer, wasm.engineHistNsPtr(), cells * 8));
  h = fnv1a(h, new Uint8Array(wasm.memory.buffer, wasm.engineHistCyclesPtr(), cells * 8));
  const cb = fnv1a(2166136261, new Uint8Array(wasm.memory.buffer, wasm.engineCallbacksPtr(), wasm.CALLBACK_WINDOW_MS.value * 4));
  return {
    wallMs,
    cpuMs,
    backgroundCpuMs: b0 === null || b1 === null ? null : b1 - b0,
    figures: { events: wasm.ctEngineEvents(), interrupts, sumNs, sumCycles, spinNs, histChecksum: hex(h), callbacksChecksum: hex(cb), nowNs: wasm.nowF64() },
  };
}

export interface NativeResult extends Figures {
  /** The workload the model ran (its program's). */
  workload: ModelWorkload;
  medianNsPerInterrupt: number;
  minNsPerInterrupt: number;
  samplesNsPerInterrupt: number[];
  medianCpuNsPerInterrupt: number;
  logRecords: number;
}

/** The workloads a native model runs, and each model's source (one program per workload). */
export type ModelWorkload = "cyclictest" | "rearm-storm";
export const MODEL_SOURCES: Record<ModelWorkload, string> = {
  cyclictest: fileURLToPath(new URL("./cyclictest_model.c", import.meta.url)),
  "rearm-storm": fileURLToPath(new URL("./rearm_storm_model.c", import.meta.url)),
};

const gccArgs = (binary: string, workload: ModelWorkload) => [...NATIVE_CFLAGS, "-o", binary, MODEL_SOURCES[workload], "-lm"];

/** Compiles `workload`'s model to `binary`; a reason to skip without gcc or when it fails, else null. */
export function buildModel(binary: string, workload: ModelWorkload = "cyclictest"): string | null {
  const cc = spawnSync("gcc", gccArgs(binary, workload), { encoding: "utf8" });
  if (cc.error) return `gcc could not run (${(cc.error as NodeJS.ErrnoException).code ?? cc.error.message})`;
  if (cc.status !== 0) return `gcc failed: ${cc.stderr.trim()}`;
  return null;
}

/** buildModel without blocking: models for several workloads compile side by side. */
export function buildModelAsync(binary: string, workload: ModelWorkload): Promise<string | null> {
  return new Promise((resolve) => {
    execFile("gcc", gccArgs(binary, workload), { encoding: "utf8" }, (error, _stdout, stderr) => {
      if (error === null) resolve(null);
      else if (typeof error.code === "string") resolve(`gcc could not run (${error.code})`);
      else resolve(`gcc failed: ${stderr.trim()}`);
    });
  });
}

/** Runs the model on an input file: one warm-up run, then `reps` timed runs. Throws on failure. */
export function runModel(binary: string, input: string, reps: number): NativeResult {
  const r = spawnSync(binary, [input, String(reps)], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`the native model failed (exit ${r.status}): ${r.error?.message ?? r.stderr.trim()}`);
  return JSON.parse(r.stdout) as NativeResult;
}

const FIGURES = ["events", "interrupts", "sumNs", "sumCycles", "spinNs", "histChecksum", "callbacksChecksum", "nowNs"] as const;

/** The first figure the two disagree on, or null. */
export function firstDifference(native: Figures, engine: Figures): (typeof FIGURES)[number] | null {
  return FIGURES.find((k) => native[k] !== engine[k]) ?? null;
}

/** runModel, or the bench ends with one line (exit 1) when the model fails. */
export function runModelOrExit(binary: string, input: string, reps: number): NativeResult {
  try {
    return runModel(binary, input, reps);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

/** The CPUs this process may run on (/proc/self/status Cpus_allowed_list; the model inherits them), or "unknown". */
export function cpusAllowedList(): string {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}
