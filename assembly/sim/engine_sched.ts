// The host scheduler on the wasm engine (scenario host.cpus / host.load / host.sched /
// host.outer / vms.<i>.pin; docs/host-model.md): src/sim/host-sched.ts's HostScheduler,
// step for step — run queues, wake-up with queueing and preemption, the tick, the
// background tasks, the outer level and its steal — over the same decisions
// (host_sched.ts, steal_average.ts). The vCPU threads' side (Vcpu's SchedThread methods) is
// engine_sched_thread_ops.ts, its hooks into the host paths engine_sched_thread.ts.
//
// Its state (side arrays allocated only when a scenario uses the scheduler) is in
// engine_sched_state.ts; nothing is allocated per event.

import { nowF64 } from "./host_clock";
import { queuePushIn } from "./event_queue";
import { Placement, schedCurr, schedEnqueue, schedLastWaitNs, schedMoveCpuNs, schedNextTickNs, schedQueued, schedSetActivity, schedSwitch, schedTaskCpu, schedTaskState, schedTickPreempts, schedWakeupPreempts } from "./host_sched";
import { Activity, TaskState } from "./host_sched_state";
import { schedSetStolen, schedStealPercent } from "./steal_average";
import { rngNextFloat } from "./rng_streams";
import { sampleDelayNode } from "./delay_samplers";
import { payloadOf } from "./engine_record";
import { CP_HRT_HEAD, CP_HRT_TAIL, CP_STOLEN, CP_STOLEN_SINCE_NS, CP_TICK_PENDING, EV_LOAD_DONE, EV_LOAD_WAKE, EV_SCHED_TICK, L_CPU, L_DONE_SEQ, L_PERIOD_NS, L_REMAINING_NS, L_ROOT, L_RUNNABLE, L_RUN_START_NS, L_STARTED, L_STREAM, L_TASK, V_HRT_NEXT, V_NO_POLL_STEAL, V_STEAL_NS, cpuRec, innerTaskBase, loadOf, loadRec, maxStealPercent, nInner, nLoads, nV, nested, recordWait, vRec } from "./engine_sched_state";
import { threadActivity, threadFreeze, threadHrtimerThaw, threadPollYield, threadPreempt, threadRun, threadThaw } from "./engine_sched_thread_ops";

// ---- queries the vCPU threads make (HostScheduler's public methods) ----

/** HostScheduler.frozen: vCPU v's CPU is taken by the outer level. */
export function schedFrozen(v: i32): bool {
  return nested && load<u8>(cpuRec(schedTaskCpu(v)), CP_STOLEN) == 1;
}

/** HostScheduler.deferHrtimer: v's hrtimer callback runs when its CPU does (in the order deferred). */
export function schedDeferHrtimer(v: i32): void {
  const q = vRec(v);
  if (load<i32>(q, V_HRT_NEXT) != -2) return;
  const p = cpuRec(schedTaskCpu(v));
  store<i32>(q, -1, V_HRT_NEXT);
  const tail = load<i32>(p, CP_HRT_TAIL);
  if (tail < 0) store<i32>(p, v, CP_HRT_HEAD);
  else store<i32>(vRec(tail), v, V_HRT_NEXT);
  store<i32>(p, v, CP_HRT_TAIL);
}

/** HostScheduler.othersRunnable: single_task_running() on v's CPU is false. */
export function schedOthersRunnable(v: i32): bool {
  return schedQueued(schedTaskCpu(v)) > 0;
}

/** HostScheduler.noPollForSteal: kvm_arch_no_poll by the steal average (nested hosts only). */
export function schedNoPollForSteal(v: i32): bool {
  if (!nested || maxStealPercent < 0) return false;
  const no = schedStealPercent(schedTaskCpu(v), nowF64()) >= maxStealPercent;
  if (no) {
    const q = vRec(v);
    store<f64>(q, load<f64>(q, V_NO_POLL_STEAL) + 1, V_NO_POLL_STEAL);
  }
  return no;
}

/** HostScheduler.activity: the running vCPU v's activity changed. */
export function schedActivityOf(v: i32, activity: i32): void {
  const c = schedTaskCpu(v);
  if (schedCurr(c) != v || (nested && load<u8>(cpuRec(c), CP_STOLEN) == 1)) return;
  schedSetActivity(c, activity, nowF64());
}

/** HostScheduler.busyWait: the entry path's busy-wait, moved from host handling. */
export function schedBusyWait(v: i32, spinNs: f64): void {
  schedMoveCpuNs(schedTaskCpu(v), Activity.Host, Activity.BusyWait, spinNs);
}

// ---- the scheduler's transitions ----

/** HostScheduler.start: every vCPU wakes in index order, then each background task's first period at a random phase. */
export function schedStart(): void {
  for (let v = 0; v < nV; v++) schedWake(v, false);
  for (let k = 0; k < nLoads; k++) {
    const l = loadRec(k);
    queuePushIn(Math.floor(rngNextFloat(load<i32>(l, L_STREAM)) * load<f64>(l, L_PERIOD_NS)), payloadOf(EV_LOAD_WAKE, load<i32>(l, L_TASK)));
  }
}

/** HostScheduler.wake: try_to_wake_up (or, initial, wake_up_new_task) of task t on its CPU. */
export function schedWake(t: i32, initial: bool): void {
  const c = schedTaskCpu(t);
  schedEnqueue(t, nowF64(), initial ? Placement.Initial : Placement.Wakeup);
  const curr = schedCurr(c);
  if (curr < 0) {
    switchCpu(c, false);
    return;
  }
  // A poll loop ends as soon as another task is runnable, whatever the vruntimes.
  if (curr < nV && threadActivity(curr) == Activity.HaltPoll) {
    threadPollYield(curr);
    return;
  }
  if (schedWakeupPreempts(t)) preemptCurr(c);
  else armTick(c);
}

/** HostScheduler.sleep: vCPU v stops being runnable. */
export function schedSleepTask(v: i32): void {
  const c = schedTaskCpu(v);
  if (schedCurr(c) == v) switchCpu(c, false);
}

/** HostScheduler.yieldCpu: vCPU v, asked to leave, reached a point where it can. */
export function schedYieldCpu(v: i32): void {
  const c = schedTaskCpu(v);
  if (schedCurr(c) == v) switchCpu(c, true);
}

function preemptCurr(c: i32): void {
  const curr = schedCurr(c);
  if (curr < 0) return;
  if (curr < nV) {
    if (threadActivity(curr) == Activity.HaltPoll) threadPollYield(curr);
    else if (threadPreempt(curr)) switchCpu(c, true);
    return;
  }
  const l = loadOf(curr);
  if (l != 0) stopLoad(l);
  switchCpu(c, true);
}

// @ts-ignore: decorator
@inline
function innerStolen(c: i32): bool {
  return c < nInner && nested && load<u8>(cpuRec(c), CP_STOLEN) == 1;
}

/** HostScheduler.switchCpu: put_prev + pick_next on CPU c, and what follows for the task that runs. */
function switchCpu(c: i32, prevRunnable: bool): void {
  const now = nowF64();
  const prev = schedCurr(c);
  const next = schedSwitch(c, now, prevRunnable);
  const frozen = innerStolen(c);
  let activity: i32 = Activity.Idle;
  if (next >= 0 && next < nV) {
    recordWait(next, schedLastWaitNs());
    threadRun(next);
    activity = threadActivity(next);
  } else if (next >= 0) {
    const l = loadOf(next);
    if (l != 0) {
      if (!frozen) runLoad(l);
      activity = Activity.Load;
    } else {
      // An inner host CPU runs on this outer CPU.
      thaw(next - innerTaskBase);
      activity = Activity.InnerCpu;
    }
  }
  if (prev >= nV && prev != next && innerTaskBase >= 0 && prev >= innerTaskBase && prev < innerTaskBase + nInner && prevRunnable) {
    freeze(prev - innerTaskBase);
  }
  schedSetActivity(c, frozen ? Activity.Steal : activity, now);
  armTick(c);
  // Nested: an inner CPU with work is a runnable task of the outer level; an idle one sleeps.
  if (nested && c < nInner) {
    const innerTask = innerTaskBase + c;
    const state = schedTaskState(innerTask);
    if (next >= 0 && state == TaskState.Sleeping) {
      schedWake(innerTask, false);
      if (schedTaskState(innerTask) != TaskState.Running) freeze(c);
    } else if (next < 0 && state == TaskState.Running) {
      switchCpu(schedTaskCpu(innerTask), false);
    }
  }
}

/** HostScheduler.armTick: a tick on CPU c while others wait there. */
function armTick(c: i32): void {
  const p = cpuRec(c);
  if (load<u8>(p, CP_TICK_PENDING) == 1 || schedQueued(c) == 0 || schedCurr(c) < 0) return;
  store<u8>(p, 1, CP_TICK_PENDING);
  const nowNs = nowF64();
  queuePushIn(schedNextTickNs(nowNs) - nowNs, payloadOf(EV_SCHED_TICK, c));
}

// ---- background tasks ----

function runLoad(l: usize): void {
  store<f64>(l, nowF64(), L_RUN_START_NS);
  store<i64>(l, i64(queuePushIn(load<f64>(l, L_REMAINING_NS), payloadOf(EV_LOAD_DONE, load<i32>(l, L_TASK)))), L_DONE_SEQ);
}

function stopLoad(l: usize): void {
  if (load<i64>(l, L_DONE_SEQ) < 0) return;
  store<f64>(l, max(0, load<f64>(l, L_REMAINING_NS) - (nowF64() - load<f64>(l, L_RUN_START_NS))), L_REMAINING_NS);
  store<i64>(l, -1, L_DONE_SEQ);
}

// ---- the outer level ----

/** HostScheduler.freeze: inner CPU c stops running. */
function freeze(c: i32): void {
  const p = cpuRec(c);
  if (load<u8>(p, CP_STOLEN) == 1) return;
  const now = nowF64();
  store<u8>(p, 1, CP_STOLEN);
  store<f64>(p, now, CP_STOLEN_SINCE_NS);
  schedSetStolen(c, true, now);
  schedSetActivity(c, Activity.Steal, now);
  const curr = schedCurr(c);
  if (curr >= 0 && curr < nV) threadFreeze(curr);
  else if (curr >= 0) {
    const l = loadOf(curr);
    if (l != 0) stopLoad(l);
  }
}

/** HostScheduler.thaw: inner CPU c runs again; the hrtimer callbacks it held run. */
function thaw(c: i32): void {
  const p = cpuRec(c);
  if (load<u8>(p, CP_STOLEN) == 0) return;
  const now = nowF64();
  store<u8>(p, 0, CP_STOLEN);
  schedSetStolen(c, false, now);
  const curr = schedCurr(c);
  let activity: i32 = Activity.Idle;
  if (curr >= 0 && curr < nV) {
    const q = vRec(curr);
    store<f64>(q, load<f64>(q, V_STEAL_NS) + now - load<f64>(p, CP_STOLEN_SINCE_NS), V_STEAL_NS);
    threadThaw(curr);
    activity = threadActivity(curr);
  } else if (curr >= 0) {
    const l = loadOf(curr);
    if (l != 0) runLoad(l);
    activity = Activity.Load;
  }
  schedSetActivity(c, activity, now);
  let v = load<i32>(p, CP_HRT_HEAD);
  store<i32>(p, -1, CP_HRT_HEAD);
  store<i32>(p, -1, CP_HRT_TAIL);
  while (v >= 0) {
    const q = vRec(v);
    const next = load<i32>(q, V_HRT_NEXT);
    store<i32>(q, -2, V_HRT_NEXT);
    threadHrtimerThaw(v);
    v = next;
  }
}

// ---- events ----

/** HostScheduler.onEvent: a scheduler tick, or a background task's period or end. */
export function schedOnEvent(kind: u32, index: i32, seq: i64): void {
  if (kind == EV_SCHED_TICK) {
    store<u8>(cpuRec(index), 0, CP_TICK_PENDING);
    if (!innerStolen(index) && schedTickPreempts(index, nowF64())) preemptCurr(index);
    armTick(index);
    return;
  }
  const l = loadOf(index);
  if (kind == EV_LOAD_WAKE) {
    queuePushIn(load<f64>(l, L_PERIOD_NS), payloadOf(EV_LOAD_WAKE, index));
    const runNs = sampleDelayNode(load<i32>(l, L_ROOT), load<i32>(l, L_STREAM));
    if (runNs <= 0) return;
    store<f64>(l, load<f64>(l, L_REMAINING_NS) + runNs, L_REMAINING_NS);
    if (load<u8>(l, L_RUNNABLE) == 0) {
      store<u8>(l, 1, L_RUNNABLE);
      // Its first run is a new task's (START_DEBIT); later ones are wake-ups.
      schedWake(index, load<u8>(l, L_STARTED) == 0);
      store<u8>(l, 1, L_STARTED);
    } else if (load<i64>(l, L_DONE_SEQ) >= 0) {
      // Running: the backlog extends its run.
      stopLoad(l);
      runLoad(l);
    }
    return;
  }
  if (kind == EV_LOAD_DONE) {
    if (seq != load<i64>(l, L_DONE_SEQ)) return;
    store<i64>(l, -1, L_DONE_SEQ);
    store<f64>(l, 0, L_REMAINING_NS);
    store<u8>(l, 0, L_RUNNABLE);
    switchCpu(load<i32>(l, L_CPU), false);
  }
}
