// BigInt reference of the ns <-> cycles conversions, re-stated from
// shared/spec/kvm-timer-reference.md §3.

import { doShl32Div32, pvclockScaleDelta, u32, u64 } from "./math64.js";
import type { TimeScale } from "../../src/index.js";

const NSEC_PER_SEC = 1_000_000_000n;
const TWO_32 = 1n << 32n;

/** Why kvm_get_time_scale has no result: the kernel loop never terminates (§11). */
export type TimeScaleRejection = "never-terminates";

// kvm_get_time_scale (arch/x86/kvm/x86.c), spec §3.1 (+ §11 for the non-terminating inputs)
export function getTimeScale(scaledHz: bigint, baseHz: bigint): TimeScale | TimeScaleRejection {
  // 2*scaled is u64 arithmetic: it wraps to 0 for scaled in {0, 2^63}; base 0 never grows.
  if (baseHz === 0n || u64(2n * scaledHz) === 0n) return "never-terminates";
  let base = baseHz;
  let scaled = scaledHz;
  let shift = 0;
  // 1. shrink base
  while (base > u64(scaled * 2n) || base >= TWO_32) {
    base >>= 1n;
    shift -= 1;
  }
  // 2. base as u32
  let b32 = u32(base);
  // 3. balance
  let guard = 0;
  while (b32 <= scaled || scaled >= TWO_32) {
    if (scaled >= TWO_32 || b32 >= 1n << 31n) scaled >>= 1n;
    else b32 = u32(b32 << 1n);
    shift += 1;
    if (++guard > 256) throw new Error(`reference getTimeScale(${scaledHz}, ${baseHz}) does not terminate`);
  }
  // 4. mult = u32(scaled) * 2^32 / b32
  return { shift, mult: Number(doShl32Div32(u32(scaled), b32)) };
}

function mustScale(s: TimeScale | TimeScaleRejection): TimeScale {
  if (s === "never-terminates") throw new Error("unreachable: a non-zero kHz always has a time scale");
  return s;
}

// virtual_tsc_mult/shift set by kvm_set_tsc_khz (arch/x86/kvm/x86.c), spec §2.4 step 3: (khz*1000, 10^9)
export function nsToCyclesScale(tscKhz: number): TimeScale {
  return mustScale(getTimeScale(BigInt(tscKhz) * 1000n, NSEC_PER_SEC));
}

// tsc_to_system_mul/tsc_shift of kvm_guest_time_update (arch/x86/kvm/x86.c), spec §3.1: (10^9, khz*1000)
export function kvmclockScale(tscKhz: number): TimeScale {
  return mustScale(getTimeScale(NSEC_PER_SEC, BigInt(tscKhz) * 1000n));
}

// nsec_to_cycles (arch/x86/kvm/x86.c), spec §3.2
export function nsecToCycles(ns: bigint, tscKhz: number): bigint {
  const { mult, shift } = nsToCyclesScale(tscKhz);
  return pvclockScaleDelta(ns, mult, shift);
}

// guest cycles -> ns with do_div in lapic.c (start_sw_tscdeadline & co.), spec §3.3
export function cyclesToNs(cycles: bigint, tscKhz: number): bigint {
  return u64(cycles * 1_000_000n) / BigInt(tscKhz); // the multiply wraps before the divide
}
