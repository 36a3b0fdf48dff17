// One growth of linear memory per simulation, sized for its per-vCPU arrays.
//
// Why: each array is allocated on its own, and the allocator (AssemblyScript's TLSF) grows
// memory by at least its current size whenever a request does not fit. At 10^5 vCPUs
// the arrays are megabytes each, so the third or fourth of them doubled memory and left
// a third of it reserved and never used (bench/README.md, "memory"). Freeing the previous
// simulation's arrays first and then taking and returning one block of the sum makes the
// memory grow once, to what is used.

import { STRIDE } from "./vcpu_layout";
import { ESTRIDE, VM_CELLS, ctEngineRelease } from "./engine_record";
import { SLOTS, engineMetricsRelease } from "./engine_metrics";
import { queueBytes, queueRelease } from "./event_queue";
import { rngStreamsRelease } from "./rng_streams";
import { DELAY_KINDS } from "./delay_samplers";
import { vcpuStateRelease } from "./vcpu_timer";

/** Allocator overhead and alignment per array, generously. */
const PER_ARRAY_SLACK: usize = 256;

/**
 * Frees the per-vCPU arrays of the previous simulation and grows memory once for a new one
 * of n vCPUs (on the wasm engine when `engineRecords`) over `vms` VMs, whose queue starts
 * with room for `queueCapacity` events. The inits that follow allocate inside that space.
 */
export function simMemoryReserve(n: i32, vms: i32, queueCapacity: i32, engineRecords: bool): void {
  queueRelease();
  vcpuStateRelease();
  rngStreamsRelease();
  ctEngineRelease();
  engineMetricsRelease();
  const count = usize(max(n, 1));
  let bytes = queueBytes(queueCapacity) + count * STRIDE + (count * usize(DELAY_KINDS) << 4) + 3 * PER_ARRAY_SLACK;
  if (engineRecords) bytes += count * ESTRIDE + usize(max(vms, 1)) * usize(VM_CELLS) * 8 + (count * usize(SLOTS) << 3) + 3 * PER_ARRAY_SLACK;
  heap.free(heap.alloc(bytes));
}
