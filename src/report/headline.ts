// The headline lines of `tscsim run`'s table that summarise over vCPUs and VMs
// (issue #14 §7): each says what it covers. A run of several VMs gets one line per VM,
// since VMs differ in TSC rate (their latencies in guest cycles do not add up) and in
// workload (a one-shot VM and a deadline VM blended into one latency line describe
// neither); the advance is summarised over every vCPU, not read off vCPU 0.

import type { LatencyMoments, LatencySummary, RunResult, VcpuResult } from "../metrics/types.js";
import { num } from "./format.js";

/** A latency summary with percentiles (a per-vCPU one has them only with per-vCPU histograms). */
export function hasPercentiles(l: LatencyMoments | LatencySummary): l is LatencySummary {
  return "p50" in l;
}

/** The median of sorted values (the lower middle for an even count: a value some vCPU had). */
function median(sorted: readonly number[]): number {
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** A vCPU saw an advance: a wait ran (series) or some value is non-zero. */
function observedAdvance(v: VcpuResult): boolean {
  const a = v.advanceNs;
  return a.series.length > 0 || a.initial !== 0 || a.final !== 0 || a.min !== 0 || a.max !== 0;
}

/**
 * The advance (timer_advance_ns) over all vCPUs: the final value's min / median / max
 * and the extremes seen during the run, or why there is none to show.
 */
export function advanceHeadline(r: RunResult): string {
  const seen = r.vcpus.filter(observedAdvance);
  if (seen.length === 0) {
    return "not observed: 0 at every busy-wait, or no busy-wait ran (timer_advance_ns is read in kvm_wait_lapic_expire, which this run's timers never reached)";
  }
  const finals = seen.map((v) => v.advanceNs.final).sort((a, b) => a - b);
  const lo = Math.min(...seen.map((v) => v.advanceNs.min));
  const hi = Math.max(...seen.map((v) => v.advanceNs.max));
  const of = `${seen.length === r.vcpus.length ? "all" : `${seen.length} of`} ${num(r.vcpus.length)} vCPU${r.vcpus.length === 1 ? "" : "s"}`;
  const final = finals[0] === finals[finals.length - 1] ? `final ${num(finals[0]!)} ns` : `final min ${num(finals[0]!)} / median ${num(median(finals))} / max ${num(finals[finals.length - 1]!)} ns`;
  return `${final} over ${of} (range during the run ${num(lo)} … ${num(hi)} ns)`;
}

interface VmGroup {
  vm: number;
  vcpus: VcpuResult[];
}

function groups(r: RunResult): VmGroup[] {
  const byVm = new Map<number, VcpuResult[]>();
  for (const v of r.vcpus) {
    const list = byVm.get(v.vm) ?? [];
    list.push(v);
    byVm.set(v.vm, list);
  }
  return [...byVm.entries()].sort(([a], [b]) => a - b).map(([vm, vcpus]) => ({ vm, vcpus }));
}

/** Exact min / mean / max over vCPUs (the mean weighted by interrupts). */
function moments(vcpus: readonly VcpuResult[], pick: (v: VcpuResult) => LatencyMoments): LatencyMoments | undefined {
  const withSamples = vcpus.filter((v) => v.interrupts > 0);
  if (withSamples.length === 0) return undefined;
  const n = withSamples.reduce((s, v) => s + v.interrupts, 0);
  return {
    min: Math.min(...withSamples.map((v) => pick(v).min)),
    mean: withSamples.reduce((s, v) => s + pick(v).mean * v.interrupts, 0) / n,
    max: Math.max(...withSamples.map((v) => pick(v).max)),
  };
}

/**
 * One line per VM — only for a run of several VMs: interrupts, latency in ns and in the
 * VM's own guest cycles (exact min / mean / max), and the p99 (exact for a one-vCPU VM,
 * else its worst vCPU's; per-vCPU percentiles are kept up to 64 vCPUs).
 */
export function perVmLines(r: RunResult): string[][] {
  const gs = groups(r);
  if (gs.length < 2) return [];
  return gs.map(({ vm, vcpus }) => {
    const interrupts = vcpus.reduce((s, v) => s + v.interrupts, 0);
    const ns = moments(vcpus, (v) => v.latency.ns);
    const cycles = moments(vcpus, (v) => v.latency.cycles);
    const p99s = vcpus.filter((v) => v.interrupts > 0).map((v) => v.latency.ns).filter(hasPercentiles).map((l) => l.p99);
    const p99 = p99s.length === 0 || p99s.length < vcpus.filter((v) => v.interrupts > 0).length ? "" : `  p99 ${num(Math.max(...p99s))}${vcpus.length > 1 ? " (worst vCPU)" : ""}`;
    const label = `  vm ${vm} (${vcpus.length} vCPU${vcpus.length === 1 ? "" : "s"})`;
    if (ns === undefined || cycles === undefined) return [label, `${num(interrupts)} interrupts`];
    return [
      label,
      `${num(interrupts)} interrupts  ns min ${num(ns.min)}  mean ${num(ns.mean, 1)}  max ${num(ns.max)}${p99}  ·  cycles min ${num(cycles.min)}  mean ${num(cycles.mean, 1)}  max ${num(cycles.max)}`,
    ];
  });
}

/** How many VMs the run has (for labels). */
export function vmCount(r: RunResult): number {
  return new Set(r.vcpus.map((v) => v.vm)).size;
}
