// The host scheduler's state on the wasm engine (engine_sched.ts is the scheduler): its
// configuration, the side arrays allocated only when a scenario uses it (a record per
// CPU, per background task and per vCPU thread; schedEnginePlan sizes them for
// simMemoryReserve, so memory still grows once), the run-queue waits it logs for the
// host's histograms, and what the host reads at the end.
//
// Task indices: the vCPUs (0 .. nV-1), the inner background tasks, one task per inner
// host CPU on the outer level (with host.outer), the outer tenants; CPUs: the host's,
// then the outer level's.

import { schedCurr } from "./host_sched";

// Event kinds of the scheduler (src/sim/events.ts): index = a CPU or a task.
export const EV_SCHED_TICK: u32 = 32;
export const EV_LOAD_WAKE: u32 = 33;
export const EV_LOAD_DONE: u32 = 34;
export const EV_SCHED_BASE: u32 = EV_SCHED_TICK;

/** The scheduler runs (the scenario uses it): the engine's hooks call into it. */
export let schedOn: bool = false;

export let nV: i32 = 0;
export let nInner: i32 = 0;
export let innerTaskBase: i32 = -1;
export let nLoads: i32 = 0;
export let nested: bool = false;
export let pollYieldNs: f64 = 100;
/** kvm.haltPoll.maxStealPercent, or -1 (null: x86's kvm_arch_no_poll ignores steal). */
export let maxStealPercent: f64 = -1;

// Per CPU (inner and outer).
export const CP_TICK_PENDING = 0; // u8
export const CP_STOLEN = 1; // u8 (inner CPUs)
export const CP_HRT_HEAD = 4; // i32: first vCPU whose hrtimer callback waits for the CPU, or -1
export const CP_HRT_TAIL = 8; // i32
export const CP_STOLEN_SINCE_NS = 16; // f64
export const CP_STRIDE: usize = 24;

// Per background task (HostScheduler's LoadTask).
export const L_TASK = 0; // i32
export const L_CPU = 4; // i32
export const L_ROOT = 8; // i32: its run distribution's node in the delay program
export const L_STREAM = 12; // i32: its random stream
export const L_PERIOD_NS = 16; // f64
export const L_REMAINING_NS = 24; // f64: CPU time it still wants
export const L_RUN_START_NS = 32; // f64: when it last started running
export const L_DONE_SEQ = 40; // i64: seq of its live LoadDone event, or -1
export const L_RUNNABLE = 48; // u8
export const L_STARTED = 49; // u8: it has been runnable before
export const L_STRIDE: usize = 56;

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
export const V_STRIDE: usize = 40;

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
export function cpuRec(c: i32): usize {
  return cpuPtr + usize(c) * CP_STRIDE;
}
// @ts-ignore: decorator
@inline
export function loadRec(k: i32): usize {
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
export function loadOf(t: i32): usize {
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
export function recordWait(v: i32, waitNs: f64): void {
  if (waitLogCount == waitLogCapacity) {
    waitLogCapacity <<= 1;
    waitLogPtr = heap.realloc(waitLogPtr, usize(waitLogCapacity) << 4);
  }
  const p = waitLogPtr + (usize(waitLogCount) << 4);
  store<f64>(p, f64(v));
  store<f64>(p, waitNs, 8);
  waitLogCount++;
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
