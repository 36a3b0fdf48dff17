// VMX-preemption timer (hv timer) programming, vmx.c (spec §6).

import { Status } from "./status";
import { hi64, u64ShlDivU64, pvclockScaleDelta } from "./math64";
import { divPreinvShifted, recipDivisor, recipShift, recipValue, setReciprocal } from "./reciprocal_div";

/** Results of the last vmxSetHvTimer call. */
export let hvDeltaHostCycles: u64 = 0;
export let hvDeadlineHostTsc: u64 = 0;
export let hvExpired: bool = false;

/** vmx_set_hv_timer's raw guest delta: max(deadline, g) - g (a deadline already past is 0). */
// @ts-ignore: decorator
@inline
export function guestRawDeltaCycles(deadlineTsc: u64, guestTsc: u64): u64 {
  return (deadlineTsc > guestTsc ? deadlineTsc : guestTsc) - guestTsc;
}

/** vmx_set_hv_timer's guest delta: the raw delta less the advance, floored at 0. */
// @ts-ignore: decorator
@inline
function guestDeltaCycles(rawCycles: u64, advanceCycles: u64): u64 {
  return rawCycles > advanceCycles ? rawCycles - advanceCycles : 0;
}

/** vmx_set_hv_timer's end: ERange when delta >> rate exceeds maxValue, else the results stored. */
// @ts-ignore: decorator
@inline
export function storeHvTimer(delta: u64, hostTsc: u64, rate: u32, maxValue: u64): i32 {
  if (delta >> u64(rate) > maxValue) return Status.ERange;
  hvDeltaHostCycles = delta;
  hvDeadlineHostTsc = hostTsc + delta;
  hvExpired = delta == 0;
  return Status.Ok;
}

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
  let delta = guestDeltaCycles(guestRawDeltaCycles(deadlineTsc, guestTsc), advanceCycles);
  if (l1Ratio != u64(1) << u64(fracBits) && delta != 0) {
    if (u64ShlDivU64(delta, fracBits, l1Ratio) != Status.Ok) return Status.ERange;
    delta = hi64;
  }
  return storeHvTimer(delta, hostTsc, rate, maxValue);
}

/** The advance in guest cycles subtracted by vmx_set_hv_timer: nsec_to_cycles(timer_advance_ns). */
export function hvAdvanceCycles(advanceNs: u32, nsToCyclesMult: u32, nsToCyclesShift: i32): u64 {
  return pvclockScaleDelta(u64(advanceNs), nsToCyclesMult, nsToCyclesShift);
}

// The L1 ratio's reciprocal, for vmxSetHvTimerCached: a vCPU's ratio is constant between
// migrations and every vCPU of a VM has the same one, so it is computed again only when
// the ratio changes. The 128/64 divide is then one 64x64->128 multiply and a correction
// (reciprocal_div.ts) instead of a long division (wasm has no divq); same quotient.
let cachedRatio: u64 = 0;
let cachedShift: u64 = 0;
let cachedDivisor: u64 = 0;
let cachedReciprocal: u64 = 0;

/**
 * vmxSetHvTimer with the divide by the L1 ratio through its cached reciprocal: the same
 * results (status, hvDeltaHostCycles, hvDeadlineHostTsc, hvExpired) for every input.
 */
export function vmxSetHvTimerCached(
  deadlineTsc: u64,
  guestTsc: u64,
  hostTsc: u64,
  advanceCycles: u64,
  l1Ratio: u64,
  fracBits: u32,
  rate: u32,
  maxValue: u64,
): i32 {
  return vmxSetHvTimerCachedInline(deadlineTsc, guestTsc, hostTsc, advanceCycles, l1Ratio, fracBits, rate, maxValue);
}

/** vmxSetHvTimerCached, inlined where the engine arms the preemption timer (sim/vcpu_hv_timer.ts hvArmInline). */
// @ts-ignore: decorator
@inline
export function vmxSetHvTimerCachedInline(
  deadlineTsc: u64,
  guestTsc: u64,
  hostTsc: u64,
  advanceCycles: u64,
  l1Ratio: u64,
  fracBits: u32,
  rate: u32,
  maxValue: u64,
): i32 {
  const delta = hvHostDeltaInline(guestRawDeltaCycles(deadlineTsc, guestTsc), advanceCycles, l1Ratio, fracBits);
  if (hvDeltaOverflow) return Status.ERange;
  return storeHvTimer(delta, hostTsc, rate, maxValue);
}

/** The L1 ratio's divide in hvHostDeltaInline overflowed (vmx_set_hv_timer's -ERANGE from u64_shl_div_u64). */
export let hvDeltaOverflow: bool = false;

/**
 * vmx_set_hv_timer's delta in host cycles, before the rate check: the guest delta
 * rawCycles = max(deadline, g) - g less the advance (floored at 0), through the L1 ratio
 * when it is not the default and the delta is non-zero. Sets hvDeltaOverflow (then the
 * result means nothing). A pure function of its arguments (the reciprocal is the ratio's).
 */
// @ts-ignore: decorator
@inline
export function hvHostDeltaInline(rawCycles: u64, advanceCycles: u64, l1Ratio: u64, fracBits: u32): u64 {
  let delta = guestDeltaCycles(rawCycles, advanceCycles);
  hvDeltaOverflow = false;
  if (l1Ratio != u64(1) << u64(fracBits) && delta != 0) {
    // u64_shl_div_u64: overflow when the high word of delta << fracBits reaches the divisor.
    const hi = delta >> u64(64 - fracBits);
    if (hi >= l1Ratio) {
      hvDeltaOverflow = true;
      return 0;
    }
    if (l1Ratio != cachedRatio) {
      setReciprocal(l1Ratio);
      cachedRatio = l1Ratio;
      cachedShift = u64(recipShift);
      cachedDivisor = recipDivisor;
      cachedReciprocal = recipValue;
    }
    delta = divPreinvShifted(hi, delta << u64(fracBits), cachedShift, cachedDivisor, cachedReciprocal);
  }
  return delta;
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
