// What the wasm cyclictest engine reports (src/sim/metrics-sink.ts's MetricsSink calls).
// Each vCPU has a block of slots laid out as src/metrics/vcpu-metrics.ts's (a test pins
// the indices); counts and sums accumulate there and are handed over once at the end.
//
// Two modes. In the log mode the calls that need the host's collectors — latency
// (histograms), the advance (its series), hrtimer callbacks (the host-wide count per ms)
// — go into a log the host drains in order and replays as the calls themselves. In the
// complete mode (every sink a VcpuMetrics of one host: `tscsim run`, sweeps) this file
// also keeps what those calls keep, exactly as VcpuMetrics does — latency moments and
// early counts, advance initial/final/min/max, per-vCPU callbacks per ms — and the
// host-wide callbacks per ms. What it logs then: advance-series points, and latencies for
// the histograms — every one with per-vCPU histograms (up to 64 vCPUs by default), only
// those >= 2^32 with one pair shared by all vCPUs, whose counts it keeps itself in
// HdrHistogram's bucket layout. The host merges it all at the end (CyclictestEngine.handOver).

/** Slots per vCPU (VcpuMetrics VCPU_SLOTS) and the indices used here (VcpuMetrics' names). */
export const SLOTS: i32 = 35;
export enum Slot {
  Interrupts = 0,
  SumNs = 1,
  SumCycles = 2,
  MinNs = 3,
  MaxNs = 4,
  MinCycles = 5,
  MaxCycles = 6,
  LastNs = 7,
  Early = 8,
  EarlyWorstNs = 9,
  AdvRecords = 22,
  AdvInitial = 23,
  AdvFinal = 24,
  AdvMin = 25,
  AdvMax = 26,
  SeriesCap = 27,
  CbMs = 29,
  CbCount = 30,
  CbPeak = 31,
}

/** The counted events (VcpuMetrics slots EXITS.. COALESCED, HALT_POLL_NS.. POLL_FAILED). */
export enum Counter {
  ExitMsrWrite = 10,
  ExitApicWrite = 11,
  ExitPreemptionTimer = 12,
  ExitExternalInterrupt = 13,
  ExitHlt = 14,
  SpinNs = 15,
  SwArms = 16,
  HvArms = 17,
  HvFallbacks = 18,
  HvToSw = 19,
  SwToHv = 20,
  Coalesced = 21,
  HaltPollNs = 32,
  PollOk = 33,
  PollFailed = 34,
}

/** Log record types: [vcpu * 4 + type, a, b, c]. */
export enum LogRecord {
  /** recordLatency(a = cycles, b = ns); complete mode: only the histograms (every value when they are the host's, else values >= 2^32) */
  Latency = 0,
  /** recordAdvance(a = now since start ns, b = advance ns); complete mode: the series point of call c */
  Advance = 1,
  /** hrtimerCallback(a = now since start ns) (log mode only) */
  Callback = 2,
}

/** Records per drain; the engine stops for a drain when fewer than LOG_SLACK are free. */
export const LOG_CAPACITY: i32 = 4096;
export const LOG_SLACK: i32 = 16;
const RECORD_BYTES: usize = 32;

// HdrHistogram's layout for 3 significant digits and a lowest value of 1
// (src/metrics/histogram.ts): 1024 half sub-buckets, unit magnitude 0. Values below 2^32
// have indices below HIST_CELLS.
export const HIST_HALF_MAGNITUDE: i32 = 10;
const HALF_MAGNITUDE: i32 = HIST_HALF_MAGNITUDE;
const HALF_COUNT: i32 = 1 << HALF_MAGNITUDE;
export const HIST_CELLS: i32 = (22 << HALF_MAGNITUDE) + HALF_COUNT;

let slotsPtr: usize = 0;
let logPtr: usize = 0;
let logCount: i32 = 0;
let complete: bool = false;
/** Complete mode with the histograms on the host (per-vCPU ones): every latency is logged for them. */
let histogramsInHost: bool = false;
let histNsPtr: usize = 0;
let histCyclesPtr: usize = 0;
/** Host-wide hrtimer callbacks per simulated ms since the start (u32 cells). */
let cbPtr: usize = 0;
let cbCells: i32 = 0;

/** Frees the slot blocks (simMemoryReserve). */
export function engineMetricsRelease(): void {
  if (slotsPtr != 0) heap.free(slotsPtr);
  slotsPtr = 0;
}

export function engineMetricsInit(n: i32, completeMode: bool, hostHistograms: bool): void {
  engineMetricsRelease();
  const count = max(n, 1);
  slotsPtr = heap.alloc(usize(count) * usize(SLOTS) << 3);
  for (let v = 0; v < count; v++) {
    const b = slotsPtr + (usize(v) * usize(SLOTS) << 3);
    memory.fill(b, 0, usize(SLOTS) << 3);
    store<f64>(b + (usize(Slot.MinNs) << 3), Infinity);
    store<f64>(b + (usize(Slot.MaxNs) << 3), -Infinity);
    store<f64>(b + (usize(Slot.MinCycles) << 3), Infinity);
    store<f64>(b + (usize(Slot.MaxCycles) << 3), -Infinity);
    store<f64>(b + (usize(Slot.AdvMin) << 3), Infinity);
    store<f64>(b + (usize(Slot.AdvMax) << 3), -Infinity);
    store<f64>(b + (usize(Slot.CbMs) << 3), -1);
  }
  if (logPtr == 0) logPtr = heap.alloc(usize(LOG_CAPACITY) * RECORD_BYTES);
  logCount = 0;
  complete = completeMode;
  histogramsInHost = completeMode && hostHistograms;
  if (histNsPtr != 0) {
    heap.free(histNsPtr);
    heap.free(histCyclesPtr);
    histNsPtr = 0;
    histCyclesPtr = 0;
  }
  if (cbPtr != 0) heap.free(cbPtr);
  cbCells = 1024;
  cbPtr = heap.alloc(usize(cbCells) << 2);
  memory.fill(cbPtr, 0, usize(cbCells) << 2);
  if (complete && !histogramsInHost) {
    histNsPtr = heap.alloc(usize(HIST_CELLS) << 3);
    histCyclesPtr = heap.alloc(usize(HIST_CELLS) << 3);
    memory.fill(histNsPtr, 0, usize(HIST_CELLS) << 3);
    memory.fill(histCyclesPtr, 0, usize(HIST_CELLS) << 3);
  }
}

/** vCPU v's advance-series capacity (VcpuMetrics SERIES_CAP): its points are logged. */
export function engineSetSeriesCap(v: i32, points: f64): void {
  store<f64>(slotAt(v, Slot.SeriesCap), points);
}

export function engineSlotsPtr(): usize {
  return slotsPtr;
}

export function engineHistNsPtr(): usize {
  return histNsPtr;
}

export function engineHistCyclesPtr(): usize {
  return histCyclesPtr;
}

export function engineCallbacksPtr(): usize {
  return cbPtr;
}

export function engineCallbackCells(): i32 {
  return cbCells;
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

// @ts-ignore: decorator
@inline
function slotAt(v: i32, s: i32): usize {
  return slotsPtr + ((usize(v) * usize(SLOTS) + usize(s)) << 3);
}

// @ts-ignore: decorator
@inline
export function count(v: i32, c: Counter, by: f64 = 1): void {
  const p = slotAt(v, c);
  store<f64>(p, load<f64>(p) + by);
}

// @ts-ignore: decorator
@inline
function logRecord(v: i32, type: LogRecord, a: f64, b: f64, c: f64): void {
  const p = logPtr + usize(logCount) * RECORD_BYTES;
  store<f64>(p, f64(v) * 4 + f64(type));
  store<f64>(p, a, 8);
  store<f64>(p, b, 16);
  store<f64>(p, c, 24);
  logCount++;
}

// @ts-ignore: decorator
@inline
function get(v: i32, s: i32): f64 {
  return load<f64>(slotAt(v, s));
}

// @ts-ignore: decorator
@inline
function put(v: i32, s: i32, x: f64): void {
  store<f64>(slotAt(v, s), x);
}

/** HdrHistogram's counts index of a whole value in [0, 2^32) (histogram.ts fastCountsIndex). */
// @ts-ignore: decorator
@inline
function histIndex(value: u32): i32 {
  const shift = 31 - i32(clz<u32>(value)) - HALF_MAGNITUDE;
  const bucket = shift > 0 ? shift : 0;
  const sub = i32(value >>> u32(bucket));
  return ((bucket + 1) << HALF_MAGNITUDE) + sub - HALF_COUNT;
}

// @ts-ignore: decorator
@inline
function histAdd(ptr: usize, value: f64): void {
  const p = ptr + (usize(histIndex(u32(value))) << 3);
  store<f64>(p, load<f64>(p) + 1);
}

/** MetricsSink.recordLatency (VcpuMetrics.recordLatency in the complete mode). */
export function metricLatency(v: i32, cycles: f64, ns: f64): void {
  if (!complete) {
    logRecord(v, LogRecord.Latency, cycles, ns, 0);
    return;
  }
  put(v, Slot.Interrupts, get(v, Slot.Interrupts) + 1);
  put(v, Slot.SumNs, get(v, Slot.SumNs) + ns);
  put(v, Slot.SumCycles, get(v, Slot.SumCycles) + cycles);
  put(v, Slot.LastNs, ns);
  if (ns < get(v, Slot.MinNs)) put(v, Slot.MinNs, ns);
  if (ns > get(v, Slot.MaxNs)) put(v, Slot.MaxNs, ns);
  if (cycles < get(v, Slot.MinCycles)) put(v, Slot.MinCycles, cycles);
  if (cycles > get(v, Slot.MaxCycles)) put(v, Slot.MaxCycles, cycles);
  // Early interrupts go into the histograms as 0 (VcpuMetrics.recordLatency).
  const hc = cycles < 0 ? 0 : cycles;
  const hn = ns > 0 ? ns : 0;
  if (cycles < 0) {
    put(v, Slot.Early, get(v, Slot.Early) + 1);
    if (-ns > get(v, Slot.EarlyWorstNs)) put(v, Slot.EarlyWorstNs, -ns);
  }
  if (!histogramsInHost && hc < 4294967296 && hn < 4294967296) {
    histAdd(histCyclesPtr, hc);
    histAdd(histNsPtr, hn);
  } else {
    logRecord(v, LogRecord.Latency, hc, hn, 0);
  }
}

/** MetricsSink.recordAdvance (VcpuMetrics.recordAdvance's slots in the complete mode). */
export function metricAdvance(v: i32, nowNs: f64, advanceNs: f64): void {
  if (!complete) {
    logRecord(v, LogRecord.Advance, nowNs, advanceNs, 0);
    return;
  }
  const k = get(v, Slot.AdvRecords);
  if (k == 0) put(v, Slot.AdvInitial, advanceNs);
  put(v, Slot.AdvRecords, k + 1);
  put(v, Slot.AdvFinal, advanceNs);
  if (advanceNs < get(v, Slot.AdvMin)) put(v, Slot.AdvMin, advanceNs);
  if (advanceNs > get(v, Slot.AdvMax)) put(v, Slot.AdvMax, advanceNs);
  if (get(v, Slot.SeriesCap) != 0) logRecord(v, LogRecord.Advance, nowNs, advanceNs, k);
}

/** MetricsSink.hrtimerCallback (VcpuMetrics.hrtimerCallback and CallbacksPerMs in the complete mode). */
export function metricCallback(v: i32, nowNs: f64): void {
  if (!complete) {
    logRecord(v, LogRecord.Callback, nowNs, 0, 0);
    return;
  }
  const ms = Math.floor(nowNs / 1000000);
  let n: f64 = 1;
  if (ms == get(v, Slot.CbMs)) n = get(v, Slot.CbCount) + 1;
  else put(v, Slot.CbMs, ms);
  put(v, Slot.CbCount, n);
  if (n > get(v, Slot.CbPeak)) put(v, Slot.CbPeak, n);
  const cell = i32(ms);
  if (cell >= cbCells) {
    let cells = cbCells;
    while (cell >= cells) cells <<= 1;
    cbPtr = heap.realloc(cbPtr, usize(cells) << 2);
    memory.fill(cbPtr + (usize(cbCells) << 2), 0, usize(cells - cbCells) << 2);
    cbCells = cells;
  }
  const p = cbPtr + (usize(cell) << 2);
  store<u32>(p, load<u32>(p) + 1);
}
