// The headline lines of `tscsim run`'s table that summarise over vCPUs and VMs
// (issue #14 §7): each says what it covers. A run of several VMs gets one line per VM,
// since VMs differ in TSC rate (their latencies in guest cycles do not add up) and in
// workload (a one-shot VM and a deadline VM blended into one latency line describe
// neither); the advance is summarised over every vCPU, not read off vCPU 0.

import type { LatencyMoments, LatencySummary, RunResult, VcpuResult } from "../metrics/types.js";
import type { VcpuResults } from "../metrics/vcpu-result-list.js";
import { num } from "./format.js";

/** A latency summary with percentiles (a per-vCPU one has them only with per-vCPU histograms). */
export function hasPercentiles(l: LatencyMoments | LatencySummary): l is LatencySummary {
  return "p50" in l;
}

/** The median of sorted values (the lower middle for an even count: a value some vCPU had). */
function median(sorted: readonly number[]): number {
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** A run's result as the table reads it: per-vCPU results in an array or made as read. */
export type RunView = Omit<RunResult, "vcpus"> & { vcpus: VcpuResults };

/** A vCPU saw an advance: a wait ran (series) or some value is non-zero. */
function observedAdvance(v: VcpuResult): boolean {
  const a = v.advanceNs;
  return a.series.length > 0 || a.initial !== 0 || a.final !== 0 || a.min !== 0 || a.max !== 0;
}

/** Exact min / mean / max over a VM's vCPUs with samples (the mean weighted by interrupts), kept as they stream by. */
class MomentsOverVcpus {
  private min = Infinity;
  private weighted = 0;
  private max = -Infinity;

  add(l: LatencyMoments, interrupts: number): void {
    this.min = Math.min(this.min, l.min);
    this.weighted += l.mean * interrupts;
    this.max = Math.max(this.max, l.max);
  }

  of(interrupts: number): LatencyMoments {
    return { min: this.min, mean: this.weighted / interrupts, max: this.max };
  }
}

/** One VM's vCPUs as the per-VM line summarises them. */
class VmTally {
  vcpus = 0;
  interrupts = 0;
  withSamples = 0;
  withP99 = 0;
  p99 = -Infinity;
  readonly ns = new MomentsOverVcpus();
  readonly cycles = new MomentsOverVcpus();

  add(v: VcpuResult): void {
    this.vcpus++;
    this.interrupts += v.interrupts;
    if (v.interrupts === 0) return;
    this.withSamples++;
    this.ns.add(v.latency.ns, v.interrupts);
    this.cycles.add(v.latency.cycles, v.interrupts);
    if (hasPercentiles(v.latency.ns)) {
      this.withP99++;
      this.p99 = Math.max(this.p99, v.latency.ns.p99);
    }
  }
}

/**
 * What the table's headline needs from the per-vCPU results, in one pass (each result is
 * read once: at 10^6 vCPUs they are made as they are read).
 */
export interface VcpuOverview {
  vcpus: number;
  /** Each VM's tally, by VM number. */
  vms: Map<number, VmTally>;
  /** Final advance of each vCPU that saw one, and the extremes over them. */
  advanceFinals: number[];
  advanceMin: number;
  advanceMax: number;
}

export function vcpuOverview(r: RunView): VcpuOverview {
  const o: VcpuOverview = { vcpus: 0, vms: new Map(), advanceFinals: [], advanceMin: Infinity, advanceMax: -Infinity };
  for (const v of r.vcpus) {
    o.vcpus++;
    let vm = o.vms.get(v.vm);
    if (vm === undefined) o.vms.set(v.vm, (vm = new VmTally()));
    vm.add(v);
    if (observedAdvance(v)) {
      o.advanceFinals.push(v.advanceNs.final);
      o.advanceMin = Math.min(o.advanceMin, v.advanceNs.min);
      o.advanceMax = Math.max(o.advanceMax, v.advanceNs.max);
    }
  }
  return o;
}

/**
 * The advance (timer_advance_ns) over all vCPUs: the final value's min / median / max
 * and the extremes seen during the run, or why there is none to show.
 */
export function advanceHeadline(o: VcpuOverview): string {
  const seen = o.advanceFinals.length;
  if (seen === 0) {
    return "not observed: 0 at every busy-wait, or no busy-wait ran (timer_advance_ns is read in kvm_wait_lapic_expire, which this run's timers never reached)";
  }
  const finals = o.advanceFinals.slice().sort((a, b) => a - b);
  const of = `${seen === o.vcpus ? "all" : `${seen} of`} ${num(o.vcpus)} vCPU${o.vcpus === 1 ? "" : "s"}`;
  const final = finals[0] === finals[finals.length - 1] ? `final ${num(finals[0]!)} ns` : `final min ${num(finals[0]!)} / median ${num(median(finals))} / max ${num(finals[finals.length - 1]!)} ns`;
  return `${final} over ${of} (range during the run ${num(o.advanceMin)} … ${num(o.advanceMax)} ns)`;
}

/**
 * One line per VM — only for a run of several VMs: interrupts, latency in ns and in the
 * VM's own guest cycles (exact min / mean / max), and the p99 (exact for a one-vCPU VM,
 * else its worst vCPU's; per-vCPU percentiles are kept up to 64 vCPUs).
 */
export function perVmLines(o: VcpuOverview): string[][] {
  if (o.vms.size < 2) return [];
  return [...o.vms.entries()]
    .sort(([a], [b]) => a - b)
    .map(([vm, t]) => {
      const p99 = t.withP99 === 0 || t.withP99 < t.withSamples ? "" : `  p99 ${num(t.p99)}${t.vcpus > 1 ? " (worst vCPU)" : ""}`;
      const label = `  vm ${vm} (${t.vcpus} vCPU${t.vcpus === 1 ? "" : "s"})`;
      if (t.withSamples === 0) return [label, `${num(t.interrupts)} interrupts`];
      const ns = t.ns.of(t.interrupts);
      const cycles = t.cycles.of(t.interrupts);
      return [
        label,
        `${num(t.interrupts)} interrupts  ns min ${num(ns.min)}  mean ${num(ns.mean, 1)}  max ${num(ns.max)}${p99}  ·  cycles min ${num(cycles.min)}  mean ${num(cycles.mean, 1)}  max ${num(cycles.max)}`,
      ];
    });
}
