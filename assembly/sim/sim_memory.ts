// One growth of linear memory per simulation, sized for its per-vCPU arrays.
//
// Why: each array is allocated on its own, and the allocator (AssemblyScript's TLSF) grows
// memory by at least its current size whenever a request does not fit. At 10^5 vCPUs
// the arrays are megabytes each, so the third or fourth of them doubled memory and left
// a third of it reserved and never used (bench/README.md, "memory"). Freeing the previous
// simulation's arrays first and then taking and returning one block of the sum makes the
// memory grow once, to what is used.
//
// TLSF serves a request of s bytes (s >= 256) only from a free block of at least
// roundSize(s) = s + 2^(floor(log2 s) - 4) - 1 (rt/tlsf.ts, SL_BITS = 4): up to 1/16 more.
// The reserve asks for the least size whose rounding covers the sum, and the sum carries
// the rounding of the largest array (the one that may come last), so memory grows by
// the arrays plus that one margin rather than by a sixteenth of the whole.
//
// A later simulation of the same size or smaller reuses the space (freed, it is one block
// again: what lives as long as the instance is allocated before it). A larger one grows
// memory by TLSF's rule, by at least its current size.

import { ctEngineBytes, ctEngineRelease } from "./engine_record";
import { engineLogInit, engineMetricsBytes, engineMetricsRelease } from "./engine_metrics";
import { queueBytes, queueRelease } from "./event_queue";
import { rngStreamsBytes, rngStreamsRelease } from "./rng_streams";
import { DELAY_KINDS, delayProgramRelease, delayZigguratInit } from "./delay_samplers";
import { vcpuStateRelease, vcpuStride } from "./vcpu_timer";
import { controlBytes, controlRelease } from "./engine_control";
import { guestStateBytes, guestStateFullRecords, guestStateLargest, guestStateRelease } from "./guest_tscdl_state";
import { schedRelease } from "./host_sched_state";
import { schedEngineBytes, schedEngineRelease } from "./engine_sched_state";

/** Allocator overhead and alignment per array, generously. */
const PER_ARRAY_SLACK: usize = 256;
/** Arrays a simulation allocates at most (queue, records, streams, program; engine, VM, sums, blocks, capacities, histograms, callbacks; migrations, pauses, their per-vCPU state, latency ns extremes, lateness runs; samples, rewrites, PV stats). */
const ARRAYS: usize = 20;

/** The block TLSF needs free to serve a request of `size` bytes (rt/tlsf.ts roundSize). */
function tlsfRoundSize(size: usize): usize {
  if (size < 256 || size >= 1 << 29) return size;
  return size + (usize(1) << (27 - clz<usize>(size))) - 1;
}

/**
 * Frees the previous simulation's arrays and grows memory once for a new one of n vCPUs
 * (on the wasm engine when `engineRecords`) over `vms` VMs,
 * whose queue starts with room for `queueCapacity` events, keeping cyclictest summaries
 * when `summaries` and an advance series for more vCPUs than the first when `seriesEach`,
 * whose host delays compile to `delayProgramBytes`. The inits that follow allocate inside
 * that space. What lives as long as the instance is allocated first, below it, so that a
 * simulation's arrays, freed, are one free block again for the next.
 */
export function simMemoryReserve(n: i32, vms: i32, queueCapacity: i32, engineRecords: bool, summaries: bool, seriesEach: bool, delayProgramBytes: i32): void {
  engineLogInit();
  delayZigguratInit();
  delayProgramRelease();
  queueRelease();
  vcpuStateRelease();
  rngStreamsRelease();
  ctEngineRelease();
  engineMetricsRelease();
  controlRelease();
  guestStateRelease();
  schedRelease();
  schedEngineRelease();
  const queue = queueBytes(queueCapacity);
  // The deadline proposals keep their state in the full layout (guestStatePlan).
  const records = usize(max(n, 1)) * usize(vcpuStride(engineRecords && !guestStateFullRecords()));
  const streams = rngStreamsBytes(n * DELAY_KINDS);
  const program = usize(delayProgramBytes);
  let arrays = queue + records + streams + program;
  // A module's arrays together bound its largest one.
  let largest = max(max(queue, program), max(records, streams));
  if (engineRecords) {
    const engine = ctEngineBytes(n, vms, summaries);
    const metrics = engineMetricsBytes(n, seriesEach);
    // Pauses and migrations (engine_control.ts; 0 unless ctEngineControlReserve said so).
    const guest = guestStateBytes(n);
    arrays += engine + metrics + controlBytes(n) + guest;
    largest = max(largest, max(max(engine, metrics), guestStateLargest(n)));
  }
  // The host scheduler's decisions and, on the wasm engine, its side arrays (schedEnginePlan; 0 without one).
  const sched = schedEngineBytes();
  arrays += sched;
  largest = max(largest, sched);
  const need = arrays + ARRAYS * PER_ARRAY_SLACK + (tlsfRoundSize(largest) - largest);
  // The least request whose rounding still covers `need` (the rounding steps at powers of two).
  let request = need - (tlsfRoundSize(need) - need);
  if (tlsfRoundSize(request) < need) request = need;
  heap.free(heap.alloc(request));
}
