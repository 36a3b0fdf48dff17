// The software LAPIC timer: the hrtimer KVM arms when the hv timer is not used (spec §4.4,
// §4.5) — start_sw_tscdeadline's expiry in deadline mode, and the one-shot/periodic
// target_expiration and period set from TMICT (set_target_expiration,
// update_target_expiration, advance_periodic_target_expiration, apic_get_tmcct). Each
// decision runs over the per-vCPU record (vcpu_layout.ts) with the arithmetic in
// ../lapic_timer.ts; the hrtimer's callback is an event on the queue. Both engines call these.

import { startSwTscdeadline, swExpiryNs, advancePeriodicTarget, rearmTargetNs, rearmDeadlineTsc, applyPeriodicFloor, tmcct, tmictToNs } from "../lapic_timer";
import { simNowNs } from "./host_clock";
import { queuePush } from "./event_queue";
import { TSCDEADLINE, TARGET_NS, PERIOD_NS, SW_EXPIRY_NS, TSC_KHZ, MULT, SHIFT, ADVANCE_NS, rec, guestTscNow, nsecToCyclesFor } from "./vcpu_layout";
import { globalAdvanceNs } from "./vcpu_timer";

// ---- software timer (hrtimer) ----

/**
 * start_sw_tscdeadline (spec §4.4) at the current time. Returns SwDeadline; an Armed
 * expiry is kept for pushAtSwExpiry.
 */
export function swTscdeadlineArm(v: i32, checkAdvance: bool, global: bool): i32 {
  return swTscdeadlineArmInline(v, checkAdvance, global);
}

/** swTscdeadlineArm, inlined where the engine starts the hrtimer (engine_lapic_start.ts startSwTimerOn). */
// @ts-ignore: decorator
@inline
export function swTscdeadlineArmInline(v: i32, checkAdvance: bool, global: bool): i32 {
  const p = rec(v);
  const advance = global ? globalAdvanceNs : load<u32>(p + ADVANCE_NS);
  const st = startSwTscdeadline(load<u64>(p + TSCDEADLINE), guestTscNow(p), load<u32>(p + TSC_KHZ), advance, simNowNs, checkAdvance);
  if (st == 2) store<i64>(p + SW_EXPIRY_NS, swExpiryNs);
  return st;
}

/** When an hrtimer expiring at expiryNs (now if past) runs its callback, delayNs later. */
// @ts-ignore: decorator
@inline
function hrtimerCallbackAtNs(expiryNs: i64, delayNs: f64): i64 {
  return (expiryNs > simNowNs ? expiryNs : simNowNs) + i64(delayNs);
}

/** When the hrtimer at the expiry start_sw_tscdeadline computed runs its callback. */
export function swExpiryCallbackAtNs(v: i32, delayNs: f64): i64 {
  return hrtimerCallbackAtNs(load<i64>(rec(v) + SW_EXPIRY_NS), delayNs);
}

/** The hrtimer at the expiry start_sw_tscdeadline computed. */
export function pushAtSwExpiry(v: i32, payload: u32, delayNs: f64): u32 {
  return queuePush(swExpiryCallbackAtNs(v, delayNs), payload);
}

/**
 * The hrtimer at target_expiration - earlyNs (start_sw_period; mainline's periodic re-arm;
 * earlyNs > 0 only for the kvm.advanceOneshot proposal).
 */
export function pushAtTarget(v: i32, payload: u32, delayNs: f64, earlyNs: f64): u32 {
  return queuePush(callbackAtTargetNs(v, delayNs, earlyNs), payload);
}

/** pushAtTarget's expiry (stored) and the callback's time, without the push (the caller holds it back). */
// @ts-ignore: decorator
@inline
export function callbackAtTargetNs(v: i32, delayNs: f64, earlyNs: f64): i64 {
  const p = rec(v);
  const t = load<i64>(p + TARGET_NS) - i64(earlyNs);
  store<i64>(p + SW_EXPIRY_NS, t);
  return hrtimerCallbackAtNs(t, delayNs);
}

/** Pre-2025 periodic re-arm of the hrtimer: its own expiry + period (hrtimer_add_expires_ns). */
export function pushAtExpiryPlusPeriod(v: i32, payload: u32, delayNs: f64): u32 {
  return queuePush(callbackAtExpiryPlusPeriodNs(v, delayNs), payload);
}

/** pushAtExpiryPlusPeriod's expiry (stored) and the callback's time, without the push. */
// @ts-ignore: decorator
@inline
export function callbackAtExpiryPlusPeriodNs(v: i32, delayNs: f64): i64 {
  const p = rec(v);
  const t = load<i64>(p + SW_EXPIRY_NS) + load<i64>(p + PERIOD_NS);
  store<i64>(p + SW_EXPIRY_NS, t);
  return hrtimerCallbackAtNs(t, delayNs);
}

/** Host ns until the armed hrtimer expiry (for reports and tests). */
export function swExpiryInNs(v: i32): f64 {
  return f64(load<i64>(rec(v) + SW_EXPIRY_NS) - simNowNs);
}

// ---- one-shot / periodic (spec §4.4, §4.5) ----

/**
 * The period set_target_expiration takes from TMICT (with the periodic floor in periodic
 * mode), stored in the record; a zero period also clears the deadline. Returns the period.
 */
function storePeriodFromTmict(p: usize, tmict: u32, tdcr: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32): i64 {
  let period = i64(tmictToNs(tmict, tdcr, busCycleNs));
  if (period == 0) store<u64>(p + TSCDEADLINE, 0);
  else if (periodic) period = applyPeriodicFloor(period, minTimerPeriodUs);
  store<i64>(p + PERIOD_NS, period);
  return period;
}

/**
 * set_target_expiration with count_reg = TMICT: period = tmict_to_ns (periodic floor in
 * periodic mode); 0 -> tscdeadline := 0 and false. Else tscdeadline = guest TSC +
 * nsec_to_cycles(period), target = now + period.
 */
export function setTargetExpiration(v: i32, tmict: u32, tdcr: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32): bool {
  const p = rec(v);
  const period = storePeriodFromTmict(p, tmict, tdcr, busCycleNs, periodic, minTimerPeriodUs);
  if (period == 0) return false;
  store<u64>(p + TSCDEADLINE, guestTscNow(p) + nsecToCyclesFor(p, u64(period)));
  store<i64>(p + TARGET_NS, simNowNs + period);
  return true;
}

/**
 * set_target_expiration(apic, APIC_TMCCT), the restore path (kvm_apic_set_state): the
 * period from TMICT, the first deadline from the saved count; a count at 0 restarts a
 * periodic timer with a full period and fires a one-shot at once when `expiredFiresNow`
 * (8e6ed96cdd50), else with a full period; a count above TMICT's period uses the period.
 */
export function setTargetExpirationFromCount(v: i32, tmict: u32, count: u32, tdcr: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32, expiredFiresNow: bool): bool {
  const p = rec(v);
  const period = storePeriodFromTmict(p, tmict, tdcr, busCycleNs, periodic, minTimerPeriodUs);
  if (period == 0) return false;
  let deadline = i64(tmictToNs(count, tdcr, busCycleNs));
  if (deadline <= 0) deadline = periodic || !expiredFiresNow ? period : 0;
  else if (deadline > period) deadline = period;
  store<u64>(p + TSCDEADLINE, guestTscNow(p) + nsecToCyclesFor(p, u64(deadline)));
  store<i64>(p + TARGET_NS, simNowNs + deadline);
  return true;
}

/** Re-applies the periodic floor on a mode switch (apic_update_lvtt). */
export function reapplyPeriodicFloor(v: i32, minTimerPeriodUs: u32): void {
  const p = rec(v);
  const period = load<i64>(p + PERIOD_NS);
  if (period != 0) store<i64>(p + PERIOD_NS, applyPeriodicFloor(period, minTimerPeriodUs));
}

export function periodIsZero(v: i32): bool {
  return load<i64>(rec(v) + PERIOD_NS) == 0;
}

export function periodNsF64(v: i32): f64 {
  return f64(load<i64>(rec(v) + PERIOD_NS));
}

/** now > target_expiration (start_sw_period's "already expired" test). */
export function targetPassed(v: i32): bool {
  return simNowNs > load<i64>(rec(v) + TARGET_NS);
}

/** Injection in one-shot mode zeroes target_expiration (spec §4.5). */
export function targetClear(v: i32): void {
  store<i64>(rec(v) + TARGET_NS, 0);
}

export function clearPeriod(v: i32): void {
  store<i64>(rec(v) + PERIOD_NS, 0);
}

/** advance_periodic_target_expiration with the era's variant (PeriodicRearm). */
export function periodicRearm(v: i32, variant: i32): void {
  const p = rec(v);
  advancePeriodicTarget(load<i64>(p + TARGET_NS), load<i64>(p + PERIOD_NS), simNowNs, guestTscNow(p), load<u32>(p + MULT), load<i32>(p + SHIFT), variant);
  store<i64>(p + TARGET_NS, rearmTargetNs);
  store<u64>(p + TSCDEADLINE, rearmDeadlineTsc);
}

/** Pre-d8f2f498d9ed drift model: the deadline advanced by nsec_to_cycles(period) independently. */
export function periodicRearmLegacyDrift(v: i32): void {
  const p = rec(v);
  const period = load<i64>(p + PERIOD_NS);
  store<i64>(p + TARGET_NS, load<i64>(p + TARGET_NS) + period);
  store<u64>(p + TSCDEADLINE, load<u64>(p + TSCDEADLINE) + nsecToCyclesFor(p, u64(period)));
}

/**
 * update_target_expiration (spec §4.4): TDCR changed while running; the remaining time
 * is rescaled by floor(rem * new / old) and tscdeadline moved by the cycle difference.
 */
export function updateTargetExpiration(v: i32, tmict: u32, tdcr: u32, oldDivide: u32, newDivide: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32): void {
  const p = rec(v);
  let period = i64(tmictToNs(tmict, tdcr, busCycleNs));
  if (periodic) period = applyPeriodicFloor(period, minTimerPeriodUs);
  store<i64>(p + PERIOD_NS, period);
  let remOld = load<i64>(p + TARGET_NS) - simNowNs;
  if (remOld < 0) remOld = 0;
  const remNew = i64((u64(remOld) * u64(newDivide)) / u64(oldDivide));
  const td = load<u64>(p + TSCDEADLINE) + nsecToCyclesFor(p, u64(remNew)) - nsecToCyclesFor(p, u64(remOld));
  store<u64>(p + TSCDEADLINE, td);
  store<i64>(p + TARGET_NS, simNowNs + remNew);
}

/** apic_get_tmcct (spec §4.6) for one-shot/periodic mode. */
export function readTmcct(v: i32, tmict: u32, busCycleNs: u32, divide: u32): u32 {
  const p = rec(v);
  return tmcct(tmict, load<i64>(p + PERIOD_NS), load<i64>(p + TARGET_NS), simNowNs, busCycleNs, divide);
}
