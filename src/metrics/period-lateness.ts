// Per-period lateness of a periodic LAPIC timer: each interrupt measured against the
// previous one plus the period (handler TSC − previous handler TSC − period), beside the
// latency against the ideal schedule (start + k periods).
//
// Why both: against the ideal schedule, a phase lost once (a stall longer than a period,
// a kernel that re-arms from "now" instead of from the missed expiry) counts in every
// later interrupt, so a kernel that recovers the phase and one that keeps the loss look
// alike or even inverted. Per period, each interrupt answers "how late was this tick
// relative to the last one", which is what a guest's periodic tick experiences.
// Kept only by workloads that run a periodic timer (the TypeScript engine's `periodic`).
//
// The histogram is made only when it is needed (issue #13): a per-vCPU HdrHistogram is
// ~94 KB of counts, and a 1,024-vCPU periodic run made 96 MB of them to hold ~200 values
// each. Until then the values are kept as the list of (value, count) records the
// histogram would have taken; past RECORDS_BEFORE_HISTOGRAM of them (or counts that could
// wrap a 32-bit slot) the histogram is made and the list replayed into it. A histogram's
// counts do not depend on the order its records came in, and percentiles read nothing
// else (percentiles.ts), so every summary is the one the histogram gives.

import { latencySummary, newAggregateHistogram, newVcpuHistogram, type LatencyHistogram } from "./histogram.js";
import type { PeriodLatenessSummary } from "./latency-summary.js";

/**
 * (value, count) records kept before a vCPU's histogram is made: 4 KB of numbers against
 * the histogram's ~94 KB; a vCPU whose timer repeats a few values (the wasm engine hands
 * them over as counts: engine_lateness.ts), or a run of a few hundred periods, never makes one.
 */
const RECORDS_BEFORE_HISTOGRAM = 256;
/**
 * A per-vCPU histogram counts in 32 bits (LatencyHistogram32); while fewer periods than
 * this are listed, no slot of it could wrap, so the list replays into a histogram of any
 * kind (the run's 64-bit one: merged) with the same counts.
 */
const COUNT_BEFORE_HISTOGRAM = 2 ** 31 - 1;

/** The histogram summary() reads a listed vCPU's values from: made once, emptied each time. */
let scratch: LatencyHistogram | null = null;

export class PeriodLateness {
  count = 0;
  private sumNs = 0;
  private minNs = Infinity;
  private maxNs = -Infinity;
  /** Histogram values (ns, early ticks as 0) and their counts, until `kept` exists. */
  private values: number[] = [];
  private counts: number[] = [];
  private listedCount = 0;
  private kept: LatencyHistogram | null;

  constructor(
    /** Given: the histogram to record into (made at once); omitted, one is made when needed. */
    histogram?: LatencyHistogram,
  ) {
    this.kept = histogram ?? null;
  }

  /** ns, early ticks (negative lateness) as 0, as the latency histograms hold them; made now if only listed so far. */
  get histogram(): LatencyHistogram {
    if (this.kept === null) {
      this.kept = newVcpuHistogram();
      this.replayInto(this.kept);
      this.values = [];
      this.counts = [];
    }
    return this.kept;
  }

  /** One interrupt's lateness against the previous interrupt plus the period, ns (negative: early). */
  record(latenessNs: number): void {
    this.count++;
    this.sumNs += latenessNs;
    if (latenessNs < this.minNs) this.minNs = latenessNs;
    if (latenessNs > this.maxNs) this.maxNs = latenessNs;
    this.addHistogramCount(latenessNs > 0 ? latenessNs : 0, 1);
  }

  /**
   * The wasm engine's hand-over (assembly/sim/engine_lateness.ts): `times` histogram
   * counts of `histogramNs` (early ticks as 0), and the totals it kept as record() does.
   */
  addHistogramCount(histogramNs: number, times: number): void {
    if (this.kept !== null) {
      this.kept.recordValueWithCount(histogramNs, times);
      return;
    }
    this.listedCount += times;
    // A run of one value (a steady timer on the TypeScript engine: a call per period) is one record.
    const last = this.values.length - 1;
    if (last >= 0 && this.values[last] === histogramNs) {
      this.counts[last] = this.counts[last]! + times;
      if (this.listedCount >= COUNT_BEFORE_HISTOGRAM) void this.histogram;
      return;
    }
    this.values.push(histogramNs);
    this.counts.push(times);
    if (this.values.length > RECORDS_BEFORE_HISTOGRAM || this.listedCount >= COUNT_BEFORE_HISTOGRAM) void this.histogram;
  }
  absorbTotals(count: number, sumNs: number, minNs: number, maxNs: number): void {
    this.count += count;
    this.sumNs += sumNs;
    if (minNs < this.minNs) this.minNs = minNs;
    if (maxNs > this.maxNs) this.maxNs = maxNs;
  }

  /** The listed records, in order, into h (sign -1: taken out again). */
  private replayInto(h: LatencyHistogram, sign = 1): void {
    const { values, counts } = this;
    for (let i = 0; i < values.length; i++) h.recordValueWithCount(values[i]!, sign * counts[i]!);
  }

  /** The run's: several vCPUs' periods together. */
  static merged(parts: readonly PeriodLateness[]): PeriodLateness {
    const all = new PeriodLateness(newAggregateHistogram());
    const h = all.kept!;
    for (const p of parts) {
      all.count += p.count;
      all.sumNs += p.sumNs;
      all.minNs = Math.min(all.minNs, p.minNs);
      all.maxNs = Math.max(all.maxNs, p.maxNs);
      // The same counts either way: add() sums slot by slot what the list would record.
      if (p.kept !== null) h.add(p.kept);
      else p.replayInto(h);
    }
    return all;
  }

  summary(): PeriodLatenessSummary {
    if (this.kept !== null) return { count: this.count, ...latencySummary(this.kept, this.minNs, this.sumNs / this.count, this.maxNs) };
    // Only listed: the percentiles from the one scratch histogram, which is left empty
    // again by taking the same records out (its slots and total count back to 0; clearing
    // all ~94 KB per vCPU would cost more than the records at 10^5 vCPUs).
    const h = (scratch ??= newVcpuHistogram());
    this.replayInto(h);
    try {
      return { count: this.count, ...latencySummary(h, this.minNs, this.sumNs / this.count, this.maxNs) };
    } finally {
      this.replayInto(h, -1);
    }
  }
}
