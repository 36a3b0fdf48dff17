// The latency histograms the wasm engine keeps itself in its complete mode when one pair
// is shared by all vCPUs (engine_metrics.ts metricLatency): counts of whole ns and whole
// cycles below 2^32 in HdrHistogram's bucket layout for 3 significant digits and a lowest
// value of 1 (src/metrics/histogram.ts), so the host adds them into its own histograms
// cell by cell at the end (WasmEngine.handOver). Values at or above 2^32, and every value
// when the histograms are per vCPU, go through the log instead. A leaf: it imports nothing.

// HdrHistogram's layout: 1024 half sub-buckets, unit magnitude 0. Values below 2^32 have
// indices below HIST_CELLS.
export const HIST_HALF_MAGNITUDE: i32 = 10;
const HALF_MAGNITUDE: i32 = HIST_HALF_MAGNITUDE;
const HALF_COUNT: i32 = 1 << HALF_MAGNITUDE;
export const HIST_CELLS: i32 = (22 << HALF_MAGNITUDE) + HALF_COUNT;

/** f64 counts per cell (HIST_CELLS each); 0 when the engine keeps no histogram. */
export let histNsPtr: usize = 0;
export let histCyclesPtr: usize = 0;

/** Bytes histogramsInit allocates (simMemoryReserve, through engineMetricsBytes). */
export function histogramsBytes(): usize {
  return usize(HIST_CELLS) << 4;
}

/** Both histograms, empty (engineMetricsInit, when the engine keeps them). */
export function histogramsInit(): void {
  histNsPtr = heap.alloc(usize(HIST_CELLS) << 3);
  histCyclesPtr = heap.alloc(usize(HIST_CELLS) << 3);
  memory.fill(histNsPtr, 0, usize(HIST_CELLS) << 3);
  memory.fill(histCyclesPtr, 0, usize(HIST_CELLS) << 3);
}

/** Frees them (engineMetricsRelease). */
export function histogramsRelease(): void {
  if (histNsPtr != 0) heap.free(histNsPtr);
  if (histCyclesPtr != 0) heap.free(histCyclesPtr);
  histNsPtr = 0;
  histCyclesPtr = 0;
}

export function engineHistNsPtr(): usize {
  return histNsPtr;
}

export function engineHistCyclesPtr(): usize {
  return histCyclesPtr;
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

/** One more count of a whole value in [0, 2^32) in the histogram at ptr (Histogram.recordValue). */
// @ts-ignore: decorator
@inline
export function histAdd(ptr: usize, value: f64): void {
  const p = ptr + (usize(histIndex(u32(value))) << 3);
  store<f64>(p, load<f64>(p) + 1);
}
