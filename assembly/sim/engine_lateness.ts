// The per-period lateness of periodic timers on the wasm engine (MetricsSink.recordPeriodLateness;
// src/metrics/period-lateness.ts keeps it on the host): what engine_metrics.ts logs and
// keeps for it, split out of that file along what it models.

import { LogRecord, logFull, logRecord, metricsComplete, metricsVcpus } from "./engine_metrics";

/**
 * Per vCPU, the per-period lateness a periodic timer records (engine_control.ts owns the
 * array; 0 when no VM runs one), LATENESS_BYTES each: two [value, count] slots and, in
 * the complete mode, the totals [count, sum, min, max]. In the log mode slot 0 is the run
 * of equal values not yet logged (the host replays a run as that many calls, in order).
 * In the complete mode the totals are kept here, in order, as PeriodLateness keeps them,
 * and the slots count histogram values (early ones as 0): a steady timer repeats one or
 * two values, and the host's histogram takes a count at once when a slot is given up.
 */
let latenessPtr: usize = 0;
const LATENESS_BYTES: usize = 64;
const L_TOTAL_COUNT: usize = 32;

/** Bytes of the lateness state for n vCPUs. */
export function latenessRunsBytes(n: i32): usize {
  return usize(max(n, 1)) * LATENESS_BYTES;
}

/** Keeps the lateness state in the array at ptr (0: log every value), emptied here. */
export function engineKeepLatenessRuns(ptr: usize, n: i32): void {
  latenessPtr = ptr;
  if (ptr == 0) return;
  memory.fill(ptr, 0, latenessRunsBytes(n));
  for (let v = 0; v < n; v++) {
    const p = ptr + usize(v) * LATENESS_BYTES;
    store<f64>(p, Infinity, 48);
    store<f64>(p, -Infinity, 56);
  }
}

/**
 * MetricsSink.recordPeriodLateness. A record: a value, how many times (b), and whether
 * it is a histogram count only (c = 1, the complete mode) or that many calls (c = 0).
 */
export function metricPeriodLateness(v: i32, ns: f64): void {
  if (latenessPtr == 0) {
    logRecord(v, LogRecord.PeriodLateness, ns, 1, 0);
    return;
  }
  const p = latenessPtr + usize(v) * LATENESS_BYTES;
  if (!metricsComplete()) {
    const times = load<f64>(p, 8);
    // The same bits (-0 and 0 are told apart, as the host's sums would).
    if (times > 0 && reinterpret<u64>(load<f64>(p)) == reinterpret<u64>(ns)) {
      store<f64>(p, times + 1, 8);
      return;
    }
    if (times > 0) logRecord(v, LogRecord.PeriodLateness, load<f64>(p), times, 0);
    store<f64>(p, ns);
    store<f64>(p, 1, 8);
    return;
  }
  // PeriodLateness.record's totals, in the same order.
  store<f64>(p, load<f64>(p, L_TOTAL_COUNT) + 1, L_TOTAL_COUNT);
  store<f64>(p, load<f64>(p, 40) + ns, 40);
  if (ns < load<f64>(p, 48)) store<f64>(p, ns, 48);
  if (ns > load<f64>(p, 56)) store<f64>(p, ns, 56);
  const h = ns > 0 ? ns : 0;
  const bits = reinterpret<u64>(h);
  if (load<f64>(p, 8) > 0 && reinterpret<u64>(load<f64>(p)) == bits) {
    store<f64>(p, load<f64>(p, 8) + 1, 8);
    return;
  }
  if (load<f64>(p, 24) > 0 && reinterpret<u64>(load<f64>(p, 16)) == bits) {
    store<f64>(p, load<f64>(p, 24) + 1, 24);
    return;
  }
  // Slot 1 is given up, slot 0 moves there, the new value takes slot 0.
  if (load<f64>(p, 24) > 0) logRecord(v, LogRecord.PeriodLateness, load<f64>(p, 16), load<f64>(p, 24), 1);
  store<f64>(p, load<f64>(p), 16);
  store<f64>(p, load<f64>(p, 8), 24);
  store<f64>(p, h);
  store<f64>(p, 1, 8);
}

/**
 * Logs the lateness slots still held, from vCPU `from` on: returns the vCPU to go on from
 * once the host drained the log, or -1 when all are logged (at the end of a run).
 */
export function engineFlushLatenessRuns(from: i32): i32 {
  if (latenessPtr == 0) return -1;
  const histOnly: f64 = metricsComplete() ? 1 : 0;
  for (let v = from, n = metricsVcpus(); v < n; v++) {
    if (logFull()) return v;
    const p = latenessPtr + usize(v) * LATENESS_BYTES;
    for (let slot: usize = 0; slot < 32; slot += 16) {
      const times = load<f64>(p + slot, 8);
      if (times == 0) continue;
      logRecord(v, LogRecord.PeriodLateness, load<f64>(p + slot), times, histOnly);
      store<f64>(p + slot, 0, 8);
    }
  }
  return -1;
}

const latenessTotalsPtr: usize = memory.data(4 << 3, 8);

/** vCPU v's per-period lateness totals in the complete mode: count, sum, min, max (f64; count 0: none). */
export function engineLatenessTotals(v: i32): usize {
  memory.fill(latenessTotalsPtr, 0, 32);
  if (latenessPtr != 0 && metricsComplete()) memory.copy(latenessTotalsPtr, latenessPtr + usize(v) * LATENESS_BYTES + L_TOTAL_COUNT, 32);
  return latenessTotalsPtr;
}
