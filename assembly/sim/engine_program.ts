// The vCPU thread's own events and the guest program they run on the wasm engine:
// src/sim/vcpu.ts's Vcpu.onThreadEvent, runProgram, takeInterrupt and enterCompute, step
// for step. Below the loop (engine_loop.ts) and its chaining (engine_chain.ts), above the
// host paths (engine_host.ts) and the guests (engine_guest.ts, guest_*.ts).
//
// Each comes in copies that differ only in what is resolved when they are compiled (`copy`,
// a constant at each call): the general copy, and the copies a run takes when every VM
// runs one workload in TSC-deadline mode without a trace, a host scheduler or a deadline
// proposal (engine_loop.ts plainCopy). Only orchestration is copied: the steps, their order
// and the decisions they call are the same functions, and test/sim/engine-plain-copy.test.ts
// holds every copy to the general one and to the TypeScript engine.

import { simNowNs } from "./host_clock";
import { Count, Sum, addNs, count } from "./engine_metrics";
import { COMPUTE_END_NS, COMPUTE_LEFT_NS, D_MSR_EXIT, D_VM_ENTRY, D_VM_EXIT, EV_BLOCK, EV_ENTRY_DONE, EV_ENTRY_WAIT, EV_GUEST_RESUME, EV_KICK_EXIT, EV_POLL_END, EV_WAKE, F_HALTED, F_IN_HANDLER, F_IN_SERVICE, F_POLLING, F_TO_DELIVER, HALT_POLL_NS, HALT_START_NS, STATE, S_BLOCKED, S_DONE, S_EXIT, S_GUEST, X_COMPUTE, X_DONE, X_HALT, X_IRET, X_MSR_WRITE, X_NONE, clear, delay, has, schedule, set, setState, setStateOn } from "./engine_record";
import { F_KICK_AT_ENTRY, F_WAIT_IDLE, F_WAIT_POLL, VM_IDLE_IN_GUEST, WK_CYCLICTEST, WK_CYCLICTEST_PV, WK_REARM_STORM, WK_TSCDEADLINE_LATENCY, X_APIC_WRITE_TRACED, X_IDLE_POLL, vmCell } from "./engine_record";
import { guestInterruptStep, guestStep, workloadOf } from "./engine_guest";
import { cyclictestInterruptStepOn, cyclictestStepOn } from "./guest_cyclictest";
import { tdlInterruptStepOn, tdlStepOn } from "./guest_tscdeadline_latency";
import { rearmStormInterruptStep, rearmStormStepOn } from "./guest_rearm_storm";
import { beginEntry, block, blockPlain, reenter, reenterPlain, reenterStorm, wake, wakePlain } from "./engine_host";
import { TraceExit, TraceKind, trace } from "./trace_log";
import { schedOn } from "./engine_sched_state";
import { schedSleep } from "./engine_sched_thread";
import { dropHv, leaveGuestOn } from "./engine_leave_guest";
import { chainTakesNow } from "./engine_chain_ahead";
import { runChainedAt } from "./engine_events";

/** The general copies: any run. */
export const COPY_GENERAL = 0;
/**
 * The cyclictest copies: every VM runs cyclictest on IA32_TSC_DEADLINE without extra work
 * (engine_loop.ts plainCopyVm), so no step leaves work over (no X_COMPUTE).
 */
export const COPY_CYCLICTEST = 1;
/** The rearm-storm copies: every VM runs rearm-storm (its rewrites are guest work, X_COMPUTE). */
export const COPY_REARM_STORM = 2;
/**
 * The rearm-storm copies with the lazy TSC-deadline proposal on (and the PV one off): the
 * loop, onThreadEvent and runProgram fold as COPY_REARM_STORM's. Below them, the paths
 * taken per write and per timer are plain forms with the lazy proposal's steps kept (the
 * write, guest_rearm_storm.ts writeDeadlineOn's `lazy`; the entry, engine_host.ts
 * reenterStorm, which the proposal does not touch; the hrtimer's callback and its
 * re-arm, engine_lazy_rearm.ts); the halt and the wake-up, once per interrupt, are the
 * general ones (their plain forms saved too little to carry copies of their own).
 */
export const COPY_REARM_STORM_LAZY = 3;
/**
 * The cyclictest copies with a deadline proposal: every VM runs cyclictest as for
 * COPY_CYCLICTEST but the run has the lazy or the PV proposal on, or every VM's thread
 * writes the PV ns-deadline MSR. The loop, onThreadEvent and runProgram fold as
 * COPY_CYCLICTEST's; the host and LAPIC paths below them are the general ones (their plain
 * copies leave the proposals out), but for the hrtimer's callback with the lazy proposal
 * alone, which is the lazy rearm-storm copy's (engine_loop.ts onEvent); the deadline MSR
 * is the VM's (a test of its workload code per step).
 */
export const COPY_CYCLICTEST_PROPOSALS = 4;
/**
 * The tscdeadline-latency copies: every VM runs kvm-unit-tests' tscdeadline_latency with
 * HLT (not its spinning variant), no deadline proposal. Its steps never leave work over.
 */
export const COPY_TSCDEADLINE_LATENCY = 5;

/** Copy `copy` (a constant) may take the host and LAPIC paths' plain copies (engine_host.ts *Plain): no deadline proposal. */
// @ts-ignore: decorator
@inline
export function hostPlainOf(copy: i32): bool {
  return copy == COPY_CYCLICTEST || copy == COPY_REARM_STORM || copy == COPY_TSCDEADLINE_LATENCY;
}

/** Copy `copy` (a constant) takes the hrtimer's callback with the lazy re-arm held back (engine_lazy_rearm.ts). */
// @ts-ignore: decorator
@inline
export function hostLazyOf(copy: i32): bool {
  return copy == COPY_REARM_STORM_LAZY;
}

/** Vcpu.onThreadEvent. */
export function onThreadEvent(e: usize, v: i32, kind: u32): void {
  onThreadEventOn(e, v, kind, COPY_GENERAL);
}

/** Vcpu.onThreadEvent, the cyclictest copy. */
export function onThreadEventPlain(e: usize, v: i32, kind: u32): void {
  onThreadEventOn(e, v, kind, COPY_CYCLICTEST);
}

/** Vcpu.onThreadEvent, the rearm-storm copy. */
export function onThreadEventRearmStorm(e: usize, v: i32, kind: u32): void {
  onThreadEventOn(e, v, kind, COPY_REARM_STORM);
}

/** Vcpu.onThreadEvent, the cyclictest copy with a deadline proposal. */
export function onThreadEventCyclictestProposals(e: usize, v: i32, kind: u32): void {
  onThreadEventOn(e, v, kind, COPY_CYCLICTEST_PROPOSALS);
}

/** Vcpu.onThreadEvent, the tscdeadline-latency copy. */
export function onThreadEventTscdeadlineLatency(e: usize, v: i32, kind: u32): void {
  onThreadEventOn(e, v, kind, COPY_TSCDEADLINE_LATENCY);
}

/**
 * Vcpu.onThreadEvent of copy `copy` (a constant), as a call. The lazy rearm-storm copy's
 * thread events run inlined in its chain (engine_chain.ts flushChain); the few the loop
 * pops (each vCPU's first, one parked when the metric log filled) take the general copy,
 * which is right for every run, rather than a second copy of its own.
 */
// @ts-ignore: decorator
@inline
export function onThreadEventCopy(e: usize, v: i32, kind: u32, copy: i32): void {
  if (copy == COPY_CYCLICTEST) onThreadEventPlain(e, v, kind);
  else if (copy == COPY_REARM_STORM) onThreadEventRearmStorm(e, v, kind);
  else if (copy == COPY_CYCLICTEST_PROPOSALS) onThreadEventCyclictestProposals(e, v, kind);
  else if (copy == COPY_TSCDEADLINE_LATENCY) onThreadEventTscdeadlineLatency(e, v, kind);
  else onThreadEvent(e, v, kind);
}

/** The guest runs on: runProgram of copy `copy` (a constant); whether the resume after its exit runs now (runProgramOn). */
// @ts-ignore: decorator
@inline
function runProgramCopy(e: usize, v: i32, copy: i32): bool {
  if (copy == COPY_CYCLICTEST) return runProgramPlain(e, v);
  if (copy == COPY_REARM_STORM) return runProgramRearmStorm(e, v);
  if (copy == COPY_REARM_STORM_LAZY) return runProgramRearmStormLazy(e, v);
  if (copy == COPY_CYCLICTEST_PROPOSALS) return runProgramCyclictestProposals(e, v);
  if (copy == COPY_TSCDEADLINE_LATENCY) return runProgramTscdeadlineLatency(e, v);
  runProgram(e, v);
  return false;
}

/**
 * Vcpu.reenter of copy `copy` (a constant): rearm-storm's inlined (engine_host.ts
 * reenterStorm), in its lazy copy too: reenter takes no step of the lazy proposal.
 */
// @ts-ignore: decorator
@inline
function reenterCopy(e: usize, v: i32, copy: i32): bool {
  if (copy == COPY_REARM_STORM || copy == COPY_REARM_STORM_LAZY) return reenterStorm(e, v);
  return hostPlainOf(copy) ? reenterPlain(e, v) : reenter(e, v);
}

/**
 * Vcpu.onThreadEvent; `copy` (a constant at each call): COPY_*. The guest runs on at one
 * place (threadEventStep says whether it does): rearm-storm's copies take runProgram's body
 * there, inlined (ten thread events per interrupt run the guest: no call for any of them);
 * the other copies call theirs.
 */
// @ts-ignore: decorator
@inline
export function onThreadEventOn(e: usize, v: i32, kind: u32, copy: i32): void {
  if (!threadEventStep(e, v, kind, copy)) return;
  for (;;) {
    const resumeNow = copy == COPY_REARM_STORM || copy == COPY_REARM_STORM_LAZY ? runProgramOn(e, v, copy) : runProgramCopy(e, v, copy);
    // A plain copy's resume after a WRMSR exit, taken now where the chain would take it next
    // (runProgramOn): threadEventStep's EV_GUEST_RESUME out of guest mode, reenter.
    if (!resumeNow || !reenterCopy(e, v, copy)) return;
  }
}

/** Vcpu.onThreadEvent's steps before the guest runs on; whether it does (then the caller runs runProgram). */
// @ts-ignore: decorator
@inline
function threadEventStep(e: usize, v: i32, kind: u32, copy: i32): bool {
  const plain = copy != COPY_GENERAL;
  const hostPlain = hostPlainOf(copy);
  switch (kind) {
    case EV_GUEST_RESUME:
    case EV_ENTRY_WAIT:
      // (One reenter for both: after an exit's delay, or an entry that waited.)
      return (kind == EV_GUEST_RESUME && load<u8>(e + STATE) == S_GUEST) || reenterCopy(e, v, copy);
    case EV_ENTRY_DONE:
      if (has(e, F_KICK_AT_ENTRY)) {
        // Vcpu: the kick's IPI at VM entry exits before the guest runs on.
        clear(e, F_KICK_AT_ENTRY);
        takeInterrupt(e);
        setState(e, S_EXIT);
        schedule(e, v, EV_KICK_EXIT, delay(D_VM_EXIT, v));
        return false;
      }
      setStateOn(e, S_GUEST, plain);
      return true;
    case EV_BLOCK:
      if (hostPlain) blockPlain(e, v);
      else block(e, v);
      return false;
    case EV_POLL_END:
      // With a scheduler the poll may have ended early (another task runnable): its length.
      addNs(v, Sum.HaltPollNs, !plain && schedOn ? f64(simNowNs - load<i64>(e + HALT_START_NS)) : f64(load<u32>(e + HALT_POLL_NS)));
      count(v, Count.PollFailed);
      clear(e, F_POLLING);
      setState(e, S_BLOCKED);
      if (!plain) trace(TraceKind.SwitchOut, v, 0);
      if (!plain && schedOn) schedSleep(v);
      return false;
    case EV_WAKE:
      if (hostPlain) wakePlain(e, v);
      else wake(e, v);
      return false;
    case EV_KICK_EXIT:
      count(v, Count.ExitExternalInterrupt);
      beginEntry(e, v, delay(D_VM_ENTRY, v));
      return false;
  }
  return false;
}

/** Vcpu.runProgram. */
export function runProgram(e: usize, v: i32): void {
  runProgramOn(e, v, COPY_GENERAL);
}

/** Vcpu.runProgram, the cyclictest copy. */
function runProgramPlain(e: usize, v: i32): bool {
  return runProgramOn(e, v, COPY_CYCLICTEST);
}

/** Vcpu.runProgram, the rearm-storm copy. */
function runProgramRearmStorm(e: usize, v: i32): bool {
  return runProgramOn(e, v, COPY_REARM_STORM);
}

/** Vcpu.runProgram, the lazy rearm-storm copy. */
function runProgramRearmStormLazy(e: usize, v: i32): bool {
  return runProgramOn(e, v, COPY_REARM_STORM_LAZY);
}

/** Vcpu.runProgram, the cyclictest copy with a deadline proposal. */
function runProgramCyclictestProposals(e: usize, v: i32): bool {
  return runProgramOn(e, v, COPY_CYCLICTEST_PROPOSALS);
}

/** Vcpu.runProgram, the tscdeadline-latency copy. */
function runProgramTscdeadlineLatency(e: usize, v: i32): bool {
  return runProgramOn(e, v, COPY_TSCDEADLINE_LATENCY);
}

/**
 * Vcpu.runProgram; `copy` (a constant at each call). The copies other than the general one
 * fold away what such a run never does: no wait in guest mode (no idle=poll, no HLT in the
 * guest), no trace, no scheduler; the workload is the copy's. The cyclictest copy also
 * never has work left over (no step returns X_COMPUTE and COMPUTE_END_NS stays 0, so
 * leaveGuest leaves 0).
 *
 * The plain copies take two of the guest's next events at once when the chain would take
 * them next (engine_chain_ahead.ts chainTakesNow), as flushChain would, without the trip
 * through its loop (the event held back, its tests, the dispatch on its kind): the end of
 * a span of work (rearm-storm's spacing between rewrites: the loop goes on), and the
 * resume after a WRMSR exit (returns true: the caller, onThreadEventOn, runs it). Only
 * orchestration: same events, same order, same clock, same counts.
 */
// @ts-ignore: decorator
@inline
function runProgramOn(e: usize, v: i32, copy: i32): bool {
  const plain = copy != COPY_GENERAL;
  const cyclictest = copy == COPY_CYCLICTEST || copy == COPY_CYCLICTEST_PROPOSALS;
  const tdl = copy == COPY_TSCDEADLINE_LATENCY;
  const noWork = cyclictest || tdl;
  const storm = copy == COPY_REARM_STORM || copy == COPY_REARM_STORM_LAZY;
  const wk = copy == COPY_CYCLICTEST ? WK_CYCLICTEST : storm ? WK_REARM_STORM : tdl ? WK_TSCDEADLINE_LATENCY : workloadOf(e);
  for (;;) {
    takeInterrupt(e);
    // Still waiting in guest mode: nothing happens until an interrupt arrives.
    if (!plain && has(e, F_WAIT_POLL | F_WAIT_IDLE)) return false;
    if (!noWork && !has(e, F_IN_HANDLER) && load<f64>(e + COMPUTE_LEFT_NS) > 0) {
      // Work an exit interrupted goes on.
      const left = load<f64>(e + COMPUTE_LEFT_NS);
      store<f64>(e + COMPUTE_LEFT_NS, 0);
      if (plain) enterComputeInline(e, v, left, true);
      else enterCompute(e, v, left);
      return false;
    }
    let exit: i32;
    if (copy == COPY_CYCLICTEST) exit = has(e, F_IN_HANDLER) ? cyclictestInterruptStepOn(e, v, false) : cyclictestStepOn(e, v, false, true, true);
    else if (copy == COPY_CYCLICTEST_PROPOSALS) {
      // The VM's deadline MSR (every VM's is the same one: engine_loop.ts plainCopyVm).
      if (wk == WK_CYCLICTEST_PV) exit = has(e, F_IN_HANDLER) ? cyclictestInterruptStepOn(e, v, true) : cyclictestStepOn(e, v, true, true, false);
      else exit = has(e, F_IN_HANDLER) ? cyclictestInterruptStepOn(e, v, false) : cyclictestStepOn(e, v, false, true, false);
    }
    else if (tdl) exit = has(e, F_IN_HANDLER) ? tdlInterruptStepOn(e, v, true) : tdlStepOn(e, v, true);
    else if (storm) exit = has(e, F_IN_HANDLER) ? rearmStormInterruptStep(e, v) : rearmStormStepOn(e, v, true, copy == COPY_REARM_STORM_LAZY);
    else exit = has(e, F_IN_HANDLER) ? guestInterruptStep(e, v, wk) : guestStep(e, v, wk);
    // (First: a rearm storm's most frequent step, with its writes.)
    if (!noWork && exit == X_COMPUTE) {
      const ns = load<f64>(e + COMPUTE_LEFT_NS);
      store<f64>(e + COMPUTE_LEFT_NS, 0);
      // The work's end (Vcpu.onThreadEvent: the guest runs on), now when the chain would take it next.
      if (plain && computeEndsNow(e, ns)) continue;
      if (plain) enterComputeInline(e, v, ns, true);
      else enterCompute(e, v, ns);
      return false;
    }
    if (exit == X_IRET) {
      clear(e, F_IN_HANDLER);
      continue;
    }
    if (exit == X_DONE) {
      setState(e, S_DONE);
      dropHv(e);
      if (!plain && schedOn) schedSleep(v);
      return false;
    }
    if (exit == X_NONE) continue;
    // Vcpu.onExit: idle=poll, or HLT in the guest (disableExits), waits in guest mode.
    if (!plain && (exit == X_IDLE_POLL || (exit == X_HALT && vmCell(e, VM_IDLE_IN_GUEST) != 0))) {
      if (has(e, F_TO_DELIVER)) continue;
      set(e, exit == X_IDLE_POLL ? F_WAIT_POLL : F_WAIT_IDLE);
      return false;
    }
    // Vcpu.onExit (the WRMSR's and X_APIC_WRITE_TRACED's kvm_exit are traced before they arm the timer, in step)
    if (!plain && exit != X_MSR_WRITE && exit != X_APIC_WRITE_TRACED) trace(TraceKind.Exit, v, exit == X_HALT ? TraceExit.Hlt : TraceExit.ApicWrite);
    leaveGuestOn(e, plain);
    setStateOn(e, S_EXIT, plain);
    if (exit == X_HALT) {
      count(v, Count.ExitHlt);
      set(e, F_HALTED);
      schedule(e, v, EV_BLOCK, delay(D_VM_EXIT, v));
    } else {
      const exitNs = delay(D_MSR_EXIT, v);
      if (plain && takeNow(e, simNowNs + i64(exitNs))) return true;
      schedule(e, v, EV_GUEST_RESUME, exitNs);
    }
    return false;
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

/**
 * The thread's next event, at `at`, runs now (chainTakesNow): the clock at `at`, counted as
 * an event, as flushChain runs one.
 */
// @ts-ignore: decorator
@inline
function takeNow(e: usize, at: i64): bool {
  if (!chainTakesNow(e, at)) return false;
  runChainedAt(at);
  return true;
}

/** enterComputeInline with its end taken now when the chain would take it next (takeNow). */
// @ts-ignore: decorator
@inline
function computeEndsNow(e: usize, ns: f64): bool {
  const at = simNowNs + i64(ns);
  if (!chainTakesNow(e, at)) return false;
  beginCompute(e, ns, true);
  runChainedAt(at);
  return true;
}

/** Vcpu.enterCompute: the guest works in guest mode for ns. */
export function enterCompute(e: usize, v: i32, ns: f64): void {
  enterComputeInline(e, v, ns, false);
}

/** enterCompute's body, inlined into the plain copies of runProgram (rearm-storm's: a span of work per rewrite); `plain` (a constant): theirs (setStateOn). */
// @ts-ignore: decorator
@inline
function enterComputeInline(e: usize, v: i32, ns: f64, plain: bool): void {
  beginCompute(e, ns, plain);
  schedule(e, v, EV_GUEST_RESUME, ns);
}

/** enterCompute's steps before its end is scheduled (or taken now, computeEndsNow); `plain`: enterComputeInline's. */
// @ts-ignore: decorator
@inline
function beginCompute(e: usize, ns: f64, plain: bool): void {
  setStateOn(e, S_GUEST, plain);
  store<f64>(e + COMPUTE_END_NS, f64(simNowNs) + ns);
}
