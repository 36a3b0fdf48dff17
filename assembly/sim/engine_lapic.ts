// The wasm engine's LAPIC timer: src/sim/lapic.ts's LapicTimer methods that cyclictest
// reaches, step for step (spec §4.4, §4.5, §6.3) — arming and cancelling the two timers,
// the expiry (apic_timer_expired) and the injection, which every mode shares. The starts
// that branch on the timer mode are engine_lapic_start.ts (above this and
// engine_lapic_count.ts); the kick and posted path the expiry takes are engine_kick.ts.

import { tdIsZero, tdIsZeroAt, tdClear, expiredTdLatch } from "./vcpu_regs";
import { clearPeriod } from "./vcpu_sw_timer";
import { hvArmInline, hvCancel } from "./vcpu_hv_timer";
import { Count, count } from "./engine_metrics";
import { F_HRTIMER_HELD, F_HV_IN_USE, F_PENDING, F_TO_DELIVER, HRTIMER_AT_NS, HRTIMER_SEQ, apicv, clear, globalAdvance, has, hvTimer, preemptionRate, set } from "./engine_record";
import { kick, kickOn, posted, postedWait, unblock } from "./engine_kick";
import { F_IN_SERVICE, STATE, S_GUEST, VM_CAN_POST, VM_HV_TIMER, X_APIC_WRITE, X_NONE, vmCell } from "./engine_record";
import { dropHv } from "./engine_leave_guest";
import { countDroppedAtNs } from "./engine_events";
import { TraceKind, trace } from "./trace_log";
import { TM_DEADLINE, TM_ONESHOT, latchesDeadline, timerMode } from "./engine_lapic_mode";
import { targetClear } from "./vcpu_sw_timer";
import { lazyClear, pvOn } from "./engine_proposals";
import { pvDeadlineClear } from "./deadline_proposals";

/** Vcpu.cancelHrtimer: the LAPIC hrtimer's event is no longer wanted (traced when one was queued). */
// @ts-ignore: decorator
@inline
export function cancelHrtimer(e: usize, v: i32): void {
  cancelHrtimerOn(e, v, false);
}

/** cancelHrtimer; `plain` (a constant at each call): no trace (engine_loop.ts plainCopy). */
// @ts-ignore: decorator
@inline
export function cancelHrtimerOn(e: usize, v: i32, plain: bool): void {
  if (!plain && load<i64>(e + HRTIMER_SEQ) >= 0) trace(TraceKind.HrtimerCancel, v, 0);
  // (The plain copies run TSC-deadline timers only: no periodic restart is ever held.)
  if (!plain) dropHeldHrtimer(e);
  store<i64>(e + HRTIMER_SEQ, -1);
}

/**
 * A held-back hrtimer (F_HRTIMER_HELD, engine_lapic_count.ts countHrtimerRestart) is no
 * longer wanted: the TypeScript engine has it in its queue all the same, where it is popped
 * (and counted) as a stale event at its time (within the horizon: it was held only then).
 */
// @ts-ignore: decorator
@inline
function dropHeldHrtimer(e: usize): void {
  if (!has(e, F_HRTIMER_HELD)) return;
  clear(e, F_HRTIMER_HELD);
  countDroppedAtNs(load<i64>(e + HRTIMER_AT_NS));
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
  return armHvTimerOn(e, v, false, false, 0, 0);
}

/**
 * armHvTimer; `plain` (a constant at each call): no trace (engine_loop.ts plainCopy);
 * `memo` (a constant), `guestTsc` and `p` (the vCPU's record with memo, else 0):
 * vcpu_hv_timer.ts hvArmInline's, for a rearm storm's writes.
 */
// @ts-ignore: decorator
@inline
export function armHvTimerOn(e: usize, v: i32, plain: bool, memo: bool, guestTsc: u64, p: usize): bool {
  // kvm_can_use_hv_timer per VM (MWAIT in the guest, posted timer interrupts).
  if (!hvTimer || vmCell(e, VM_HV_TIMER) == 0 || (memo ? tdIsZeroAt(p) : tdIsZero(v))) return false;
  if (hvArmInline(v, preemptionRate, 0xffffffff, globalAdvance, memo, guestTsc, p) != 0) {
    count(v, Count.HvFallbacks);
    return false;
  }
  set(e, F_HV_IN_USE);
  count(v, Count.HvArms);
  if (!plain) trace(TraceKind.HvTimerState, v, 1);
  cancelHrtimerOn(e, v, plain);
  return true;
}

/** LapicTimer.cancelHvTimer. */
export function cancelHvTimer(e: usize, v: i32): void {
  hvCancel(v);
  clear(e, F_HV_IN_USE);
  dropHv(e);
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
 * LapicTimer.expired from the hrtimer's callback (fromTimerFn) in a run of
 * cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy): TSC-deadline mode (it latches expired_tscdeadline), no
 * posted timer interrupts, no trace, no host scheduler. unblock then kick is one kick
 * there: a kick from S_BLOCKED or S_POLLING leaves S_WAKING, where the second does nothing,
 * and from any other state unblock does nothing.
 */
// @ts-ignore: decorator
@inline
export function expiredByHrtimerPlain(e: usize, v: i32): void {
  if (has(e, F_PENDING)) {
    count(v, Count.Coalesced);
    return;
  }
  expiredTdLatch(v);
  set(e, F_PENDING);
  kickOn(e, v, true);
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
  dropHeldHrtimer(e);
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
