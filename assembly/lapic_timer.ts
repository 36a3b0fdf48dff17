// LAPIC timer arithmetic of arch/x86/kvm/lapic.c (spec §4).

import { pvclockScaleDelta } from "./math64";
import { cyclesToNs } from "./time_scale";

/** Outcome of start_sw_tscdeadline's arming decision (§4.4). */
export enum SwDeadline {
  /** tscdeadline == 0 or virtual_tsc_khz == 0: nothing armed, the timer never fires. */
  NotArmed = 0,
  /** Deadline not in the future or within the advance: apic_timer_expired at once. */
  ExpireNow = 1,
  /** hrtimer armed at swExpiryNs. */
  Armed = 2,
}

/** Periodic re-arm variant (§4.5 and seed 000). */
export enum PeriodicRearm {
  /** d8f2f498d9ed .. 2025: a negative delta is fed to nsec_to_cycles as a huge u64. */
  Wrap = 0,
  /** The unmerged v2 patch: add the delta only when it is positive. */
  SkipNegative = 1,
  /** 18ab3fc8e880 (mainline): clamp the target to now. */
  Clamp = 2,
}

/** hrtimer expiry (host ns, s64 ktime) of the last Armed start_sw_tscdeadline decision. */
export let swExpiryNs: i64 = 0;
/** Results of the last advancePeriodicTarget call. */
export let rearmTargetNs: i64 = 0;
export let rearmDeadlineTsc: u64 = 0;

/** The TDCR divide table (§4.1): 0->2 .. 0xA->128, 0xB->1; bit 2 is ignored. */
export function tdcrDivide(tdcr: u32): u32 {
  const t = tdcr & 0xf;
  const idx = ((t & 3) | ((t & 8) >> 1)) + 1;
  return u32(1) << (idx & 7);
}

/** tmict_to_ns (§4.1): u64(tmict * apic_bus_cycle_ns * divide_count). */
export function tmictToNs(tmict: u32, tdcr: u32, busCycleNs: u32): u64 {
  return u64(tmict) * u64(busCycleNs) * u64(tdcrDivide(tdcr));
}

/** The periodic-mode floor (§4.1, min_timer_period_us): max(period, floor) on s64. */
export function applyPeriodicFloor(periodNs: i64, minTimerPeriodUs: u32): i64 {
  const floorNs = i64(minTimerPeriodUs) * 1000;
  return periodNs < floorNs ? floorNs : periodNs;
}

/**
 * apic_get_tmcct (§4.6, §11) for one-shot/periodic mode: 0 when TMICT or the period
 * is 0; else the s64 remaining time clamped at 0, C `%` by the period, divided by
 * the bus cycle length times the divide count, truncated to u32.
 */
export function tmcct(tmict: u32, periodNs: i64, targetNs: i64, nowNs: i64, busCycleNs: u32, divide: u32): u32 {
  if (tmict == 0 || periodNs == 0) return 0;
  let remaining = targetNs - nowNs;
  if (remaining < 0) remaining = 0;
  const ns = remaining % periodNs;
  return u32(u64(ns) / (u64(busCycleNs) * u64(divide)));
}

/**
 * start_sw_tscdeadline (§4.4): ns = do_div form of (deadline - guest_tsc), which wraps;
 * arm the hrtimer at now + ns - advance (s64) when the deadline is ahead and
 * ns > advance, else expire at once. Pre-v5.1 kernels (checkAdvance = false) only
 * test deadline > guest TSC.
 */
export function startSwTscdeadline(
  deadlineTsc: u64,
  guestTsc: u64,
  tscKhz: u32,
  advanceNs: u32,
  nowNs: i64,
  checkAdvance: bool,
): i32 {
  if (deadlineTsc == 0 || tscKhz == 0) return SwDeadline.NotArmed;
  const ns = cyclesToNs(deadlineTsc - guestTsc, tscKhz);
  if (deadlineTsc > guestTsc && (!checkAdvance || ns > u64(advanceNs))) {
    swExpiryNs = nowNs + i64(ns) - i64(advanceNs);
    return SwDeadline.Armed;
  }
  return SwDeadline.ExpireNow;
}

/**
 * advance_periodic_target_expiration (§4.5): target += period, then the variant's
 * treatment of a target in the past; tscdeadline = guest TSC + nsec_to_cycles(delta).
 * Results in rearmTargetNs / rearmDeadlineTsc.
 */
export function advancePeriodicTarget(
  targetNs: i64,
  periodNs: i64,
  nowNs: i64,
  guestTsc: u64,
  nsToCyclesMult: u32,
  nsToCyclesShift: i32,
  variant: i32,
): void {
  let target = targetNs + periodNs;
  if (variant == PeriodicRearm.Clamp && target < nowNs) target = nowNs;
  const delta = target - nowNs;
  rearmTargetNs = target;
  if (variant == PeriodicRearm.SkipNegative && delta <= 0) {
    rearmDeadlineTsc = guestTsc;
    return;
  }
  rearmDeadlineTsc = guestTsc + pvclockScaleDelta(u64(delta), nsToCyclesMult, nsToCyclesShift);
}

/** Reads swExpiryNs. */
export function getSwExpiryNs(): i64 { return swExpiryNs; }
/** Reads rearmTargetNs. */
export function getRearmTargetNs(): i64 { return rearmTargetNs; }
/** Reads rearmDeadlineTsc. */
export function getRearmDeadlineTsc(): u64 { return rearmDeadlineTsc; }
