// Latency extremes in ns the wasm engine keeps beside the cycles, where the ns cannot be
// derived from the cycles at the end (engine_metrics.ts derives them otherwise:
// cyclesToNsSigned is nondecreasing in cycles). Two cases, each a per-vCPU array allocated
// only when a scenario needs it:
// - some VM migrates (engine_control.ts allocates the array): the TSC rate changes during
//   the run, so VcpuMetrics.recordLatency's min, max, last and worst early ns are kept as
//   recorded;
// - the guest measures on the PV deadline MSR (guest_tscdl_state.ts allocates the array,
//   guest_cyclictest.ts fills it): the latencies are kvmclock ns and the cycles converted
//   from them, so each vCPU's least, greatest and last ns are kept exactly.
// Both the metric read-out (metrics_slots.ts) and cyclictest's statistics read them.
// A leaf: it imports nothing.

/**
 * Per vCPU [min, max, last, worst early] latency in ns (f64 each), kept only when some VM
 * migrates (engine_control.ts owns the array).
 */
export let nsExtremesPtr: usize = 0;
export const NS_EXTREMES_BYTES: usize = 32;

/** Bytes of the ns extremes for n vCPUs (engine_control.ts allocates them). */
export function nsExtremesBytes(n: i32): usize {
  return usize(max(n, 1)) * NS_EXTREMES_BYTES;
}

/** Keeps the ns extremes in the array at ptr (0: derive them from the cycles), initialized here. */
export function engineKeepNsExtremes(ptr: usize, n: i32): void {
  nsExtremesPtr = ptr;
  for (let v = 0; ptr != 0 && v < n; v++) {
    const p = ptr + usize(v) * NS_EXTREMES_BYTES;
    store<f64>(p, Infinity);
    store<f64>(p, -Infinity, 8);
    store<f64>(p, 0, 16);
    store<f64>(p, 0, 24);
  }
}

/** VcpuMetrics.recordLatency's ns extremes, as it keeps them. */
// @ts-ignore: decorator
@inline
export function keepNsExtremes(v: i32, cycles: f64, ns: f64): void {
  const p = nsExtremesPtr + usize(v) * NS_EXTREMES_BYTES;
  if (ns < load<f64>(p)) store<f64>(p, ns);
  if (ns > load<f64>(p, 8)) store<f64>(p, ns, 8);
  store<f64>(p, ns, 16);
  if (cycles < 0 && -ns > load<f64>(p, 24)) store<f64>(p, -ns, 24);
}

/**
 * On the PV deadline MSR, each vCPU's least, greatest and last latency in kvmclock ns
 * (3 f64 per vCPU; last NaN until the vCPU's first PV latency); 0 when no VM uses it.
 * guest_tscdl_state.ts plans, allocates and frees the array (setPvStatsPtr).
 */
let pvStatsPtr: usize = 0;

/** The PV ns array guest_tscdl_state.ts allocated for this run (0: none). */
export function setPvStatsPtr(ptr: usize): void {
  pvStatsPtr = ptr;
}

// @ts-ignore: decorator
@inline
export function pvStatsCell(v: i32): usize {
  return pvStatsPtr + usize(v) * 24;
}

/**
 * vCPU v's exact least, greatest and last latency in ns (f64 at +0, +8, +16) when its
 * latencies were measured in ns (the PV MSR), else 0.
 */
export function exactNsCell(v: i32): usize {
  if (pvStatsPtr == 0) return 0;
  const c = pvStatsCell(v);
  return isNaN(load<f64>(c, 16)) ? 0 : c;
}
