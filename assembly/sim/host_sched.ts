// The host scheduler's accounting and decisions (scenario host.cpus / host.load /
// host.sched / host.outer), restated from kernel/sched/fair.c (update_curr, place_entity,
// wakeup_preempt_entity, check_preempt_tick, sched_slice, pick_next_entity) with every task
// at nice 0 and without migration between CPUs: the state is host_sched_state.ts, the run
// queue host_sched_queue.ts. The TypeScript orchestration (src/sim/host-sched.ts) calls
// these in event order; both engines are to call the same functions.

import { ACTIVITIES, TaskState, T_VRUNTIME, T_EXEC_START, T_ENQUEUED_AT, T_WAIT_SUM, T_CPU, T_STATE, T_WAITS, C_CURR, C_HEAP_SIZE, C_ACTIVITY, C_MIN_VRUNTIME, C_LAST_NS, timePtr, latencyNs, minGranularityNs, wakeupGranularityNs, tickNs, task, cpu } from "./host_sched_state";
import { heapPush, heapPop, schedLeftmost } from "./host_sched_queue";

let lastWaitNs: f64 = 0;

// ---- accounting ----

// @ts-ignore: decorator
@inline
function addCpuNs(c: i32, a: i32, ns: f64): void {
  const q = timePtr + ((usize(c) * usize(ACTIVITIES) + usize(a)) << 3);
  store<f64>(q, load<f64>(q) + ns);
}

/** update_min_vruntime: monotonic, follows min(curr, leftmost). */
function updateMinVruntime(c: i32): void {
  const p = cpu(c);
  const curr = load<i32>(p, C_CURR);
  const left = schedLeftmost(c);
  let v = load<f64>(p, C_MIN_VRUNTIME);
  if (curr >= 0 && left >= 0) v = max(v, min(load<f64>(task(curr), T_VRUNTIME), load<f64>(task(left), T_VRUNTIME)));
  else if (curr >= 0) v = max(v, load<f64>(task(curr), T_VRUNTIME));
  else if (left >= 0) v = max(v, load<f64>(task(left), T_VRUNTIME));
  store<f64>(p, v, C_MIN_VRUNTIME);
}

/** update_curr: charges the time since the last update to the current task's vruntime and to the CPU's current activity. */
export function schedAccount(c: i32, nowNs: f64): void {
  const p = cpu(c);
  const delta = nowNs - load<f64>(p, C_LAST_NS);
  if (delta <= 0) return;
  store<f64>(p, nowNs, C_LAST_NS);
  addCpuNs(c, load<i32>(p, C_ACTIVITY), delta);
  const curr = load<i32>(p, C_CURR);
  if (curr >= 0) {
    const q = task(curr);
    store<f64>(q, load<f64>(q, T_VRUNTIME) + delta, T_VRUNTIME);
    updateMinVruntime(c);
  }
}

/** The CPU's activity from now on (the time before it goes to the previous one). */
export function schedSetActivity(c: i32, activity: i32, nowNs: f64): void {
  schedAccount(c, nowNs);
  store<i32>(cpu(c), activity, C_ACTIVITY);
}

export function schedActivity(c: i32): i32 {
  return load<i32>(cpu(c), C_ACTIVITY);
}

/** Moves `ns` of the CPU's time from one activity to another (the busy-wait inside an entry path). */
export function schedMoveCpuNs(c: i32, from: i32, to: i32, ns: f64): void {
  addCpuNs(c, from, -ns);
  addCpuNs(c, to, ns);
}

export function schedCpuNs(c: i32, activity: i32): f64 {
  return load<f64>(timePtr + ((usize(c) * usize(ACTIVITIES) + usize(activity)) << 3));
}

// ---- the decisions ----

/** How schedEnqueue places a task's vruntime (place_entity). */
export enum Placement {
  /** Back in the queue as it is (a preempted task). */
  Requeue = 0,
  /** A wake-up after sleeping: GENTLE_FAIR_SLEEPERS, no further back than min_vruntime − sched_latency/2, never moved forward. */
  Wakeup = 1,
  /** A new task's first run (place_entity with initial, START_DEBIT): no earlier than min_vruntime + its slice. */
  Initial = 2,
}

/** enqueue_entity for a task becoming runnable at nowNs, placed as `placement` says. */
export function schedEnqueue(t: i32, nowNs: f64, placement: i32): void {
  const q = task(t);
  const c = load<i32>(q, T_CPU);
  schedAccount(c, nowNs);
  if (placement == Placement.Wakeup) {
    const floor = load<f64>(cpu(c), C_MIN_VRUNTIME) - latencyNs / 2;
    if (load<f64>(q, T_VRUNTIME) < floor) store<f64>(q, floor, T_VRUNTIME);
  } else if (placement == Placement.Initial) {
    // sched_vslice of the task as if it were queued: the slice with one more runnable.
    const p = cpu(c);
    const nr = f64(load<i32>(p, C_HEAP_SIZE) + (load<i32>(p, C_CURR) >= 0 ? 1 : 0) + 1);
    const period = nr > latencyNs / minGranularityNs ? nr * minGranularityNs : latencyNs;
    const floor = load<f64>(p, C_MIN_VRUNTIME) + period / nr;
    if (load<f64>(q, T_VRUNTIME) < floor) store<f64>(q, floor, T_VRUNTIME);
  }
  store<i32>(q, TaskState.Queued, T_STATE);
  store<f64>(q, nowNs, T_ENQUEUED_AT);
  heapPush(c, t);
  updateMinVruntime(c);
}

/**
 * check_preempt_wakeup / wakeup_preempt_entity: the woken task `t` preempts the current
 * one when the current task's vruntime leads by more than the wake-up granularity (an
 * idle CPU always runs it).
 */
export function schedWakeupPreempts(t: i32): bool {
  const c = load<i32>(task(t), T_CPU);
  const curr = load<i32>(cpu(c), C_CURR);
  if (curr < 0) return true;
  return load<f64>(task(curr), T_VRUNTIME) - load<f64>(task(t), T_VRUNTIME) > wakeupGranularityNs;
}

/** sched_slice with equal weights: the period (latency, or nr × min granularity past sched_nr_latency) over nr_running. */
export function schedSliceNs(c: i32): f64 {
  const p = cpu(c);
  const nr = f64(load<i32>(p, C_HEAP_SIZE) + (load<i32>(p, C_CURR) >= 0 ? 1 : 0));
  if (nr <= 1) return latencyNs;
  const period = nr > latencyNs / minGranularityNs ? nr * minGranularityNs : latencyNs;
  return period / nr;
}

/**
 * check_preempt_tick at a scheduler tick: the current task has run its slice, or has run
 * at least the minimum granularity and leads the leftmost queued task by more than a slice.
 */
export function schedTickPreempts(c: i32, nowNs: f64): bool {
  schedAccount(c, nowNs);
  const p = cpu(c);
  const curr = load<i32>(p, C_CURR);
  const left = schedLeftmost(c);
  if (curr < 0 || left < 0) return false;
  const ran = nowNs - load<f64>(task(curr), T_EXEC_START);
  const slice = schedSliceNs(c);
  if (ran > slice) return true;
  if (ran < minGranularityNs) return false;
  return load<f64>(task(curr), T_VRUNTIME) - load<f64>(task(left), T_VRUNTIME) > slice;
}

/** The next scheduler tick after nowNs (ticks at multiples of 1/HZ). */
export function schedNextTickNs(nowNs: f64): f64 {
  return (Math.floor(nowNs / tickNs) + 1) * tickNs;
}

/**
 * put_prev_entity then pick_next_entity: the current task leaves the CPU (back into the
 * queue when still runnable, else to sleep) and the leftmost queued task runs. Returns
 * it, or -1 (the CPU goes idle). The picked task's wait is schedLastWaitNs.
 */
export function schedSwitch(c: i32, nowNs: f64, prevRunnable: bool): i32 {
  schedAccount(c, nowNs);
  const p = cpu(c);
  const prev = load<i32>(p, C_CURR);
  if (prev >= 0) {
    store<i32>(p, -1, C_CURR);
    const q = task(prev);
    if (prevRunnable) {
      store<i32>(q, TaskState.Queued, T_STATE);
      store<f64>(q, nowNs, T_ENQUEUED_AT);
      heapPush(c, prev);
    } else store<i32>(q, TaskState.Sleeping, T_STATE);
  }
  if (load<i32>(p, C_HEAP_SIZE) == 0) {
    lastWaitNs = 0;
    updateMinVruntime(c);
    return -1;
  }
  const next = heapPop(c);
  const q = task(next);
  store<i32>(p, next, C_CURR);
  store<i32>(q, TaskState.Running, T_STATE);
  store<f64>(q, nowNs, T_EXEC_START);
  lastWaitNs = nowNs - load<f64>(q, T_ENQUEUED_AT);
  store<f64>(q, load<f64>(q, T_WAIT_SUM) + lastWaitNs, T_WAIT_SUM);
  store<i32>(q, load<i32>(q, T_WAITS) + 1, T_WAITS);
  updateMinVruntime(c);
  return next;
}

export function schedLastWaitNs(): f64 {
  return lastWaitNs;
}
export function schedCurr(c: i32): i32 {
  return load<i32>(cpu(c), C_CURR);
}
export function schedQueued(c: i32): i32 {
  return load<i32>(cpu(c), C_HEAP_SIZE);
}
export function schedTaskCpu(t: i32): i32 {
  return load<i32>(task(t), T_CPU);
}
export function schedTaskState(t: i32): i32 {
  return load<i32>(task(t), T_STATE);
}
export function schedTaskVruntime(t: i32): f64 {
  return load<f64>(task(t), T_VRUNTIME);
}
export function schedTaskWaitSumNs(t: i32): f64 {
  return load<f64>(task(t), T_WAIT_SUM);
}
export function schedTaskWaits(t: i32): i32 {
  return load<i32>(task(t), T_WAITS);
}
