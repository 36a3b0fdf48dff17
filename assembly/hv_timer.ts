// VMX-preemption timer (hv timer) programming, vmx.c (spec §6).

import { Status } from "./status";
import { hi64, u64ShlDivU64, pvclockScaleDelta } from "./math64";

/** Results of the last vmxSetHvTimer call. */
export let hvDeltaHostCycles: u64 = 0;
export let hvDeadlineHostTsc: u64 = 0;
export let hvExpired: bool = false;

/**
 * vmx_set_hv_timer (§6.2). delta = max(deadline, g) - g, minus the advance in guest
 * cycles (floored at 0); through the L1 ratio when it is not the default and the delta
 * is non-zero (overflow -> ERange); ERange when delta >> rate exceeds maxValue.
 */
export function vmxSetHvTimer(
  deadlineTsc: u64,
  guestTsc: u64,
  hostTsc: u64,
  advanceCycles: u64,
  l1Ratio: u64,
  fracBits: u32,
  rate: u32,
  maxValue: u64,
): i32 {
  let delta = (deadlineTsc > guestTsc ? deadlineTsc : guestTsc) - guestTsc;
  delta = delta > advanceCycles ? delta - advanceCycles : 0;
  if (l1Ratio != u64(1) << u64(fracBits) && delta != 0) {
    if (u64ShlDivU64(delta, fracBits, l1Ratio) != Status.Ok) return Status.ERange;
    delta = hi64;
  }
  if (delta >> u64(rate) > maxValue) return Status.ERange;
  hvDeltaHostCycles = delta;
  hvDeadlineHostTsc = hostTsc + delta;
  hvExpired = delta == 0;
  return Status.Ok;
}

/** The advance in guest cycles subtracted by vmx_set_hv_timer: nsec_to_cycles(timer_advance_ns). */
export function hvAdvanceCycles(advanceNs: u32, nsToCyclesMult: u32, nsToCyclesShift: i32): u64 {
  return pvclockScaleDelta(u64(advanceNs), nsToCyclesMult, nsToCyclesShift);
}

/** vmx_update_hv_timer (§6.2): u32((hv_deadline_tsc - host_tsc) >> rate), 0 once past. */
export function preemptionTimerValue(hvDeadlineTsc: u64, hostTsc: u64, rate: u32): u32 {
  if (hvDeadlineTsc <= hostTsc) return 0;
  return u32((hvDeadlineTsc - hostTsc) >> u64(rate));
}

/** Reads hvDeltaHostCycles. */
export function getHvDeltaHostCycles(): u64 { return hvDeltaHostCycles; }
/** Reads hvDeadlineHostTsc. */
export function getHvDeadlineHostTsc(): u64 { return hvDeadlineHostTsc; }
/** Reads hvExpired. */
export function getHvExpired(): bool { return hvExpired; }
