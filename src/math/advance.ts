// Public API of timer advancement and the busy-wait (spec §5).

import { wasm } from "../wasm.js";
import { InputRangeError } from "../errors.js";
import { int, khz, s64, u32, u64 } from "./validate.js";
import { nsToCyclesScale } from "./time-scale.js";

/** LAPIC_TIMER_ADVANCE_* (§5.1). */
export const TIMER_ADVANCE = {
  adjustMinCycles: 100,
  adjustMaxCycles: 10000,
  initNs: 1000,
  maxNs: 5000,
  adjustStep: 8,
} as const;

/**
 * adjust_lapic_timer_advance, mainline (v5.4+) rule (§5.4): deltaCycles = G - D (guest
 * TSC at the wait minus the deadline); |delta| outside [100, 10000] cycles is ignored;
 * step floor(ns/8); u32 wrap; > 5000 ns resets to 1000.
 */
export function adjustTimerAdvance(advanceNs: number, deltaCycles: bigint, tscKhz: number): number {
  return wasm.adjustTimerAdvance(u32("advanceNs", advanceNs), s64("deltaCycles", deltaCycles), khz("tscKhz", tscKhz));
}

export type LegacyTunerEra = "v4.20" | "v5.1";

/**
 * The pre-v5.4 tuner (§5.2): step min(u32(ns), advance/8), done once |delta| < 100
 * cycles; "v4.20" is unbounded, "v5.1" sets the advance to 0 (and stops) above 5000 ns.
 */
export function adjustTimerAdvanceLegacy(
  advanceNs: number,
  deltaCycles: bigint,
  tscKhz: number,
  era: LegacyTunerEra,
): { advanceNs: number; done: boolean } {
  if (era !== "v4.20" && era !== "v5.1") throw new InputRangeError("era", era, '"v4.20" or "v5.1"');
  const code = era === "v4.20" ? wasm.TunerEra.V4_20 : wasm.TunerEra.V5_1;
  const next = wasm.adjustTimerAdvanceLegacy(u32("advanceNs", advanceNs), s64("deltaCycles", deltaCycles), khz("tscKhz", tscKhz), code);
  return { advanceNs: next, done: wasm.getTunerDone() };
}

/**
 * ndelay on x86 (§1.7): the __delay loop count (host TSC cycles waited, at least),
 * floor(u32(ns*20) * u32(lpj*(HZ/4)) / 2^32) + 1 with lpj = floor(hostKhz*1000/HZ).
 */
export function ndelayLoops(ns: number, hostKhz: number, hz = 1000): bigint {
  return wasm.ndelayLoops(u32("ns", ns), khz("hostKhz", hostKhz), int("hz", hz, 4, 100000, "a kernel HZ"));
}

export interface BusyWaitInput {
  /** D - G: guest cycles left until the deadline at the wait. */
  guestCycles: bigint;
  advanceNs: number;
  /** virtual_tsc_khz of the guest. */
  tscKhz: number;
  /** Whether the vCPU's TSC scaling ratio differs from the default. */
  scaled: boolean;
  /** Host TSC rate, for ndelay's loop count and the wait in ns. */
  hostKhz: number;
  hz?: number;
}

export type BusyWait =
  | { kind: "unscaled"; hostCycles: bigint; hostNs: bigint }
  | { kind: "scaled"; delayNs: number; hostCycles: bigint; hostNs: bigint };

/**
 * __wait_lapic_expire (§5.4). Unscaled: __delay(min(guestCycles, nsec_to_cycles(advance)))
 * with guest cycles taken as host cycles. Scaled: ndelay(min(u32(do_div ns), advance))
 * with ndelay's ~16 % overshoot. hostNs is the wait in host ns (floor at the host rate).
 */
export function busyWaitLength(input: BusyWaitInput): BusyWait {
  const guestCycles = u64("guestCycles", input.guestCycles);
  const advanceNs = u32("advanceNs", input.advanceNs);
  const tscKhz = khz("tscKhz", input.tscKhz);
  const hostKhz = khz("hostKhz", input.hostKhz);
  const toHostNs = (cycles: bigint): bigint => wasm.cyclesToNs(cycles, hostKhz);
  if (!input.scaled) {
    const scale = nsToCyclesScale(tscKhz);
    const hostCycles = wasm.busyWaitUnscaledCycles(guestCycles, advanceNs, scale.mult, scale.shift);
    return { kind: "unscaled", hostCycles, hostNs: toHostNs(hostCycles) };
  }
  const delayNs = wasm.busyWaitScaledNs(guestCycles, tscKhz, advanceNs);
  const hostCycles = ndelayLoops(delayNs, hostKhz, input.hz ?? 1000);
  return { kind: "scaled", delayNs, hostCycles, hostNs: toHostNs(hostCycles) };
}
