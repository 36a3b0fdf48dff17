// The wasm engine's event loop: the built-in workloads (engine_guest.ts) and the
// vCPU/LAPIC paths they exercise, run entirely in wasm.
// It is the second backend of one interface (architecture.md, "One factory, two
// backends"): src/sim/vcpu.ts + lapic.ts + workloads/cyclictest.ts are the first, and
// src/sim/engine.ts picks this one only for scenarios inside its scope
// (src/sim/wasm-engine.ts). Same events, same sequence numbers, same draws, same
// metric calls: test/sim/engine-differential.test.ts holds the two to byte-identical
// results. Each step names the TypeScript method it mirrors; those name the kernel
// functions (spec §4–§6). This file: the event loop and the guest (cyclictest's thread).
// Layers, each importing only those below it (test/import-cycles.test.ts): engine_record.ts
// (per-vCPU record, configuration), metrics, trace, queue and the other leaves;
// engine_leave_guest.ts; engine_kick.ts (kick, posted path); engine_lapic.ts,
// engine_lapic_count.ts, engine_lapic_start.ts (the LAPIC timer); engine_deadline.ts;
// engine_host.ts (exits, halts, entries); the guests (guest_*.ts); engine_guest.ts; this.
// An upward step is a result the caller acts on (engine_host.ts reenter → runProgram here).

import { simNowNs, setNowNs, hostTscAt, nsWhenHostTscReaches } from "./host_clock";
import { queueNextSeq, queuePop, queuePoppedSeq, queuePushAs, queueReserveSeq, horizonNs } from "./event_queue";
import { Count, Sum, addNs, count, logFull } from "./engine_metrics";
import { F_HV_DEFERRED, F_DEFERRED, NEXT_AT_NS, NEXT_KIND, HRTIMER_AT_NS, HV_AT_NS, STALL_AT_NS, chaining, setChaining, pushDeferred, pushHv, scheduleStall, globalAdvance, COMPUTE_END_NS, COMPUTE_LEFT_NS, D_MSR_EXIT, D_VM_ENTRY, D_VM_EXIT, EV_BLOCK, EV_ENTRY_DONE, EV_ENTRY_WAIT, EV_GUEST_RESUME, EV_HRTIMER, EV_KICK_EXIT, EV_POLL_END, EV_PREEMPTION, EV_STALL, EV_WAKE, F_HALTED, F_IN_HANDLER, F_IN_SERVICE, F_POLLING, F_TO_DELIVER, HALT_POLL_NS, HRTIMER_SEQ, HV_SEQ, STATE, S_BLOCKED, S_DONE, S_EXIT, S_GUEST, THREAD_SEQ, THREAD_PARKED, VCPU_MASK, X_COMPUTE, X_DONE, X_HALT, X_IRET, X_MSR_WRITE, X_NONE, clear, delay, eng, has, payloadOf, schedule, set, stallEveryNs, vcpuCount, vmCell, setState } from "./engine_record";
import { guestInterruptStep, guestStep, workloadOf } from "./engine_guest";
import { cyclictestInterruptStepOn, cyclictestStepOn } from "./guest_cyclictest";
import { F_KICK_AT_ENTRY, F_WAIT_IDLE, F_WAIT_POLL, VM_CAN_POST, VM_IDLE_IN_GUEST, VM_IDLE_POLL, VM_WORK_NS, WK_CYCLICTEST, X_APIC_WRITE_TRACED, X_IDLE_POLL } from "./engine_record";
import { beginEntry, block, blockPlain, hrtimerCallback, hrtimerCallbackPlain, preemptionExit, reenter, reenterPlain, stall, wake, wakePlain } from "./engine_host";
import { TraceExit, TraceKind, trace, traceFull, tracing } from "./trace_log";
import { BUSY_STEP_NS, busyWaiting } from "./guest_lapic_count";
import { VM_WAIT_BUSY } from "./engine_lapic_count";
import { TM_DEADLINE, timerMode } from "./engine_lapic_mode";
import { EV_MIGRATE, EV_PAUSE, controlOn, holdWhilePaused, onControlEvent, scheduleControl } from "./engine_control";
import { schedOnEvent, schedStart } from "./engine_sched";
import { EV_SCHED_BASE, schedLogFull, schedOn } from "./engine_sched_state";
import { schedHoldForCpu, schedHoldHrtimer, schedSleep, schedThreadBind, schedThreadStart } from "./engine_sched_thread";
import { HALT_START_NS } from "./engine_record";
import { yieldDue, yieldOn } from "./engine_yield";
import { lazyOn, pvOn } from "./engine_proposals";
import { chainedEndNs, chainedUntilNs, events, eventsReset, noteHorizon } from "./engine_events";
import { dropHv, leaveGuest } from "./engine_leave_guest";

export function ctEngineEvents(): f64 {
  return events;
}

/** Vcpu.start for every vCPU, in index order. */
export function ctEngineStart(): void {
  eventsReset();
  schedThreadBind();
  setChaining(false);
  busyWaitAny = false;
  let plain = plainAllowed && !tracing() && !schedOn && !lazyOn && !pvOn;
  for (let v = 0; v < vcpuCount; v++) {
    const e = eng(v);
    if (vmCell(e, VM_WAIT_BUSY) != 0) busyWaitAny = true;
    if (plain && !plainCyclictestVm(e)) plain = false;
    setState(e, S_GUEST);
    if (schedOn) schedThreadStart(v);
    else schedule(e, v, EV_GUEST_RESUME, 0);
    if (stallEveryNs > 0) scheduleStall(e, v);
    if (controlOn && !schedOn) scheduleControl(e, v);
  }
  // HostScheduler.start: each vCPU wakes on its CPU, the background tasks' first periods;
  // then the control events (Vcpu.startControl: after each thread's first event).
  if (schedOn) {
    schedStart();
    if (controlOn) for (let v = 0; v < vcpuCount; v++) scheduleControl(eng(v), v);
  }
  // A traced run queues every event: its trace records then come in time order (chaining
  // changes no result, only the order in which the vCPUs' steps are taken). Pauses and
  // migrations are events of the vCPU that ownEarliestNs does not track: no chaining.
  // With a host scheduler the vCPUs act on one another through their CPUs: no chaining.
  setChaining(!globalAdvance && !tracing() && !controlOn && !schedOn);
  plainCyclictest = plain;
}

/**
 * Some VM's guest waits busy (guest_lapic_count.ts busyWaiting): only then can a chained
 * step be one of its busy steps. Set at ctEngineStart, once the VMs' cells are written.
 */
let busyWaitAny = false;

/**
 * The earliest live event vCPU e has in the queue or held back (its hrtimer, preemption
 * timer, stall). A held-back preemption timer keeps its host TSC (engine_host.ts reenter):
 * its ns are taken here, for the busy steps only; ownEventAhead answers the loop's question.
 */
function ownEarliestNs(e: usize): i64 {
  let t = i64.MAX_VALUE;
  if (load<i64>(e + HRTIMER_SEQ) >= 0) t = load<i64>(e + HRTIMER_AT_NS);
  const hvNs = has(e, F_HV_DEFERRED) ? nsWhenHostTscReaches(load<u64>(e + HV_AT_NS)) : load<i64>(e + HV_SEQ) >= 0 ? load<i64>(e + HV_AT_NS) : i64.MAX_VALUE;
  if (hvNs < t) t = hvNs;
  if (stallEveryNs > 0 && load<i64>(e + STALL_AT_NS) < t) t = load<i64>(e + STALL_AT_NS);
  return t;
}

/**
 * Queued seq s was pushed before seq p (reserved for a parked event) was taken: by age from
 * the next seq, as the queue orders ties (event_queue.ts; entries fewer than 2^32 pushes old).
 */
// @ts-ignore: decorator
@inline
function seqBefore(s: i64, p: u32): bool {
  const next = queueNextSeq();
  return u32(s) - next < p - next;
}

/**
 * Some live event of vCPU e comes before its thread's next event at `at`. Among events at
 * the same time, a thread event not yet pushed (parkedSeq < 0) comes after every queued
 * one; a parked one after those queued before its seq was reserved (seqBefore). The
 * held-back preemption timer (only with a thread event not yet pushed: it was loaded at a
 * VM entry of this event, before that event was scheduled) fires by `at` when the host TSC
 * at `at` has reached its TSC (nsWhenHostTscReaches is the least such ns), so its ns are
 * not needed. Host stalls (STALL_AT_NS, no seq kept) come first on a tie; a thread event is
 * never parked with them.
 */
// @ts-ignore: decorator
@inline
function ownEventAhead(e: usize, at: i64, parkedSeq: i64): bool {
  if (load<i64>(e + HRTIMER_SEQ) >= 0) {
    const t = load<i64>(e + HRTIMER_AT_NS);
    if (t < at || (t == at && (parkedSeq < 0 || seqBefore(load<i64>(e + HRTIMER_SEQ), u32(parkedSeq))))) return true;
  }
  if (has(e, F_HV_DEFERRED)) {
    if (hostTscAt(at) >= load<u64>(e + HV_AT_NS)) return true;
  } else if (load<i64>(e + HV_SEQ) >= 0) {
    const t = load<i64>(e + HV_AT_NS);
    if (t < at || (t == at && (parkedSeq < 0 || seqBefore(load<i64>(e + HV_SEQ), u32(parkedSeq))))) return true;
  }
  return stallEveryNs > 0 && load<i64>(e + STALL_AT_NS) <= at;
}

/**
 * After an event of vCPU v: while its thread's next event comes before anything else
 * of its own in the queue, run it now, at its time, instead of queueing it. The vCPUs of
 * a cyclictest scenario do not act on one another (no IPIs; with a per-vCPU advance,
 * nothing they share depends on their order), so this changes no result, only how many
 * trips through the heap an interrupt takes: the differential test holds it to the
 * TypeScript engine, which queues every event. Counted as events all the same.
 */
// @ts-ignore: decorator
@inline
function flushChain(v: i32, traced: bool, busyAny: bool, plain: bool): void {
  const e = eng(v);
  let park = false;
  while (has(e, F_DEFERRED)) {
    const at = load<i64>(e + NEXT_AT_NS);
    if (at > horizonNs || logFull() || (traced && traceFull())) break;
    const threadSeq = load<i64>(e + THREAD_SEQ);
    if (ownEventAhead(e, at, threadSeq >= THREAD_PARKED ? i64(u32(threadSeq)) : -1)) {
      park = true;
      break;
    }
    if (busyAny && u32(load<u8>(e + NEXT_KIND)) == EV_GUEST_RESUME && busyWaiting(e)) {
      skipBusySteps(e, at, ownEarliestNs(e));
      continue;
    }
    clear(e, F_DEFERRED);
    setNowNs(at);
    if (at > chainedUntilNs) chainedUntilNs = at;
    events++;
    store<i64>(e + THREAD_SEQ, -1);
    if (load<u8>(e + STATE) == S_DONE) break;
    // NEXT_KIND is a byte (a wider load would also read ST_LOOPS, and miss the store just made).
    if (plain) onThreadEventOn(e, v, u32(load<u8>(e + NEXT_KIND)), true);
    else onThreadEvent(e, v, u32(load<u8>(e + NEXT_KIND)));
  }
  // Into the queue in the order the TypeScript engine pushed them: the preemption timer
  // was loaded at a VM entry before the thread's next event was scheduled.
  if (has(e, F_HV_DEFERRED)) pushHv(e, v, nsWhenHostTscReaches(load<u64>(e + HV_AT_NS)));
  if (!has(e, F_DEFERRED)) return;
  // Behind a timer of its own in the queue, the thread's next event waits in the record
  // (parked), with the seq a push now would give it: that timer comes first, and each
  // event of the vCPU flushes again. Usually the timer's callback replaces it (a halt poll
  // the wake-up ends, work the interrupt cuts short): then it never reaches the queue, and
  // is counted as the stale pop it is for the TypeScript engine (engine_record.ts
  // schedule, cancelThreadEvent). Not with host stalls (their queued event keeps no seq).
  const threadSeq = load<i64>(e + THREAD_SEQ);
  if (threadSeq >= THREAD_PARKED) {
    if (park) return;
    // Parked, but the log must be drained first: into the queue in its place.
    clear(e, F_DEFERRED);
    store<i64>(e + THREAD_SEQ, i64(u32(threadSeq)));
    queuePushAs(load<i64>(e + NEXT_AT_NS), u32(threadSeq), payloadOf(load<u8>(e + NEXT_KIND), v));
  } else if (park && stallEveryNs == 0) {
    store<i64>(e + THREAD_SEQ, THREAD_PARKED + i64(queueReserveSeq()));
  } else {
    pushDeferred(e, v);
  }
}

/**
 * A busy-waiting guest's steps (guest_lapic_count.ts busyWaiting) up to the vCPU's next
 * own event, at once: each would run at its time, do nothing but start the next 10 µs of
 * work (Vcpu.enterCompute) and count as an event, so n of them leave the clock at the
 * last one's time, the work's end 10 µs later and the next step queued after it.
 */
function skipBusySteps(e: usize, at: i64, ownEarliest: i64): void {
  const limit = ownEarliest - 1 < horizonNs ? ownEarliest - 1 : horizonNs;
  const n = (limit - at) / BUSY_STEP_NS + 1;
  const last = at + (n - 1) * BUSY_STEP_NS;
  setNowNs(last);
  if (last > chainedUntilNs) chainedUntilNs = last;
  events += f64(n);
  store<f64>(e + COMPUTE_END_NS, f64(last) + f64(BUSY_STEP_NS));
  store<i64>(e + NEXT_AT_NS, last + BUSY_STEP_NS);
  store<i64>(e + THREAD_SEQ, -1);
}

/**
 * Runs events until the queue is empty or past the horizon (returns 0), or until the
 * metric log needs draining or the host's periodic return is due (engine_yield.ts)
 * (returns 1; call again after draining).
 */
export function ctEngineRun(): i32 {
  return plainCyclictest ? runPlain() : runAny();
}

/** The loop for any run. */
function runAny(): i32 {
  return runOn(false);
}

/** The loop's cyclictest copy (plainCyclictest). */
function runPlain(): i32 {
  return runOn(true);
}

/** ctEngineRun's loop; `plain` (a constant at each call): plainCyclictest's copy. */
// @ts-ignore: decorator
@inline
function runOn(plain: bool): i32 {
  // What does not change during a call, in locals: the checks a run without a trace, a
  // scheduler or a periodic return does not need cost one test of a local per event.
  // (Without a trace its buffer stays empty; without a scheduler its log too.)
  const traced = plain ? false : tracing();
  const slow = plain ? yieldOn() : traced || schedOn || yieldOn();
  const chain = chaining;
  const busyAny = plain ? false : busyWaitAny;
  noteHorizon();
  for (;;) {
    if (logFull() || (slow && (traceFull() || (!plain && schedOn && schedLogFull()) || yieldDue(events)))) return 1;
    const p = queuePop();
    if (p < 0) {
      // The clock ends at the last event run, which may have been a chained one (or a
      // dropped one the TypeScript engine pops).
      const chainedEnd = chainedEndNs();
      if (chainedEnd > simNowNs) setNowNs(chainedEnd);
      return 0;
    }
    events++;
    const v = p & VCPU_MASK;
    onEvent(v, u32(p) >>> 24, i64(queuePoppedSeq()), plain);
    if (chain && has(eng(v), F_DEFERRED | F_HV_DEFERRED)) flushChain(v, traced, busyAny, plain);
  }
  return 0;
}

/** Vcpu.onEvent (inlined into the loop, as before the scheduler's branch grew it past binaryen's limit). */
// @ts-ignore: decorator
@inline
function onEvent(v: i32, kind: u32, seq: i64, plain: bool): void {
  if (!plain && kind >= EV_SCHED_BASE) {
    // Simulation.run: the host scheduler's own events (index: a CPU or a task).
    schedOnEvent(kind, v, seq);
    return;
  }
  const e = eng(v);
  if (load<u8>(e + STATE) == S_DONE) return;
  if (kind == EV_HRTIMER) {
    if (plain) {
      if (seq == load<i64>(e + HRTIMER_SEQ)) hrtimerCallbackPlain(e, v);
    } else if (seq == load<i64>(e + HRTIMER_SEQ) && !(schedOn && schedHoldHrtimer(v, seq))) hrtimerCallback(e, v);
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
  if (kind >= EV_PAUSE && kind <= EV_MIGRATE) {
    onControlEvent(e, v, kind);
    return;
  }
  if (seq != load<i64>(e + THREAD_SEQ)) return;
  store<i64>(e + THREAD_SEQ, -1);
  // Vcpu.onEvent: a paused VM's thread events wait for the resume; else the CPU may be taken.
  if (controlOn && holdWhilePaused(e, v, kind)) return;
  if (plain) {
    onThreadEventPlain(e, v, kind);
    return;
  }
  if (schedOn && schedHoldForCpu(v, kind)) return;
  onThreadEvent(e, v, kind);
}

/** Vcpu.onThreadEvent. */
function onThreadEvent(e: usize, v: i32, kind: u32): void {
  onThreadEventOn(e, v, kind, false);
}

/** Vcpu.onThreadEvent, plainCyclictest's copy. */
function onThreadEventPlain(e: usize, v: i32, kind: u32): void {
  onThreadEventOn(e, v, kind, true);
}

/** The guest runs on: runProgram, or its cyclictest copy (`plain` a constant). */
// @ts-ignore: decorator
@inline
function runProgramP(e: usize, v: i32, plain: bool): void {
  if (plain) runProgramPlain(e, v);
  else runProgram(e, v);
}

/** Vcpu.onThreadEvent; `plain` (a constant at each call): plainCyclictest's copy. */
// @ts-ignore: decorator
@inline
function onThreadEventOn(e: usize, v: i32, kind: u32, plain: bool): void {
  switch (kind) {
    case EV_GUEST_RESUME:
      if (load<u8>(e + STATE) == S_GUEST || (plain ? reenterPlain(e, v) : reenter(e, v))) runProgramP(e, v, plain);
      return;
    case EV_ENTRY_DONE:
      if (has(e, F_KICK_AT_ENTRY)) {
        // Vcpu: the kick's IPI at VM entry exits before the guest runs on.
        clear(e, F_KICK_AT_ENTRY);
        takeInterrupt(e);
        setState(e, S_EXIT);
        schedule(e, v, EV_KICK_EXIT, delay(D_VM_EXIT, v));
        return;
      }
      setState(e, S_GUEST);
      runProgramP(e, v, plain);
      return;
    case EV_BLOCK:
      if (plain) blockPlain(e, v);
      else block(e, v);
      return;
    case EV_POLL_END:
      // With a scheduler the poll may have ended early (another task runnable): its length.
      addNs(v, Sum.HaltPollNs, !plain && schedOn ? f64(simNowNs - load<i64>(e + HALT_START_NS)) : f64(load<u32>(e + HALT_POLL_NS)));
      count(v, Count.PollFailed);
      clear(e, F_POLLING);
      setState(e, S_BLOCKED);
      if (!plain) trace(TraceKind.SwitchOut, v, 0);
      if (!plain && schedOn) schedSleep(v);
      return;
    case EV_WAKE:
      if (plain) wakePlain(e, v);
      else wake(e, v);
      return;
    case EV_KICK_EXIT:
      count(v, Count.ExitExternalInterrupt);
      beginEntry(e, v, delay(D_VM_ENTRY, v));
      return;
    case EV_ENTRY_WAIT:
      if (plain ? reenterPlain(e, v) : reenter(e, v)) runProgramP(e, v, plain);
      return;
  }
}

// ---- guest side ----

/**
 * Every VM runs cyclictest on IA32_TSC_DEADLINE (its timer in TSC-deadline mode) without
 * extra work, guest-side idling, busy waits or posted timer interrupts, and the run has no
 * trace, no host scheduler and no lazy or PV deadline proposal (set at ctEngineStart):
 * the loop, onThreadEvent and runProgram then run their cyclictest copies (`plain`),
 * whose checks for what such a run never does are resolved when they are compiled, as
 * the C model of bench/native has them. Only orchestration: the steps, their order and
 * the decisions they call are the same (the differential and native-model tests hold
 * both copies to the TypeScript reference).
 */
let plainCyclictest = false;
/** Tests: off, every run takes the general copies (to hold the two to the same results). */
let plainAllowed = true;

/** Whether this run takes the cyclictest copies (after ctEngineStart). */
export function ctEnginePlainCyclictest(): bool {
  return plainCyclictest;
}

/** Tests: whether later runs may take the cyclictest copies (default true). */
export function ctEngineAllowPlain(on: bool): void {
  plainAllowed = on;
}

/** Whether vCPU e's VM and the run qualify for runProgram's cyclictest copy (plainCyclictest). */
function plainCyclictestVm(e: usize): bool {
  return (
    workloadOf(e) == WK_CYCLICTEST &&
    timerMode(e) == TM_DEADLINE &&
    vmCell(e, VM_WORK_NS) == 0 &&
    vmCell(e, VM_IDLE_POLL) == 0 &&
    vmCell(e, VM_IDLE_IN_GUEST) == 0 &&
    vmCell(e, VM_CAN_POST) == 0 &&
    vmCell(e, VM_WAIT_BUSY) == 0
  );
}

/** Vcpu.runProgram. */
export function runProgram(e: usize, v: i32): void {
  runProgramOn(e, v, false);
}

/** Vcpu.runProgram, plainCyclictest's copy (the loop's cyclictest copy calls it). */
function runProgramPlain(e: usize, v: i32): void {
  runProgramOn(e, v, true);
}

/**
 * Vcpu.runProgram; `plain` (a constant at each call) for plainCyclictest, where it folds
 * away what cannot happen: no work is ever left over (no step returns X_COMPUTE and
 * COMPUTE_END_NS stays 0, so leaveGuest leaves 0), no wait in guest mode (no idle=poll,
 * no HLT in the guest), no trace, no scheduler; the workload is cyclictest's.
 */
// @ts-ignore: decorator
@inline
function runProgramOn(e: usize, v: i32, plain: bool): void {
  const wk = plain ? WK_CYCLICTEST : workloadOf(e);
  for (;;) {
    takeInterrupt(e);
    // Still waiting in guest mode: nothing happens until an interrupt arrives.
    if (!plain && has(e, F_WAIT_POLL | F_WAIT_IDLE)) return;
    if (!plain && !has(e, F_IN_HANDLER) && load<f64>(e + COMPUTE_LEFT_NS) > 0) {
      // Work an exit interrupted goes on.
      const left = load<f64>(e + COMPUTE_LEFT_NS);
      store<f64>(e + COMPUTE_LEFT_NS, 0);
      enterCompute(e, v, left);
      return;
    }
    let exit: i32;
    if (plain) exit = has(e, F_IN_HANDLER) ? cyclictestInterruptStepOn(e, v, false) : cyclictestStepOn(e, v, false, true);
    else exit = has(e, F_IN_HANDLER) ? guestInterruptStep(e, v, wk) : guestStep(e, v, wk);
    if (exit == X_IRET) {
      clear(e, F_IN_HANDLER);
      continue;
    }
    if (exit == X_DONE) {
      setState(e, S_DONE);
      dropHv(e);
      if (!plain && schedOn) schedSleep(v);
      return;
    }
    if (exit == X_NONE) continue;
    if (!plain && exit == X_COMPUTE) {
      enterCompute(e, v, load<f64>(e + COMPUTE_LEFT_NS));
      store<f64>(e + COMPUTE_LEFT_NS, 0);
      return;
    }
    // Vcpu.onExit: idle=poll, or HLT in the guest (disableExits), waits in guest mode.
    if (!plain && (exit == X_IDLE_POLL || (exit == X_HALT && vmCell(e, VM_IDLE_IN_GUEST) != 0))) {
      if (has(e, F_TO_DELIVER)) continue;
      set(e, exit == X_IDLE_POLL ? F_WAIT_POLL : F_WAIT_IDLE);
      return;
    }
    // Vcpu.onExit (the WRMSR's and X_APIC_WRITE_TRACED's kvm_exit are traced before they arm the timer, in step)
    if (!plain && exit != X_MSR_WRITE && exit != X_APIC_WRITE_TRACED) trace(TraceKind.Exit, v, exit == X_HALT ? TraceExit.Hlt : TraceExit.ApicWrite);
    leaveGuest(e);
    setState(e, S_EXIT);
    if (exit == X_HALT) {
      count(v, Count.ExitHlt);
      set(e, F_HALTED);
      schedule(e, v, EV_BLOCK, delay(D_VM_EXIT, v));
    } else {
      schedule(e, v, EV_GUEST_RESUME, delay(D_MSR_EXIT, v));
    }
    return;
  }
}

/** Vcpu.takeInterrupt: deliverInterrupt at an instruction boundary; HLT returns after an interrupt. */
// @ts-ignore: decorator
@inline
function takeInterrupt(e: usize): void {
  if (!has(e, F_TO_DELIVER) || has(e, F_IN_HANDLER)) return;
  clear(e, F_HALTED | F_TO_DELIVER | F_WAIT_POLL | F_WAIT_IDLE);
  set(e, F_IN_SERVICE | F_IN_HANDLER);
}

/** Vcpu.enterCompute: the guest works in guest mode for ns. */
export function enterCompute(e: usize, v: i32, ns: f64): void {
  setState(e, S_GUEST);
  store<f64>(e + COMPUTE_END_NS, f64(simNowNs) + ns);
  schedule(e, v, EV_GUEST_RESUME, ns);
}
