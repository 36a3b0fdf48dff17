// The per-period lateness of periodic timers on the wasm engine (MetricsSink.recordPeriodLateness;
// src/metrics/period-lateness.ts keeps it on the host): what engine_metrics.ts logs and
// keeps for it, split out of that file along what it models.

import { LogRecord, logFull, logRecord, metricsComplete, metricsVcpus } from "./engine_metrics";

/**
 * Per vCPU, the per-period lateness a periodic timer records (engine_control.ts owns the
 * array; 0 when no VM runs one), LATENESS_BYTES each: SLOTS [value, count] slots and, in
 * the complete mode, the totals [count, sum, min, max]. In the log mode slot 0 is the run
 * of equal values not yet logged (the host replays a run as that many calls, in order).
 * In the complete mode the totals are kept here, in order, as PeriodLateness keeps them,
 * and the slots count histogram values (early ones as 0): a steady timer repeats a few
 * values, and the host's histogram takes a count at once when a slot is given up.
 * Four slots: S10's periodic timer on a busy guest cycles through three values (0, 7 and
 * 8 ns), which two slots gave up every few periods (~500 log records a vCPU in 3 s, each
 * a call on the host); with four, a vCPU's counts reach the host once, at the end. The
 * histogram's counts do not depend on the order or grouping they come in
 * (test/period-lateness.test.ts), so this changes no result.
 */
let latenessPtr: usize = 0;
const SLOTS: usize = 4;
const SLOT_BYTES: usize = 16;
const L_TOTAL_COUNT: usize = SLOTS * SLOT_BYTES;
const LATENESS_BYTES: usize = L_TOTAL_COUNT + 32;

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
    store<f64>(p + L_TOTAL_COUNT, Infinity, 16);
    store<f64>(p + L_TOTAL_COUNT, -Infinity, 24);
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
  const t = p + L_TOTAL_COUNT;
  store<f64>(t, load<f64>(t) + 1);
  store<f64>(t, load<f64>(t, 8) + ns, 8);
  if (ns < load<f64>(t, 16)) store<f64>(t, ns, 16);
  if (ns > load<f64>(t, 24)) store<f64>(t, ns, 24);
  const h = ns > 0 ? ns : 0;
  const bits = reinterpret<u64>(h);
  for (let s: usize = 0; s < L_TOTAL_COUNT; s += SLOT_BYTES) {
    const times = load<f64>(p + s, 8);
    if (times > 0 && reinterpret<u64>(load<f64>(p + s)) == bits) {
      store<f64>(p + s, times + 1, 8);
      return;
    }
  }
  // The last slot is given up, the others move down one, the new value takes slot 0.
  const last = L_TOTAL_COUNT - SLOT_BYTES;
  if (load<f64>(p + last, 8) > 0) logRecord(v, LogRecord.PeriodLateness, load<f64>(p + last), load<f64>(p + last, 8), 1);
  memory.copy(p + SLOT_BYTES, p, last);
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
    for (let slot: usize = 0; slot < L_TOTAL_COUNT; slot += SLOT_BYTES) {
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
