// SchedThread on the wasm engine: what the host scheduler (engine_sched.ts) does to a vCPU
// thread — src/sim/vcpu.ts's schedRun, schedPreempt, schedPollYield, schedFreeze,
// schedThaw, schedHrtimerThaw and schedActivity — step for step. They only change the
// thread's record and queue its events, so the scheduler calls them directly; the
// thread's hooks into the host paths, which call the scheduler, are engine_sched_thread.ts.

import { nowF64 } from "./host_clock";
import { queuePushIn } from "./event_queue";
import { Activity } from "./host_sched_state";
import { D_WAKEUP, EV_GUEST_RESUME, EV_HRTIMER, EV_POLL_END, EV_WAKE, HRTIMER_AT_NS, HRTIMER_SEQ, STATE, S_BLOCKED, S_DONE, S_ENTERING, S_EXIT, S_GUEST, S_POLLING, S_WAKING, delay, eng, payloadOf, schedule, setState } from "./engine_record";
import { leaveGuest } from "./engine_leave_guest";
import { V_DEFERRED, V_FROZEN_HRT_SEQ, V_NEED_RESCHED, V_OFF_CPU, V_POLL_END_NS, V_WAKE_QUEUED, pollYieldNs, vRec } from "./engine_sched_state";

/** Vcpu's ACTIVITY_OF: the host CPU's activity while a thread in each run state runs on it. */
export function activityOfState(s: u8): i32 {
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

/** Vcpu.schedActivity. */
export function threadActivity(v: i32): i32 {
  return activityOfState(load<u8>(eng(v) + STATE));
}

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
