// The vCPU threads' side of the host scheduler on the wasm engine: src/sim/vcpu.ts's
// SchedThread methods (what the scheduler does to a thread) and its hooks into the host
// paths (holdForCpu, schedSleep, the wake-up of a blocked thread, the poll loop's end),
// step for step. engine_sched.ts is the scheduler; engine_host.ts and engine_loop.ts call
// the hooks here only while it runs (schedOn).

import { nowF64 } from "./host_clock";
import { queuePushIn } from "./event_queue";
import { Activity } from "./host_sched";
import { D_WAKEUP, ESTRIDE, EV_GUEST_RESUME, EV_HRTIMER, EV_POLL_END, EV_WAKE, HALT_START_NS, HRTIMER_AT_NS, HRTIMER_SEQ, STATE, S_BLOCKED, S_DONE, S_ENTERING, S_EXIT, S_GUEST, S_POLLING, S_WAKING, delay, eng, enginePtr, payloadOf, schedule, setState } from "./engine_record";
import { leaveGuest } from "./engine_loop";
import { TraceKind, trace } from "./trace_log";
import { schedActivityOf, schedDeferHrtimer, schedFrozen, schedOthersRunnable, schedSleepTask, schedWake, schedYieldCpu } from "./engine_sched";
import { V_DEFERRED, V_FROZEN_HRT_SEQ, V_NEED_RESCHED, V_OFF_CPU, V_POLL_END_NS, V_WAKE_QUEUED, pollYieldNs, vRec } from "./engine_sched_state";

/** Vcpu's ACTIVITY_OF: the host CPU's activity while a thread in each run state runs on it. */
function activityOfState(s: u8): i32 {
  switch (s) {
    case S_GUEST:
      return Activity.Guest;
    case S_POLLING:
      return Activity.HaltPoll;
    case S_EXIT:
    case S_WAKING:
    case S_ENTERING:
      return Activity.Host;
    default:
      // S_BLOCKED, S_DONE
      return Activity.Idle;
  }
}

/** Vcpu's state setter: the running thread's CPU follows its run state. */
export function schedStateChanged(e: usize, s: u8): void {
  schedActivityOf(i32((e - enginePtr) / ESTRIDE), activityOfState(s));
}

/** Vcpu.schedActivity. */
export function threadActivity(v: i32): i32 {
  return activityOfState(load<u8>(eng(v) + STATE));
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

// ---- SchedThread: what the scheduler does to the thread ----

/** Vcpu.schedRun: picked to run; the wake-up's own cost starts now, once. */
export function threadRun(v: i32): void {
  const q = vRec(v);
  const e = eng(v);
  store<u8>(q, 0, V_OFF_CPU);
  const kind = u32(load<u8>(q, V_DEFERRED));
  store<u8>(q, 0, V_DEFERRED);
  if (kind == EV_WAKE && load<u8>(q, V_WAKE_QUEUED) != 0) schedule(e, v, kind, delay(D_WAKEUP, v));
  else if (kind != 0) schedule(e, v, kind, 0);
  store<u8>(q, 0, V_WAKE_QUEUED);
}

/** Vcpu.schedPreempt: true when it left at once (guest mode: a reschedule IPI), else need_resched. */
export function threadPreempt(v: i32): bool {
  const q = vRec(v);
  const e = eng(v);
  const s = load<u8>(e + STATE);
  if (s == S_GUEST && load<u8>(q, V_OFF_CPU) == 0) {
    leaveGuest(e);
    setState(e, S_EXIT);
    store<u8>(q, u8(EV_GUEST_RESUME), V_DEFERRED);
    store<u8>(q, 1, V_OFF_CPU);
    return true;
  }
  if (s != S_BLOCKED && s != S_DONE) store<u8>(q, 1, V_NEED_RESCHED);
  return false;
}

/** Vcpu.schedPollYield: another task became runnable on the polling thread's CPU. */
export function threadPollYield(v: i32): void {
  const e = eng(v);
  if (load<u8>(e + STATE) != S_POLLING) return;
  const q = vRec(v);
  const endNs = nowF64() + pollYieldNs;
  if (endNs >= load<f64>(q, V_POLL_END_NS)) return;
  store<f64>(q, endNs, V_POLL_END_NS);
  schedule(e, v, EV_POLL_END, pollYieldNs);
}

/** Vcpu.schedFreeze: its CPU is no longer run by the outer level. */
export function threadFreeze(v: i32): void {
  const e = eng(v);
  if (load<u8>(e + STATE) != S_GUEST) return;
  leaveGuest(e);
  setState(e, S_EXIT);
  store<u8>(vRec(v), u8(EV_GUEST_RESUME), V_DEFERRED);
}

/** Vcpu.schedThaw: its CPU runs again. */
export function threadThaw(v: i32): void {
  const q = vRec(v);
  if (load<u8>(q, V_OFF_CPU) != 0) return;
  const kind = u32(load<u8>(q, V_DEFERRED));
  store<u8>(q, 0, V_DEFERRED);
  if (kind != 0) schedule(eng(v), v, kind, 0);
}

/** Vcpu.schedHrtimerThaw: a held hrtimer callback runs now that its CPU does. */
export function threadHrtimerThaw(v: i32): void {
  const q = vRec(v);
  const e = eng(v);
  const seq = load<i64>(q, V_FROZEN_HRT_SEQ);
  if (seq < 0 || seq != load<i64>(e + HRTIMER_SEQ)) return;
  store<i64>(q, -1, V_FROZEN_HRT_SEQ);
  store<i64>(e + HRTIMER_AT_NS, i64(nowF64()));
  store<i64>(e + HRTIMER_SEQ, i64(queuePushIn(0, payloadOf(EV_HRTIMER, v))));
}
