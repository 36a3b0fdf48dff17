// The guest programs of the wasm engine: each VM's built-in workload as a state machine
// (src/sim/workloads/*.ts's GuestMachines, mirrored step for step), chosen by the VM's
// workload code (VM_WORKLOAD, set by ctEngineSetVm). A step performs the instant
// operations of one step and returns the exit (X_*) that ends it, as GuestMachine.step does.

import { VM_WORKLOAD, WK_CYCLICTEST, WK_CYCLICTEST_PV, WK_IDLE_NOHZ, WK_ONESHOT, WK_PERIODIC, WK_REARM_STORM, WK_TSCDEADLINE_LATENCY, vmCode } from "./engine_record";
import { cyclictestInterruptStep, cyclictestPvInterruptStep, cyclictestPvStep, cyclictestStep } from "./guest_cyclictest";
import { lapicCountInterruptStep, lapicCountStep } from "./guest_lapic_count";
import { tdlInterruptStep, tdlStep } from "./guest_tscdeadline_latency";
import { rearmStormInterruptStep, rearmStormStep } from "./guest_rearm_storm";
import { idleNohzInterruptStep, idleNohzStep } from "./guest_idle";

/** The VM's workload code (WK_*): runProgram reads it once per call, not once per step. */
// @ts-ignore: decorator
@inline
export function workloadOf(e: usize): i32 {
  return vmCode(e, VM_WORKLOAD);
}

/** GuestMachine.step of the VM's workload `wk` (workloadOf). */
// @ts-ignore: decorator
@inline
export function guestStep(e: usize, v: i32, wk: i32): i32 {
  if (wk == WK_CYCLICTEST) return cyclictestStep(e, v);
  switch (wk) {
    case WK_PERIODIC:
    case WK_ONESHOT:
      return lapicCountStep(e, v);
    case WK_CYCLICTEST_PV:
      return cyclictestPvStep(e, v);
    case WK_TSCDEADLINE_LATENCY:
      return tdlStep(e, v);
    case WK_REARM_STORM:
      return rearmStormStep(e, v);
    case WK_IDLE_NOHZ:
      return idleNohzStep();
    case WK_CYCLICTEST:
    default:
      return cyclictestStep(e, v);
  }
}

/** GuestMachine.interruptStep of the VM's workload `wk` (workloadOf). */
// @ts-ignore: decorator
@inline
export function guestInterruptStep(e: usize, v: i32, wk: i32): i32 {
  if (wk == WK_CYCLICTEST) return cyclictestInterruptStep(e, v);
  switch (wk) {
    case WK_PERIODIC:
    case WK_ONESHOT:
      return lapicCountInterruptStep(e, v);
    case WK_CYCLICTEST_PV:
      return cyclictestPvInterruptStep(e, v);
    case WK_TSCDEADLINE_LATENCY:
      return tdlInterruptStep(e, v);
    case WK_REARM_STORM:
      return rearmStormInterruptStep(e, v);
    case WK_IDLE_NOHZ:
      return idleNohzInterruptStep();
    case WK_CYCLICTEST:
    default:
      return cyclictestInterruptStep(e, v);
  }
}
