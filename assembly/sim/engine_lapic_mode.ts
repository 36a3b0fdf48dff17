// The LAPIC timer's mode as the wasm engine's lower layers read it: LVTT's timer mode per
// VM and whether apic_timer_expired latches expired_tscdeadline. A leaf, so that the
// LAPIC's expiry (engine_lapic.ts), its one-shot/periodic paths (engine_lapic_count.ts) and
// the starts that branch on the mode (engine_lapic_start.ts) need not import one another.

import { F_HV_IN_USE, has, vmCode } from "./engine_record";

// Per-VM cells 18-27 (engine_record.ts): the LAPIC one-shot/periodic workloads, pauses, migrations.
/** The VM's LVTT timer mode once its workload set it (TM_*): every VM sets it, cyclictest's TM_DEADLINE. */
export const VM_TIMER_MODE = 18;

export const TM_DEADLINE = 0;
export const TM_ONESHOT = 1;
export const TM_PERIODIC = 2;

// Scenario-wide, set by ctEngineLapicConfigure (engine_lapic_count.ts) for every run.
/** The era's hv-timer path latches expired_tscdeadline in every mode. */
export let hvLatchesDeadline: bool = false;
/** lapic_timer_advance applies to one-shot mode too. */
export let advanceOneshot: bool = false;

/** The VM's timer mode (TM_*). */
// @ts-ignore: decorator
@inline
export function timerMode(e: usize): i32 {
  return vmCode(e, VM_TIMER_MODE);
}

/** Whether expired() latches expired_tscdeadline (apic_timer_expired; LapicTimer.expired's `latch`). */
// @ts-ignore: decorator
@inline
export function latchesDeadline(e: usize, mode: i32): bool {
  return mode == TM_DEADLINE || (hvLatchesDeadline && has(e, F_HV_IN_USE)) || (advanceOneshot && mode == TM_ONESHOT);
}
