// How long `tscsim run` will take, said before a long run starts (issue #13 target 3): the
// guest interrupts the scenario asks for (vCPUs × simulated time ÷ each workload's timer
// period) times a per-interrupt cost of the engine that runs it, plus the result's cost
// per vCPU. An order of magnitude, not a promise: the costs are medians measured on a
// 2-core x86 VM under Node 20 (docs/performance.md), and the period ignores host delays.

import type { ScenarioConfig, VmConfig, Workload } from "../scenario/types.js";
import { wasm } from "../wasm.js";
import { groupDigits } from "../group-digits.js";

/** Per-interrupt and per-vCPU costs, ns of wall time (injected by tests). */
export interface RunCosts {
  /** The wasm engine's cost per guest timer interrupt (cyclictest: 2.2–2.5 M interrupts/s). */
  wasmNsPerInterrupt: number;
  /** The TypeScript engine's (2.4–5.5× the wasm engine's, by workload). */
  tsNsPerInterrupt: number;
  /** Building and writing the result, per vCPU (the JSON at 10^5 vCPUs: ~14 µs of CPU; docs/performance.md). */
  resultNsPerVcpu: number;
}

/** Measured on the project's reference machine (docs/performance.md, "Run estimate"). */
export const DEFAULT_RUN_COSTS: RunCosts = { wasmNsPerInterrupt: 450, tsNsPerInterrupt: 2000, resultNsPerVcpu: 15_000 };

/** Runs estimated to take longer than this get the estimate line on stderr. */
export const ESTIMATE_THRESHOLD_MS = 10_000;

/** tmict_to_ns without the u64 arithmetic: an estimate needs no exactness. */
function tmictNs(tmict: number, tdcr: number, kvm: ScenarioConfig["kvm"]): number {
  return tmict * kvm.apicBusCycleNs * wasm.tdcrDivide(tdcr);
}

/** Guest ns between two timer interrupts of one vCPU running `w`, or null when it never asks for one. */
export function interruptPeriodNs(w: Workload, vm: VmConfig, kvm: ScenarioConfig["kvm"]): number | null {
  switch (w.kind) {
    case "cyclictest":
      return w.intervalNs + w.workNs;
    case "tscdeadline-latency":
      return (w.deltaCycles * 1e6) / vm.tscKhz;
    case "idle-tick":
      return w.nohz ? null : 1e9 / w.hz;
    case "rearm-storm":
      return w.intervalNs;
    case "periodic":
      // LVTT periodic: tmict_to_ns, floored at min_timer_period_us.
      return Math.max(tmictNs(w.tmict, w.tdcr, kvm), kvm.minTimerPeriodUs * 1000);
    case "oneshot":
      return tmictNs(w.tmict, w.tdcr, kvm) + w.gapNs;
  }
}

/**
 * The work per interrupt of workload `w` against cyclictest's: a rearm storm rewrites its
 * deadline `rewrites` times per interrupt, each a WRMSR exit, an entry and a span of guest
 * work (about 0.09 of a cyclictest interrupt each on the wasm engine: 4 rewrites ran at
 * 0.73–0.76× cyclictest's interrupts/s in bench/workloads.bench.ts); every other workload
 * takes about one cyclictest interrupt's work.
 */
export function costWeight(w: Workload): number {
  return w.kind === "rearm-storm" ? 1 + 0.09 * w.rewrites : 1;
}

/** Guest timer interrupts of a VM's vCPUs over the run (a workload's loop or sample count caps it). */
function interruptsOf(vm: VmConfig, config: ScenarioConfig): number {
  const periodNs = interruptPeriodNs(vm.workload, vm, config.kvm);
  if (periodNs === null || periodNs <= 0) return 0;
  let perVcpu = config.durationNs / periodNs;
  if (vm.workload.kind === "cyclictest" && vm.workload.loops > 0) perVcpu = Math.min(perVcpu, vm.workload.loops);
  if (vm.workload.kind === "tscdeadline-latency") perVcpu = Math.min(perVcpu, vm.workload.size);
  return perVcpu * vm.vcpus;
}

export interface RunEstimate {
  interrupts: number;
  vcpus: number;
  wallMs: number;
}

export function estimateRun(config: ScenarioConfig, engine: "ts" | "wasm", costs: RunCosts = DEFAULT_RUN_COSTS): RunEstimate {
  const interrupts = config.vms.reduce((n, vm) => n + interruptsOf(vm, config), 0);
  const weighted = config.vms.reduce((n, vm) => n + interruptsOf(vm, config) * costWeight(vm.workload), 0);
  const vcpus = config.vms.reduce((n, vm) => n + vm.vcpus, 0);
  const nsPerInterrupt = engine === "wasm" ? costs.wasmNsPerInterrupt : costs.tsNsPerInterrupt;
  return { interrupts, vcpus, wallMs: (weighted * nsPerInterrupt + vcpus * costs.resultNsPerVcpu) / 1e6 };
}

/** "12 s", "3.4 min", "2.1 h": the estimate to a useful precision. */
export function formatWall(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** "25.6 M guest timer interrupts on 512 vCPUs, wasm engine": what an estimate counts. */
function whatIsCounted(estimate: RunEstimate, engine: "ts" | "wasm"): string {
  const interrupts = estimate.interrupts >= 1e6 ? `${(estimate.interrupts / 1e6).toFixed(1)} M` : groupDigits(Math.round(estimate.interrupts));
  return `${interrupts} guest timer interrupts on ${groupDigits(estimate.vcpus)} vCPUs, ${engine} engine`;
}

/** The stderr line before a long run, or null when the run is expected to be short. */
export function estimateLine(estimate: RunEstimate, engine: "ts" | "wasm", progressFollows: boolean, thresholdMs = ESTIMATE_THRESHOLD_MS): string | null {
  if (estimate.wallMs <= thresholdMs) return null;
  return `tscsim: estimated ${formatWall(estimate.wallMs)} (${whatIsCounted(estimate, engine)})${progressFollows ? "; progress below" : ""}`;
}

/** One side of `tscsim compare`: its estimate and the engine that will run it. */
export interface SideEstimate {
  estimate: RunEstimate;
  engine: "ts" | "wasm";
}

/**
 * The stderr line before a long `tscsim compare` (its two runs one after the other), or
 * null when both together are expected to take the threshold or less.
 */
export function compareEstimateLine(a: SideEstimate, b: SideEstimate, thresholdMs = ESTIMATE_THRESHOLD_MS): string | null {
  const wallMs = a.estimate.wallMs + b.estimate.wallMs;
  if (wallMs <= thresholdMs) return null;
  return `tscsim: estimated ${formatWall(wallMs)} for both sides (A: ${whatIsCounted(a.estimate, a.engine)}; B: ${whatIsCounted(b.estimate, b.engine)})`;
}
