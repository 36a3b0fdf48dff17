// kvm-unit-tests x86/tscdeadline_latency.c on the wasm engine: src/sim/workloads/
// tscdeadline-latency.ts's GuestMachine, mirrored step for step. The deadline is re-armed
// `delta` cycles after each interrupt from inside the handler; every interrupt after the
// first is a sample, TABLE_SIZE at most; breakmax stops re-arming.
// State: the main phase in PHASE, the handler's in F_TDL_HPHASE, hit-max in F_TDL_HIT_MAX,
// the handler's entries in ST_LOOPS; the samples recorded are the vCPU's interrupt count
// (each sample is one metricLatency); the samples themselves only when printed.

import { rec, reg, guestTscNowKept } from "./vcpu_layout";
import { cyclesToNsSigned } from "./vcpu_timer";
import { Count, countOf, metricLatency } from "./engine_metrics";
import { F_TDL_HIT_MAX, F_TDL_HPHASE, F_TDL_HPHASE_SHIFT, FLAGS, PHASE, R_NEXT, R_NOW, ST_LOOPS, VM_IDLE_POLL, VM_TDL_BREAKMAX_CYCLES, VM_TDL_DELTA_CYCLES, VM_TDL_SAMPLES_BASE, VM_TDL_SIZE, X_DONE, X_HALT, X_IDLE_POLL, X_IRET, X_NONE, eng, has, set, vmCell, VM_TDL_FIRST_VCPU } from "./engine_record";
import { guestEoi, setTscDeadlineMode } from "./engine_lapic";
import { wrmsrTscDeadline, wrmsrTscDeadlinePlain } from "./engine_deadline";
import { sampleCell } from "./guest_tscdl_state";

const PH_SET_MODE: u8 = 0;
const PH_FIRST_DEADLINE: u8 = 1;

const H_START: u32 = 0;
const H_REARM: u32 = 1;
const H_EOI: u32 = 2;
const H_RETURN: u32 = 3;

// @ts-ignore: decorator
@inline
function setHandlerPhase(e: usize, h: u32): void {
  store<u32>(e + FLAGS, (load<u32>(e + FLAGS) & ~F_TDL_HPHASE) | (h << F_TDL_HPHASE_SHIFT));
}

/** The test's main flow (GuestMachine.step). */
export function tdlStep(e: usize, v: i32): i32 {
  return tdlStepOn(e, v, false);
}

/**
 * GuestMachine.step; `plain` (a constant at each call): the workload's copy of the loop,
 * where no VM spins in guest mode (no idle "poll": engine_loop.ts plainCopyVm).
 */
// @ts-ignore: decorator
@inline
export function tdlStepOn(e: usize, v: i32, plain: bool): i32 {
  const phase = load<u8>(e + PHASE);
  if (phase == PH_SET_MODE) {
    store<u8>(e + PHASE, PH_FIRST_DEADLINE);
    return setTscDeadlineMode(e, v);
  }
  if (phase == PH_FIRST_DEADLINE) {
    // First deadline: rdmsr(IA32_TSC) + delta.
    const p = rec(v);
    store<u64>(reg(p, R_NEXT), guestTscNowKept(p) + u64(i64(vmCell(e, VM_TDL_DELTA_CYCLES))));
    store<u8>(e + PHASE, PH_FIRST_DEADLINE + 1);
    return plain ? wrmsrTscDeadlinePlain(e, v) : wrmsrTscDeadline(e, v);
  }
  // The test checks its condition before each HLT (2019 fix).
  if (has(e, F_TDL_HIT_MAX) || countOf(v, Count.Interrupts) >= vmCell(e, VM_TDL_SIZE)) return X_DONE;
  // The variant without hlt spins on its condition in guest mode (idle "poll").
  return !plain && vmCell(e, VM_IDLE_POLL) != 0 ? X_IDLE_POLL : X_HALT;
}

/** The test's ISR (GuestMachine.interruptStep). */
export function tdlInterruptStep(e: usize, v: i32): i32 {
  return tdlInterruptStepOn(e, v, false);
}

/** GuestMachine.interruptStep; `plain` (a constant at each call): the workload's copy of the loop. */
// @ts-ignore: decorator
@inline
export function tdlInterruptStepOn(e: usize, v: i32, plain: bool): i32 {
  const h = (load<u32>(e + FLAGS) & F_TDL_HPHASE) >> F_TDL_HPHASE_SHIFT;
  const p = rec(v);
  if (h == H_START) {
    store<u64>(reg(p, R_NOW), guestTscNowKept(p));
    const entries = load<f64>(e + ST_LOOPS) + 1;
    store<f64>(e + ST_LOOPS, entries);
    setHandlerPhase(e, H_REARM);
    if (entries > 1) {
      const latency = f64(i64(load<u64>(reg(p, R_NOW)) - load<u64>(reg(p, R_NEXT))));
      const used = countOf(v, Count.Interrupts);
      if (used < vmCell(e, VM_TDL_SIZE)) {
        const base = vmCell(e, VM_TDL_SAMPLES_BASE);
        if (base >= 0) store<f64>(sampleCell(base + f64(v - i32(vmCell(e, VM_TDL_FIRST_VCPU))) * vmCell(e, VM_TDL_SIZE) + used), latency);
        metricLatency(v, latency, cyclesToNsSigned(v, latency));
      }
      const breakmax = vmCell(e, VM_TDL_BREAKMAX_CYCLES);
      if (breakmax != 0 && latency > breakmax) {
        set(e, F_TDL_HIT_MAX);
        setHandlerPhase(e, H_RETURN);
        return guestEoi(e, v);
      }
    }
    return X_NONE;
  }
  if (h == H_REARM) {
    store<u64>(reg(p, R_NEXT), load<u64>(reg(p, R_NOW)) + u64(i64(vmCell(e, VM_TDL_DELTA_CYCLES))));
    setHandlerPhase(e, H_EOI);
    return plain ? wrmsrTscDeadlinePlain(e, v) : wrmsrTscDeadline(e, v);
  }
  if (h == H_EOI) {
    setHandlerPhase(e, H_RETURN);
    return guestEoi(e, v);
  }
  setHandlerPhase(e, H_START);
  return X_IRET;
}

/** Whether vCPU v's test stopped on breakmax (its last sample printed with "hit max"). */
export function ctEngineTdlHitMax(v: i32): bool {
  return has(eng(v), F_TDL_HIT_MAX);
}
