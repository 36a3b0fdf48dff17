// The host-wide hrtimer callbacks per simulated ms that the wasm engine keeps in its
// complete mode (engine_metrics.ts): src/metrics/callback-rate.ts's CallbacksPerMs, the
// last CALLBACK_WINDOW_MS aligned ms in a ring and the peak over the whole run. Callbacks
// come in simulated-time order (the loop pops events in time order), so a count only grows
// while its ms is current and the peak is exact. The host reads the ring at the end
// (WasmEngine.handOver, mergeWindow). A leaf: it imports nothing.

/**
 * Host-wide hrtimer callbacks per aligned simulated ms, the last CALLBACK_WINDOW_MS of them
 * (u32 cells, cell ms & (WINDOW - 1)): CallbacksPerMs's ring (src/metrics/callback-rate.ts),
 * a fixed 4 kB however long the run. Callbacks arrive in time order (the loop pops events
 * in time order), so a count only grows while its ms is current and the peak is exact.
 */
export const CALLBACK_WINDOW_MS: i32 = 1024;
let cbPtr: usize = 0;
/** The latest ms with a callback; -1 before the first. */
let cbLatestMs: f64 = -1;
let cbPeak: u32 = 0;

/** Bytes callbackRingInit allocates (simMemoryReserve, through engineMetricsBytes). */
export function callbackRingBytes(): usize {
  return usize(CALLBACK_WINDOW_MS) << 2;
}

/** An empty ring for a new run (engineMetricsInit). */
export function callbackRingInit(): void {
  cbPtr = heap.alloc(usize(CALLBACK_WINDOW_MS) << 2);
  memory.fill(cbPtr, 0, usize(CALLBACK_WINDOW_MS) << 2);
  cbLatestMs = -1;
  cbPeak = 0;
}

/** Frees the ring (engineMetricsRelease). */
export function callbackRingRelease(): void {
  if (cbPtr != 0) heap.free(cbPtr);
  cbPtr = 0;
}

export function engineCallbacksPtr(): usize {
  return cbPtr;
}

/** The latest ms with a host-wide callback (-1 for none): the ring holds (latest - WINDOW, latest]. */
export function engineCallbacksLatestMs(): f64 {
  return cbLatestMs;
}

/** The largest host-wide count in any one aligned ms (0 for none). */
export function engineCallbacksPeak(): u32 {
  return cbPeak;
}

/** The cell of aligned ms `ms` in the host-wide ring. */
// @ts-ignore: decorator
@inline
function cbCell(ms: f64): usize {
  return cbPtr + (usize(i64(ms) & i64(CALLBACK_WINDOW_MS - 1)) << 2);
}

/** One host-wide callback in aligned ms `ms` (CallbacksPerMs.recordMs). */
export function hostCallbackInMs(ms: f64): void {
  if (ms > cbLatestMs) {
    // The ms between the old latest and this one start at 0.
    if (cbLatestMs < 0 || ms - cbLatestMs >= f64(CALLBACK_WINDOW_MS)) memory.fill(cbPtr, 0, usize(CALLBACK_WINDOW_MS) << 2);
    else for (let k = cbLatestMs + 1; k <= ms; k++) store<u32>(cbCell(k), 0);
    cbLatestMs = ms;
  } else {
    // Events are popped in time order: a callback behind the ring is a broken engine.
    assert(ms > cbLatestMs - f64(CALLBACK_WINDOW_MS), "hrtimer callback out of time order");
  }
  const p = cbCell(ms);
  const n = load<u32>(p) + 1;
  store<u32>(p, n);
  if (n > cbPeak) cbPeak = n;
}
