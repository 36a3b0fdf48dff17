// cyclictest's per-thread summary line (rt-tests), for the cyclictest workload
// (issue #3 §6), so its output can be compared with a real run's side by side:
//
//   T: 0 ( 1234) P:99 I:1000 C:   1000 Min:      3 Act:    5 Avg:    4 Max:      12
//
// cyclictest prints it with "T:%2d (%5d) P:%2d I:%ld C:%7lu Min:%7ld Act:%5ld Avg:%5ld
// Max:%8ld" (Act and Avg widen to %8ld with -N/--nsecs, where values are ns). I is the
// interval in µs; C the number of wake-ups; Avg the sum over C, truncated.

import type { VcpuMetrics } from "../metrics/vcpu-metrics.js";

/** One thread's numbers, already in the line's unit (µs, or ns with nsecs). */
export interface CyclictestStats {
  /** Thread index (T). */
  thread: number;
  /** Thread id shown in parentheses. */
  tid: number;
  /** SCHED_FIFO priority (P). */
  priority: number;
  /** Interval in µs (I). */
  intervalUs: number;
  /** Wake-ups so far (C). */
  cycles: number;
  min: number;
  /** The latest latency (Act). */
  act: number;
  avg: number;
  max: number;
}

/** printf's %Nd: right-aligned in N columns, never truncated. */
function d(value: number, width: number): string {
  return String(value).padStart(width);
}

/** The line, without a newline. */
export function renderCyclictestLine(stats: CyclictestStats, nsecs = false): string {
  const actAvgWidth = nsecs ? 8 : 5;
  return (
    `T:${d(stats.thread, 2)} (${d(stats.tid, 5)}) P:${d(stats.priority, 2)} I:${stats.intervalUs} C:${d(stats.cycles, 7)} ` +
    `Min:${d(stats.min, 7)} Act:${d(stats.act, actAvgWidth)} Avg:${d(stats.avg, actAvgWidth)} Max:${d(stats.max, 8)}`
  );
}

export interface CyclictestLineOptions {
  /** Thread index (T); default 0. */
  thread?: number;
  /** Thread id; default 1000 + thread (there is no real tid in a simulation). */
  tid?: number;
  /** Default 99 (cyclictest -p99, the usual RT setting). */
  priority?: number;
  /** The workload's interval in ns. */
  intervalNs: number;
  /** Print ns instead of µs, as cyclictest -N. */
  nsecs?: boolean;
}

/**
 * cyclictest's numbers from a vCPU's collector. Latencies convert from exact ns by
 * truncation toward zero, as cyclictest's C integer division does; Avg is the exact
 * mean truncated, where cyclictest sums per-wake-up truncated µs (they differ by < 1 µs).
 * With no wake-ups Min shows 1000000 and Max 0: cyclictest's initial values, which it
 * prints unchanged in that case. Max never goes below 0, as cyclictest starts it there.
 */
export function cyclictestStats(m: VcpuMetrics, options: CyclictestLineOptions): CyclictestStats {
  const unit = options.nsecs ? 1 : 1000;
  const thread = options.thread ?? 0;
  const t = m.totals();
  const n = t.interrupts;
  const conv = (ns: number): number => Math.trunc(ns / unit);
  return {
    thread,
    tid: options.tid ?? 1000 + thread,
    priority: options.priority ?? 99,
    intervalUs: Math.trunc(options.intervalNs / 1000),
    cycles: n,
    min: n === 0 ? 1000000 : Math.min(1000000, conv(t.latencyMinNs)),
    act: n === 0 ? 0 : conv(m.lastLatencyNs),
    avg: n === 0 ? 0 : Math.trunc(t.latencySumNs / n / unit),
    max: n === 0 ? 0 : Math.max(0, conv(t.latencyMaxNs)),
  };
}
