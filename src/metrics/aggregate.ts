// A run's metrics from its vCPUs' (issue #3 §7).
//
// Counts and sums add; min/max take the extremes; the mean is the exact total sum over
// the total count. Percentiles come from one histogram holding every vCPU's samples:
// the host's shared pair, or the per-vCPU histograms added together — HdrHistogram's
// add() sums counts slot by slot, so both give the same percentiles (pinned by a test).
// The callback-rate peak is the host-wide one, never a max of per-vCPU peaks.

import { InputRangeError } from "../errors.js";
import type { HostMetrics } from "./host-metrics.js";
import { latencySummary, newAggregateHistogram, type LatencyHistogram } from "./histogram.js";
import type { AdvanceSummary, ExitCounts, RunMetrics, TimerCounts } from "./types.js";
import type { VcpuMetrics } from "./vcpu-metrics.js";
import { latencyMoments, metricsBody, type VcpuTotals } from "./vcpu-totals.js";
import { PeriodLateness } from "./period-lateness.js";

/** The collectors of a run, by index: f(collector i), which is valid only inside f (HostMetrics.withVcpu). */
interface Collectors {
  count: number;
  with<T>(i: number, f: (m: VcpuMetrics) => T): T;
}

function mergedHistogram(perVcpu: Collectors, pick: (m: VcpuMetrics) => LatencyHistogram): LatencyHistogram {
  const merged = newAggregateHistogram();
  for (let i = 0; i < perVcpu.count; i++) merged.add(perVcpu.with(i, pick));
  return merged;
}

/**
 * The advance of a run with many vCPUs: min and max over every vCPU that recorded one;
 * initial, final and the series from the first such vCPU in `perVcpu` order — one
 * real vCPU's trajectory, since averaging trajectories sampled at different times
 * would draw a curve no vCPU followed. Fed one vCPU at a time (no list of all totals:
 * at 10^6 vCPUs it alone would take ~1 kB per vCPU).
 */
class MergedAdvance {
  private first: VcpuTotals | undefined;
  private min = Infinity;
  private max = -Infinity;

  add(t: VcpuTotals): void {
    if (t.advanceRecords === 0) return;
    this.first ??= t;
    this.min = Math.min(this.min, t.advance.min);
    this.max = Math.max(this.max, t.advance.max);
  }

  get summary(): AdvanceSummary {
    const first = this.first;
    if (first === undefined) return { initial: 0, final: 0, min: 0, max: 0, series: [] };
    return { initial: first.advance.initial, final: first.advance.final, min: this.min, max: this.max, series: first.advance.series };
  }
}

/**
 * `perVcpu` holds each of the host's collectors exactly once. Checked without a set of
 * collectors (~80 bytes per vCPU at 10^6 vCPUs): every one is the host's, there are as
 * many as the host has, and their (vm, vcpu) pairs are distinct — so no collector
 * appears twice, and none is missing.
 */
function checkCollectors(perVcpu: readonly VcpuMetrics[], host: HostMetrics): void {
  if (perVcpu !== host.vcpus) {
    for (const m of perVcpu) {
      if (!m.belongsTo(host)) throw new InputRangeError("perVcpu", `${m.vm}/${m.vcpu}`, "collectors created by this HostMetrics");
    }
  }
  const ids = new Float64Array(perVcpu.length);
  perVcpu.forEach((m, i) => (ids[i] = m.vm * 2 ** 32 + m.vcpu));
  ids.sort();
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] === ids[i - 1]) {
      const id = ids[i]!;
      const pair = `${Math.floor(id / 2 ** 32)}/${id % 2 ** 32}`;
      // The same collector twice, or two collectors of one (vm, vcpu) pair.
      const twice = perVcpu.filter((m) => m.vm * 2 ** 32 + m.vcpu === id);
      if (twice[0] === twice[1]) throw new InputRangeError("perVcpu", pair, "each collector once");
      throw new InputRangeError("vcpus", pair, "each (vm, vcpu) pair once");
    }
  }
  if (perVcpu.length !== host.vcpus.length) {
    // The shared histograms hold every collector's samples: a subset would mix them.
    throw new InputRangeError("perVcpu", `${perVcpu.length} collectors`, `all ${host.vcpus.length} collectors of the host`);
  }
}

/**
 * The run's metrics. `perVcpu` must be exactly the host's collectors (in any order;
 * the order picks the vCPU whose advance series represents the run, see above).
 */
export function aggregate(perVcpu: readonly VcpuMetrics[], host: HostMetrics): RunMetrics {
  checkCollectors(perVcpu, host);
  return aggregateOf({ count: perVcpu.length, with: (i, f) => f(perVcpu[i]!) }, host);
}

/**
 * The run's metrics over every collector of `host`, in its order, as Simulation made them
 * (one per (vm, vcpu): not checked again) — those the wasm engine keeps read one at a
 * time, never all made at once.
 */
export function aggregateHost(host: HostMetrics): RunMetrics {
  return aggregateOf({ count: host.vcpuCount, with: (i, f) => host.withVcpu(i, f) }, host);
}

function aggregateOf(perVcpu: Collectors, host: HostMetrics): RunMetrics {
  const exits: ExitCounts = { msrWrite: 0, apicWrite: 0, preemptionTimer: 0, externalInterrupt: 0, hlt: 0, apicRead: 0 };
  const timers: TimerCounts = { swArms: 0, hvArms: 0, hvFallbacks: 0, hvToSw: 0, swToHv: 0, posted: 0 };
  let interrupts = 0;
  let sumNs = 0;
  let sumCycles = 0;
  let minNs = Infinity;
  let maxNs = -Infinity;
  let minCycles = Infinity;
  let maxCycles = -Infinity;
  let earlyCount = 0;
  let earlyWorstNs = 0;
  let spinNs = 0;
  let coalesced = 0;
  let haltPollNs = 0;
  const haltPolls = { successful: 0, failed: 0 };
  let advanceRecords = 0;
  const advance = new MergedAdvance();
  const periods: PeriodLateness[] = [];
  for (let i = 0; i < perVcpu.count; i++) {
    const t = perVcpu.with(i, (m) => {
      if (m.periodLateness !== null) periods.push(m.periodLateness);
      return m.totals();
    });
    advanceRecords += t.advanceRecords;
    advance.add(t);
    interrupts += t.interrupts;
    sumNs += t.latencySumNs;
    sumCycles += t.latencySumCycles;
    minNs = Math.min(minNs, t.latencyMinNs);
    maxNs = Math.max(maxNs, t.latencyMaxNs);
    minCycles = Math.min(minCycles, t.latencyMinCycles);
    maxCycles = Math.max(maxCycles, t.latencyMaxCycles);
    earlyCount += t.earlyCount;
    earlyWorstNs = Math.max(earlyWorstNs, t.earlyWorstNs);
    spinNs += t.spinNs;
    coalesced += t.coalesced;
    haltPollNs += t.haltPollNs;
    haltPolls.successful += t.haltPolls.successful;
    haltPolls.failed += t.haltPolls.failed;
    for (const k of Object.keys(exits) as (keyof ExitCounts)[]) exits[k] += t.exits[k];
    for (const k of Object.keys(timers) as (keyof TimerCounts)[]) timers[k] += t.timers[k];
  }

  const shared = !host.options.perVcpuHistograms;
  const hNs = shared ? host.sharedLatencyNs! : mergedHistogram(perVcpu, (m) => m.histograms.ns);
  const hCycles = shared ? host.sharedLatencyCycles! : mergedHistogram(perVcpu, (m) => m.histograms.cycles);
  const ns = latencyMoments(interrupts, sumNs, minNs, maxNs);
  const cycles = latencyMoments(interrupts, sumCycles, minCycles, maxCycles);

  const body = metricsBody(
    {
      interrupts,
      latencySumNs: sumNs,
      latencySumCycles: sumCycles,
      latencyMinNs: minNs,
      latencyMaxNs: maxNs,
      latencyMinCycles: minCycles,
      latencyMaxCycles: maxCycles,
      earlyCount,
      earlyWorstNs,
      exits,
      spinNs,
      timers,
      coalesced,
      haltPollNs,
      haltPolls,
      advanceRecords,
      advance: advance.summary,
      callbacksPerMsPeak: host.callbacks.peak,
    },
    {
      ns: latencySummary(hNs, ns.min, ns.mean, ns.max),
      cycles: latencySummary(hCycles, cycles.min, cycles.mean, cycles.max),
    },
  );
  if (periods.length > 0) body.periodLatenessNs = PeriodLateness.merged(periods).summary();
  return body;
}
