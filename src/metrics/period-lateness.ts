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

import { latencySummary, newAggregateHistogram, newVcpuHistogram, type LatencyHistogram } from "./histogram.js";
import type { PeriodLatenessSummary } from "./latency-summary.js";

export class PeriodLateness {
  count = 0;
  private sumNs = 0;
  private minNs = Infinity;
  private maxNs = -Infinity;

  constructor(
    /** ns, early ticks (negative lateness) as 0, as the latency histograms hold them. */
    readonly histogram: LatencyHistogram = newVcpuHistogram(),
  ) {}

  /** One interrupt's lateness against the previous interrupt plus the period, ns (negative: early). */
  record(latenessNs: number): void {
    this.count++;
    this.sumNs += latenessNs;
    if (latenessNs < this.minNs) this.minNs = latenessNs;
    if (latenessNs > this.maxNs) this.maxNs = latenessNs;
    this.histogram.recordValue(latenessNs > 0 ? latenessNs : 0);
  }

  /**
   * The wasm engine's hand-over (assembly/sim/engine_metrics.ts): `times` histogram
   * counts of `histogramNs` (early ticks as 0), and the totals it kept as record() does.
   */
  addHistogramCount(histogramNs: number, times: number): void {
    this.histogram.recordValueWithCount(histogramNs, times);
  }
  absorbTotals(count: number, sumNs: number, minNs: number, maxNs: number): void {
    this.count += count;
    this.sumNs += sumNs;
    if (minNs < this.minNs) this.minNs = minNs;
    if (maxNs > this.maxNs) this.maxNs = maxNs;
  }

  /** The run's: several vCPUs' periods together. */
  static merged(parts: readonly PeriodLateness[]): PeriodLateness {
    const all = new PeriodLateness(newAggregateHistogram());
    for (const p of parts) {
      all.count += p.count;
      all.sumNs += p.sumNs;
      all.minNs = Math.min(all.minNs, p.minNs);
      all.maxNs = Math.max(all.maxNs, p.maxNs);
      all.histogram.add(p.histogram);
    }
    return all;
  }

  summary(): PeriodLatenessSummary {
    return { count: this.count, ...latencySummary(this.histogram, this.minNs, this.sumNs / this.count, this.maxNs) };
  }
}
