// What the wasm cyclictest engine reports (src/sim/metrics-sink.ts's MetricsSink calls):
// the counts and sums, the per-vCPU recording calls, and the log. Each vCPU has a compact
// block (M_STRIDE bytes): the sums and latency extremes as f64, the counts as u32 — a
// count that wraps carries 2^32 into a table allocated the first time one does, so counts
// stay exact past 2^32 while a run keeps 4 bytes per count (issue #3 §9, ≤ 512 bytes per
// vCPU). metrics_slots.ts reads a block out in src/metrics/vcpu-metrics.ts's slot layout
// at the end. Beside it: the shared histograms (metrics_histogram.ts), the host-wide
// callbacks per ms (metrics_callback_ring.ts), the ns extremes the cycles cannot give
// (metrics_ns_extremes.ts) — leaves this file records into.
//
// Two modes. In the log mode the calls that need the host's collectors — latency
// (histograms), the advance (its series), hrtimer callbacks (the host-wide count per ms)
// — go into a log the host drains in order and replays as the calls themselves. In the
// complete mode (every sink a VcpuMetrics of one host, or a host whose collectors come at
// the end: `tscsim run`, sweeps) this file also keeps what those calls keep, exactly as
// VcpuMetrics does — latency moments and early counts, advance initial/final/min/max,
// per-vCPU callbacks per ms — and the host-wide callbacks per ms (the last
// CALLBACK_WINDOW_MS ms in a ring and the peak, as src/metrics/callback-rate.ts keeps
// them: callbacks come in simulated-time order; metrics_callback_ring.ts). What it logs then: the
// advance-series points a collector's series keeps (seriesKeeps), and latencies for
// the histograms — every one with per-vCPU histograms (up to 64 vCPUs by default), only
// those >= 2^32 with one pair shared by all vCPUs, whose counts it keeps itself in
// HdrHistogram's bucket layout. The host merges it all at the end (WasmEngine.handOver).

import { histAdd, histCyclesPtr, histNsPtr, histogramsBytes, histogramsInit, histogramsRelease } from "./metrics_histogram";
import { callbackRingBytes, callbackRingInit, callbackRingRelease, hostCallbackInMs } from "./metrics_callback_ring";
import { keepNsExtremes, nsExtremesPtr } from "./metrics_ns_extremes";

// The compact block (byte offsets). f64 first, then u32.
export const M_SUM_NS: usize = 0;
export const M_SUM_CYCLES: usize = 8;
export const M_MIN_CYCLES: usize = 16;
export const M_MAX_CYCLES: usize = 24;
export const M_LAST_CYCLES: usize = 32;
export const M_CB_MS: usize = 48;
/** The sums the engine adds ns to. */
export enum Sum {
  SpinNs = 40,
  HaltPollNs = 56,
}
/** The u32 counts (each carries into the wrap table). */
export enum Count {
  Interrupts = 64,
  Early = 68,
  ExitMsrWrite = 72,
  ExitApicWrite = 76,
  ExitPreemptionTimer = 80,
  ExitExternalInterrupt = 84,
  ExitHlt = 88,
  SwArms = 92,
  HvArms = 96,
  HvFallbacks = 100,
  HvToSw = 104,
  SwToHv = 108,
  Coalesced = 112,
  AdvRecords = 116,
  PollOk = 120,
  PollFailed = 124,
  Posted = 128,
}
const COUNT_FIRST: usize = 64;
const COUNTS: i32 = 17;
// u32 values that cannot wrap: callbacks within one ms, and timer_advance_ns values.
export const M_CB_COUNT: usize = 132;
export const M_CB_PEAK: usize = 136;
export const M_ADV_INITIAL: usize = 140;
export const M_ADV_FINAL: usize = 144;
export const M_ADV_MIN: usize = 148;
export const M_ADV_MAX: usize = 152;
/** Bytes of one vCPU's block (a multiple of 8: its f64s stay aligned). */
export const M_STRIDE: usize = 160;

/** Log record types: [vcpu * 4 + type, a, b, c]. */
export enum LogRecord {
  /** recordLatency(a = cycles, b = ns); complete mode: only the histograms (every value when they are the host's, else values >= 2^32) */
  Latency = 0,
  /** recordAdvance(a = now since start ns, b = advance ns); complete mode: the series point of call c */
  Advance = 1,
  /** hrtimerCallback(a = now since start ns) (log mode only) */
  Callback = 2,
  /** recordPeriodLateness(a = ns) b times in a row (c = 0), or b counts of a in its histogram (c = 1, complete mode): the host keeps the per-period lateness (src/metrics/period-lateness.ts) */
  PeriodLateness = 3,
}

/** Records per drain; the engine stops for a drain when fewer than LOG_SLACK are free. */
export const LOG_CAPACITY: i32 = 4096;
export const LOG_SLACK: i32 = 16;
const RECORD_BYTES: usize = 32;

const TWO_POW_32: f64 = 4294967296;

let blocksPtr: usize = 0;
let vcpus: i32 = 0;
/** f64 per count per vCPU: the 2^32s carried out of the u32 counts; 0 until a count first wraps. */
let carryPtr: usize = 0;
/**
 * Each vCPU's advance-series capacity (u32 points, 0 = none), for vCPUs 0..seriesCaps-1
 * (the last one with a series; none after it): only the calls the series keeps are logged.
 */
let seriesCapPtr: usize = 0;
let seriesCaps: i32 = 0;
let seriesCapRoom: i32 = 0;
let logPtr: usize = 0;
let logCount: i32 = 0;
let complete: bool = false;
/** Complete mode with the histograms on the host (per-vCPU ones): every latency is logged for them. */
let histogramsInHost: bool = false;
/** Frees what a simulation allocated here (simMemoryReserve). */
export function engineMetricsRelease(): void {
  if (blocksPtr != 0) heap.free(blocksPtr);
  if (seriesCapPtr != 0) heap.free(seriesCapPtr);
  if (carryPtr != 0) heap.free(carryPtr);
  histogramsRelease();
  callbackRingRelease();
  blocksPtr = 0;
  seriesCapPtr = 0;
  seriesCaps = 0;
  seriesCapRoom = 0;
  carryPtr = 0;
}

/** The complete mode is on (engine_lateness.ts keeps its totals then). */
export function metricsComplete(): bool {
  return complete;
}

/** vCPUs of the current run. */
export function metricsVcpus(): i32 {
  return vcpus;
}

/** The metric log, which lives as long as the instance (allocated before any simulation's space: simMemoryReserve). */
export function engineLogInit(): void {
  if (logPtr == 0) logPtr = heap.alloc(usize(LOG_CAPACITY) * RECORD_BYTES);
}

/**
 * Bytes engineMetricsInit allocates for n vCPUs, with a series capacity for each when
 * `seriesEach` (simMemoryReserve): none grows with simulated time.
 */
export function engineMetricsBytes(n: i32, seriesEach: bool): usize {
  return usize(max(n, 1)) * (M_STRIDE + (seriesEach ? 4 : 0)) + histogramsBytes() + callbackRingBytes();
}

export function engineMetricsInit(n: i32, completeMode: bool, hostHistograms: bool): void {
  engineMetricsRelease();
  vcpus = max(n, 1);
  blocksPtr = heap.alloc(usize(vcpus) * M_STRIDE);
  for (let v = 0; v < vcpus; v++) {
    const b = blocksPtr + usize(v) * M_STRIDE;
    memory.fill(b, 0, M_STRIDE);
    store<f64>(b + M_MIN_CYCLES, Infinity);
    store<f64>(b + M_MAX_CYCLES, -Infinity);
    store<f64>(b + M_CB_MS, -1);
    store<u32>(b + M_ADV_MIN, u32.MAX_VALUE);
  }
  engineLogInit();
  logCount = 0;
  complete = completeMode;
  histogramsInHost = completeMode && hostHistograms;
  callbackRingInit();
  if (complete && !histogramsInHost) histogramsInit();
}

/**
 * vCPU v's advance series has room for `points` (VcpuMetrics SERIES_CAP; 0 = none): the
 * calls it keeps are logged. Called in vCPU order; the capacities are kept up to the last
 * vCPU with a series (the first alone, at 10^5 vCPUs with shared histograms).
 */
export function engineSetSeriesCap(v: i32, points: u32): void {
  if (points == 0 && v >= seriesCaps) return;
  if (v >= seriesCapRoom) {
    const room = max(v + 1, min(vcpus, max(16, seriesCapRoom << 1)));
    seriesCapPtr = seriesCapPtr == 0 ? heap.alloc(usize(room) << 2) : heap.realloc(seriesCapPtr, usize(room) << 2);
    seriesCapRoom = room;
  }
  if (v >= seriesCaps) {
    memory.fill(seriesCapPtr + (usize(seriesCaps) << 2), 0, usize(v + 1 - seriesCaps) << 2);
    seriesCaps = v + 1;
  }
  store<u32>(seriesCapPtr + (usize(v) << 2), points);
}

/** vCPU v's advance-series capacity (0 = none). */
export function seriesCapOf(v: i32): u32 {
  return v < seriesCaps ? load<u32>(seriesCapPtr + (usize(v) << 2)) : 0;
}

/**
 * Whether call k of an advance series of capacity cap is one it keeps
 * (VcpuMetrics.advanceSeriesPoint): calls 0, s, 2s, ... where the stride s is 1 up to call
 * cap and doubles each time the series fills (at call cap·s): at call k it is the least
 * power of two with k <= cap·s.
 */
// @ts-ignore: decorator
@inline
function seriesKeeps(k: f64, cap: u32): bool {
  let stride: f64 = 1;
  while (k > f64(cap) * stride) stride *= 2;
  return k % stride == 0;
}

export function engineLogPtr(): usize {
  return logPtr;
}

export function engineLogCount(): i32 {
  return logCount;
}

export function engineLogClear(): void {
  logCount = 0;
}

// @ts-ignore: decorator
@inline
export function logFull(): bool {
  return logCount > LOG_CAPACITY - LOG_SLACK;
}

/** vCPU v's block (M_STRIDE bytes at the offsets above). */
// @ts-ignore: decorator
@inline
export function blk(v: i32): usize {
  return blocksPtr + usize(v) * M_STRIDE;
}

/** Where count c of vCPU v carries to; allocates the (zeroed) table the first time. */
function carryCell(v: i32, c: Count): usize {
  if (carryPtr == 0) {
    const bytes = (usize(vcpus) * usize(COUNTS)) << 3;
    carryPtr = heap.alloc(bytes);
    memory.fill(carryPtr, 0, bytes);
  }
  return carryPtr + ((usize(v) * usize(COUNTS) + ((usize(c) - COUNT_FIRST) >> 2)) << 3);
}

/** A u32 count wrapped to 0: 2^32 into its carry. */
function carryOut(v: i32, c: Count): void {
  const p = carryCell(v, c);
  store<f64>(p, load<f64>(p) + TWO_POW_32);
}

/** One more of count c for vCPU v. */
// @ts-ignore: decorator
@inline
export function count(v: i32, c: Count): void {
  const p = blk(v) + usize(c);
  const n = load<u32>(p) + 1;
  store<u32>(p, n);
  if (n == 0) carryOut(v, c);
}

/** ns more into sum s of vCPU v. */
// @ts-ignore: decorator
@inline
export function addNs(v: i32, s: Sum, ns: f64): void {
  const p = blk(v) + usize(s);
  store<f64>(p, load<f64>(p) + ns);
}

/** Count c of vCPU v, exactly (with what it carried). */
// @ts-ignore: decorator
@inline
export function countOf(v: i32, c: Count): f64 {
  const n = f64(load<u32>(blk(v) + usize(c)));
  return carryPtr == 0 ? n : n + load<f64>(carryCell(v, c));
}

/** The least latency of vCPU v in guest cycles (+Infinity before the first). */
export function minLatencyCycles(v: i32): f64 {
  return load<f64>(blk(v) + M_MIN_CYCLES);
}

export function maxLatencyCycles(v: i32): f64 {
  return load<f64>(blk(v) + M_MAX_CYCLES);
}

/** The latest latency of vCPU v in guest cycles (0 before the first). */
export function lastLatencyCycles(v: i32): f64 {
  return load<f64>(blk(v) + M_LAST_CYCLES);
}

// @ts-ignore: decorator
@inline
export function logRecord(v: i32, type: LogRecord, a: f64, b: f64, c: f64): void {
  const p = logPtr + usize(logCount) * RECORD_BYTES;
  store<f64>(p, f64(v) * 4 + f64(type));
  store<f64>(p, a, 8);
  store<f64>(p, b, 16);
  store<f64>(p, c, 24);
  logCount++;
}

/**
 * MetricsSink.recordLatency (VcpuMetrics.recordLatency in the complete mode). Both modes
 * count the interrupt and keep the extremes and the last latency in cycles: the guest's
 * cyclictest reads them (engine_loop.ts).
 */
export function metricLatency(v: i32, cycles: f64, ns: f64): void {
  metricLatencyInline(v, cycles, ns);
}

/** metricLatency, inlined into cyclictest's handler (guest_cyclictest.ts) */
// @ts-ignore: decorator
@inline
export function metricLatencyInline(v: i32, cycles: f64, ns: f64): void {
  const b = blk(v);
  count(v, Count.Interrupts);
  store<f64>(b + M_LAST_CYCLES, cycles);
  if (cycles < load<f64>(b + M_MIN_CYCLES)) store<f64>(b + M_MIN_CYCLES, cycles);
  if (cycles > load<f64>(b + M_MAX_CYCLES)) store<f64>(b + M_MAX_CYCLES, cycles);
  if (!complete) {
    logRecord(v, LogRecord.Latency, cycles, ns, 0);
    return;
  }
  store<f64>(b + M_SUM_NS, load<f64>(b + M_SUM_NS) + ns);
  store<f64>(b + M_SUM_CYCLES, load<f64>(b + M_SUM_CYCLES) + cycles);
  if (nsExtremesPtr != 0) keepNsExtremes(v, cycles, ns);
  // Early interrupts go into the histograms as 0 (VcpuMetrics.recordLatency).
  const hc = cycles < 0 ? 0 : cycles;
  const hn = ns > 0 ? ns : 0;
  if (cycles < 0) count(v, Count.Early);
  if (!histogramsInHost && hc < TWO_POW_32 && hn < TWO_POW_32) {
    histAdd(histCyclesPtr, hc);
    histAdd(histNsPtr, hn);
  } else {
    logRecord(v, LogRecord.Latency, hc, hn, 0);
  }
}

/** MetricsSink.recordAdvance (VcpuMetrics.recordAdvance's slots in the complete mode). */
// @ts-ignore: decorator
@inline
export function metricAdvance(v: i32, nowNs: f64, advanceNs: u32): void {
  if (!complete) {
    logRecord(v, LogRecord.Advance, nowNs, f64(advanceNs), 0);
    return;
  }
  const b = blk(v);
  const k = countOf(v, Count.AdvRecords);
  if (k == 0) store<u32>(b + M_ADV_INITIAL, advanceNs);
  count(v, Count.AdvRecords);
  store<u32>(b + M_ADV_FINAL, advanceNs);
  if (advanceNs < load<u32>(b + M_ADV_MIN)) store<u32>(b + M_ADV_MIN, advanceNs);
  if (advanceNs > load<u32>(b + M_ADV_MAX)) store<u32>(b + M_ADV_MAX, advanceNs);
  if (v < seriesCaps) {
    const cap = load<u32>(seriesCapPtr + (usize(v) << 2));
    if (cap != 0 && seriesKeeps(k, cap)) logRecord(v, LogRecord.Advance, nowNs, f64(advanceNs), k);
  }
}

/** MetricsSink.hrtimerCallback (VcpuMetrics.hrtimerCallback and CallbacksPerMs in the complete mode). */
// @ts-ignore: decorator
@inline
export function metricCallback(v: i32, nowNs: f64): void {
  if (!complete) {
    logRecord(v, LogRecord.Callback, nowNs, 0, 0);
    return;
  }
  const b = blk(v);
  const ms = Math.floor(nowNs / 1000000);
  let n: u32 = 1;
  if (ms == load<f64>(b + M_CB_MS)) n = load<u32>(b + M_CB_COUNT) + 1;
  else store<f64>(b + M_CB_MS, ms);
  store<u32>(b + M_CB_COUNT, n);
  if (n > load<u32>(b + M_CB_PEAK)) store<u32>(b + M_CB_PEAK, n);
  hostCallbackInMs(ms);
}

/** Sets count c of vCPU v to `value` (tests: counts past 2^32 without 2^32 events). */
export function engineSetCount(v: i32, c: Count, value: f64): void {
  const low = value % TWO_POW_32;
  store<u32>(blk(v) + usize(c), u32(low));
  if (value != low || carryPtr != 0) store<f64>(carryCell(v, c), value - low);
}
