// Which of the two unmerged deadline proposals the scenario turned on, and the LAPIC's
// hooks into them (src/sim/lapic.ts's lazy TSC-deadline hooks and the PV MSR's disarm).
// A leaf below the LAPIC: the MSR writes and the lazy re-arm that call the LAPIC are
// engine_deadline.ts, above it.

import { lazyArm, lazyClearArmed, pvDeadlineClear } from "./deadline_proposals";

/** kvm.lazyTscDeadline: the shared {armed, pending} page of the lazy TSC-deadline RFC (seed 004). */
export let lazyOn: bool = false;
/** kvm.pvDeadline: the PV nanosecond deadline MSR exists (seed 003). */
export let pvOn: bool = false;

/** The scenario's deadline proposals (before ctEngineStart). */
export function ctEngineDeadlineProposals(lazy: bool, pv: bool): void {
  lazyOn = lazy;
  pvOn = pv;
}

/** The parts of LapicTimer.writeTscDeadline between tdFromReg and startApicTimer (engine_lapic_start.ts). */
// @ts-ignore: decorator
@inline
export function afterTscDeadlineWrite(v: i32): void {
  if (lazyOn) lazyArm(v);
  // A write to one deadline MSR disarms the other (seed 003).
  if (pvOn) pvDeadlineClear(v);
}

/** LapicTimer.lazyClear: forget the armed deadline (mode change, expired at arm). */
// @ts-ignore: decorator
@inline
export function lazyClear(v: i32): void {
  if (lazyOn) lazyClearArmed(v);
}
