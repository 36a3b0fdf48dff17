// Timer advancement: adaptive tuning and the deadline busy-wait (spec §5).

import { pvclockScaleDelta } from "./math64";
import { cyclesToNs } from "./time_scale";

/** LAPIC_TIMER_ADVANCE_* constants (§5.1). */
export const ADVANCE_ADJUST_MIN_CYCLES: i64 = 100;
export const ADVANCE_ADJUST_MAX_CYCLES: i64 = 10000;
export const ADVANCE_NS_INIT: u32 = 1000;
export const ADVANCE_NS_MAX: u32 = 5000;
export const ADVANCE_ADJUST_STEP: u32 = 8;

/** Kernel eras of the tuner (spec §5.2, seed-history §3.4). */
export enum TunerEra {
  /** v4.20 .. v5.0 (3b8a5df6c4dc): step min(ns, advance/8), unbounded, stops once converged. */
  V4_20 = 0,
  /** v5.1 .. v5.3 (57bf67e73ce9): as V4_20 but > 5000 ns disables advancement (0). */
  V5_1 = 1,
  /** v5.4 onward, mainline: filter 100..10000 cycles, step ns/8, > 5000 ns resets to 1000. */
  Mainline = 2,
}

/** Set by the V4_20 / V5_1 tuners when tuning stops for good ("adjust done"). */
export let tunerDone: bool = false;

// @ts-ignore: decorator
@inline
function absS64(x: i64): i64 {
  // The kernel's abs() on s64: -S64_MIN stays S64_MIN (negative).
  return x < 0 ? -x : x;
}

/** adjust_lapic_timer_advance, mainline and v5.4 rule (§5.4); delta = G - D in guest cycles. */
export function adjustTimerAdvance(advanceNs: u32, deltaCycles: i64, tscKhz: u32): u32 {
  const magnitude = absS64(deltaCycles);
  if (magnitude > ADVANCE_ADJUST_MAX_CYCLES || magnitude < ADVANCE_ADJUST_MIN_CYCLES) return advanceNs;
  const ns = cyclesToNs(u64(magnitude), tscKhz);
  const step = u32(ns / ADVANCE_ADJUST_STEP);
  let advance = deltaCycles < 0 ? advanceNs - step : advanceNs + step;
  if (advance > ADVANCE_NS_MAX) advance = ADVANCE_NS_INIT;
  return advance;
}

/**
 * The pre-v5.4 tuner (v4.20 global / v5.1 per-vCPU, §5.2): move by
 * min(u32(ns), advance/8) toward the error, "done" once |delta| < 100 cycles;
 * v5.1 additionally disables advancement above 5000 ns. Sets tunerDone.
 */
export function adjustTimerAdvanceLegacy(advanceNs: u32, deltaCycles: i64, tscKhz: u32, era: i32): u32 {
  const early = deltaCycles < 0;
  const magnitude: u64 = early ? u64(0) - u64(deltaCycles) : u64(deltaCycles);
  const ns = u32(cyclesToNs(magnitude, tscKhz));
  const cap = advanceNs / ADVANCE_ADJUST_STEP;
  const step = ns < cap ? ns : cap;
  let advance = early ? advanceNs - step : advanceNs + step;
  tunerDone = absS64(deltaCycles) < ADVANCE_ADJUST_MIN_CYCLES;
  if (era == TunerEra.V5_1 && advance > ADVANCE_NS_MAX) {
    advance = 0;
    tunerDone = true;
  }
  return advance;
}

/**
 * ndelay on x86 (§1.7): loops = floor(u32(ns*5*4) * u32(lpj*(HZ/4)) / 2^32) + 1, with
 * lpj = floor(host_khz*1000/HZ) for a TSC delay loop; waits at least that many host cycles.
 */
export function ndelayLoops(ns: u32, hostKhz: u32, hz: u32): u64 {
  // The factor depends on the host alone: kept for the (hostKhz, hz) it was computed for
  // (two 64-bit divides by a variable on every scaled busy-wait otherwise).
  if (hostKhz != factorKhz || hz != factorHz) {
    const lpj = (u64(hostKhz) * 1000) / u64(hz);
    ndelayFactor = u64(u32(lpj * u64(hz / 4)));
    factorKhz = hostKhz;
    factorHz = hz;
  }
  const x = u64(u32(u64(ns) * 20));
  return ((x * ndelayFactor) >> 32) + 1;
}

// ndelayLoops' factor u32(lpj * (HZ/4)) and the host it is for; factorHz 0 (never a valid
// HZ, ndelayLoops would divide by it): none yet.
let ndelayFactor: u64 = 0;
let factorKhz: u32 = 0;
let factorHz: u32 = 0;

/**
 * __wait_lapic_expire, unscaled TSC (§5.4): __delay(min(guest cycles,
 * nsec_to_cycles(advance))) host cycles, guest cycles taken as host cycles.
 */
export function busyWaitUnscaledCycles(guestCycles: u64, advanceNs: u32, nsToCyclesMult: u32, nsToCyclesShift: i32): u64 {
  const bound = pvclockScaleDelta(u64(advanceNs), nsToCyclesMult, nsToCyclesShift);
  return guestCycles < bound ? guestCycles : bound;
}

/**
 * __wait_lapic_expire, scaled TSC (§5.4): delay_ns = do_div form of the guest cycles,
 * truncated to u32 before min with the advance; returns the ns given to ndelay.
 */
export function busyWaitScaledNs(guestCycles: u64, tscKhz: u32, advanceNs: u32): u32 {
  const delayNs = u32(cyclesToNs(guestCycles, tscKhz));
  return delayNs < advanceNs ? delayNs : advanceNs;
}

/**
 * v4.0 busy-wait (d0659d946be0): __delay(deadline - guest_tsc) guest cycles used as
 * host cycles, unbounded and without scaled-TSC conversion.
 */
export function busyWaitV40Cycles(guestCycles: u64): u64 {
  return guestCycles;
}

/** Reads tunerDone. */
export function getTunerDone(): bool { return tunerDone; }
