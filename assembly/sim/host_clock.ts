// The simulated host clock: CLOCK_MONOTONIC ns and the host TSC it is derived from.
// Simulated time is an input to the core, never the wall clock (architecture.md).

import { umulh } from "../math64";
import { divPreinvShifted, recipDivisor, recipShift, recipValue, setReciprocal } from "../reciprocal_div";

/** Current simulated host time, ns (ktime). */
export let simNowNs: i64 = 0;
/** Host TSC rate, kHz. */
export let hostKhz: u64 = 3000000;
/** Host TSC at simulated time 0. */
export let hostTscBase: u64 = 0;

// hostKhz normalised (top bit set) and its reciprocal: nsWhenHostTscReaches divides by
// it on every hrtimer arm and busy-wait (reciprocal_div.ts).
let khzShift: u64 = 0;
let khzNormalised: u64 = 0;
let khzReciprocal: u64 = 0;

export function setHostClock(khz: u32, tscBase: u64, startNs: i64): void {
  nowTscAtNs = i64.MIN_VALUE;
  hostKhz = u64(khz);
  hostTscBase = tscBase;
  simNowNs = startNs;
  setReciprocal(hostKhz);
  khzShift = u64(recipShift);
  khzNormalised = recipDivisor;
  khzReciprocal = recipValue;
}

export function setNowNs(ns: i64): void {
  simNowNs = ns;
}

/** Simulated now as f64 (exact below 2^53 ns, ~104 days). */
export function nowF64(): f64 {
  return f64(simNowNs);
}

/** Host TSC at host time ns (>= 0): base + floor(ns * khz / 10^6), without 128-bit overflow. */
// @ts-ignore: decorator
@inline
export function hostTscAt(ns: i64): u64 {
  const n = u64(ns);
  const q = n / 1000000;
  const r = n - q * 1000000;
  return hostTscBase + q * hostKhz + (r * hostKhz) / 1000000;
}

// The host TSC at the current simulated time, kept for the instant it was computed at:
// an event reads it several times (the guest's RDTSC, the hv timer's arming, the
// busy-wait), each time with the same now. i64.MIN_VALUE: none yet.
let nowTscAtNs: i64 = i64.MIN_VALUE;
let nowTsc: u64 = 0;

/** hostTscAt(simNowNs), computed once per simulated instant. */
// @ts-ignore: decorator
@inline
export function hostTscNow(): u64 {
  return hostTscAtKept(simNowNs);
}

/**
 * hostTscAt(ns) through hostTscNow's kept value: the chaining asks it of the instant its
 * vCPU's next step runs at (engine_chain.ts ownEventAhead), whose reads of the host TSC
 * then find it kept. A pure function of ns (and the clock set by setHostClock).
 */
// @ts-ignore: decorator
@inline
export function hostTscAtKept(ns: i64): u64 {
  if (ns != nowTscAtNs) {
    nowTsc = hostTscAt(ns);
    nowTscAtNs = ns;
  }
  return nowTsc;
}

/** The earliest host time at which the host TSC has reached `tsc` (ceil of the inverse). */
export function nsWhenHostTscReaches(tsc: u64): i64 {
  return nsWhenHostTscReachesInline(tsc);
}

/** nsWhenHostTscReaches, inlined into the busy-wait and the preemption timer's load (vcpu_timer.ts, vcpu_hv_timer.ts) */
// @ts-ignore: decorator
@inline
export function nsWhenHostTscReachesInline(tsc: u64): i64 {
  if (tsc <= hostTscBase) return 0;
  const d = tsc - hostTscBase;
  const lo = d * 1000000;
  const hi = umulh(d, 1000000);
  if (hi >= hostKhz) return i64.MAX_VALUE;
  // (hi:lo) / hostKhz as (hi:lo << s) / (hostKhz << s); hi < hostKhz keeps the quotient in 64 bits.
  let ns = divPreinvShifted(hi, lo, khzShift, khzNormalised, khzReciprocal);
  if (hostTscAt(i64(ns)) < tsc) ns += 1;
  return ns > u64(i64.MAX_VALUE) ? i64.MAX_VALUE : i64(ns);
}
