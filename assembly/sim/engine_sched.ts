// The host scheduler on the wasm engine (scenario host.cpus / host.load / host.sched /
// host.outer / vms.<i>.pin; docs/host-model.md): src/sim/host-sched.ts's HostScheduler,
// step for step — run queues, wake-up with queueing and preemption, the tick, the
// background tasks, the outer level and its steal — over the same decisions
// (host_sched.ts, steal_average.ts). The vCPU threads' side (Vcpu's SchedThread methods
// and its hooks into the host paths) is engine_sched_thread.ts.
//
// State lives in side arrays allocated only when a scenario uses the scheduler
// (schedEnginePlan sizes them for simMemoryReserve); nothing is allocated per event.
// Task indices: the vCPUs (0 .. nV-1), the inner background tasks, one task per inner
// host CPU on the outer level (with host.outer), the outer tenants; CPUs: the host's,
// then the outer level's.

import { nowF64 } from "./host_clock";
import { queuePushIn } from "./event_queue";
import { Activity, Placement, TaskState, schedCurr, schedEnqueue, schedLastWaitNs, schedMoveCpuNs, schedNextTickNs, schedQueued, schedSetActivity, schedSwitch, schedTaskCpu, schedTaskState, schedTickPreempts, schedWakeupPreempts } from "./host_sched";
import { schedSetStolen, schedStealPercent } from "./steal_average";
import { rngNextFloat } from "./rng_streams";
import { sampleDelayNode } from "./delay_samplers";
import { payloadOf } from "./engine_record";
import { threadActivity, threadFreeze, threadHrtimerThaw, threadPollYield, threadPreempt, threadRun, threadThaw } from "./engine_sched_thread";

// Event kinds of the scheduler (src/sim/events.ts): index = a CPU or a task.
export const EV_SCHED_TICK: u32 = 32;
export const EV_LOAD_WAKE: u32 = 33;
export const EV_LOAD_DONE: u32 = 34;
export const EV_SCHED_BASE: u32 = EV_SCHED_TICK;

/** The scheduler runs (the scenario uses it): the engine's hooks call into it. */
export let schedOn: bool = false;

let nV: i32 = 0;
let nInner: i32 = 0;
let nOuter: i32 = 0;
let innerTaskBase: i32 = -1;
let nLoads: i32 = 0;
let nested: bool = false;
export let pollYieldNs: f64 = 100;
/** kvm.haltPoll.maxStealPercent, or -1 (null: x86's kvm_arch_no_poll ignores steal). */
let maxStealPercent: f64 = -1;

// Per CPU (inner and outer).
const CP_TICK_PENDING = 0; // u8
const CP_STOLEN = 1; // u8 (inner CPUs)
const CP_HRT_HEAD = 4; // i32: first vCPU whose hrtimer callback waits for the CPU, or -1
const CP_HRT_TAIL = 8; // i32
const CP_STOLEN_SINCE_NS = 16; // f64
const CP_STRIDE: usize = 24;

// Per background task (HostScheduler's LoadTask).
const L_TASK = 0; // i32
const L_CPU = 4; // i32
const L_ROOT = 8; // i32: its run distribution's node in the delay program
const L_STREAM = 12; // i32: its random stream
const L_PERIOD_NS = 16; // f64
const L_REMAINING_NS = 24; // f64: CPU time it still wants
const L_RUN_START_NS = 32; // f64: when it last started running
const L_DONE_SEQ = 40; // i64: seq of its live LoadDone event, or -1
const L_RUNNABLE = 48; // u8
const L_STARTED = 49; // u8: it has been runnable before
const L_STRIDE: usize = 56;

// Per vCPU thread (the Vcpu fields the scheduler uses; engine_sched_thread.ts).
export const V_DEFERRED = 0; // u8: the thread event waiting for the CPU (0: none)
export const V_OFF_CPU = 1; // u8: runnable but not running
export const V_NEED_RESCHED = 2; // u8
export const V_WAKE_QUEUED = 3; // u8: woken and queued, the wake-up's cost still to come
export const V_HRT_NEXT = 4; // i32: next in its CPU's list of held hrtimer callbacks (-1 end, -2 not listed)
export const V_POLL_END_NS = 8; // f64
export const V_FROZEN_HRT_SEQ = 16; // i64: seq of an hrtimer callback held while the CPU is stolen, or -1
export const V_STEAL_NS = 24; // f64: outer steal while it ran
export const V_NO_POLL_STEAL = 32; // f64: halts not polled for steal
const V_STRIDE: usize = 40;

// The run-queue waits, logged for the host's histograms (SchedTally.recordWait): (vCPU, ns).
// The engine returns to the host to drain it before an event could overflow it; the start,
// where every vCPU wakes at once, logs one wait per inner CPU at most (the first thread
// on an idle CPU runs, the others queue: equal vruntimes never preempt), hence the room
// for one per inner CPU. Should an event still fill it, it grows (never in the tests).
const WAIT_LOG_BASE: i32 = 4096;
/** Room an event may still need: each switch logs at most one wait. */
const WAIT_LOG_SLACK: i32 = 64;
let waitLogCapacity: i32 = WAIT_LOG_BASE;

let cpuPtr: usize = 0;
let loadPtr: usize = 0;
let vPtr: usize = 0;
let waitLogPtr: usize = 0;
let waitLogCount: i32 = 0;

// The plan schedEnginePlan records, for simMemoryReserve.
let planVcpus: i32 = 0;
let planCpus: i32 = 0;
let planLoads: i32 = 0;
let planTasks: i32 = 0;
let planSide: bool = false;

// @ts-ignore: decorator
@inline
function cpuRec(c: i32): usize {
  return cpuPtr + usize(c) * CP_STRIDE;
}
// @ts-ignore: decorator
@inline
function loadRec(k: i32): usize {
  return loadPtr + usize(k) * L_STRIDE;
}
// @ts-ignore: decorator
@inline
export function vRec(v: i32): usize {
  return vPtr + usize(v) * V_STRIDE;
}

/**
 * The next simulation uses the scheduler with these counts (0 vCPUs: it does not), on the
 * wasm engine when `sideArrays`: called before simMemoryReserve, which then reserves
 * schedEngineBytes.
 */
export function schedEnginePlan(vcpus: i32, cpus: i32, tasks: i32, loads: i32, sideArrays: bool): void {
  planVcpus = vcpus;
  planCpus = cpus;
  planTasks = tasks;
  planLoads = loads;
  planSide = sideArrays;
}

/** Bytes the planned scheduler allocates: its side arrays, the wait log, and host_sched.ts's block. */
export function schedEngineBytes(): usize {
  if (planVcpus == 0) return 0;
  const tasks = usize(max(planTasks, 1));
  const cpus = usize(max(planCpus, 1));
  // host_sched.ts schedInit: task records (48 B), CPU records (64 B), heap slots (4 B), time per activity (8 x 8 B).
  const decisions = tasks * 48 + cpus * 64 + tasks * 4 + cpus * 64 + 16;
  if (!planSide) return decisions;
  // The side arrays, the wait log, and the background tasks' random streams (16 B each, rng_streams.ts).
  const side = cpus * CP_STRIDE + usize(max(planLoads, 1)) * L_STRIDE + usize(planVcpus) * V_STRIDE + (usize(WAIT_LOG_BASE + planCpus) << 4) + (usize(planLoads) << 4);
  return decisions + side;
}

/** Frees the side arrays (simMemoryReserve); the scheduler is off until schedEngineInit. */
export function schedEngineRelease(): void {
  if (cpuPtr != 0) heap.free(cpuPtr);
  if (loadPtr != 0) heap.free(loadPtr);
  if (vPtr != 0) heap.free(vPtr);
  if (waitLogPtr != 0) heap.free(waitLogPtr);
  cpuPtr = 0;
  loadPtr = 0;
  vPtr = 0;
  waitLogPtr = 0;
  waitLogCount = 0;
  schedOn = false;
}

/**
 * The scheduler for this run (after host_sched.ts's schedInit/schedLayout placed the
 * tasks): nVcpus vCPU threads, inner and outer CPUs, where the inner CPUs' outer tasks
 * start (-1: no outer level), the background tasks (schedEngineSetLoad each), the poll
 * loop's reaction time and kvm.haltPoll.maxStealPercent (-1 for null).
 */
export function schedEngineInit(vcpus: i32, inner: i32, outer: i32, innerBase: i32, loads: i32, pollYield: f64, maxSteal: f64, isNested: bool): void {
  schedEngineRelease();
  nV = vcpus;
  nInner = inner;
  nOuter = outer;
  innerTaskBase = innerBase;
  nLoads = loads;
  pollYieldNs = pollYield;
  maxStealPercent = maxSteal;
  nested = isNested;
  const cpuBytes = usize(max(inner + outer, 1)) * CP_STRIDE;
  cpuPtr = heap.alloc(cpuBytes);
  memory.fill(cpuPtr, 0, cpuBytes);
  for (let c = 0; c < inner + outer; c++) {
    store<i32>(cpuRec(c), -1, CP_HRT_HEAD);
    store<i32>(cpuRec(c), -1, CP_HRT_TAIL);
  }
  const loadBytes = usize(max(loads, 1)) * L_STRIDE;
  loadPtr = heap.alloc(loadBytes);
  memory.fill(loadPtr, 0, loadBytes);
  const vBytes = usize(max(vcpus, 1)) * V_STRIDE;
  vPtr = heap.alloc(vBytes);
  memory.fill(vPtr, 0, vBytes);
  for (let v = 0; v < vcpus; v++) {
    store<i32>(vRec(v), -2, V_HRT_NEXT);
    store<i64>(vRec(v), -1, V_FROZEN_HRT_SEQ);
  }
  waitLogCapacity = WAIT_LOG_BASE + inner;
  waitLogPtr = heap.alloc(usize(waitLogCapacity) << 4);
  waitLogCount = 0;
  schedOn = true;
}

/** Background task k (in task order): its task index, CPU, period, run distribution (delay-program node) and stream. */
export function schedEngineSetLoad(k: i32, t: i32, c: i32, periodNs: f64, root: i32, stream: i32): void {
  const l = loadRec(k);
  store<i32>(l, t, L_TASK);
  store<i32>(l, c, L_CPU);
  store<i32>(l, root, L_ROOT);
  store<i32>(l, stream, L_STREAM);
  store<f64>(l, periodNs, L_PERIOD_NS);
  store<i64>(l, -1, L_DONE_SEQ);
}

/** Background task k's record address, or 0 when task t is not one (an inner CPU's task on the outer level). */
function loadOf(t: i32): usize {
  if (t < nV) return 0;
  if (innerTaskBase < 0 || t < innerTaskBase) return loadRec(t - nV);
  if (t < innerTaskBase + nInner) return 0;
  return loadRec(t - nV - nInner);
}

// ---- the wait log ----

/** The wait log needs draining before the next event (the engine returns to the host). */
export function schedLogFull(): bool {
  return waitLogCount >= WAIT_LOG_BASE - WAIT_LOG_SLACK;
}
export function schedWaitLogPtr(): usize {
  return waitLogPtr;
}
export function schedWaitLogCount(): i32 {
  return waitLogCount;
}
export function schedWaitLogClear(): void {
  waitLogCount = 0;
}

// @ts-ignore: decorator
@inline
function recordWait(v: i32, waitNs: f64): void {
  if (waitLogCount == waitLogCapacity) {
    waitLogCapacity <<= 1;
    waitLogPtr = heap.realloc(waitLogPtr, usize(waitLogCapacity) << 4);
  }
  const p = waitLogPtr + (usize(waitLogCount) << 4);
  store<f64>(p, f64(v));
  store<f64>(p, waitNs, 8);
  waitLogCount++;
}

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

// ---- results ----

/** HostScheduler.result's first step: the steal in progress at endNs counts for the vCPU on each stolen CPU. */
export function schedEngineFinish(endNs: f64): void {
  for (let c = 0; c < nInner; c++) {
    const p = cpuRec(c);
    if (load<u8>(p, CP_STOLEN) != 1) continue;
    const curr = schedCurr(c);
    if (curr >= 0 && curr < nV) {
      const q = vRec(curr);
      store<f64>(q, load<f64>(q, V_STEAL_NS) + endNs - load<f64>(p, CP_STOLEN_SINCE_NS), V_STEAL_NS);
    }
    store<f64>(p, endNs, CP_STOLEN_SINCE_NS);
  }
}

/** vCPU v's outer steal while it ran, and its halts not polled for steal. */
export function schedEngineVcpuStealNs(v: i32): f64 {
  return load<f64>(vRec(v), V_STEAL_NS);
}
export function schedEngineNoPollSteal(v: i32): f64 {
  return load<f64>(vRec(v), V_NO_POLL_STEAL);
}
