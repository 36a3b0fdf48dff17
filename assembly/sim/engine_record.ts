// The wasm cyclictest engine's per-vCPU record, per-VM parameters and scenario-wide
// configuration (assembly/sim/engine_loop.ts runs it), with the small accessors
// the engine's files share. Event kinds, delay kinds, run states and guest exits mirror
// the TypeScript engine's (src/sim/events.ts, host-delays.ts, vcpu.ts, guest.ts).

import { simNowNs } from "./host_clock";
import { queuePush, horizonNs } from "./event_queue";
import { sampleDelayInline } from "./delay_samplers";
import { schedOn } from "./engine_sched_state";
import { schedStateChangedHook } from "./engine_sched_hook";
import { countDroppedAtNs } from "./engine_events";

// Event kinds: src/sim/events.ts.
export const EV_GUEST_RESUME: u32 = 1;
export const EV_HRTIMER: u32 = 2;
export const EV_WAKE: u32 = 3;
export const EV_ENTRY_WAIT: u32 = 4;
export const EV_PREEMPTION: u32 = 6;
export const EV_BLOCK: u32 = 7;
export const EV_KICK_EXIT: u32 = 8;
export const EV_ENTRY_DONE: u32 = 9;
export const EV_STALL: u32 = 10;
export const EV_POLL_END: u32 = 11;
export const VCPU_MASK: i32 = 0xffffff;

// Delay kinds: src/sim/host-delays.ts.
export const D_HRTIMER = 0;
export const D_WAKEUP = 1;
export const D_VM_EXIT = 2;
export const D_VM_ENTRY = 3;
export const D_IRQ_DISPATCH = 4;
export const D_MSR_EXIT = 5;
export const D_CPU_IDLE_EXIT = 6;

// Run states (src/sim/vcpu.ts RunState).
export const S_GUEST: u8 = 0;
export const S_EXIT: u8 = 1;
export const S_POLLING: u8 = 2;
export const S_BLOCKED: u8 = 3;
export const S_WAKING: u8 = 4;
export const S_ENTERING: u8 = 5;
export const S_DONE: u8 = 6;

// cyclictest phases (src/sim/workloads/cyclictest.ts).
export const PH_SET_MODE: u8 = 0;
export const PH_START: u8 = 1;
export const PH_ARM: u8 = 2;
export const PH_HALT: u8 = 3;
export const PH_WORK: u8 = 4;

// Guest exits a step ends with (src/sim/guest.ts Exit).
export const X_NONE = 0;
export const X_MSR_WRITE = 1;
export const X_APIC_WRITE = 2;
export const X_HALT = 3;
export const X_DONE = 4;
export const X_IRET = 5;
export const X_COMPUTE = 6;
export const X_IDLE_POLL = 8;
/** An APIC-register write whose kvm_exit the step traced itself, before the LAPIC work it traces (TMICT arms a timer). */
export const X_APIC_WRITE_TRACED = 9;

export const R_NEXT = 0;
export const R_NOW = 1;

// Flag bits.
export const F_IN_HANDLER: u32 = 1;
export const F_HANDLER_DONE: u32 = 2;
export const F_HALTED: u32 = 4;
export const F_POLLING: u32 = 8;
export const F_HV_BEFORE_BLOCK: u32 = 16;
export const F_PENDING: u32 = 32;
export const F_HV_IN_USE: u32 = 64;
export const F_TO_DELIVER: u32 = 128;
export const F_IN_SERVICE: u32 = 256;
/** The thread's next event is in NEXT_AT_NS / NEXT_KIND, not yet in the queue. */
export const F_DEFERRED: u32 = 1024;
/**
 * The preemption-timer event is not yet in the queue (chaining only); HV_AT_NS then holds
 * the host TSC it fires at, not its ns (engine_host.ts reenter).
 */
export const F_HV_DEFERRED: u32 = 2048;
/** The guest waits for an interrupt in guest mode: its idle loop polls (Vcpu GuestWait.Poll). */
export const F_WAIT_POLL: u32 = 4096;
/** The guest waits in guest mode with its CPU idle in HLT/MWAIT (Vcpu GuestWait.CpuIdle). */
export const F_WAIT_IDLE: u32 = 8192;
/** Kicked while entering, after kvm_vcpu_exit_request's check: exits right after entry (Vcpu.kickedAtEntry). */
export const F_KICK_AT_ENTRY: u32 = 16384;
/** tscdeadline-latency's handler phase (2 bits: Start, Rearm, Eoi, Return) and its hit-max flag. */
export const F_TDL_HPHASE_SHIFT: u32 = 15;
export const F_TDL_HPHASE: u32 = 3 << 15;
export const F_TDL_HIT_MAX: u32 = 1 << 17;
// Bits 1<<15..1<<17: TSC-deadline workloads and the deadline proposals; 1<<18..1<<21: LAPIC
// one-shot and periodic workloads, pauses, migrations; 1<<22..1<<25: the host scheduler.

// Per-vCPU engine record (bytes).
export const THREAD_SEQ = 0; // i64, -1 = none, THREAD_PARKED: held back behind the vCPU's own queued timer
export const HRTIMER_SEQ = 8; // i64
export const HV_SEQ = 16; // i64
export const HALT_START_NS = 24; // i64, -1 = not halting
export const HALT_POLL_NS = 32; // u32 vcpu->halt_poll_ns
export const VM = 36; // u32
export const FLAGS = 40; // u32
export const STATE = 44; // u8
export const PHASE = 45; // u8
export const NEXT_KIND = 46; // u8: the kind of the event at NEXT_AT_NS
export const ST_LOOPS = 48; // f64 cyclictest's loops so far (its other statistics: ctEngineStats)
export const COMPUTE_END_NS = 56; // f64: when the guest's work in progress ends
export const COMPUTE_LEFT_NS = 64; // f64: work still to do (after an exit interrupted it, or about to start)
export const NEXT_AT_NS = 72; // i64: the vCPU thread's next event, not yet in the queue (F_DEFERRED)
export const HRTIMER_AT_NS = 80; // i64: time of the queued hrtimer event (valid while HRTIMER_SEQ >= 0)
export const HV_AT_NS = 88; // i64: time of the preemption-timer event (valid while HV_SEQ >= 0), or u64: the host TSC it fires at (held back: F_HV_DEFERRED)
export const STALL_AT_NS = 96; // i64: time of the queued host stall
export const ESTRIDE: usize = 104;

// Per-VM parameters (f64 cells).
export const VM_INTERVAL_CYCLES = 0;
export const VM_LOOPS = 1;
export const VM_BOOT_KHZ = 2;
export const VM_POLL_ALLOWED = 3;
export const VM_WORK_NS = 4;
/** cyclictest's idle is "poll". */
export const VM_IDLE_POLL = 5;
/** GuestExitPolicy (src/sim/exits-in-guest.ts): idleInGuest, canPostTimer, hvTimer. */
export const VM_IDLE_IN_GUEST = 6;
export const VM_CAN_POST = 7;
export const VM_HV_TIMER = 8;
/** The VM's built-in workload (WK_*): which guest program engine_guest.ts runs. */
export const VM_WORKLOAD = 9;
/** cyclictest on the PV ns-deadline MSR (WK_CYCLICTEST_PV): its interval in kvmclock ns. */
export const VM_CT_INTERVAL_NS = 10;
/** tscdeadline-latency: delta (cycles), samples at most (TABLE_SIZE capped), breakmax (cycles, 0 = none). */
export const VM_TDL_DELTA_CYCLES = 12;
export const VM_TDL_SIZE = 13;
export const VM_TDL_BREAKMAX_CYCLES = 14;
/** tscdeadline-latency printing its samples: the VM's first sample cell (guest_tscdl_state.ts), or -1. */
export const VM_TDL_SAMPLES_BASE = 15;
/** The VM's first vCPU (engine order): its vCPUs' samples follow one another from the base. */
export const VM_TDL_FIRST_VCPU = 16;
/** rearm-storm: interval (guest cycles at the VM's rate), rewrites per period, spacing (ns). */
export const VM_RS_INTERVAL_CYCLES = 12;
export const VM_RS_REWRITES = 13;
export const VM_RS_SPACING_NS = 14;
// Cells 10-17: TSC-deadline workloads and the deadline proposals; 18-27: LAPIC one-shot and
// periodic workloads, pauses, migrations; 28-35: the host scheduler. Set with ctEngineSetVmCell.
export const VM_CELLS = 36;

// Workload codes (src/sim/wasm-engine.ts WORKLOAD_CODES).
export const WK_CYCLICTEST = 0;
export const WK_TSCDEADLINE_LATENCY = 1;
export const WK_REARM_STORM = 2;
export const WK_IDLE_NOHZ = 3;
export const WK_PERIODIC = 4;
export const WK_ONESHOT = 5;
/** cyclictest arming the PV ns-deadline MSR (deadlineMsr "pv"). */
export const WK_CYCLICTEST_PV = 6;

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
  store<u32>(eng(v) + VM, vm);
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
  return load<f64>(vmPtr + (usize(load<u32>(e + VM)) * VM_CELLS + usize(cell)) * 8);
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
  return vmPtr + usize(load<u32>(e + VM)) * VM_CELLS * 8;
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
  store<u8>(e + STATE, s);
  // Vcpu's state setter: with a host scheduler, the running thread's CPU follows it.
  if (schedOn) schedStateChangedHook(e, s);
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
  queuePush(at, payloadOf(EV_STALL, v));
  store<i64>(e + STALL_AT_NS, at);
}
