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

import { ESTRIDE, VM_CELLS, ctEngineRelease } from "./engine_record";
import { HIST_CELLS, LOG_CAPACITY, engineMetricsBytes, engineMetricsRelease } from "./engine_metrics";
import { queueBytes, queueRelease } from "./event_queue";
import { rngStreamsRelease } from "./rng_streams";
import { DELAY_KINDS, delayProgramRelease } from "./delay_samplers";
import { vcpuStateRelease, vcpuStride } from "./vcpu_timer";

/** Allocator overhead and alignment per array, generously. */
const PER_ARRAY_SLACK: usize = 256;
/** What a simulation allocates besides its per-vCPU arrays and delay program: histograms, the metric log, callbacks per ms, scratch. */
const FIXED_BYTES: usize = ((usize(HIST_CELLS) << 3) << 1) + usize(LOG_CAPACITY) * 32 + 4096 + 16384;

/** The block TLSF needs free to serve a request of `size` bytes (rt/tlsf.ts roundSize). */
function tlsfRoundSize(size: usize): usize {
  if (size < 256 || size >= 1 << 29) return size;
  return size + (usize(1) << (27 - clz<usize>(size))) - 1;
}

/**
 * Frees the per-vCPU arrays of the previous simulation and grows memory once for a new one
 * of n vCPUs (on the wasm engine when `engineRecords`) over `vms` VMs, whose queue starts
 * with room for `queueCapacity` events, keeping cyclictest summaries when `summaries` and
 * an advance series for more vCPUs than the first when `seriesEach`, whose host delays
 * compile to `delayProgramBytes`. The inits that follow allocate inside that space.
 */
export function simMemoryReserve(n: i32, vms: i32, queueCapacity: i32, engineRecords: bool, summaries: bool, seriesEach: bool, delayProgramBytes: i32): void {
  delayProgramRelease();
  queueRelease();
  vcpuStateRelease();
  rngStreamsRelease();
  ctEngineRelease();
  engineMetricsRelease();
  const count = usize(max(n, 1));
  const queue = queueBytes(queueCapacity);
  const records = count * usize(vcpuStride(engineRecords));
  const streams = count * usize(DELAY_KINDS) << 4;
  let arrays = queue + records + streams + usize(delayProgramBytes);
  let largest = max(max(queue, usize(delayProgramBytes)), max(records, streams));
  if (engineRecords) {
    const engine = count * ESTRIDE;
    const metrics = engineMetricsBytes(n, seriesEach);
    arrays += engine + metrics + usize(max(vms, 1)) * usize(VM_CELLS) * 8 + (summaries ? count << 3 : 0);
    largest = max(largest, max(engine, metrics));
  }
  const need = arrays + FIXED_BYTES + 8 * PER_ARRAY_SLACK + (tlsfRoundSize(largest) - largest);
  // The least request whose rounding still covers `need` (the rounding steps at powers of two).
  let request = need - (tlsfRoundSize(need) - need);
  if (tlsfRoundSize(request) < need) request = need;
  heap.free(heap.alloc(request));
}
