// Per-vCPU state of the wasm engine's TSC-deadline guest programs that does not fit the
// engine record (ESTRIDE stays as cyclictest needs it): side arrays allocated only when a
// scenario needs them, planned before simMemoryReserve so that memory still grows once.
// - tscdeadline-latency's samples, kept only when the VM prints them (printLatencies):
//   one f64 per sample, TABLE_SIZE at most per vCPU, rendered on the host side;
// - rearm-storm's rewrites in the current period (u32 per vCPU);
// - on the PV deadline MSR, each vCPU's least, greatest and last latency in kvmclock ns
//   (3 f64 per vCPU): there the ns are measured and the cycles converted from them, so
//   engine_metrics.ts cannot derive the ns from the cycles it keeps (nor cyclictest its µs).
//   Planned and allocated here; the cells are metrics_ns_extremes.ts's (a metrics leaf).

import { PV_STATS_BYTES, pvStatsBase, setPvStats } from "./metrics_ns_extremes";

let plannedSamples: i32 = 0;
let plannedRewrites: bool = false;
let plannedPvStats: bool = false;
let plannedFullRecords: bool = false;

export let samplesPtr: usize = 0;
export let rewritesPtr: usize = 0;

/**
 * What the next simulation's TSC-deadline programs need (before simMemoryReserve):
 * `samples` f64 sample cells in all; rewrite counters; PV summary statistics; the vCPU
 * records' full layout (the deadline proposals keep their state there).
 */
export function guestStatePlan(samples: i32, rewrites: bool, pvStats: bool, fullRecords: bool): void {
  plannedSamples = samples;
  plannedRewrites = rewrites;
  plannedPvStats = pvStats;
  plannedFullRecords = fullRecords;
}

/** The vCPU records use the full layout (vcpuStateInit's engineLayout is off). */
export function guestStateFullRecords(): bool {
  return plannedFullRecords;
}

/** Bytes guestStateInit allocates for n vCPUs (simMemoryReserve). */
export function guestStateBytes(n: i32): usize {
  const count = usize(max(n, 1));
  return (usize(plannedSamples) << 3) + (plannedRewrites ? count << 2 : 0) + (plannedPvStats ? count * PV_STATS_BYTES : 0);
}

/** The largest of the arrays (simMemoryReserve's rounding margin). */
export function guestStateLargest(n: i32): usize {
  const count = usize(max(n, 1));
  return max(usize(plannedSamples) << 3, max(plannedRewrites ? count << 2 : 0, plannedPvStats ? count * PV_STATS_BYTES : 0));
}

export function guestStateRelease(): void {
  if (samplesPtr != 0) heap.free(samplesPtr);
  if (rewritesPtr != 0) heap.free(rewritesPtr);
  if (pvStatsBase() != 0) heap.free(pvStatsBase());
  samplesPtr = 0;
  rewritesPtr = 0;
  setPvStats(0, 0);
}

/** Allocates the planned arrays for n vCPUs (after ctEngineInit); PV stats start as cyclictest's. */
export function guestStateInit(n: i32): void {
  guestStateRelease();
  const count = usize(max(n, 1));
  if (plannedSamples > 0) samplesPtr = heap.alloc(usize(plannedSamples) << 3);
  if (plannedRewrites) {
    rewritesPtr = heap.alloc(count << 2);
    memory.fill(rewritesPtr, 0, count << 2);
  }
  if (plannedPvStats) setPvStats(heap.alloc(count * PV_STATS_BYTES), count);
}

/** Sample cell i (guest_tscdeadline_latency.ts: the VM's base + vCPU * size + index). */
export function sampleCell(i: f64): usize {
  return samplesPtr + (usize(i) << 3);
}

// @ts-ignore: decorator
@inline
export function rewritesCell(v: i32): usize {
  return rewritesPtr + (usize(v) << 2);
}

/** Pointer to the f64 samples array (the host reads vCPU v's from its VM's base). */
export function ctEngineSamplesPtr(): usize {
  return samplesPtr;
}
