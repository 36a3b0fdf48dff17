// Vcpu.leaveGuest and the preemption-timer event it cancels, below every path that takes
// the vCPU out of guest mode: the loop's exits, the kick (engine_kick.ts), the host's
// preemption exit and stall, pauses and migrations (engine_control.ts) and the host
// scheduler's preemption of the thread (engine_sched_thread.ts).

import { simNowNs } from "./host_clock";
import { COMPUTE_END_NS, COMPUTE_LEFT_NS, F_HV_DEFERRED, HV_AT_NS, HV_SEQ, STATE, S_GUEST, THREAD_SEQ, cancelThreadEvent, clear, has } from "./engine_record";
import { countDroppedAtTsc } from "./engine_events";

/**
 * The preemption-timer event is no longer wanted (the TypeScript engine's hvSeq := -1).
 * If it was held back, the TypeScript engine has it in its queue all the same, where it
 * is popped (and counted) as a stale event at its time unless that lies past the end.
 * Held back, its time is the host TSC it fires at (engine_host.ts reenter).
 */
export function dropHv(e: usize): void {
  dropHvInline(e);
}

/** dropHv's body, inlined where a plain copy of runProgram leaves guest mode (leaveGuestOn). */
// @ts-ignore: decorator
@inline
export function dropHvInline(e: usize): void {
  store<i64>(e + HV_SEQ, -1);
  if (!has(e, F_HV_DEFERRED)) return;
  clear(e, F_HV_DEFERRED);
  countDroppedAtTsc(load<u64>(e + HV_AT_NS));
}

/** Vcpu.leaveGuest: the preemption timer only counts in guest mode; interrupted work is kept. */
// @ts-ignore: decorator
@inline
export function leaveGuest(e: usize): void {
  leaveGuestOn(e, false);
}

/** leaveGuest; `inline` (a constant at each call): dropHv's body inlined (the plain copies of runProgram). */
// @ts-ignore: decorator
@inline
export function leaveGuestOn(e: usize, inline: bool): void {
  if (inline) dropHvInline(e);
  else dropHv(e);
  if (load<u8>(e + STATE) == S_GUEST && load<i64>(e + THREAD_SEQ) >= 0) {
    const left = load<f64>(e + COMPUTE_END_NS) - f64(simNowNs);
    store<f64>(e + COMPUTE_LEFT_NS, left > 0 ? left : 0);
    cancelThreadEvent(e);
  }
}
