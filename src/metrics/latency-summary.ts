// The shapes of a latency summary: exact moments, the HdrHistogram percentiles beside
// them, and the per-period lateness summary of a periodic LAPIC timer. A leaf module:
// the result format (types.ts), the histograms (histogram.ts) and the per-period
// collector (period-lateness.ts) all speak these shapes, and none of them may import
// another for it (that made histogram.ts → types.ts → period-lateness.ts → histogram.ts
// a circle).

/**
 * Exact statistics of the latencies, from running values. With no interrupts they are
 * undefined and held as NaN (rendered as null in JSON).
 */
export interface LatencyMoments {
  min: number;
  mean: number;
  max: number;
}

/** Moments plus percentiles from the HdrHistogram (3 significant digits). */
export interface LatencySummary extends LatencyMoments {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

/** min/mean/p50…p99.9/max of the per-period lateness in ns, and how many periods. */
export interface PeriodLatenessSummary extends LatencySummary {
  count: number;
}
