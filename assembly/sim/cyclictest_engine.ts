// The cyclictest engine: the built-in cyclictest workload (TSC-deadline arming, HLT,
// latency in the handler) and the vCPU/LAPIC paths it exercises, run entirely in wasm.
// It is the second backend of one interface (architecture.md, "One factory, two
// backends"): src/sim/vcpu.ts + lapic.ts + workloads/cyclictest.ts are the first, and
// src/sim/engine.ts picks this one only for scenarios inside its scope
// (src/sim/fast-path.ts). Same events, same sequence numbers, same draws, same metric
// calls: a differential test holds the two to byte-identical results. Each step below
// names the TypeScript method it mirrors; those name the kernel functions (spec §4–§6).

import { simNowNs } from "./host_clock";
import { queuePush, queuePop, queuePoppedSeq } from "./event_queue";
import { rec, reg, guestTscNow, TSCDEADLINE, EXPIRED_TSCDEADLINE, PERIOD_NS } from "./vcpu_layout";
import { swTscdeadlineArm, pushAtSwExpiry, hvArm, hvCancel, pushAtPreemption, waitLapicExpire, vcpuAdvance, cyclesToNsSigned, expiredTdIsSet } from "./vcpu_timer";
import { hvExpired } from "../hv_timer";
import { sampleDelayInline } from "./delay_samplers";
import { Counter, LogRecord, count, logRecord, logFull } from "./engine_metrics";

// Event kinds: src/sim/events.ts.
const EV_GUEST_RESUME: u32 = 1;
const EV_HRTIMER: u32 = 2;
const EV_WAKE: u32 = 3;
const EV_ENTRY_WAIT: u32 = 4;
const EV_PREEMPTION: u32 = 6;
const EV_BLOCK: u32 = 7;
const EV_KICK_EXIT: u32 = 8;
const EV_ENTRY_DONE: u32 = 9;
const EV_STALL: u32 = 10;
const EV_POLL_END: u32 = 11;
const VCPU_MASK: i32 = 0xffffff;

// Delay kinds: src/sim/host-delays.ts.
const D_HRTIMER = 0;
const D_WAKEUP = 1;
const D_VM_EXIT = 2;
const D_VM_ENTRY = 3;
const D_IRQ_DISPATCH = 4;
const D_MSR_EXIT = 5;

// Run states (src/sim/vcpu.ts RunState).
const S_GUEST: u8 = 0;
const S_EXIT: u8 = 1;
const S_POLLING: u8 = 2;
const S_BLOCKED: u8 = 3;
const S_WAKING: u8 = 4;
const S_ENTERING: u8 = 5;
const S_DONE: u8 = 6;

// cyclictest phases (src/sim/workloads/cyclictest.ts).
const PH_SET_MODE: u8 = 0;
const PH_START: u8 = 1;
const PH_ARM: u8 = 2;
const PH_HALT: u8 = 3;
const PH_WORK: u8 = 4;

// Guest exits a step ends with (src/sim/guest.ts Exit).
const X_NONE = 0;
const X_MSR_WRITE = 1;
const X_APIC_WRITE = 2;
const X_HALT = 3;
const X_DONE = 4;
const X_IRET = 5;
const X_COMPUTE = 6;

const R_NEXT = 0;
const R_NOW = 1;

// Flag bits.
const F_IN_HANDLER: u32 = 1;
const F_HANDLER_DONE: u32 = 2;
const F_HALTED: u32 = 4;
const F_POLLING: u32 = 8;
const F_HV_BEFORE_BLOCK: u32 = 16;
const F_PENDING: u32 = 32;
const F_HV_IN_USE: u32 = 64;
const F_TO_DELIVER: u32 = 128;
const F_IN_SERVICE: u32 = 256;
const F_DEADLINE_MODE: u32 = 512;

// Per-vCPU engine record (bytes).
const THREAD_SEQ = 0; // i64, -1 = none
const HRTIMER_SEQ = 8; // i64
const HV_SEQ = 16; // i64
const HALT_START_NS = 24; // i64, -1 = not halting
const HALT_POLL_NS = 32; // u32 vcpu->halt_poll_ns
const VM = 36; // u32
const FLAGS = 40; // u32
const STATE = 44; // u8
const PHASE = 45; // u8
const ST_COUNT = 48; // f64 cyclictest statistics, µs
const ST_LOOPS = 56;
const ST_MIN = 64;
const ST_MAX = 72;
const ST_ACT = 80;
const ST_SUM = 88;
const COMPUTE_END_NS = 96; // f64: when the guest's work in progress ends
const COMPUTE_LEFT_NS = 104; // f64: work still to do (after an exit interrupted it, or about to start)
const ESTRIDE: usize = 112;

// Per-VM parameters (f64 cells).
const VM_INTERVAL_CYCLES = 0;
const VM_LOOPS = 1;
const VM_BOOT_KHZ = 2;
const VM_POLL_ALLOWED = 3;
const VM_WORK_NS = 4;
const VM_CELLS = 5;

let enginePtr: usize = 0;
let vmPtr: usize = 0;
let vcpuCount: i32 = 0;
let events: f64 = 0;

// Scenario-wide configuration (ctEngineConfigure).
let era: i32 = 4;
let tune: bool = false;
let globalAdvance: bool = false;
let expireWithinAdvance: bool = true;
let hvTimer: bool = false;
let hvBusyWaitEveryMode: bool = true;
let apicv: bool = false;
let preemptionRate: u32 = 5;
let hz: u32 = 250;
let startNs: i64 = 0;
let stallEveryNs: f64 = 0;
let stallLengthNs: f64 = 0;
let pollDynamic: bool = true;
let pollMaxNs: u32 = 0;
let pollGrow: u32 = 2;
let pollGrowStartNs: u32 = 10000;
let pollShrink: u32 = 0;

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

export function ctEngineInit(n: i32, vms: i32): void {
  if (enginePtr != 0) heap.free(enginePtr);
  if (vmPtr != 0) heap.free(vmPtr);
  enginePtr = heap.alloc(usize(max(n, 1)) * ESTRIDE);
  vmPtr = heap.alloc(usize(max(vms, 1)) * VM_CELLS * 8);
  vcpuCount = n;
  events = 0;
  for (let v = 0; v < n; v++) {
    const e = enginePtr + usize(v) * ESTRIDE;
    memory.fill(e, 0, ESTRIDE);
    store<i64>(e + THREAD_SEQ, -1);
    store<i64>(e + HRTIMER_SEQ, -1);
    store<i64>(e + HV_SEQ, -1);
    store<i64>(e + HALT_START_NS, -1);
    // cyclictest's initial min.
    store<f64>(e + ST_MIN, 1000000);
  }
}

export function ctEngineSetVm(vm: i32, intervalCycles: f64, loops: f64, bootKhz: f64, pollAllowed: bool, workNs: f64): void {
  const p = vmPtr + usize(vm) * VM_CELLS * 8;
  store<f64>(p + VM_INTERVAL_CYCLES * 8, intervalCycles);
  store<f64>(p + VM_LOOPS * 8, loops);
  store<f64>(p + VM_BOOT_KHZ * 8, bootKhz);
  store<f64>(p + VM_POLL_ALLOWED * 8, pollAllowed ? 1 : 0);
  store<f64>(p + VM_WORK_NS * 8, workNs);
}

export function ctEngineSetVcpu(v: i32, vm: i32): void {
  store<u32>(eng(v) + VM, vm);
}

/** The address of vCPU v's statistics (count, loops, min, max, act, sum as f64). */
export function ctEngineStatsPtr(v: i32): usize {
  return eng(v) + ST_COUNT;
}

export function ctEngineEvents(): f64 {
  return events;
}

// @ts-ignore: decorator
@inline
function eng(v: i32): usize {
  return enginePtr + usize(v) * ESTRIDE;
}

// @ts-ignore: decorator
@inline
function vmCell(e: usize, cell: i32): f64 {
  return load<f64>(vmPtr + (usize(load<u32>(e + VM)) * VM_CELLS + usize(cell)) * 8);
}

// @ts-ignore: decorator
@inline
function has(e: usize, f: u32): bool {
  return (load<u32>(e + FLAGS) & f) != 0;
}

// @ts-ignore: decorator
@inline
function set(e: usize, f: u32): void {
  store<u32>(e + FLAGS, load<u32>(e + FLAGS) | f);
}

// @ts-ignore: decorator
@inline
function clear(e: usize, f: u32): void {
  store<u32>(e + FLAGS, load<u32>(e + FLAGS) & ~f);
}

// @ts-ignore: decorator
@inline
function setState(e: usize, s: u8): void {
  store<u8>(e + STATE, s);
}

// @ts-ignore: decorator
@inline
function payloadOf(kind: u32, v: i32): u32 {
  return (kind << 24) | u32(v);
}

// @ts-ignore: decorator
@inline
function delay(kind: i32, v: i32): f64 {
  return sampleDelayInline(kind, v);
}

/** Vcpu.schedule: the one valid vCPU-thread event. */
// @ts-ignore: decorator
@inline
function schedule(e: usize, v: i32, kind: u32, inNs: f64): void {
  store<i64>(e + THREAD_SEQ, i64(queuePush(simNowNs + i64(inNs), payloadOf(kind, v))));
}

/** Vcpu.start for every vCPU, in index order. */
export function ctEngineStart(): void {
  for (let v = 0; v < vcpuCount; v++) {
    const e = eng(v);
    setState(e, S_GUEST);
    schedule(e, v, EV_GUEST_RESUME, 0);
    if (stallEveryNs > 0) queuePush(simNowNs + i64(stallEveryNs), payloadOf(EV_STALL, v));
  }
}

/**
 * Runs events until the queue is empty or past the horizon (returns 0), or until the
 * metric log needs draining (returns 1; call again after draining).
 */
export function ctEngineRun(): i32 {
  for (;;) {
    if (logFull()) return 1;
    const p = queuePop();
    if (p < 0) return 0;
    events++;
    onEvent(p & VCPU_MASK, u32(p) >>> 24, i64(queuePoppedSeq()));
  }
  return 0;
}

/** Vcpu.onEvent. */
function onEvent(v: i32, kind: u32, seq: i64): void {
  const e = eng(v);
  if (load<u8>(e + STATE) == S_DONE) return;
  if (kind == EV_HRTIMER) {
    if (seq == load<i64>(e + HRTIMER_SEQ)) hrtimerCallback(e, v);
    return;
  }
  if (kind == EV_PREEMPTION) {
    if (seq == load<i64>(e + HV_SEQ)) preemptionExit(e, v);
    return;
  }
  if (kind == EV_STALL) {
    stall(e, v);
    return;
  }
  if (seq != load<i64>(e + THREAD_SEQ)) return;
  store<i64>(e + THREAD_SEQ, -1);
  switch (kind) {
    case EV_GUEST_RESUME:
      if (load<u8>(e + STATE) == S_GUEST) runProgram(e, v);
      else reenter(e, v);
      return;
    case EV_ENTRY_DONE:
      setState(e, S_GUEST);
      runProgram(e, v);
      return;
    case EV_BLOCK:
      block(e, v);
      return;
    case EV_POLL_END:
      count(v, Counter.HaltPollNs, f64(load<u32>(e + HALT_POLL_NS)));
      count(v, Counter.PollFailed);
      clear(e, F_POLLING);
      setState(e, S_BLOCKED);
      return;
    case EV_WAKE:
      wake(e, v);
      return;
    case EV_KICK_EXIT:
      count(v, Counter.ExitExternalInterrupt);
      beginEntry(e, v, delay(D_VM_ENTRY, v));
      return;
    case EV_ENTRY_WAIT:
      reenter(e, v);
      return;
  }
}

// ---- guest side ----

/** Vcpu.runProgram. */
function runProgram(e: usize, v: i32): void {
  for (;;) {
    if (has(e, F_TO_DELIVER) && !has(e, F_IN_HANDLER)) {
      // deliverInterrupt: HLT returns after an interrupt.
      clear(e, F_HALTED | F_TO_DELIVER);
      set(e, F_IN_SERVICE | F_IN_HANDLER);
    }
    if (!has(e, F_IN_HANDLER) && load<f64>(e + COMPUTE_LEFT_NS) > 0) {
      // Work an exit interrupted goes on.
      const left = load<f64>(e + COMPUTE_LEFT_NS);
      store<f64>(e + COMPUTE_LEFT_NS, 0);
      enterCompute(e, v, left);
      return;
    }
    const exit = has(e, F_IN_HANDLER) ? interruptStep(e, v) : step(e, v);
    if (exit == X_IRET) {
      clear(e, F_IN_HANDLER);
      continue;
    }
    if (exit == X_DONE) {
      setState(e, S_DONE);
      store<i64>(e + HV_SEQ, -1);
      return;
    }
    if (exit == X_NONE) continue;
    if (exit == X_COMPUTE) {
      enterCompute(e, v, load<f64>(e + COMPUTE_LEFT_NS));
      store<f64>(e + COMPUTE_LEFT_NS, 0);
      return;
    }
    // Vcpu.onExit
    leaveGuest(e);
    setState(e, S_EXIT);
    if (exit == X_HALT) {
      count(v, Counter.ExitHlt);
      set(e, F_HALTED);
      schedule(e, v, EV_BLOCK, delay(D_VM_EXIT, v));
    } else {
      schedule(e, v, EV_GUEST_RESUME, delay(D_MSR_EXIT, v));
    }
    return;
  }
}

/** cyclictest's main flow (GuestMachine.step). */
function step(e: usize, v: i32): i32 {
  const p = rec(v);
  switch (load<u8>(e + PHASE)) {
    case PH_SET_MODE:
      store<u8>(e + PHASE, PH_START);
      // writeApic(LVTT, TSC-deadline | vector): into deadline mode (LapicTimer.updateLvtt).
      count(v, Counter.ExitApicWrite);
      store<i64>(e + HRTIMER_SEQ, -1);
      clear(e, F_PENDING);
      store<u64>(p + TSCDEADLINE, 0);
      store<i64>(p + PERIOD_NS, 0);
      set(e, F_DEADLINE_MODE);
      return X_APIC_WRITE;
    case PH_START:
      store<u64>(reg(p, R_NEXT), guestTscNow(p));
      store<u8>(e + PHASE, PH_ARM);
      return X_NONE;
    case PH_ARM: {
      const loops = load<f64>(e + ST_LOOPS);
      const limit = vmCell(e, VM_LOOPS);
      if (limit != 0 && loops >= limit) return X_DONE;
      store<f64>(e + ST_LOOPS, loops + 1);
      store<u8>(e + PHASE, PH_HALT);
      const r = reg(p, R_NEXT);
      store<u64>(r, load<u64>(r) + u64(i64(vmCell(e, VM_INTERVAL_CYCLES))));
      // wrmsrTscDeadline
      count(v, Counter.ExitMsrWrite);
      writeTscDeadline(e, v, p);
      return X_MSR_WRITE;
    }
    case PH_WORK:
      store<u8>(e + PHASE, PH_ARM);
      store<f64>(e + COMPUTE_LEFT_NS, vmCell(e, VM_WORK_NS));
      return X_COMPUTE;
    default:
      store<u8>(e + PHASE, vmCell(e, VM_WORK_NS) > 0 ? PH_WORK : PH_ARM);
      if (load<f64>(e + ST_COUNT) >= load<f64>(e + ST_LOOPS)) return X_NONE;
      return X_HALT;
  }
}

/** cyclictest's interrupt handler (GuestMachine.interruptStep). */
function interruptStep(e: usize, v: i32): i32 {
  if (has(e, F_HANDLER_DONE)) {
    clear(e, F_HANDLER_DONE);
    return X_IRET;
  }
  const p = rec(v);
  const now = guestTscNow(p);
  store<u64>(reg(p, R_NOW), now);
  const latency = f64(i64(now - load<u64>(reg(p, R_NEXT))));
  logRecord(v, LogRecord.Latency, latency, cyclesToNsSigned(v, latency));
  const us = Math.trunc((latency * 1000) / vmCell(e, VM_BOOT_KHZ));
  store<f64>(e + ST_COUNT, load<f64>(e + ST_COUNT) + 1);
  store<f64>(e + ST_ACT, us);
  store<f64>(e + ST_SUM, load<f64>(e + ST_SUM) + us);
  if (us < load<f64>(e + ST_MIN)) store<f64>(e + ST_MIN, us);
  if (us > load<f64>(e + ST_MAX)) store<f64>(e + ST_MAX, us);
  set(e, F_HANDLER_DONE);
  // eoi(): APICv virtualizes it; else an APIC-write exit.
  clear(e, F_IN_SERVICE);
  if (apicv) return X_NONE;
  count(v, Counter.ExitApicWrite);
  return X_APIC_WRITE;
}

/** Vcpu.enterCompute: the guest works in guest mode for ns. */
function enterCompute(e: usize, v: i32, ns: f64): void {
  setState(e, S_GUEST);
  store<f64>(e + COMPUTE_END_NS, f64(simNowNs) + ns);
  schedule(e, v, EV_GUEST_RESUME, ns);
}

/** Vcpu.leaveGuest: the preemption timer only counts in guest mode; interrupted work is kept. */
// @ts-ignore: decorator
@inline
function leaveGuest(e: usize): void {
  store<i64>(e + HV_SEQ, -1);
  if (load<u8>(e + STATE) == S_GUEST && load<i64>(e + THREAD_SEQ) >= 0) {
    const left = load<f64>(e + COMPUTE_END_NS) - f64(simNowNs);
    store<f64>(e + COMPUTE_LEFT_NS, left > 0 ? left : 0);
    store<i64>(e + THREAD_SEQ, -1);
  }
}

// ---- LAPIC timer, TSC-deadline mode (LapicTimer) ----

/** LapicTimer.writeTscDeadline + startApicTimer. */
function writeTscDeadline(e: usize, v: i32, p: usize): void {
  store<i64>(e + HRTIMER_SEQ, -1);
  store<u64>(p + TSCDEADLINE, load<u64>(reg(p, R_NEXT)));
  clear(e, F_PENDING);
  restartApicTimer(e, v);
}

/** LapicTimer.restartApicTimer (deadline mode). */
function restartApicTimer(e: usize, v: i32): void {
  if (has(e, F_PENDING)) return;
  if (!startHvTimer(e, v)) startSwTimer(e, v);
}

/** LapicTimer.startHvTimer. */
function startHvTimer(e: usize, v: i32): bool {
  if (!hvTimer || load<u64>(rec(v) + TSCDEADLINE) == 0) return false;
  if (hvArm(v, preemptionRate, 0xffffffff, globalAdvance) != 0) {
    count(v, Counter.HvFallbacks);
    return false;
  }
  set(e, F_HV_IN_USE);
  count(v, Counter.HvArms);
  store<i64>(e + HRTIMER_SEQ, -1);
  if (has(e, F_PENDING)) {
    cancelHvTimer(e, v);
  } else if (hvExpired) {
    expired(e, v, false);
    cancelHvTimer(e, v);
  }
  return true;
}

/** LapicTimer.cancelHvTimer. */
function cancelHvTimer(e: usize, v: i32): void {
  hvCancel(v);
  clear(e, F_HV_IN_USE);
  store<i64>(e + HV_SEQ, -1);
}

/** LapicTimer.startSwTimer (deadline mode). */
function startSwTimer(e: usize, v: i32): void {
  if (has(e, F_HV_IN_USE)) cancelHvTimer(e, v);
  if (has(e, F_PENDING)) return;
  const st = swTscdeadlineArm(v, expireWithinAdvance, globalAdvance);
  if (st == 2) {
    store<i64>(e + HRTIMER_SEQ, i64(pushAtSwExpiry(v, payloadOf(EV_HRTIMER, v), delay(D_HRTIMER, v))));
    count(v, Counter.SwArms);
  } else if (st == 1) {
    expired(e, v, false);
  }
}

/** LapicTimer.expired (apic_timer_expired) in deadline mode. */
function expired(e: usize, v: i32, fromTimerFn: bool): void {
  if (has(e, F_PENDING)) {
    count(v, Counter.Coalesced);
    return;
  }
  const p = rec(v);
  // expired_tscdeadline := tscdeadline
  store<u64>(p + EXPIRED_TSCDEADLINE, load<u64>(p + TSCDEADLINE));
  if (!fromTimerFn && apicv) {
    injectTimerIrq(e, v);
    unblock(e, v);
    return;
  }
  set(e, F_PENDING);
  unblock(e, v);
  if (fromTimerFn) kick(e, v);
}

/** LapicTimer.injectTimerIrq (deadline mode; LVTT is unmasked once the mode is set). */
// @ts-ignore: decorator
@inline
function injectTimerIrq(e: usize, v: i32): void {
  set(e, F_TO_DELIVER);
  store<u64>(rec(v) + TSCDEADLINE, 0);
}

/** LapicTimer.injectPending. */
// @ts-ignore: decorator
@inline
function injectPending(e: usize, v: i32): void {
  if (!has(e, F_PENDING)) return;
  injectTimerIrq(e, v);
  clear(e, F_PENDING);
}

// ---- host side (Vcpu) ----

/** Vcpu.kick. */
function kick(e: usize, v: i32): void {
  const s = load<u8>(e + STATE);
  if (s == S_BLOCKED) {
    setState(e, S_WAKING);
    schedule(e, v, EV_WAKE, delay(D_WAKEUP, v));
  } else if (s == S_POLLING) {
    setState(e, S_WAKING);
    schedule(e, v, EV_WAKE, 0);
  } else if (s == S_GUEST) {
    leaveGuest(e);
    setState(e, S_EXIT);
    schedule(e, v, EV_KICK_EXIT, delay(D_VM_EXIT, v));
  }
}

/** Vcpu.unblock. */
// @ts-ignore: decorator
@inline
function unblock(e: usize, v: i32): void {
  const s = load<u8>(e + STATE);
  if (s == S_BLOCKED || s == S_POLLING) kick(e, v);
}

/** Vcpu.hasWakeReason (LVTT unmasked in deadline mode). */
// @ts-ignore: decorator
@inline
function hasWakeReason(e: usize): bool {
  return has(e, F_PENDING | F_TO_DELIVER);
}

/** Vcpu.block: kvm_vcpu_block / kvm_vcpu_halt. */
function block(e: usize, v: i32): void {
  if (hasWakeReason(e)) {
    beginEntry(e, v, delay(D_VM_ENTRY, v));
    return;
  }
  if (has(e, F_HV_IN_USE)) {
    startSwTimer(e, v);
    set(e, F_HV_BEFORE_BLOCK);
    count(v, Counter.HvToSw);
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
  if (vmCell(e, VM_POLL_ALLOWED) != 0 && window > 0) {
    set(e, F_POLLING);
    setState(e, S_POLLING);
    schedule(e, v, EV_POLL_END, f64(window));
  } else {
    clear(e, F_POLLING);
  }
  if (hasWakeReason(e)) unblock(e, v);
}

/** Vcpu.wake. */
function wake(e: usize, v: i32): void {
  if (has(e, F_HALTED) && !hasWakeReason(e)) {
    setState(e, S_BLOCKED);
    return;
  }
  if (load<i64>(e + HALT_START_NS) >= 0) endHalt(e, v);
  if (has(e, F_HV_BEFORE_BLOCK)) {
    clear(e, F_HV_BEFORE_BLOCK);
    restartApicTimer(e, v);
    if (has(e, F_HV_IN_USE)) count(v, Counter.SwToHv);
  }
  beginEntry(e, v, delay(D_VM_ENTRY, v));
}

/** Vcpu.endHalt, with nextHaltPollNs (src/sim/halt-poll.ts: grow/shrink_halt_poll_ns). */
function endHalt(e: usize, v: i32): void {
  const haltNs = simNowNs - load<i64>(e + HALT_START_NS);
  store<i64>(e + HALT_START_NS, -1);
  if (has(e, F_POLLING)) {
    count(v, Counter.HaltPollNs, f64(haltNs));
    count(v, Counter.PollOk);
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
function beginEntry(e: usize, v: i32, inNs: f64): void {
  injectPending(e, v);
  setState(e, S_ENTERING);
  schedule(e, v, EV_ENTRY_WAIT, inNs);
}

/** Vcpu.reenter: inject, busy-wait, enter. */
function reenter(e: usize, v: i32): void {
  injectPending(e, v);
  const spinNs = waitLapicExpireGate(e, v);
  const deliver = has(e, F_TO_DELIVER);
  if (has(e, F_HV_IN_USE)) {
    store<i64>(e + HV_SEQ, i64(pushAtPreemption(v, payloadOf(EV_PREEMPTION, v), preemptionRate, spinNs)));
  }
  if (spinNs > 0 || deliver) {
    const dispatch = deliver ? delay(D_IRQ_DISPATCH, v) : 0;
    setState(e, S_ENTERING);
    schedule(e, v, EV_ENTRY_DONE, spinNs + dispatch);
    return;
  }
  setState(e, S_GUEST);
  runProgram(e, v);
}

/** Vcpu.waitLapicExpire: kvm_wait_lapic_expire's precondition, then the busy-wait. */
function waitLapicExpireGate(e: usize, v: i32): f64 {
  if (!expiredTdIsSet(v) || vcpuAdvance(v, globalAdvance) == 0) return 0;
  // The LVTT vector was injected (in IRR or in service).
  if (!has(e, F_TO_DELIVER | F_IN_SERVICE)) return 0;
  const spinNs = waitLapicExpire(v, era, tune, globalAdvance, hz);
  count(v, Counter.SpinNs, spinNs);
  logRecord(v, LogRecord.Advance, f64(simNowNs - startNs), f64(vcpuAdvance(v, globalAdvance)));
  return spinNs;
}

/** Vcpu.preemptionExit + LapicTimer.hvTimerFired (deadline mode). */
function preemptionExit(e: usize, v: i32): void {
  count(v, Counter.ExitPreemptionTimer);
  leaveGuest(e);
  if (has(e, F_HV_IN_USE)) {
    if (hvBusyWaitEveryMode) {
      expired(e, v, false);
      cancelHvTimer(e, v);
    } else {
      cancelHvTimer(e, v);
      expired(e, v, false);
    }
  }
  const exitNs = delay(D_VM_EXIT, v);
  beginEntry(e, v, exitNs + delay(D_VM_ENTRY, v));
}

/** Vcpu.stall. */
function stall(e: usize, v: i32): void {
  queuePush(simNowNs + i64(stallEveryNs), payloadOf(EV_STALL, v));
  if (load<u8>(e + STATE) != S_GUEST) return;
  leaveGuest(e);
  beginEntry(e, v, stallLengthNs);
}

/** Vcpu.hrtimerCallback + LapicTimer.hrtimerFired (deadline mode: no restart). */
function hrtimerCallback(e: usize, v: i32): void {
  store<i64>(e + HRTIMER_SEQ, -1);
  logRecord(v, LogRecord.Callback, f64(simNowNs - startNs), 0);
  expired(e, v, true);
}
