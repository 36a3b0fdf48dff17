// The wasm engine's event loop: the built-in workloads (engine_guest.ts) and the
// vCPU/LAPIC paths they exercise, run entirely in wasm.
// It is the second backend of one interface (architecture.md, "One factory, two
// backends"): src/sim/vcpu.ts + lapic.ts + workloads/cyclictest.ts are the first, and
// src/sim/engine.ts picks this one only for scenarios inside its scope
// (src/sim/wasm-engine.ts). Same events, same sequence numbers, same draws, same
// metric calls: test/sim/engine-differential.test.ts holds the two to byte-identical
// results. Each step names the TypeScript method it mirrors; those name the kernel
// functions (spec §4–§6). This file: the event loop (Simulation.run, Vcpu.onEvent) and
// which copy of it a run takes.
// Layers, each importing only those below it (test/import-cycles.test.ts): engine_record.ts
// (per-vCPU record, configuration), metrics, trace, queue and the other leaves;
// engine_leave_guest.ts; engine_kick.ts (kick, posted path); engine_lapic.ts,
// engine_lapic_count.ts, engine_lapic_start.ts (the LAPIC timer); engine_deadline.ts;
// engine_host.ts (exits, halts, entries); the guests (guest_*.ts); engine_guest.ts;
// engine_program.ts (the thread's events, runProgram); engine_chain.ts (chaining); this.
// An upward step is a result the caller acts on (engine_host.ts reenter → runProgram in
// engine_program.ts).

import { simNowNs, setNowNs } from "./host_clock";
import { queuePop, queuePoppedSeq } from "./event_queue";
import { logFull } from "./engine_metrics";
import { F_HRTIMER_HELD, F_HV_DEFERRED, F_DEFERRED, chaining, setChaining, scheduleStall, globalAdvance, EV_GUEST_RESUME, EV_HRTIMER, EV_PREEMPTION, EV_STALL, HRTIMER_SEQ, HV_SEQ, STATE, S_DONE, S_GUEST, THREAD_SEQ, VCPU_MASK, eng, has, schedule, stallEveryNs, vcpuCount, vmCell, setState } from "./engine_record";
import { VM_CAN_POST, VM_IDLE_IN_GUEST, VM_IDLE_POLL, VM_WORK_NS, WK_CYCLICTEST, WK_CYCLICTEST_PV, WK_REARM_STORM, WK_TSCDEADLINE_LATENCY } from "./engine_record";
import { workloadOf } from "./engine_guest";
import { hrtimerCallback, hrtimerCallbackPlain, preemptionExit, stall } from "./engine_host";
import { hrtimerCallbackLazy } from "./engine_lazy_rearm";
import { traceFull, tracing } from "./trace_log";
import { VM_WAIT_BUSY } from "./engine_lapic_count";
import { TM_DEADLINE, timerMode } from "./engine_lapic_mode";
import { EV_MIGRATE, EV_PAUSE, controlOn, holdWhilePaused, onControlEvent, scheduleControl } from "./engine_control";
import { schedOnEvent, schedStart } from "./engine_sched";
import { EV_SCHED_BASE, schedLogFull, schedOn } from "./engine_sched_state";
import { schedHoldForCpu, schedHoldHrtimer, schedThreadBind, schedThreadStart } from "./engine_sched_thread";
import { yieldDue, yieldOn } from "./engine_yield";
import { lazyOn, pvOn } from "./engine_proposals";
import { chainedEndNs, events, eventsReset, noteHorizon } from "./engine_events";
import { flushChain } from "./engine_chain";
import { COPY_CYCLICTEST, COPY_CYCLICTEST_PROPOSALS, COPY_TSCDEADLINE_LATENCY, COPY_GENERAL, COPY_REARM_STORM, COPY_REARM_STORM_LAZY, hostLazyOf, hostPlainOf, onThreadEventCopy } from "./engine_program";
export { enterCompute, runProgram } from "./engine_program";

export function ctEngineEvents(): f64 {
  return f64(events);
}

/** Vcpu.start for every vCPU, in index order. */
export function ctEngineStart(): void {
  eventsReset();
  schedThreadBind();
  setChaining(false);
  busyWaitAny = false;
  // The copy every VM qualifies for (COPY_GENERAL once one does not).
  let copy = plainAllowed && !tracing() && !schedOn && vcpuCount > 0 ? plainCopyVm(eng(0)) : COPY_GENERAL;
  for (let v = 0; v < vcpuCount; v++) {
    const e = eng(v);
    if (vmCell(e, VM_WAIT_BUSY) != 0) busyWaitAny = true;
    if (copy != COPY_GENERAL && plainCopyVm(e) != copy) copy = COPY_GENERAL;
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
  // The deadline proposals: cyclictest's copy with them (the host paths the general ones);
  // with the lazy one, rearm-storm's lazy copy; with the PV one, rearm-storm's general copies.
  if (copy == COPY_CYCLICTEST && (lazyOn || pvOn)) copy = COPY_CYCLICTEST_PROPOSALS;
  else if (copy == COPY_REARM_STORM && pvOn) copy = COPY_GENERAL;
  else if (copy == COPY_REARM_STORM && lazyOn) copy = COPY_REARM_STORM_LAZY;
  else if (copy == COPY_TSCDEADLINE_LATENCY && (lazyOn || pvOn)) copy = COPY_GENERAL;
  plainCopy = copy;
}

/**
 * Some VM's guest waits busy (guest_lapic_count.ts busyWaiting): only then can a chained
 * step be one of its busy steps. Set at ctEngineStart, once the VMs' cells are written.
 */
let busyWaitAny = false;


/**
 * Runs events until the queue is empty or past the horizon (returns 0), or until the
 * metric log needs draining or the host's periodic return is due (engine_yield.ts)
 * (returns 1; call again after draining).
 */
export function ctEngineRun(): i32 {
  if (plainCopy == COPY_CYCLICTEST) return runPlain();
  if (plainCopy == COPY_REARM_STORM) return runRearmStorm();
  if (plainCopy == COPY_REARM_STORM_LAZY) return runRearmStormLazy();
  if (plainCopy == COPY_CYCLICTEST_PROPOSALS) return runCyclictestProposals();
  if (plainCopy == COPY_TSCDEADLINE_LATENCY) return runTscdeadlineLatency();
  return runAny();
}

/** The loop for any run. */
function runAny(): i32 {
  return runOn(COPY_GENERAL);
}

/** The loop's cyclictest copy. */
function runPlain(): i32 {
  return runOn(COPY_CYCLICTEST);
}

/** The loop's rearm-storm copy. */
function runRearmStorm(): i32 {
  return runOn(COPY_REARM_STORM);
}

/** The loop's lazy rearm-storm copy. */
function runRearmStormLazy(): i32 {
  return runOn(COPY_REARM_STORM_LAZY);
}

/** The loop's cyclictest copy with a deadline proposal. */
function runCyclictestProposals(): i32 {
  return runOn(COPY_CYCLICTEST_PROPOSALS);
}

/** The loop's tscdeadline-latency copy. */
function runTscdeadlineLatency(): i32 {
  return runOn(COPY_TSCDEADLINE_LATENCY);
}

/** ctEngineRun's loop; `copy` (a constant at each call): engine_program.ts's COPY_*. */
// @ts-ignore: decorator
@inline
function runOn(copy: i32): i32 {
  const plain = copy != COPY_GENERAL;
  // What does not change during a call, in locals: the checks a run without a trace, a
  // scheduler or a periodic return does not need cost one test of a local per event.
  // (Without a trace its buffer stays empty; without a scheduler its log too.)
  const traced = plain ? false : tracing();
  const slow = plain ? yieldOn() : traced || schedOn || yieldOn();
  const chain = chaining;
  const busyAny = plain ? false : busyWaitAny;
  noteHorizon();
  for (;;) {
    if (logFull() || (slow && (traceFull() || (!plain && schedOn && schedLogFull()) || yieldDue(f64(events))))) return 1;
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
    onEvent(v, u32(p) >>> 24, i64(queuePoppedSeq()), copy);
    // (Only the general copy's periodic restarts are held back: F_HRTIMER_HELD.)
    if (chain && has(eng(v), plain ? F_DEFERRED | F_HV_DEFERRED : F_DEFERRED | F_HV_DEFERRED | F_HRTIMER_HELD)) flushChain(v, traced, busyAny, copy);
  }
  return 0;
}

/** Vcpu.onEvent (inlined into the loop, as before the scheduler's branch grew it past binaryen's limit). */
// @ts-ignore: decorator
@inline
function onEvent(v: i32, kind: u32, seq: i64, copy: i32): void {
  const plain = copy != COPY_GENERAL;
  if (!plain && kind >= EV_SCHED_BASE) {
    // Simulation.run: the host scheduler's own events (index: a CPU or a task).
    schedOnEvent(kind, v, seq);
    return;
  }
  const e = eng(v);
  if (load<u8>(e + STATE) == S_DONE) return;
  if (kind == EV_HRTIMER) {
    if (hostPlainOf(copy)) {
      if (seq == load<i64>(e + HRTIMER_SEQ)) hrtimerCallbackPlain(e, v);
    } else if (hostLazyOf(copy) || (copy == COPY_CYCLICTEST_PROPOSALS && lazyOn && !pvOn)) {
      // (Cyclictest's proposals copy with the lazy proposal alone takes the lazy storm's
      // callback too: the general one's steps with trace, scheduler, periodic mode and
      // posted interrupts folded away, none of which such a run has, and a re-armed
      // hrtimer held back as in that copy; the PV proposal keeps the general callback.)
      if (seq == load<i64>(e + HRTIMER_SEQ)) hrtimerCallbackLazy(e, v);
    } else if (seq == load<i64>(e + HRTIMER_SEQ) && !(!plain && schedOn && schedHoldHrtimer(v, seq))) hrtimerCallback(e, v);
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
  if (!plain && schedOn && schedHoldForCpu(v, kind)) return;
  onThreadEventCopy(e, v, kind, copy);
}

/**
 * The copy of the loop, onThreadEvent and runProgram this run takes (engine_program.ts
 * COPY_*, set at ctEngineStart): a plain copy when every VM runs one workload that has one
 * in TSC-deadline mode, without guest-side idling, busy waits or posted timer interrupts,
 * and the run has no trace and no host scheduler (with a deadline proposal: cyclictest's
 * proposals copy, rearm-storm's lazy copy, or none). Its
 * checks for what such a run never does are resolved when it is compiled, as the C model
 * of bench/native has them. Only orchestration: the steps, their order and the decisions
 * they call are the same (the differential, plain-copy and native-model tests hold every
 * copy to the TypeScript reference).
 */
let plainCopy = COPY_GENERAL;
/** Tests: off, every run takes the general copies (to hold the copies to the same results). */
let plainAllowed = true;

/** Whether this run takes the cyclictest copies (after ctEngineStart). */
export function ctEnginePlainCyclictest(): bool {
  return plainCopy == COPY_CYCLICTEST;
}

/** The copy this run takes (engine_program.ts COPY_*, after ctEngineStart). */
export function ctEnginePlainCopy(): i32 {
  return plainCopy;
}

/** Tests: whether later runs may take the plain copies (default true). */
export function ctEngineAllowPlain(on: bool): void {
  plainAllowed = on;
}

/** The plain copy vCPU e's VM qualifies for (COPY_GENERAL: none). */
function plainCopyVm(e: usize): i32 {
  if (
    timerMode(e) != TM_DEADLINE ||
    vmCell(e, VM_IDLE_POLL) != 0 ||
    vmCell(e, VM_IDLE_IN_GUEST) != 0 ||
    vmCell(e, VM_CAN_POST) != 0 ||
    vmCell(e, VM_WAIT_BUSY) != 0
  )
    return COPY_GENERAL;
  const wk = workloadOf(e);
  if (wk == WK_CYCLICTEST && vmCell(e, VM_WORK_NS) == 0) return COPY_CYCLICTEST;
  if (wk == WK_CYCLICTEST_PV && vmCell(e, VM_WORK_NS) == 0) return COPY_CYCLICTEST_PROPOSALS;
  if (wk == WK_REARM_STORM) return COPY_REARM_STORM;
  if (wk == WK_TSCDEADLINE_LATENCY) return COPY_TSCDEADLINE_LATENCY;
  return COPY_GENERAL;
}
