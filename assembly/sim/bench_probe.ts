// Where a simulation's inputs lie in linear memory, for the native C model of the
// engine's cyclictest and rearm-storm runs (bench/native/cyclictest_model.c): the bench copies the vCPU records,
// the per-VM cells, the seeded random streams and the delay program out of wasm once a
// Simulation is built, so the model runs the very same scenario from the same state.
// Read-only; nothing here is on a simulation's path.

import { statePtr, stride } from "./vcpu_layout";
import { vmPtr, enginePtr, vcpuCount, era, tune, globalAdvance, expireWithinAdvance, hvTimer, hvBusyWaitEveryMode, apicv, preemptionRate, hz, startNs, stallEveryNs, pollDynamic, pollMaxNs, pollGrow, pollGrowStartNs, pollShrink, hvTimerBeforeWait, statsKept } from "./engine_record";
import { hostKhz, hostTscBase } from "./host_clock";
import { horizonNs } from "./event_queue";
import { fracBits } from "./vcpu_layout";
import { tracing } from "./trace_log";
import { rngStreamsPtr } from "./rng_streams";
import { delayProgramPtr, delayRootOf, delayZigguratInit } from "./delay_samplers";
import { lazyOn, pvOn } from "./engine_proposals";
import { schedOn } from "./engine_sched_state";
import { controlOn } from "./engine_control";

/** Bytes from memory base 0 to vCPU record 0, and bytes per record. */
export function probeVcpuRecords(): usize {
  return statePtr;
}

export function probeVcpuStride(): usize {
  return stride;
}

export function probeVmCells(): usize {
  return vmPtr;
}

export function probeStreams(): usize {
  return rngStreamsPtr();
}

export function probeDelayProgram(): usize {
  return delayProgramPtr();
}

export function probeDelayRoot(kind: i32): i32 {
  return delayRootOf(kind);
}

export function probeZiggurat(): usize {
  return delayZigguratInit();
}

export function probeEngineRecords(): usize {
  return enginePtr;
}

const configPtr: usize = memory.data(28 << 3, 8);

/**
 * The scenario-wide configuration the engine runs with, as f64 (integers below 2^53):
 * vcpus, era, tune, global advance, expire within advance, hv timer, hv busy-wait in every
 * mode, APICv, preemption rate, HZ, start ns, stall period ns, halt-poll dynamic / max /
 * grow / grow start / shrink, hv timer before the wait, host kHz, host TSC base, horizon
 * ns, fraction bits, summaries kept, tracing; then what the model refuses: the lazy and PV
 * deadline proposals, a host scheduler, pauses or migrations (each 0 or 1).
 */
export function probeConfig(): usize {
  put(0, vcpuCount);
  put(1, era);
  put(2, tune ? 1 : 0);
  put(3, globalAdvance ? 1 : 0);
  put(4, expireWithinAdvance ? 1 : 0);
  put(5, hvTimer ? 1 : 0);
  put(6, hvBusyWaitEveryMode ? 1 : 0);
  put(7, apicv ? 1 : 0);
  put(8, preemptionRate);
  put(9, hz);
  put(10, f64(startNs));
  put(11, stallEveryNs);
  put(12, pollDynamic ? 1 : 0);
  put(13, pollMaxNs);
  put(14, pollGrow);
  put(15, pollGrowStartNs);
  put(16, pollShrink);
  put(17, hvTimerBeforeWait ? 1 : 0);
  put(18, f64(hostKhz));
  put(19, f64(hostTscBase));
  put(20, f64(horizonNs));
  put(21, fracBits);
  put(22, statsKept() ? 1 : 0);
  put(23, tracing() ? 1 : 0);
  put(24, lazyOn ? 1 : 0);
  put(25, pvOn ? 1 : 0);
  put(26, schedOn ? 1 : 0);
  put(27, controlOn ? 1 : 0);
  return configPtr;
}

// @ts-ignore: decorator
@inline
function put(i: i32, x: f64): void {
  store<f64>(configPtr + (usize(i) << 3), x);
}
