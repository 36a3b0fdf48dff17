// The wasm engine's LAPIC timer in TSC-deadline mode: src/sim/lapic.ts's LapicTimer
// methods that cyclictest reaches, step for step (spec §4.4, §4.5, §6.3). The entry points
// the host paths call branch to engine_lapic_count.ts for a VM in one-shot/periodic mode.

import { simNowNs } from "./host_clock";
import { clearPeriod, swTscdeadlineArm, swExpiryCallbackAtNs, swExpiryInNs, hvArm, hvCancel, tdFromReg, tdIsZero, tdClear, expiredTdLatch } from "./vcpu_timer";
import { hvExpired } from "../hv_timer";
import { Count, count } from "./engine_metrics";
import { queuePush } from "./event_queue";
import { D_HRTIMER, EV_HRTIMER, F_HV_IN_USE, F_PENDING, F_TO_DELIVER, HRTIMER_AT_NS, HRTIMER_SEQ, R_NEXT, apicv, clear, delay, expireWithinAdvance, globalAdvance, has, hvTimer, payloadOf, preemptionRate, set } from "./engine_record";
import { kick, posted, postedWait, unblock } from "./engine_host";
import { F_IN_SERVICE, STATE, S_GUEST, VM_CAN_POST, VM_HV_TIMER, X_APIC_WRITE, X_NONE, vmCell } from "./engine_record";
import { dropHv } from "./engine_loop";
import { TraceKind, trace } from "./trace_log";
import { TM_DEADLINE, TM_ONESHOT, countRestartApicTimer, countStartSwTimer, latchesDeadline, timerMode } from "./engine_lapic_count";
import { targetClear } from "./vcpu_timer";
import { afterTscDeadlineWrite, lazyClear, pvOn } from "./engine_deadline";
import { pvDeadlineClear } from "./deadline_proposals";

/** LapicTimer.writeTscDeadline + startApicTimer (inlined: cyclictest's WRMSR, once per interrupt). */
// @ts-ignore: decorator
@inline
export function writeTscDeadline(e: usize, v: i32): void {
  cancelHrtimer(e, v);
  tdFromReg(v, R_NEXT);
  afterTscDeadlineWrite(v);
  clear(e, F_PENDING);
  restartApicTimer(e, v);
}

/** LapicTimer.restartApicTimer. */
export function restartApicTimer(e: usize, v: i32): void {
  if (timerMode(e) != TM_DEADLINE) {
    countRestartApicTimer(e, v);
    return;
  }
  if (has(e, F_PENDING)) return;
  if (!startHvTimer(e, v)) startSwTimer(e, v);
}

/** Vcpu.cancelHrtimer: the LAPIC hrtimer's event is no longer wanted (traced when one was queued). */
// @ts-ignore: decorator
@inline
export function cancelHrtimer(e: usize, v: i32): void {
  if (load<i64>(e + HRTIMER_SEQ) >= 0) trace(TraceKind.HrtimerCancel, v, 0);
  store<i64>(e + HRTIMER_SEQ, -1);
}

/**
 * The start of LapicTimer.startHvTimer (start_hv_timer) in every mode: arm the preemption
 * timer (false when the VM cannot use it or the delta does not fit: a fallback), count
 * and trace it, and cancel the hrtimer, in the TypeScript engine's order (hvArmed, then
 * cancelHrtimer).
 * Inlined: the hot path's one start of the preemption timer per interrupt.
 */
// @ts-ignore: decorator
@inline
export function armHvTimer(e: usize, v: i32): bool {
  // kvm_can_use_hv_timer per VM (MWAIT in the guest, posted timer interrupts).
  if (!hvTimer || vmCell(e, VM_HV_TIMER) == 0 || tdIsZero(v)) return false;
  if (hvArm(v, preemptionRate, 0xffffffff, globalAdvance) != 0) {
    count(v, Count.HvFallbacks);
    return false;
  }
  set(e, F_HV_IN_USE);
  count(v, Count.HvArms);
  trace(TraceKind.HvTimerState, v, 1);
  cancelHrtimer(e, v);
  return true;
}

/** LapicTimer.startHvTimer. */
export function startHvTimer(e: usize, v: i32): bool {
  if (!armHvTimer(e, v)) return false;
  if (has(e, F_PENDING)) {
    cancelHvTimer(e, v);
  } else if (hvExpired) {
    lazyClear(v);
    expired(e, v, false);
    cancelHvTimer(e, v);
  }
  return true;
}

/** LapicTimer.cancelHvTimer. */
export function cancelHvTimer(e: usize, v: i32): void {
  hvCancel(v);
  clear(e, F_HV_IN_USE);
  dropHv(e);
}

/** LapicTimer.startSwTimer. */
export function startSwTimer(e: usize, v: i32): void {
  if (timerMode(e) != TM_DEADLINE) {
    countStartSwTimer(e, v);
    return;
  }
  if (has(e, F_HV_IN_USE)) cancelHvTimer(e, v);
  if (has(e, F_PENDING)) return;
  const st = swTscdeadlineArm(v, expireWithinAdvance, globalAdvance);
  if (st == 2) {
    const at = swExpiryCallbackAtNs(v, delay(D_HRTIMER, v));
    trace(TraceKind.HrtimerStart, v, f64(simNowNs) + swExpiryInNs(v));
    store<i64>(e + HRTIMER_SEQ, i64(queuePush(at, payloadOf(EV_HRTIMER, v))));
    store<i64>(e + HRTIMER_AT_NS, at);
    count(v, Count.SwArms);
  } else if (st == 1) {
    lazyClear(v);
    expired(e, v, false);
  }
  trace(TraceKind.HvTimerState, v, 0);
}

/** LapicTimer.expired (apic_timer_expired). */
export function expired(e: usize, v: i32, fromTimerFn: bool): void {
  if (has(e, F_PENDING)) {
    count(v, Count.Coalesced);
    return;
  }
  const mode = timerMode(e);
  if (latchesDeadline(e, mode)) expiredTdLatch(v);
  if (!fromTimerFn && apicv) {
    injectTimerIrqIn(e, v, mode);
    unblock(e, v);
    return;
  }
  // kvm_use_posted_timer_interrupt: busy-wait where the hrtimer ran, inject, post.
  if (vmCell(e, VM_CAN_POST) != 0 && load<u8>(e + STATE) == S_GUEST) {
    const spinNs = postedWait(e, v);
    injectTimerIrqIn(e, v, mode);
    posted(e, v, spinNs);
    return;
  }
  set(e, F_PENDING);
  unblock(e, v);
  if (fromTimerFn) kick(e, v);
}

/**
 * LapicTimer.injectTimerIrq (LVTT is unmasked once the workload set the mode, before any
 * timer runs): tscdeadline cleared in deadline and one-shot mode, target in one-shot.
 */
// @ts-ignore: decorator
@inline
export function injectTimerIrq(e: usize, v: i32): void {
  injectTimerIrqIn(e, v, timerMode(e));
}

/** injectTimerIrq with the VM's timer mode at hand. */
// @ts-ignore: decorator
@inline
function injectTimerIrqIn(e: usize, v: i32, mode: i32): void {
  set(e, F_TO_DELIVER);
  if (mode == TM_DEADLINE) {
    tdClear(v);
    if (pvOn) pvDeadlineClear(v);
  } else if (mode == TM_ONESHOT) {
    tdClear(v);
    targetClear(v);
  }
}

/** LapicTimer.injectPending. */
// @ts-ignore: decorator
@inline
export function injectPending(e: usize, v: i32): void {
  if (!has(e, F_PENDING)) return;
  injectTimerIrq(e, v);
  clear(e, F_PENDING);
}

/**
 * GuestCtx.writeApic(LVTT, TSC-deadline | vector) from one-shot mode, the first step of
 * every TSC-deadline program: LapicTimer.updateLvtt into deadline mode stops the timer and
 * clears its state (apic_update_lvtt). Returns the APIC-write exit.
 */
export function setTscDeadlineMode(e: usize, v: i32): i32 {
  count(v, Count.ExitApicWrite);
  lazyClear(v);
  store<i64>(e + HRTIMER_SEQ, -1);
  clear(e, F_PENDING);
  clearPeriod(v);
  tdClear(v);
  if (pvOn) pvDeadlineClear(v);
  return X_APIC_WRITE;
}

/** GuestCtx.eoi: APICv virtualizes it; else an APIC-write exit. */
// @ts-ignore: decorator
@inline
export function guestEoi(e: usize, v: i32): i32 {
  clear(e, F_IN_SERVICE);
  if (apicv) return X_NONE;
  count(v, Count.ExitApicWrite);
  return X_APIC_WRITE;
}
