// The wasm engine's LAPIC timer starts: src/sim/lapic.ts's LapicTimer.writeTscDeadline,
// restartApicTimer, startHvTimer and startSwTimer (start_apic_timer, restart_apic_timer,
// start_hv_timer, start_sw_timer; spec §4.4, §4.5, §6.3) in TSC-deadline mode, branching to
// engine_lapic_count.ts for a VM in one-shot/periodic mode. Above both: the arm, cancel and
// expiry steps they share are engine_lapic.ts's.

import { simNowNs } from "./host_clock";
import { tdFromReg, tdFromRegAt } from "./vcpu_regs";
import { swTscdeadlineArmInline, swExpiryCallbackAtNs, swExpiryInNs } from "./vcpu_sw_timer";
import { hvExpired } from "../hv_timer";
import { Count, count } from "./engine_metrics";
import { queuePushInline } from "./event_queue";
import { D_HRTIMER, EV_HRTIMER, F_HV_IN_USE, F_PENDING, HRTIMER_AT_NS, HRTIMER_SEQ, R_NEXT, clear, delay, expireWithinAdvance, globalAdvance, has, payloadOf } from "./engine_record";
import { armHvTimerOn, cancelHrtimerOn, cancelHvTimer, expired } from "./engine_lapic";
import { TraceKind, trace } from "./trace_log";
import { TM_DEADLINE, timerMode } from "./engine_lapic_mode";
import { countRestartApicTimer, countStartSwTimer } from "./engine_lapic_count";
import { afterTscDeadlineWrite, lazyClear } from "./engine_proposals";
import { lazyArm, lazyClearArmed } from "./deadline_proposals";

/** LapicTimer.writeTscDeadline + startApicTimer (inlined: cyclictest's WRMSR, once per interrupt). */
// @ts-ignore: decorator
@inline
export function writeTscDeadline(e: usize, v: i32): void {
  writeTscDeadlineOn(e, v, false, false, 0, 0);
}

/**
 * writeTscDeadline in a run that takes cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy) (no trace, no deadline
 * proposal, the timer in TSC-deadline mode).
 */
// @ts-ignore: decorator
@inline
export function writeTscDeadlinePlain(e: usize, v: i32): void {
  writeTscDeadlineOn(e, v, true, false, 0, 0);
}

/**
 * writeTscDeadlinePlain for rearm-storm's plain copy: its writes repeat the preemption
 * timer's inputs (an interval ahead of the guest TSC just read, `guestTsc`, which the
 * preemption timer's arm in this same instant takes), whose delta is kept
 * (vcpu_hv_timer.ts hvArmInline's `memo`); `p` is the vCPU's record (rec(v)), which the
 * caller holds: the arm's reads take it instead of computing it again after each store.
 */
// @ts-ignore: decorator
@inline
export function writeTscDeadlineStorm(e: usize, v: i32, guestTsc: u64, p: usize): void {
  writeTscDeadlineOn(e, v, true, true, guestTsc, p);
}

/**
 * writeTscDeadlineStorm for rearm-storm's lazy copy (engine_program.ts
 * COPY_REARM_STORM_LAZY): the same, with the lazy proposal's steps (armed := the deadline
 * written; cleared when it has expired at arm). The PV proposal is off in that copy.
 */
// @ts-ignore: decorator
@inline
export function writeTscDeadlineStormLazy(e: usize, v: i32, guestTsc: u64, p: usize): void {
  writeTscDeadlineOn(e, v, true, true, guestTsc, p, true);
}

/**
 * writeTscDeadline; `plain` (a constant at each call): the proposals, mode test and trace
 * fold away; `memo` (a constant) and `guestTsc`: hvArmInline's, with `p` the vCPU's record
 * (rec(v); 0 without memo); `lazy` (a constant, with plain): the lazy proposal's steps are
 * kept (no PV proposal).
 */
// @ts-ignore: decorator
@inline
function writeTscDeadlineOn(e: usize, v: i32, plain: bool, memo: bool, guestTsc: u64, p: usize, lazy: bool = false): void {
  cancelHrtimerOn(e, v, plain);
  if (memo) tdFromRegAt(p, R_NEXT);
  else tdFromReg(v, R_NEXT);
  if (!plain) afterTscDeadlineWrite(v);
  else if (lazy) lazyArm(v);
  clear(e, F_PENDING);
  if (plain) restartApicTimerOn(e, v, true, memo, guestTsc, p, lazy);
  else restartApicTimer(e, v);
}

/** LapicTimer.restartApicTimer. */
export function restartApicTimer(e: usize, v: i32): void {
  restartApicTimerOn(e, v, false, false, 0, 0);
}

/**
 * LapicTimer.restartApicTimer in a run that takes cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy): the timer is in
 * TSC-deadline mode, no trace, no deadline proposal.
 */
// @ts-ignore: decorator
@inline
export function restartApicTimerPlain(e: usize, v: i32): void {
  restartApicTimerOn(e, v, true, false, 0, 0);
}

/**
 * restartApicTimer; `plain` (a constant at each call): the mode test folds away; `memo`,
 * `guestTsc`, `p`: hvArmInline's (writeTscDeadlineOn); `lazy` (a constant, with plain): the lazy proposal's step kept.
 */
// @ts-ignore: decorator
@inline
function restartApicTimerOn(e: usize, v: i32, plain: bool, memo: bool, guestTsc: u64, p: usize, lazy: bool = false): void {
  if (!plain && timerMode(e) != TM_DEADLINE) {
    countRestartApicTimer(e, v);
    return;
  }
  // (With memo, the caller is writeTscDeadlineOn, which has just cleared F_PENDING: not read again.)
  if (memo) assert(!has(e, F_PENDING), "memo with a pending timer");
  else if (has(e, F_PENDING)) return;
  if (startHvTimerOn(e, v, plain, memo, guestTsc, p, lazy)) return;
  // (The lazy copy's fallback, rare where the preemption timer is used: calls.)
  if (lazy) {
    if (startSwTimerLazyHeld(e, v)) pushHeldHrtimer(e, v);
  } else if (plain) startSwTimerOn(e, v, true);
  else startSwTimer(e, v);
}

/** LapicTimer.startHvTimer. */
export function startHvTimer(e: usize, v: i32): bool {
  return startHvTimerOn(e, v, false, false, 0, 0);
}

/** LapicTimer.startHvTimer; `plain`, `memo`, `lazy` (constants at each call), `p`: restartApicTimerOn's. */
// @ts-ignore: decorator
@inline
function startHvTimerOn(e: usize, v: i32, plain: bool, memo: bool, guestTsc: u64, p: usize, lazy: bool = false): bool {
  if (!armHvTimerOn(e, v, plain, memo, guestTsc, p)) return false;
  // (With memo, F_PENDING is clear: restartApicTimerOn; the arm does not set it.)
  if (!memo && has(e, F_PENDING)) {
    cancelHvTimer(e, v);
  } else if (hvExpired) {
    // LapicTimer.lazyClear: an armed deadline that expired at arm is forgotten.
    if (!plain) lazyClear(v);
    else if (lazy) lazyClearArmed(v);
    expired(e, v, false);
    cancelHvTimer(e, v);
  }
  return true;
}

/** LapicTimer.startSwTimer. */
export function startSwTimer(e: usize, v: i32): void {
  startSwTimerOn(e, v, false);
}

/** LapicTimer.startSwTimer in a run that takes cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy) (see restartApicTimerPlain). */
export function startSwTimerPlain(e: usize, v: i32): void {
  startSwTimerOn(e, v, true);
}

/**
 * LapicTimer.startSwTimer in rearm-storm's lazy copy (engine_program.ts
 * COPY_REARM_STORM_LAZY): startSwTimerPlain with the lazy proposal's step (armed cleared
 * when the deadline has expired at arm), holding its hrtimer back: true when the hrtimer
 * is armed, at HRTIMER_AT_NS, and not yet in the queue (the caller runs its callback at
 * once, engine_lazy_rearm.ts, or pushes it: pushHeldHrtimer).
 */
export function startSwTimerLazyHeld(e: usize, v: i32): bool {
  return startSwTimerOn(e, v, true, true, true);
}

/** The hrtimer startSwTimerLazyHeld held back, into the queue (the push it left out). */
export function pushHeldHrtimer(e: usize, v: i32): void {
  store<i64>(e + HRTIMER_SEQ, i64(queuePushInline(load<i64>(e + HRTIMER_AT_NS), payloadOf(EV_HRTIMER, v))));
}

/**
 * LapicTimer.startSwTimer; `plain` (a constant at each call): the mode test and the trace
 * fold away; `lazy` (a constant, with plain): the lazy proposal's step kept; `hold` (a
 * constant, with lazy): the armed hrtimer is not pushed (returns true; see
 * startSwTimerLazyHeld).
 */
// @ts-ignore: decorator
@inline
function startSwTimerOn(e: usize, v: i32, plain: bool, lazy: bool = false, hold: bool = false): bool {
  if (!plain && timerMode(e) != TM_DEADLINE) {
    countStartSwTimer(e, v);
    return false;
  }
  if (has(e, F_HV_IN_USE)) cancelHvTimer(e, v);
  if (has(e, F_PENDING)) return false;
  const st = swTscdeadlineArmInline(v, expireWithinAdvance, globalAdvance);
  if (st == 2) {
    const at = swExpiryCallbackAtNs(v, delay(D_HRTIMER, v));
    if (!plain) trace(TraceKind.HrtimerStart, v, f64(simNowNs) + swExpiryInNs(v));
    if (!hold) store<i64>(e + HRTIMER_SEQ, i64(queuePushInline(at, payloadOf(EV_HRTIMER, v))));
    store<i64>(e + HRTIMER_AT_NS, at);
    count(v, Count.SwArms);
    if (hold) return true;
  } else if (st == 1) {
    if (!plain) lazyClear(v);
    else if (lazy) lazyClearArmed(v);
    expired(e, v, false);
  }
  if (!plain) trace(TraceKind.HvTimerState, v, 0);
  return false;
}
