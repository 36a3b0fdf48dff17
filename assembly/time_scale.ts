// ns <-> cycle conversions of arch/x86/kvm/x86.c and lapic.c (spec §3).

import { pvclockScaleDelta } from "./math64";

/** Shift of the last getTimeScale call (s8 in the kernel). */
export let timeScaleShift: i32 = 0;

/**
 * kvm_get_time_scale (§3.1): (shift, mult) so that out = ((in << shift) * mult) >> 32
 * converts a quantity ticking at baseHz into one ticking at scaledHz. Returns mult;
 * the shift goes to timeScaleShift. The kernel loops forever for baseHz == 0 or
 * scaledHz in {0, 2^63} (§11); callers must reject those (asserted here).
 */
export function getTimeScale(scaledHz: u64, baseHz: u64): u32 {
  assert(baseHz != 0 && scaledHz != 0 && scaledHz != 0x8000000000000000, "kvm_get_time_scale would not terminate");
  let shift: i32 = 0;
  let scaled = scaledHz;
  let base = baseHz;
  const scaledTwice = scaled << 1; // u64: wraps for scaled >= 2^63, as in the kernel
  while (base > scaledTwice || (base >> 32) != 0) {
    base >>= 1;
    shift--;
  }
  let base32 = u32(base);
  while (u64(base32) <= scaled || (scaled >> 32) != 0) {
    if ((scaled >> 32) != 0 || (base32 & 0x80000000) != 0) {
      scaled >>= 1;
    } else {
      base32 <<= 1;
    }
    shift++;
  }
  timeScaleShift = shift;
  // do_shl32_div32: (scaled << 32) / base32, scaled < base32 so the quotient fits u32.
  return u32((scaled << 32) / u64(base32));
}

/** Mult of nsec_to_cycles for a guest of tscKhz (kvm_set_tsc_khz: scaled = khz*1000, base = 1e9). */
export function nsToCyclesMult(tscKhz: u32): u32 {
  return getTimeScale(u64(tscKhz) * 1000, 1000000000);
}

/** nsec_to_cycles (§3.2): pvclock_scale_delta(ns, virtual_tsc_mult, virtual_tsc_shift). */
export function nsecToCycles(ns: u64, tscKhz: u32): u64 {
  const mult = nsToCyclesMult(tscKhz);
  return pvclockScaleDelta(ns, mult, timeScaleShift);
}

/** nsec_to_cycles with a precomputed (mult, shift), for per-vCPU hot paths. */
export function nsecToCyclesScaled(ns: u64, mult: u32, shift: i32): u64 {
  return pvclockScaleDelta(ns, mult, shift);
}

/**
 * The lapic.c do_div form of guest cycles -> ns (§3.3):
 * floor(u64(cycles * 10^6) / virtual_tsc_khz). The multiply wraps at 2^64 on purpose.
 */
// @ts-ignore: decorator
@inline
export function cyclesToNs(cycles: u64, tscKhz: u32): u64 {
  return (cycles * 1000000) / u64(tscKhz);
}

/** Reads timeScaleShift. */
export function getTimeScaleShift(): i32 { return timeScaleShift; }
