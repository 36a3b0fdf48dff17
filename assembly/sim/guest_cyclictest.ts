// cyclictest's measuring thread on the wasm engine: src/sim/workloads/cyclictest.ts's
// GuestMachine (step and interruptStep), mirrored step for step, plus its summary-line
// statistics. engine_guest.ts dispatches to it by the VM's workload.

import { rec, reg, guestTscNowKept } from "./vcpu_layout";
import { cyclesToNsSigned, nsToCyclesSigned } from "./vcpu_timer";
import { Count, countOf, lastLatencyCycles, maxLatencyCycles, metricLatency, metricLatencyInline, minLatencyCycles } from "./engine_metrics";
import { F_HANDLER_DONE, PHASE, VM_CT_INTERVAL_NS, PH_ARM, PH_HALT, PH_SET_MODE, PH_START, PH_WORK, R_NEXT, R_NOW, ST_LOOPS, COMPUTE_LEFT_NS, VM_BOOT_KHZ, VM_IDLE_POLL, VM_INTERVAL_CYCLES, VM_LOOPS, VM_WORK_NS, X_COMPUTE, X_DONE, X_HALT, X_IDLE_POLL, X_IRET, X_NONE, addStatUs, clear, eng, has, set, statSumUs, statsKept, vmAt, vmCell, vmCells } from "./engine_record";
import { guestEoi, setTscDeadlineMode } from "./engine_lapic";
import { wrmsrPvDeadline, wrmsrTscDeadline, wrmsrTscDeadlinePlain } from "./engine_deadline";
import { gKvmclock } from "./deadline_proposals";
import { exactNsCell, keepPvNs } from "./metrics_ns_extremes";

/** cyclictest's main flow (GuestMachine.step) through IA32_TSC_DEADLINE. */
export function cyclictestStep(e: usize, v: i32): i32 {
  return cyclictestStepOn(e, v, false, false, false);
}

/** cyclictest's main flow on the PV ns-deadline MSR (deadlineMsr "pv"). */
export function cyclictestPvStep(e: usize, v: i32): i32 {
  return cyclictestStepOn(e, v, true, false, false);
}

/**
 * GuestMachine.step, once per deadline MSR: `pv` is a constant at each call, so the
 * TSC-deadline step carries no test of it (the workload code chose, engine_guest.ts).
 * `plain` (a constant too): a cyclictest copy of the loop (engine_loop.ts plainCopy: no extra
 * work, no idle=poll, no trace), so the step after the wake-up is the next arm, by HLT.
 * `hostPlain` (a constant): the copy without a deadline proposal, whose WRMSR is
 * wrmsrTscDeadline without the proposal's and the trace's tests.
 */
// @ts-ignore: decorator
@inline
export function cyclictestStepOn(e: usize, v: i32, pv: bool, plain: bool, hostPlain: bool): i32 {
  const p = rec(v);
  switch (load<u8>(e + PHASE)) {
    case PH_SET_MODE:
      store<u8>(e + PHASE, PH_START);
      return setTscDeadlineMode(e, v);
    case PH_START:
      // On the PV MSR the thread counts in kvmclock ns.
      if (pv) gKvmclock(v, R_NEXT);
      else store<u64>(reg(p, R_NEXT), guestTscNowKept(p));
      store<u8>(e + PHASE, PH_ARM);
      return X_NONE;
    case PH_ARM: {
      const cells = vmCells(e);
      const loops = load<f64>(e + ST_LOOPS);
      const limit = vmAt(cells, VM_LOOPS);
      if (limit != 0 && loops >= limit) return X_DONE;
      store<f64>(e + ST_LOOPS, loops + 1);
      store<u8>(e + PHASE, PH_HALT);
      const r = reg(p, R_NEXT);
      if (pv) {
        store<u64>(r, load<u64>(r) + u64(i64(vmAt(cells, VM_CT_INTERVAL_NS))));
        return wrmsrPvDeadline(e, v);
      }
      // The guest converts the interval with the calibration it booted with.
      store<u64>(r, load<u64>(r) + u64(i64(vmAt(cells, VM_INTERVAL_CYCLES))));
      return hostPlain ? wrmsrTscDeadlinePlain(e, v) : wrmsrTscDeadline(e, v);
    }
    case PH_WORK:
      store<u8>(e + PHASE, PH_ARM);
      store<f64>(e + COMPUTE_LEFT_NS, vmCell(e, VM_WORK_NS));
      return X_COMPUTE;
    default: {
      if (plain) {
        store<u8>(e + PHASE, PH_ARM);
        return countOf(v, Count.Interrupts) >= load<f64>(e + ST_LOOPS) ? X_NONE : X_HALT;
      }
      const cells = vmCells(e);
      store<u8>(e + PHASE, vmAt(cells, VM_WORK_NS) > 0 ? PH_WORK : PH_ARM);
      if (countOf(v, Count.Interrupts) >= load<f64>(e + ST_LOOPS)) return X_NONE;
      return vmAt(cells, VM_IDLE_POLL) != 0 ? X_IDLE_POLL : X_HALT;
    }
  }
}

/** cyclictest's interrupt handler (GuestMachine.interruptStep) through IA32_TSC_DEADLINE. */
export function cyclictestInterruptStep(e: usize, v: i32): i32 {
  return cyclictestInterruptStepOn(e, v, false);
}

/** cyclictest's interrupt handler on the PV ns-deadline MSR. */
export function cyclictestPvInterruptStep(e: usize, v: i32): i32 {
  return cyclictestInterruptStepOn(e, v, true);
}

/** GuestMachine.interruptStep, once per deadline MSR (`pv` a constant at each call). */
// @ts-ignore: decorator
@inline
export function cyclictestInterruptStepOn(e: usize, v: i32, pv: bool): i32 {
  if (has(e, F_HANDLER_DONE)) {
    clear(e, F_HANDLER_DONE);
    return X_IRET;
  }
  const p = rec(v);
  if (pv) {
    pvInterrupt(e, v, p);
  } else {
    const now = guestTscNowKept(p);
    store<u64>(reg(p, R_NOW), now);
    const latency = f64(i64(now - load<u64>(reg(p, R_NEXT))));
    metricLatencyInline(v, latency, cyclesToNsSigned(v, latency));
    if (statsKept()) addStatUs(v, cyclictestUs(e, latency));
  }
  set(e, F_HANDLER_DONE);
  return guestEoi(e, v);
}

/**
 * The handler's measurement on the PV MSR: the deadline is in kvmclock ns, so the thread
 * measures against kvmclock (recordLatencyNs) and its µs are the ns truncated.
 */
function pvInterrupt(e: usize, v: i32, p: usize): void {
  gKvmclock(v, R_NOW);
  const ns = f64(i64(load<u64>(reg(p, R_NOW)) - load<u64>(reg(p, R_NEXT))));
  metricLatency(v, nsToCyclesSigned(v, ns), ns);
  keepPvNs(v, ns);
  if (statsKept()) addStatUs(v, Math.trunc(ns / 1000));
}

/** A latency in cyclictest's µs: the guest's cycles at its boot calibration, truncated. */
// @ts-ignore: decorator
@inline
function cyclictestUs(e: usize, latencyCycles: f64): f64 {
  return Math.trunc((latencyCycles * 1000) / vmCell(e, VM_BOOT_KHZ));
}

const statsPtr: usize = memory.data(6 << 3, 8);

/**
 * vCPU v's cyclictest statistics as f64: count, loops, min, max, act, sum (µs). The
 * truncation to µs is nondecreasing in the latency, so min, max and act follow from the
 * latencies in cycles engine_metrics.ts keeps; cyclictest starts min at 1000000 and max at 0.
 */
export function ctEngineStats(v: i32): usize {
  const e = eng(v);
  const n = countOf(v, Count.Interrupts);
  // On the PV MSR, cyclictest's µs are the kvmclock ns truncated (nondecreasing in them too).
  const exact = exactNsCell(v);
  const minUs = n == 0 ? 1000000 : exact != 0 ? Math.trunc(load<f64>(exact) / 1000) : cyclictestUs(e, minLatencyCycles(v));
  const maxUs = n == 0 ? 0 : exact != 0 ? Math.trunc(load<f64>(exact, 8) / 1000) : cyclictestUs(e, maxLatencyCycles(v));
  store<f64>(statsPtr, n);
  store<f64>(statsPtr, load<f64>(e + ST_LOOPS), 8);
  store<f64>(statsPtr, minUs < 1000000 ? minUs : 1000000, 16);
  store<f64>(statsPtr, maxUs > 0 ? maxUs : 0, 24);
  store<f64>(statsPtr, n == 0 ? 0 : exact != 0 ? Math.trunc(load<f64>(exact, 16) / 1000) : cyclictestUs(e, lastLatencyCycles(v)), 32);
  store<f64>(statsPtr, statSumUs(v), 40);
  return statsPtr;
}

