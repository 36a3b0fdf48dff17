// The wasm engine's per-vCPU records, per-VM parameters and scenario-wide configuration
// (assembly/sim/engine_loop.ts runs it), with the small accessors the engine's files
// share. The codes and layouts they use (event kinds, delay kinds, run states, guest
// exits, flags, offsets, cells) are engine_layout.ts's, re-exported here.

import { simNowNs } from "./host_clock";
import { queuePush, horizonNs } from "./event_queue";
import { sampleDelayInline } from "./delay_samplers";
import { schedOn } from "./engine_sched_state";
import { schedStateChangedHook } from "./engine_sched_hook";
import { countDroppedAtNs } from "./engine_events";

export * from "./engine_layout";
import { EV_PREEMPTION, EV_STALL, F_DEFERRED, F_HV_DEFERRED, THREAD_SEQ, HRTIMER_SEQ, HV_SEQ, HALT_START_NS, VM, FLAGS, STATE, NEXT_KIND, NEXT_AT_NS, HV_AT_NS, STALL_AT_NS, STALL_SEQ, ESTRIDE, VM_INTERVAL_CYCLES, VM_LOOPS, VM_BOOT_KHZ, VM_POLL_ALLOWED, VM_WORK_NS, VM_IDLE_POLL, VM_IDLE_IN_GUEST, VM_CAN_POST, VM_HV_TIMER, VM_CELLS } from "./engine_layout";

export let enginePtr: usize = 0;
export let vmPtr: usize = 0;
export let vcpuCount: i32 = 0;

// Scenario-wide configuration (ctEngineConfigure).
export let era: i32 = 4;
export let tune: bool = false;
export let globalAdvance: bool = false;
export let expireWithinAdvance: bool = true;
export let hvTimer: bool = false;
export let hvBusyWaitEveryMode: bool = true;
export let apicv: bool = false;
export let preemptionRate: u32 = 5;
export let hz: u32 = 250;
export let startNs: i64 = 0;
export let stallEveryNs: f64 = 0;
export let stallLengthNs: f64 = 0;
export let pollDynamic: bool = true;
export let pollMaxNs: u32 = 0;
export let pollGrow: u32 = 2;
export let pollGrowStartNs: u32 = 10000;
export let pollShrink: u32 = 0;
/** EraPolicy.hvTimerBeforeWait (010fd37fddf6). */
export let hvTimerBeforeWait: bool = false;

/** Era flags ctEngineConfigure does not carry (src/sim/eras.ts). */
export function ctEngineEraFlags(hvBeforeWait: bool): void {
  hvTimerBeforeWait = hvBeforeWait;
}

export function ctEngineConfigure(
  eraCode: i32,
  tuneAdvance: bool,
  global: bool,
  expireWithin: bool,
  hv: bool,
  hvBusyWaitAll: bool,
  hasApicv: bool,
  rate: u32,
  hostHz: u32,
  simStartNs: i64,
  stallEvery: f64,
  stallLength: f64,
): void {
  era = eraCode;
  tune = tuneAdvance;
  globalAdvance = global;
  expireWithinAdvance = expireWithin;
  hvTimer = hv;
  hvBusyWaitEveryMode = hvBusyWaitAll;
  apicv = hasApicv;
  preemptionRate = rate;
  hz = hostHz;
  startNs = simStartNs;
  stallEveryNs = stallEvery;
  stallLengthNs = stallLength;
}

export function ctEngineHaltPoll(dynamic: bool, maxNs: u32, grow: u32, growStartNs: u32, shrink: u32): void {
  pollDynamic = dynamic;
  pollMaxNs = maxNs;
  pollGrow = grow;
  pollGrowStartNs = growStartNs;
  pollShrink = shrink;
}

/** Frees the engine records (simMemoryReserve). */
export function ctEngineRelease(): void {
  if (enginePtr != 0) heap.free(enginePtr);
  if (vmPtr != 0) heap.free(vmPtr);
  if (statSumPtr != 0) heap.free(statSumPtr);
  enginePtr = 0;
  vmPtr = 0;
  statSumPtr = 0;
}

/**
 * Per vCPU, the sum of cyclictest's per-wake-up µs (its Avg); allocated only when some VM
 * prints its summary line. Its count, min, max and act follow from engine_metrics.ts.
 */
let statSumPtr: usize = 0;

/** Bytes ctEngineInit allocates (simMemoryReserve). */
export function ctEngineBytes(n: i32, vms: i32, summaries: bool): usize {
  const count = usize(max(n, 1));
  return count * ESTRIDE + usize(max(vms, 1)) * VM_CELLS * 8 + (summaries ? count << 3 : 0);
}

export function ctEngineInit(n: i32, vms: i32, summaries: bool): void {
  ctEngineRelease();
  enginePtr = heap.alloc(usize(max(n, 1)) * ESTRIDE);
  if (summaries) {
    statSumPtr = heap.alloc(usize(max(n, 1)) << 3);
    memory.fill(statSumPtr, 0, usize(max(n, 1)) << 3);
  }
  vmPtr = heap.alloc(usize(max(vms, 1)) * VM_CELLS * 8);
  vcpuCount = n;
  for (let v = 0; v < n; v++) {
    const e = enginePtr + usize(v) * ESTRIDE;
    memory.fill(e, 0, ESTRIDE);
    store<u32>(e + VM, u32(vmPtr));
    store<i64>(e + THREAD_SEQ, -1);
    store<i64>(e + HRTIMER_SEQ, -1);
    store<i64>(e + HV_SEQ, -1);
    store<i64>(e + HALT_START_NS, -1);
  }
}

/** One per-VM parameter cell (VM_* index) for VM vm. */
export function ctEngineSetVmCell(vm: i32, cell: i32, value: f64): void {
  store<f64>(vmPtr + (usize(vm) * VM_CELLS + usize(cell)) * 8, value);
}

export function ctEngineSetVm(
  vm: i32,
  intervalCycles: f64,
  loops: f64,
  bootKhz: f64,
  pollAllowed: bool,
  workNs: f64,
  idlePoll: bool,
  idleInGuest: bool,
  canPostTimer: bool,
  hvTimerUsable: bool,
): void {
  const p = vmPtr + usize(vm) * VM_CELLS * 8;
  store<f64>(p + VM_INTERVAL_CYCLES * 8, intervalCycles);
  store<f64>(p + VM_LOOPS * 8, loops);
  store<f64>(p + VM_BOOT_KHZ * 8, bootKhz);
  store<f64>(p + VM_POLL_ALLOWED * 8, pollAllowed ? 1 : 0);
  store<f64>(p + VM_WORK_NS * 8, workNs);
  store<f64>(p + VM_IDLE_POLL * 8, idlePoll ? 1 : 0);
  store<f64>(p + VM_IDLE_IN_GUEST * 8, idleInGuest ? 1 : 0);
  store<f64>(p + VM_CAN_POST * 8, canPostTimer ? 1 : 0);
  store<f64>(p + VM_HV_TIMER * 8, hvTimerUsable ? 1 : 0);
}

export function ctEngineSetVcpu(v: i32, vm: i32): void {
  store<u32>(eng(v) + VM, u32(vmPtr + usize(vm) * VM_CELLS * 8));
}

/** Whether cyclictest's sums are kept (some VM prints its summary line). */
// @ts-ignore: decorator
@inline
export function statsKept(): bool {
  return statSumPtr != 0;
}

/** Adds one wake-up's µs to vCPU v's cyclictest sum (when statsKept). */
// @ts-ignore: decorator
@inline
export function addStatUs(v: i32, us: f64): void {
  const p = statSumPtr + (usize(v) << 3);
  store<f64>(p, load<f64>(p) + us);
}

/** vCPU v's cyclictest sum of per-wake-up µs (0 without summaries). */
export function statSumUs(v: i32): f64 {
  return statSumPtr == 0 ? 0 : load<f64>(statSumPtr + (usize(v) << 3));
}

// @ts-ignore: decorator
@inline
export function eng(v: i32): usize {
  return enginePtr + usize(v) * ESTRIDE;
}

// @ts-ignore: decorator
@inline
export function vmCell(e: usize, cell: i32): f64 {
  return load<f64>(usize(load<u32>(e + VM)) + usize(cell) * 8);
}

/**
 * A per-VM cell holding a small whole number (a code: the workload, the timer mode), as an
 * i32: the f64's low bits once 2^52 is added (exact for whole numbers 0 .. 2^31 - 1). The
 * same value as i32(), without the saturating conversion V8 checks after the fact (about 20
 * cycles on the path to the branch the code decides).
 */
// @ts-ignore: decorator
@inline
export function vmCode(e: usize, cell: i32): i32 {
  return i32(reinterpret<u64>(vmCell(e, cell) + 4503599627370496.0));
}

/** The address of the per-VM cells of vCPU record e: one computation for several vmAt reads. */
// @ts-ignore: decorator
@inline
export function vmCells(e: usize): usize {
  return usize(load<u32>(e + VM));
}

// @ts-ignore: decorator
@inline
export function vmAt(cells: usize, cell: i32): f64 {
  return load<f64>(cells + usize(cell) * 8);
}

// @ts-ignore: decorator
@inline
export function has(e: usize, f: u32): bool {
  return (load<u32>(e + FLAGS) & f) != 0;
}

// @ts-ignore: decorator
@inline
export function set(e: usize, f: u32): void {
  store<u32>(e + FLAGS, load<u32>(e + FLAGS) | f);
}

// @ts-ignore: decorator
@inline
export function clear(e: usize, f: u32): void {
  store<u32>(e + FLAGS, load<u32>(e + FLAGS) & ~f);
}

// @ts-ignore: decorator
@inline
export function setState(e: usize, s: u8): void {
  setStateOn(e, s, false);
}

/**
 * setState; `plain` (a constant at each call): a plain copy's (engine_loop.ts plainCopy),
 * which never runs with a host scheduler: no test of it (checked in the debug build).
 */
// @ts-ignore: decorator
@inline
export function setStateOn(e: usize, s: u8, plain: bool): void {
  store<u8>(e + STATE, s);
  // Vcpu's state setter: with a host scheduler, the running thread's CPU follows it.
  if (plain) assert(!schedOn, "a plain copy with a host scheduler");
  else if (schedOn) schedStateChangedHook(e, s);
}

// @ts-ignore: decorator
@inline
export function payloadOf(kind: u32, v: i32): u32 {
  return (kind << 24) | u32(v);
}

// @ts-ignore: decorator
@inline
export function delay(kind: i32, v: i32): f64 {
  return sampleDelayInline(kind, v);
}

/**
 * Running a vCPU's own next steps ahead (engine_loop.ts flushChain) is on: not
 * while the vCPUs share timer_advance_ns (v4.0, v4.20), where their order matters.
 */
export let chaining: bool = false;

export function setChaining(on: bool): void {
  chaining = on;
}

/**
 * THREAD_SEQ of a thread event parked: held back (F_DEFERRED) across other events, behind
 * a timer of its own vCPU in the queue (engine_loop.ts flushChain). THREAD_PARKED plus the
 * seq it reserved (event_queue.ts queueReserveSeq): never a queued seq (those are u32), a
 * live event (>= 0) to the paths that ask whether the guest's work is under way, and its
 * place among events at the same time.
 */
export const THREAD_PARKED: i64 = i64(1) << 32;

/**
 * Vcpu.schedule: the one valid vCPU-thread event. While chaining, it is held back
 * (F_DEFERRED) until the current event is handled. A held-back event it replaces (a second
 * schedule in the same event, or one parked behind the vCPU's timer) never reaches the
 * queue: the TypeScript engine pops it as a stale event at its time, so it is counted as
 * one (engine_events.ts countDroppedAtNs).
 */
// @ts-ignore: decorator
@inline
export function schedule(e: usize, v: i32, kind: u32, inNs: f64): void {
  const at = simNowNs + i64(inNs);
  if (!chaining) {
    store<i64>(e + THREAD_SEQ, i64(queuePush(at, payloadOf(kind, v))));
    return;
  }
  if (has(e, F_DEFERRED)) {
    // Past the horizon it goes into the queue all the same, as the TypeScript engine's does:
    // whether the queue is empty at the end is a result (Simulation.simulatedNs).
    if (load<i64>(e + NEXT_AT_NS) > horizonNs) {
      pushDeferred(e, v);
    } else {
      countDroppedAtNs(load<i64>(e + NEXT_AT_NS));
      store<i64>(e + THREAD_SEQ, -1);
    }
  }
  store<i64>(e + NEXT_AT_NS, at);
  store<u8>(e + NEXT_KIND, u8(kind));
  set(e, F_DEFERRED);
}

/**
 * The thread event is no longer wanted (the TypeScript engine's threadSeq := -1): a parked
 * one is dropped, counted as the stale pop it is for the TypeScript engine.
 */
// @ts-ignore: decorator
@inline
export function cancelThreadEvent(e: usize): void {
  if (load<i64>(e + THREAD_SEQ) >= THREAD_PARKED) {
    clear(e, F_DEFERRED);
    countDroppedAtNs(load<i64>(e + NEXT_AT_NS));
  }
  store<i64>(e + THREAD_SEQ, -1);
}

/** Puts the held-back thread event into the queue. */
export function pushDeferred(e: usize, v: i32): void {
  clear(e, F_DEFERRED);
  store<i64>(e + THREAD_SEQ, i64(queuePush(load<i64>(e + NEXT_AT_NS), payloadOf(load<u8>(e + NEXT_KIND), v))));
}

/** Puts the preemption-timer event at atNs into the queue (held back or not). */
export function pushHv(e: usize, v: i32, atNs: i64): void {
  clear(e, F_HV_DEFERRED);
  store<i64>(e + HV_AT_NS, atNs);
  store<i64>(e + HV_SEQ, i64(queuePush(atNs, payloadOf(EV_PREEMPTION, v))));
}

/** The vCPU's next host stall, a period from now (Vcpu.stall's re-arm). */
export function scheduleStall(e: usize, v: i32): void {
  const at = simNowNs + i64(stallEveryNs);
  store<i64>(e + STALL_SEQ, i64(queuePush(at, payloadOf(EV_STALL, v))));
  store<i64>(e + STALL_AT_NS, at);
}
