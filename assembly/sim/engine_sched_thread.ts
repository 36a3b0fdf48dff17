// The vCPU threads' side of the host scheduler on the wasm engine: src/sim/vcpu.ts's
// hooks into the host paths (holdForCpu, schedSleep, the wake-up of a blocked thread, the
// poll loop's end), step for step. engine_sched.ts is the scheduler; engine_host.ts,
// engine_kick.ts and engine_loop.ts call the hooks here only while it runs (schedOn).

import { nowF64 } from "./host_clock";
import { queuePushIn } from "./event_queue";
import { Activity } from "./host_sched_state";
import { D_WAKEUP, ESTRIDE, EV_GUEST_RESUME, EV_HRTIMER, EV_POLL_END, EV_WAKE, HALT_START_NS, HRTIMER_AT_NS, HRTIMER_SEQ, STATE, S_BLOCKED, S_DONE, S_ENTERING, S_EXIT, S_GUEST, S_POLLING, S_WAKING, delay, eng, enginePtr, payloadOf, schedule, setState } from "./engine_record";
import { TraceKind, trace } from "./trace_log";
import { schedActivityOf, schedDeferHrtimer, schedFrozen, schedOthersRunnable, schedSleepTask, schedWake, schedYieldCpu } from "./engine_sched";
import { V_DEFERRED, V_FROZEN_HRT_SEQ, V_NEED_RESCHED, V_OFF_CPU, V_POLL_END_NS, V_WAKE_QUEUED, pollYieldNs, vRec } from "./engine_sched_state";
import { schedStateChangedHook } from "./engine_sched_hook";
import { activityOfState } from "./engine_sched_thread_ops";
import { leaveGuest } from "./engine_leave_guest";

/** Vcpu's state setter: the running thread's CPU follows its run state (engine_record.ts setState, through engine_sched_hook.ts). */
export function schedStateChanged(e: usize, s: u8): void {
  schedActivityOf(i32((e - enginePtr) / ESTRIDE), activityOfState(s));
}

/** Binds engine_record.ts setState's call into the scheduler (engine_sched_hook.ts); at every start. */
export function schedThreadBind(): void {
  schedStateChangedHook = schedStateChanged;
}

// ---- hooks into the engine's paths ----

/** Vcpu.start with a scheduler: the thread starts when its CPU picks it. */
export function schedThreadStart(v: i32): void {
  const q = vRec(v);
  store<u8>(q, 1, V_OFF_CPU);
  store<u8>(q, u8(EV_GUEST_RESUME), V_DEFERRED);
}

/** Vcpu.onEvent's hrtimer case: true when the callback waits for its CPU (stolen by the outer level). */
export function schedHoldHrtimer(v: i32, seq: i64): bool {
  if (!schedFrozen(v)) return false;
  store<i64>(vRec(v), seq, V_FROZEN_HRT_SEQ);
  schedDeferHrtimer(v);
  return true;
}

/**
 * Vcpu.holdForCpu: a thread event while the thread may not run (queued, its CPU stolen,
 * or asked to give up its CPU, which it does now). True when the event waits.
 */
export function schedHoldForCpu(v: i32, kind: u32): bool {
  const q = vRec(v);
  if (load<u8>(q, V_OFF_CPU) != 0 || schedFrozen(v)) {
    store<u8>(q, u8(kind), V_DEFERRED);
    return true;
  }
  if (load<u8>(q, V_NEED_RESCHED) != 0) {
    store<u8>(q, 0, V_NEED_RESCHED);
    store<u8>(q, u8(kind), V_DEFERRED);
    store<u8>(q, 1, V_OFF_CPU);
    schedYieldCpu(v);
    return true;
  }
  return false;
}

/** Vcpu.schedSleep: the thread stops being runnable; a pending need_resched is spent. */
export function schedSleep(v: i32): void {
  store<u8>(vRec(v), 0, V_NEED_RESCHED);
  schedSleepTask(v);
}

/** Vcpu.kick of a blocked thread with a scheduler: try_to_wake_up; it runs when its CPU picks it, `wakeup` after that. */
export function schedKickBlocked(e: usize, v: i32): void {
  trace(TraceKind.Waking, v, 0);
  setState(e, S_WAKING);
  const q = vRec(v);
  store<u8>(q, 1, V_OFF_CPU);
  store<u8>(q, u8(EV_WAKE), V_DEFERRED);
  store<u8>(q, 1, V_WAKE_QUEUED);
  schedWake(v, false);
}

/**
 * Vcpu.block's poll loop with a scheduler: it checks need_resched itself, and runs once,
 * then only while single_task_running() (kvm_vcpu_can_poll). Returns its length.
 */
export function schedPollStart(e: usize, v: i32, windowNs: f64): f64 {
  const q = vRec(v);
  store<u8>(q, 0, V_NEED_RESCHED);
  const pollNs = schedOthersRunnable(v) ? min(windowNs, pollYieldNs) : windowNs;
  store<f64>(q, f64(load<i64>(e + HALT_START_NS)) + pollNs, V_POLL_END_NS);
  return pollNs;
}
