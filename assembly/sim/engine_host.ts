// The wasm cyclictest engine's host side: src/sim/vcpu.ts's Vcpu methods between a timer
// expiry and the guest's handler — kick or wake-up, halt polling, injection,
// kvm_wait_lapic_expire's busy-wait, VM entry — step for step (spec §4.5, §5.4, §6.4).
// The kick and the posted path, which the LAPIC calls, are engine_kick.ts (below the
// LAPIC); these paths call the LAPIC, and hand the guest's run back to the loop
// (reenter's result) instead of calling up into it.

import { simNowNs, hostTscNow, nsWhenHostTscReaches } from "./host_clock";
import { waitLapicExpireInline, vcpuAdvance, lastWaitDelta } from "./vcpu_timer";
import { expiredTdIsSet } from "./vcpu_regs";
import { preemptionFireTsc } from "./vcpu_hv_timer";
import { Count, Sum, addNs, count, metricAdvance, metricCallback } from "./engine_metrics";
import { F_HV_DEFERRED, chaining, pushHv, scheduleStall, D_IRQ_DISPATCH, D_VM_ENTRY, D_VM_EXIT, D_WAKEUP, EV_ENTRY_DONE, EV_ENTRY_WAIT, EV_KICK_EXIT, EV_POLL_END, EV_WAKE, F_HALTED, F_HV_BEFORE_BLOCK, F_HV_IN_USE, F_IN_SERVICE, F_PENDING, F_POLLING, F_TO_DELIVER, HALT_POLL_NS, HALT_START_NS, HRTIMER_SEQ, HV_AT_NS, STATE, S_BLOCKED, S_ENTERING, S_EXIT, S_GUEST, S_POLLING, S_WAKING, VM_POLL_ALLOWED, clear, delay, era, globalAdvance, has, hvBusyWaitEveryMode, hz, pollDynamic, pollGrow, pollGrowStartNs, pollMaxNs, pollShrink, preemptionRate, schedule, set, stallLengthNs, startNs, tune, vmCell, setState } from "./engine_record";
import { cancelHvTimer, expired, expiredByHrtimerPlain, injectPending } from "./engine_lapic";
import { leaveGuest } from "./engine_leave_guest";
import { idleExitNs } from "./engine_kick";
import { F_KICK_AT_ENTRY, F_WAIT_IDLE, setStateOn, COMPUTE_END_NS, COMPUTE_LEFT_NS, THREAD_SEQ, apicv, hvTimerBeforeWait } from "./engine_record";
import { lazyOn, lazyRearm } from "./engine_deadline";
import { TraceExit, TraceKind, trace } from "./trace_log";
import { TM_PERIODIC, countHrtimerRestart, countHvRestart, timerMode } from "./engine_lapic_count";
import { schedBusyWait, schedNoPollForSteal } from "./engine_sched";
import { schedOn } from "./engine_sched_state";
import { schedPollStart, schedSleep } from "./engine_sched_thread";

import { restartApicTimer, restartApicTimerPlain, startSwTimer, startSwTimerPlain } from "./engine_lapic_start";

/** Vcpu.hasWakeReason (LVTT unmasked in deadline mode). */
// @ts-ignore: decorator
@inline
export function hasWakeReason(e: usize): bool {
  return has(e, F_PENDING | F_TO_DELIVER);
}

/** Vcpu.block: kvm_vcpu_block / kvm_vcpu_halt. */
export function block(e: usize, v: i32): void {
  blockOn(e, v, false);
}

/** Vcpu.block in a run that takes cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy) (no trace, no host scheduler). */
export function blockPlain(e: usize, v: i32): void {
  blockOn(e, v, true);
}

/** Vcpu.block; `plain` (a constant at each call) folds the trace and the scheduler away. */
// @ts-ignore: decorator
@inline
function blockOn(e: usize, v: i32, plain: bool): void {
  if (hasWakeReason(e)) {
    beginEntry(e, v, delay(D_VM_ENTRY, v));
    return;
  }
  if (has(e, F_HV_IN_USE)) {
    if (plain) startSwTimerPlain(e, v);
    else startSwTimer(e, v);
    set(e, F_HV_BEFORE_BLOCK);
    count(v, Count.HvToSw);
  } else {
    clear(e, F_HV_BEFORE_BLOCK);
  }
  let window = load<u32>(e + HALT_POLL_NS);
  if (!pollDynamic || window > pollMaxNs) {
    window = pollMaxNs;
    store<u32>(e + HALT_POLL_NS, window);
  }
  store<i64>(e + HALT_START_NS, simNowNs);
  setState(e, S_BLOCKED);
  // With a scheduler: kvm_arch_no_poll by steal, and the poll loop yields to runnable tasks (engine_sched_thread.ts).
  if (vmCell(e, VM_POLL_ALLOWED) != 0 && window > 0 && !(!plain && schedOn && schedNoPollForSteal(v))) {
    set(e, F_POLLING);
    setState(e, S_POLLING);
    schedule(e, v, EV_POLL_END, !plain && schedOn ? schedPollStart(e, v, f64(window)) : f64(window));
  } else {
    clear(e, F_POLLING);
    if (!plain) trace(TraceKind.SwitchOut, v, 0);
    if (!plain && schedOn && !hasWakeReason(e)) schedSleep(v);
  }
  // kvm_vcpu_block checks before schedule(): no scheduler wake-up delay.
  if (hasWakeReason(e)) {
    setState(e, S_WAKING);
    schedule(e, v, EV_WAKE, 0);
  }
}

/** Vcpu.wake. */
export function wake(e: usize, v: i32): void {
  wakeOn(e, v, false);
}

/** Vcpu.wake in a run that takes cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy) (no trace, no host scheduler). */
export function wakePlain(e: usize, v: i32): void {
  wakeOn(e, v, true);
}

/** Vcpu.wake; `plain` (a constant at each call) folds the trace and the scheduler away. */
// @ts-ignore: decorator
@inline
function wakeOn(e: usize, v: i32, plain: bool): void {
  if (has(e, F_HALTED) && !hasWakeReason(e)) {
    setState(e, S_BLOCKED);
    if (!plain && schedOn) schedSleep(v);
    return;
  }
  const haltStart = load<i64>(e + HALT_START_NS);
  // Woken while polling: the thread never scheduled out (the record's arg is negative).
  if (!plain) trace(TraceKind.SwitchIn, v, haltStart < 0 ? 0 : has(e, F_POLLING) ? -f64(simNowNs - haltStart) : f64(simNowNs - haltStart));
  if (haltStart >= 0) endHalt(e, v);
  if (has(e, F_HV_BEFORE_BLOCK)) {
    clear(e, F_HV_BEFORE_BLOCK);
    if (plain) restartApicTimerPlain(e, v);
    else restartApicTimer(e, v);
    if (has(e, F_HV_IN_USE)) count(v, Count.SwToHv);
  }
  beginEntry(e, v, delay(D_VM_ENTRY, v));
}

/** Vcpu.endHalt, with nextHaltPollNs (src/sim/halt-poll.ts: grow/shrink_halt_poll_ns). */
// @ts-ignore: decorator
@inline
export function endHalt(e: usize, v: i32): void {
  const haltNs = simNowNs - load<i64>(e + HALT_START_NS);
  store<i64>(e + HALT_START_NS, -1);
  if (has(e, F_POLLING)) {
    addNs(v, Sum.HaltPollNs, f64(haltNs));
    count(v, Count.PollOk);
    clear(e, F_POLLING);
  }
  if (vmCell(e, VM_POLL_ALLOWED) == 0 || !pollDynamic) return;
  const pollNs = load<u32>(e + HALT_POLL_NS);
  let next = pollNs;
  if (pollMaxNs == 0) next = 0;
  else if (haltNs <= i64(pollNs)) next = pollNs;
  else if (pollNs != 0 && haltNs > i64(pollMaxNs)) {
    const val: u32 = pollShrink == 0 ? 0 : pollNs / pollShrink;
    next = val < pollGrowStartNs ? 0 : val;
  } else if (pollNs < pollMaxNs && haltNs < i64(pollMaxNs)) {
    if (pollGrow != 0) {
      const val = pollNs * pollGrow;
      next = val < pollGrowStartNs ? pollGrowStartNs : val;
    }
  }
  store<u32>(e + HALT_POLL_NS, next);
}

/** Vcpu.beginEntry: inject now, reach kvm_wait_lapic_expire after inNs. */
// @ts-ignore: decorator
@inline
export function beginEntry(e: usize, v: i32, inNs: f64): void {
  injectPending(e, v);
  setState(e, S_ENTERING);
  schedule(e, v, EV_ENTRY_WAIT, inNs);
}

/** Vcpu.reenter: inject, busy-wait, enter; true when the guest runs on at once (Vcpu.runProgram). */
export function reenter(e: usize, v: i32): bool {
  return reenterOn(e, v, false);
}

/** Vcpu.reenter in a run that takes cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy) (no trace, no host scheduler). */
export function reenterPlain(e: usize, v: i32): bool {
  return reenterOn(e, v, true);
}

/**
 * Vcpu.reenter in rearm-storm's plain copy, inlined where its thread re-enters
 * (engine_program.ts): reenterPlain's steps, with the busy-wait and the delayed entry
 * (an interrupt's entry) as calls, so that the entry after a WRMSR exit (five in six)
 * takes no call.
 */
// @ts-ignore: decorator
@inline
export function reenterStorm(e: usize, v: i32): bool {
  return reenterOn(e, v, true, true);
}

/** waitLapicExpireGate's plain form, as a call (reenterStorm). */
function waitLapicExpireGatePlain(e: usize, v: i32): f64 {
  return waitLapicExpireGateOn(e, v, true);
}

/** Vcpu.reenter's entry after a busy-wait or with an interrupt to deliver: after the wait, and the dispatch. */
// @ts-ignore: decorator
@inline
function enterAfterWaitOn(e: usize, v: i32, spinNs: f64, deliver: bool): void {
  const dispatch = deliver ? delay(D_IRQ_DISPATCH, v) : 0;
  setState(e, S_ENTERING);
  schedule(e, v, EV_ENTRY_DONE, spinNs + dispatch);
}

/** enterAfterWaitOn as a call (reenterStorm), in a plain copy's run. */
function enterAfterWaitPlain(e: usize, v: i32, spinNs: f64, deliver: bool): void {
  enterAfterWaitOn(e, v, spinNs, deliver);
}

/**
 * Vcpu.reenter; `plain` (a constant at each call) folds the trace and the scheduler away;
 * `split` (a constant, with plain): the busy-wait and the delayed entry are calls (reenterStorm).
 */
// @ts-ignore: decorator
@inline
function reenterOn(e: usize, v: i32, plain: bool, split: bool = false): bool {
  clear(e, F_KICK_AT_ENTRY);
  if (!plain) trace(TraceKind.Entry, v, 0);
  injectPending(e, v);
  // (waitLapicExpireGateOn returns 0 at once without an expired deadline latched.)
  const spinNs = split ? (expiredTdIsSet(v) ? waitLapicExpireGatePlain(e, v) : 0) : waitLapicExpireGateOn(e, v, plain);
  const deliver = has(e, F_TO_DELIVER);
  if (has(e, F_HV_IN_USE)) {
    const fireTsc = preemptionFireTsc(v, preemptionRate, spinNs, hvTimerBeforeWait);
    // Chaining holds it back like the thread's next event: a guest that exits at once (it
    // usually halts, or rewrites its deadline) cancels it before it ever reaches the queue
    // (engine_leave_guest.ts dropHv). Held back, it keeps the host TSC it fires at, and its
    // ns (a 128/64 divide, preemptionAtNs) are taken only if it reaches the queue.
    if (chaining) {
      store<u64>(e + HV_AT_NS, fireTsc);
      set(e, F_HV_DEFERRED);
    } else {
      pushHv(e, v, nsWhenHostTscReaches(fireTsc));
    }
  }
  if (spinNs > 0 || deliver) {
    if (split) enterAfterWaitPlain(e, v, spinNs, deliver);
    else enterAfterWaitOn(e, v, spinNs, deliver);
    return false;
  }
  // (Held back: it fires by now when the host TSC now has reached its TSC.)
  if (has(e, F_HV_IN_USE) && (chaining ? load<u64>(e + HV_AT_NS) <= hostTscNow() : load<i64>(e + HV_AT_NS) <= simNowNs)) {
    // Vcpu.reenter: a preemption timer loaded with 0 exits before the guest's first instruction.
    setState(e, S_ENTERING);
    schedule(e, v, EV_ENTRY_DONE, 0);
    return false;
  }
  // The guest runs on now: the caller (engine_loop.ts) runs its program, which this layer
  // below the guests cannot call.
  setStateOn(e, S_GUEST, plain);
  return true;
}

/** Vcpu.waitLapicExpire: kvm_wait_lapic_expire's precondition, then the busy-wait. */
export function waitLapicExpireGate(e: usize, v: i32): f64 {
  return waitLapicExpireGateOn(e, v, false);
}

/** waitLapicExpireGate; `plain` (a constant at each call): no trace, no host scheduler. */
// @ts-ignore: decorator
@inline
function waitLapicExpireGateOn(e: usize, v: i32, plain: bool): f64 {
  if (!expiredTdIsSet(v) || vcpuAdvance(v, globalAdvance) == 0) return 0;
  // lapic_timer_int_injected: IRR with APICv, ISR (injected or in service) without.
  if (!has(e, apicv ? F_TO_DELIVER : F_TO_DELIVER | F_IN_SERVICE)) return 0;
  const spinNs = waitLapicExpireInline(v, era, tune, globalAdvance, hz);
  if (!plain) trace(TraceKind.WaitLapicExpire, v, lastWaitDelta(v));
  addNs(v, Sum.SpinNs, spinNs);
  if (!plain && schedOn && spinNs > 0) schedBusyWait(v, spinNs);
  metricAdvance(v, f64(simNowNs - startNs), vcpuAdvance(v, globalAdvance));
  return spinNs;
}

/** Vcpu.preemptionExit + LapicTimer.hvTimerFired. */
export function preemptionExit(e: usize, v: i32): void {
  count(v, Count.ExitPreemptionTimer);
  const idleNs = idleExitNs(e, v);
  trace(TraceKind.Exit, v, TraceExit.PreemptionTimer);
  leaveGuest(e);
  // LapicTimer.hvTimerFired: the lazy proposal may re-arm instead of injecting.
  if (has(e, F_HV_IN_USE) && !(lazyOn && lazyRearm(e, v, true))) {
    if (hvBusyWaitEveryMode) {
      expired(e, v, false);
      cancelHvTimer(e, v);
    } else {
      cancelHvTimer(e, v);
      expired(e, v, false);
    }
    // Only a periodic timer restarts.
    if (timerMode(e) == TM_PERIODIC) countHvRestart(e, v);
  }
  const exitNs = delay(D_VM_EXIT, v);
  beginEntry(e, v, idleNs + exitNs + delay(D_VM_ENTRY, v));
}

/** Vcpu.stall. */
export function stall(e: usize, v: i32): void {
  scheduleStall(e, v);
  if (load<u8>(e + STATE) != S_GUEST) return;
  trace(TraceKind.Exit, v, TraceExit.ExternalInterrupt);
  leaveGuest(e);
  beginEntry(e, v, stallLengthNs);
}

/**
 * hrtimerCallback in a run that takes cyclictest's or rearm-storm's plain copy (engine_loop.ts plainCopy): no trace, no lazy
 * TSC-deadline, the timer in TSC-deadline mode (no periodic restart), no posted timer
 * interrupts (engine_lapic.ts expiredByHrtimerPlain).
 */
// @ts-ignore: decorator
@inline
export function hrtimerCallbackPlain(e: usize, v: i32): void {
  store<i64>(e + HRTIMER_SEQ, -1);
  metricCallback(v, f64(simNowNs - startNs));
  expiredByHrtimerPlain(e, v);
}

/** Vcpu.hrtimerCallback + LapicTimer.hrtimerFired (a periodic timer restarts). */
export function hrtimerCallback(e: usize, v: i32): void {
  store<i64>(e + HRTIMER_SEQ, -1);
  metricCallback(v, f64(simNowNs - startNs));
  trace(TraceKind.HrtimerExpire, v, load<u8>(e + STATE) == S_GUEST ? 1 : 0);
  // LapicTimer.hrtimerFired: the lazy proposal may re-arm instead of injecting.
  if (lazyOn && lazyRearm(e, v, false)) return;
  expired(e, v, true);
  // Only a periodic timer restarts.
  if (timerMode(e) == TM_PERIODIC) countHrtimerRestart(e, v);
}
