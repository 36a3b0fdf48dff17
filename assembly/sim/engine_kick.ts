// The wasm engine's vCPU kick and posted-interrupt paths: src/sim/vcpu.ts's Vcpu.kick,
// unblock, postedWait and posted, which the LAPIC's expiry (engine_lapic.ts expired) calls
// (kvm_vcpu_kick, kvm_vcpu_wake_up, kvm_use_posted_timer_interrupt's path; spec §5.4,
// §6.4). They only queue the vCPU's next step: they never run the guest, so they sit
// below the LAPIC, and the host paths that do (engine_host.ts) sit above it.

import { simNowNs } from "./host_clock";
import { waitLapicExpire, vcpuAdvance } from "./vcpu_timer";
import { expiredTdIsSet } from "./vcpu_regs";
import { Count, Sum, addNs, count, metricAdvance } from "./engine_metrics";
import { COMPUTE_END_NS, COMPUTE_LEFT_NS, D_CPU_IDLE_EXIT, D_IRQ_DISPATCH, D_VM_EXIT, D_WAKEUP, EV_ENTRY_DONE, EV_KICK_EXIT, EV_WAKE, F_KICK_AT_ENTRY, F_WAIT_IDLE, STATE, S_BLOCKED, S_ENTERING, S_EXIT, S_GUEST, S_POLLING, S_WAKING, THREAD_SEQ, cancelThreadEvent, delay, era, globalAdvance, has, hz, schedule, set, startNs, tune, setState } from "./engine_record";

import { leaveGuest } from "./engine_leave_guest";
import { TraceExit, TraceKind, trace } from "./trace_log";
import { schedOn } from "./engine_sched_state";
import { schedKickBlocked } from "./engine_sched_thread";

/** Vcpu.idleExitNs: a CPU idling in the guest's HLT/MWAIT pays its C-state exit first. */
// @ts-ignore: decorator
@inline
export function idleExitNs(e: usize, v: i32): f64 {
  return has(e, F_WAIT_IDLE) ? delay(D_CPU_IDLE_EXIT, v) : 0;
}

/** Vcpu.kick. */
export function kick(e: usize, v: i32): void {
  kickOn(e, v, false);
}

/**
 * Vcpu.kick; `plain` (a constant at each call): a run with no trace and no host scheduler
 * (engine_loop.ts plainCopy), where those branches fold away.
 */
// @ts-ignore: decorator
@inline
export function kickOn(e: usize, v: i32, plain: bool): void {
  const s = load<u8>(e + STATE);
  if (!plain && s == S_BLOCKED && schedOn) {
    schedKickBlocked(e, v);
  } else if (s == S_BLOCKED) {
    if (!plain) trace(TraceKind.Waking, v, 0);
    setState(e, S_WAKING);
    schedule(e, v, EV_WAKE, delay(D_WAKEUP, v));
  } else if (s == S_POLLING) {
    setState(e, S_WAKING);
    schedule(e, v, EV_WAKE, 0);
  } else if (s == S_ENTERING) {
    set(e, F_KICK_AT_ENTRY);
  } else if (s == S_GUEST) {
    const idleNs = idleExitNs(e, v);
    if (!plain) trace(TraceKind.Exit, v, TraceExit.ExternalInterrupt);
    leaveGuest(e);
    setState(e, S_EXIT);
    schedule(e, v, EV_KICK_EXIT, idleNs + delay(D_VM_EXIT, v));
  }
}

/** Vcpu.postedWait: the posted path's busy-wait, on the housekeeping CPU; returns its ns. */
export function postedWait(e: usize, v: i32): f64 {
  if (!expiredTdIsSet(v) || vcpuAdvance(v, globalAdvance) == 0) return 0;
  const spinNs = waitLapicExpire(v, era, tune, globalAdvance, hz);
  addNs(v, Sum.SpinNs, spinNs);
  metricAdvance(v, f64(simNowNs - startNs), vcpuAdvance(v, globalAdvance));
  return spinNs;
}

/** Vcpu.posted: the notification reaches the running guest, no exit on its CPU. */
export function posted(e: usize, v: i32, spinNs: f64): void {
  count(v, Count.Posted);
  if (load<i64>(e + THREAD_SEQ) >= 0) {
    const left = load<f64>(e + COMPUTE_END_NS) - f64(simNowNs) - spinNs;
    store<f64>(e + COMPUTE_LEFT_NS, left > 0 ? left : 0);
    cancelThreadEvent(e);
  }
  const idleNs = idleExitNs(e, v);
  setState(e, S_ENTERING);
  schedule(e, v, EV_ENTRY_DONE, spinNs + idleNs + delay(D_IRQ_DISPATCH, v));
}

/** Vcpu.unblock. */
// @ts-ignore: decorator
@inline
export function unblock(e: usize, v: i32): void {
  const s = load<u8>(e + STATE);
  if (s == S_BLOCKED || s == S_POLLING) kick(e, v);
}
