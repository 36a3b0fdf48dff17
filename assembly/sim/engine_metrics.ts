// What the wasm cyclictest engine reports (src/sim/metrics-sink.ts's MetricsSink calls):
// plain counts and sums accumulate per vCPU here and are handed over once at the end;
// the calls that need the host's collectors (latency histograms, the advance series,
// the host-wide callbacks-per-ms counter) go into a log the host drains in order.

/** Counter slots per vCPU, in src/sim/metrics-sink.ts's EngineCounter order. */
export enum Counter {
  ExitMsrWrite = 0,
  ExitApicWrite = 1,
  ExitPreemptionTimer = 2,
  ExitExternalInterrupt = 3,
  ExitHlt = 4,
  SpinNs = 5,
  SwArms = 6,
  HvArms = 7,
  HvFallbacks = 8,
  HvToSw = 9,
  SwToHv = 10,
  Coalesced = 11,
  HaltPollNs = 12,
  PollOk = 13,
  PollFailed = 14,
}
export const COUNTERS: i32 = 15;

/** Log record types: [vcpu * 4 + type, a, b]. */
export enum LogRecord {
  /** recordLatency(a = cycles, b = ns) */
  Latency = 0,
  /** recordAdvance(a = now since start ns, b = advance ns) */
  Advance = 1,
  /** hrtimerCallback(a = now since start ns) */
  Callback = 2,
}

/** Records per drain; the engine stops for a drain when fewer than LOG_SLACK are free. */
export const LOG_CAPACITY: i32 = 4096;
export const LOG_SLACK: i32 = 16;

let countersPtr: usize = 0;
let logPtr: usize = 0;
let logCount: i32 = 0;

export function engineMetricsInit(n: i32): void {
  if (countersPtr != 0) heap.free(countersPtr);
  const bytes = usize(max(n, 1)) * usize(COUNTERS) << 3;
  countersPtr = heap.alloc(bytes);
  memory.fill(countersPtr, 0, bytes);
  if (logPtr == 0) logPtr = heap.alloc(usize(LOG_CAPACITY) * 24);
  logCount = 0;
}

export function engineCountersPtr(): usize {
  return countersPtr;
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
export function count(v: i32, c: Counter, by: f64 = 1): void {
  const p = countersPtr + ((usize(v) * usize(COUNTERS) + usize(c)) << 3);
  store<f64>(p, load<f64>(p) + by);
}

// @ts-ignore: decorator
@inline
export function logRecord(v: i32, type: LogRecord, a: f64, b: f64): void {
  const p = logPtr + usize(logCount) * 24;
  store<f64>(p, f64(v) * 4 + f64(type));
  store<f64>(p, a, 8);
  store<f64>(p, b, 16);
  logCount++;
}
