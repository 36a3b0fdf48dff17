// Summarising one vCPU's metrics: its slot block (vcpu-slots.ts) read back as exact
// totals, the moments of its latencies, and the result body in the JSON key order. The
// recording side (vcpu-metrics.ts) runs on the engine's hot path and never allocates;
// this side runs once per vCPU at the end of a run (and per aggregate, aggregate.ts).

import {
  ADV_FINAL, ADV_INITIAL, ADV_MAX, ADV_MIN, ADV_RECORDS, ARMS, CB_PEAK, COALESCED, EARLY, EARLY_WORST_NS, EXIT_REASON_NAMES, type ExitReason,
  exitSlot, HALT_POLL_NS, HV_FALLBACKS, HV_TO_SW, INTERRUPTS, MAX_CYCLES, MAX_NS, MIN_CYCLES, MIN_NS, POLL_FAILED, POLL_OK, SERIES_STRIDE, SPIN_NS,
  SUM_CYCLES, SUM_NS, SW_TO_HV, TimerBackend, TIMERS_POSTED,
} from "./vcpu-slots.js";
import type { AdvanceSummary, ExitCounts, LatencyMoments, MetricsOf, TimerCounts } from "./types.js";

/** Raw totals of one vCPU, for aggregation (exact sums, ±Infinity extremes when empty). */
export interface VcpuTotals {
  vm: number;
  vcpu: number;
  interrupts: number;
  latencySumNs: number;
  latencySumCycles: number;
  latencyMinNs: number;
  latencyMaxNs: number;
  latencyMinCycles: number;
  latencyMaxCycles: number;
  earlyCount: number;
  earlyWorstNs: number;
  exits: ExitCounts;
  spinNs: number;
  timers: TimerCounts;
  coalesced: number;
  haltPollNs: number;
  haltPolls: { successful: number; failed: number };
  advanceRecords: number;
  advance: AdvanceSummary;
  callbacksPerMsPeak: number;
}

/**
 * The exact totals in one vCPU's block `s` at offset `o`, with its advance series
 * (interleaved (nowNs, advanceNs) pairs; null when none was kept). The series holds the
 * records numbered 0, stride, 2·stride, … (VcpuMetrics.advanceSeriesPoint).
 */
export function totalsOfBlock(vm: number, vcpu: number, s: Float64Array, o: number, advanceSeries: Float64Array | null): VcpuTotals {
  const exits = {} as ExitCounts;
  EXIT_REASON_NAMES.forEach((name, i) => (exits[name] = s[o + exitSlot(i as ExitReason)]!));
  const records = s[o + ADV_RECORDS]!;
  const series: [number, number][] = [];
  const len = advanceSeries === null || records === 0 ? 0 : Math.floor((records - 1) / s[o + SERIES_STRIDE]!) + 1;
  for (let i = 0; i < len; i++) series.push([advanceSeries![2 * i]!, advanceSeries![2 * i + 1]!]);
  return {
    vm,
    vcpu,
    interrupts: s[o + INTERRUPTS]!,
    latencySumNs: s[o + SUM_NS]!,
    latencySumCycles: s[o + SUM_CYCLES]!,
    latencyMinNs: s[o + MIN_NS]!,
    latencyMaxNs: s[o + MAX_NS]!,
    latencyMinCycles: s[o + MIN_CYCLES]!,
    latencyMaxCycles: s[o + MAX_CYCLES]!,
    earlyCount: s[o + EARLY]!,
    earlyWorstNs: s[o + EARLY_WORST_NS]!,
    exits,
    spinNs: s[o + SPIN_NS]!,
    timers: {
      swArms: s[o + ARMS + TimerBackend.sw]!,
      hvArms: s[o + ARMS + TimerBackend.hv]!,
      hvFallbacks: s[o + HV_FALLBACKS]!,
      hvToSw: s[o + HV_TO_SW]!,
      swToHv: s[o + SW_TO_HV]!,
      posted: s[o + TIMERS_POSTED]!,
    },
    coalesced: s[o + COALESCED]!,
    haltPollNs: s[o + HALT_POLL_NS]!,
    haltPolls: { successful: s[o + POLL_OK]!, failed: s[o + POLL_FAILED]! },
    advanceRecords: records,
    advance:
      records === 0
        ? { initial: 0, final: 0, min: 0, max: 0, series }
        : { initial: s[o + ADV_INITIAL]!, final: s[o + ADV_FINAL]!, min: s[o + ADV_MIN]!, max: s[o + ADV_MAX]!, series },
    callbacksPerMsPeak: s[o + CB_PEAK]!,
  };
}

/** @internal Exact moments; NaN with no samples (a statistic of nothing is undefined). */
export function latencyMoments(n: number, sum: number, min: number, max: number): LatencyMoments {
  return n === 0 ? { min: NaN, mean: NaN, max: NaN } : { min, mean: sum / n, max };
}

/** @internal The metrics body around a latency summary, in the result's key order. */
export function metricsBody<L extends LatencyMoments>(t: Omit<VcpuTotals, "vm" | "vcpu">, latency: { ns: L; cycles: L }): MetricsOf<L> {
  return {
    interrupts: t.interrupts,
    latency,
    early: { count: t.earlyCount, worstNs: t.earlyWorstNs },
    exits: t.exits,
    spinNs: t.spinNs,
    advanceNs: t.advance,
    timers: t.timers,
    coalesced: t.coalesced,
    haltPollNs: t.haltPollNs,
    haltPolls: t.haltPolls,
    callbacksPerMsPeak: t.callbacksPerMsPeak,
  };
}
