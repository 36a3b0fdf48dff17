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
  keepLeastGreatestLast(p, ns);
  if (cycles < 0 && -ns > load<f64>(p, 24)) store<f64>(p, -ns, 24);
}

/** The least, greatest and last ns at p, p + 8 and p + 16, with ns. */
// @ts-ignore: decorator
@inline
function keepLeastGreatestLast(p: usize, ns: f64): void {
  if (ns < load<f64>(p)) store<f64>(p, ns);
  if (ns > load<f64>(p, 8)) store<f64>(p, ns, 8);
  store<f64>(p, ns, 16);
}

/**
 * On the PV deadline MSR, each vCPU's least, greatest and last latency in kvmclock ns
 * (3 f64 per vCPU; last NaN until the vCPU's first PV latency); 0 when no VM uses it.
 * guest_tscdl_state.ts plans, allocates and frees the array (setPvStats).
 */
let pvStatsPtr: usize = 0;

/** Bytes per vCPU of the PV ns array (least, greatest, last). */
export const PV_STATS_BYTES: usize = 24;

/**
 * The PV ns array guest_tscdl_state.ts allocated for n vCPUs this run (0: none), each
 * vCPU's cell reset: no least, no greatest, and a NaN last until its first PV latency
 * (metrics_slots.ts then derives its ns from cycles).
 */
export function setPvStats(ptr: usize, n: usize): void {
  pvStatsPtr = ptr;
  for (let v: usize = 0; v < n; v++) {
    const c = ptr + v * PV_STATS_BYTES;
    store<f64>(c, Infinity); // least ns
    store<f64>(c, -Infinity, 8); // greatest ns
    store<f64>(c, NaN, 16); // last ns
  }
}

/** The PV ns array of this run (0: none), for its owner to free. */
export function pvStatsBase(): usize {
  return pvStatsPtr;
}

// @ts-ignore: decorator
@inline
function pvStatsCell(v: i32): usize {
  return pvStatsPtr + usize(v) * PV_STATS_BYTES;
}

/** A latency measured in kvmclock ns on the PV deadline MSR (guest_cyclictest.ts): vCPU v's least, greatest and last. */
// @ts-ignore: decorator
@inline
export function keepPvNs(v: i32, ns: f64): void {
  keepLeastGreatestLast(pvStatsCell(v), ns);
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
