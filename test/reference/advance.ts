// BigInt reference of timer advancement, its tuner and the busy-wait, re-stated from
// shared/spec/kvm-timer-reference.md §1.7, §5.

import { s64, u32, u64 } from "./math64.js";
import { cyclesToNs, nsecToCycles } from "./time-scale.js";
import type { LegacyTunerEra, BusyWaitInput, BusyWait } from "../../src/index.js";

const ADJUST_MIN = 100n; // LAPIC_TIMER_ADVANCE_ADJUST_MIN, guest cycles
const ADJUST_MAX = 10000n; // LAPIC_TIMER_ADVANCE_ADJUST_MAX, guest cycles
const ADVANCE_NS_INIT = 1000n; // LAPIC_TIMER_ADVANCE_NS_INIT
const ADVANCE_NS_MAX = 5000n; // LAPIC_TIMER_ADVANCE_NS_MAX
const ADJUST_STEP = 8n; // LAPIC_TIMER_ADVANCE_ADJUST_STEP
const ADJUST_DONE = 100n; // LAPIC_TIMER_ADVANCE_ADJUST_DONE of the pre-v5.4 tuner

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
/** The kernel's abs() on an s64: -S64_MIN wraps back to S64_MIN (negative). */
const cAbs = (x: bigint): bigint => s64(abs(x));

// adjust_lapic_timer_advance (arch/x86/kvm/lapic.c, v5.4+), spec §5.4; delta = G - D in guest cycles
export function adjustTimerAdvance(advanceNs: number, deltaCycles: bigint, tscKhz: number): number {
  const magnitude = cAbs(deltaCycles);
  if (magnitude > ADJUST_MAX || magnitude < ADJUST_MIN) return advanceNs; // spike/jitter filter (S64_MIN: "< 100")
  const ns = (magnitude * 1_000_000n) / BigInt(tscKhz);
  const step = ns / ADJUST_STEP;
  let advance = u32(deltaCycles < 0n ? BigInt(advanceNs) - step : BigInt(advanceNs) + step); // u32 wraps
  if (advance > ADVANCE_NS_MAX) advance = ADVANCE_NS_INIT;
  return Number(advance);
}

// wait_lapic_expire's auto-tuning before the v5.4 filter (arch/x86/kvm/lapic.c, v4.20 and v5.1), spec §5.2
export function adjustTimerAdvanceLegacy(
  advanceNs: number,
  deltaCycles: bigint,
  tscKhz: number,
  era: LegacyTunerEra,
): { advanceNs: number; done: boolean } {
  const advance = BigInt(advanceNs);
  // ns = u64(|G - D| * 10^6) / khz, then truncated to unsigned int for the min()
  const ns = u32(u64(u64(abs(deltaCycles)) * 1_000_000n) / BigInt(tscKhz));
  const step = ns < advance / ADJUST_STEP ? ns : advance / ADJUST_STEP;
  let next = u32(deltaCycles < 0n ? advance - step : advance + step); // G < D: fired too early
  let done = cAbs(deltaCycles) < ADJUST_DONE; // abs(S64_MIN) stays negative in C: "done"
  if (era === "v5.1" && next > ADVANCE_NS_MAX) {
    next = 0n; // "disable if haywire"
    done = true;
  }
  return { advanceNs: Number(next), done };
}

// ndelay -> __const_udelay -> __delay (arch/x86/lib/delay.c), spec §1.7: the loop count
export function ndelayLoops(ns: number, hostKhz: number, hz = 1000): bigint {
  const lpj = (BigInt(hostKhz) * 1000n) / BigInt(hz); // loops_per_jiffy of a TSC delay loop
  const x = u32(BigInt(ns) * 5n * 4n); // ns * 0x5, then xloops *= 4, low 32 bits into eax
  const m = u32(lpj * BigInt(Math.floor(hz / 4))); // lpj * (HZ/4) into edx
  return ((x * m) >> 32n) + 1n; // mull: edx = high word; __delay(++xloops)
}

// __wait_lapic_expire (arch/x86/kvm/lapic.c), spec §5.4
export function busyWaitLength(input: BusyWaitInput): BusyWait {
  const { guestCycles, advanceNs, tscKhz, hostKhz } = input;
  if (!input.scaled) {
    const cap = nsecToCycles(BigInt(advanceNs), tscKhz);
    const hostCycles = guestCycles < cap ? guestCycles : cap; // guest cycles used as host cycles
    return { kind: "unscaled", hostCycles, hostNs: cyclesToNs(hostCycles, hostKhz) };
  }
  const delayNs64 = cyclesToNs(guestCycles, tscKhz);
  const truncated = u32(delayNs64); // u32 truncation before the min
  const delayNs = Number(truncated < BigInt(advanceNs) ? truncated : BigInt(advanceNs));
  const hostCycles = ndelayLoops(delayNs, hostKhz, input.hz ?? 1000);
  return { kind: "scaled", delayNs, hostCycles, hostNs: cyclesToNs(hostCycles, hostKhz) };
}
