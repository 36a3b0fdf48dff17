// Public API of the ns <-> cycle conversions (spec §3).

import { wasm } from "../wasm.js";
import { InputRangeError } from "../errors.js";
import { khz, u64 } from "./validate.js";

export interface TimeScale {
  /** s8 shift applied before the multiply (negative = right shift). */
  shift: number;
  /** u32 multiplier, a 0.32 fixed-point fraction. */
  mult: number;
}

/**
 * kvm_get_time_scale (§3.1). baseHz = 0 and scaledHz in {0, 2^63} are rejected: the
 * kernel loop never terminates for them (§11).
 */
export function getTimeScale(scaledHz: bigint, baseHz: bigint): TimeScale {
  u64("scaledHz", scaledHz);
  u64("baseHz", baseHz);
  if (baseHz === 0n) throw new InputRangeError("baseHz", baseHz, "1n..2^64-1 (kvm_get_time_scale never terminates on 0)");
  if (scaledHz === 0n || scaledHz === 1n << 63n) {
    throw new InputRangeError("scaledHz", scaledHz, "1n..2^64-1 except 2^63 (kvm_get_time_scale never terminates there)");
  }
  const mult = wasm.getTimeScale(scaledHz, baseHz);
  return { shift: wasm.getTimeScaleShift(), mult };
}

/** ns -> guest cycles scale of kvm_set_tsc_khz: getTimeScale(khz*1000, 10^9). */
export function nsToCyclesScale(tscKhz: number): TimeScale {
  return getTimeScale(BigInt(khz("tscKhz", tscKhz)) * 1000n, 1_000_000_000n);
}

/** kvmclock's cycles -> ns scale (kvm_guest_time_update): getTimeScale(10^9, khz*1000). */
export function kvmclockScale(tscKhz: number): TimeScale {
  return getTimeScale(1_000_000_000n, BigInt(khz("tscKhz", tscKhz)) * 1000n);
}

/** nsec_to_cycles (§3.2): pvclock_scale_delta(ns, mult, shift) with the guest's scale. */
export function nsecToCycles(ns: bigint, tscKhz: number): bigint {
  return wasm.nsecToCycles(u64("ns", ns), khz("tscKhz", tscKhz));
}

/** lapic.c's guest cycles -> ns (§3.3): floor(u64(cycles*10^6) / khz), wrapping at 2^64. */
export function cyclesToNs(cycles: bigint, tscKhz: number): bigint {
  return wasm.cyclesToNs(u64("cycles", cycles), khz("tscKhz", tscKhz));
}
