// BigInt reference of the LAPIC timer arithmetic, re-stated from
// shared/spec/kvm-timer-reference.md §4 and §11.

import { s64, u32, u64 } from "./math64.js";
import { cyclesToNs, nsecToCycles } from "./time-scale.js";
import type { TmcctInput, SwTscdeadlineInput, SwTscdeadlineDecision, PeriodicRearmInput } from "../../src/index.js";

// apic_update_divide / divide_count (arch/x86/kvm/lapic.c), spec §4.1
export function tdcrDivide(tdcr: number): number {
  const t = tdcr & 0xf;
  const idx = ((t & 3) | ((t & 8) >> 1)) + 1;
  return 1 << (idx & 7);
}

// tmict_to_ns (arch/x86/kvm/lapic.c), spec §4.1
export function tmictToNs(tmict: number, tdcr: number, busCycleNs: number): bigint {
  return u64(BigInt(tmict) * BigInt(busCycleNs) * BigInt(tdcrDivide(tdcr)));
}

// limit_periodic_timer_frequency (arch/x86/kvm/lapic.c), spec §4.1: s64 compare with min_timer_period_us*1000
export function applyPeriodicFloor(periodNs: bigint, minTimerPeriodUs = 200): bigint {
  const minPeriod = BigInt(minTimerPeriodUs) * 1000n;
  return periodNs < minPeriod ? minPeriod : periodNs;
}

// apic_get_tmcct (arch/x86/kvm/lapic.c), spec §4.6 and §11 (one-shot/periodic modes)
export function tmcct(input: TmcctInput): number {
  if (input.tmict === 0 || input.periodNs === 0n) return 0;
  let remaining = s64(input.targetNs - input.nowNs); // ktime_sub wraps as s64
  if (remaining < 0n) remaining = 0n;
  const ns = remaining % input.periodNs; // C '%' on s64: BigInt '%' truncates the same way
  const perCount = BigInt(input.busCycleNs) * BigInt(tdcrDivide(input.tdcr));
  return Number(u32(ns / perCount));
}

// start_sw_tscdeadline (arch/x86/kvm/lapic.c), spec §4.4 and §11
export function startSwTscdeadline(input: SwTscdeadlineInput): SwTscdeadlineDecision {
  const { deadlineTsc, guestTsc, tscKhz, advanceNs, nowNs } = input;
  if (deadlineTsc === 0n || tscKhz === 0) return { kind: "not-armed" };
  const ns = cyclesToNs(u64(deadlineTsc - guestTsc), tscKhz); // u64 subtraction, product wraps
  const longEnough = (input.checkAdvance ?? true) ? ns > BigInt(advanceNs) : true; // v5.1+ guard
  if (deadlineTsc > guestTsc && longEnough) {
    return { kind: "armed", expiryNs: s64(nowNs + ns - BigInt(advanceNs)) }; // ktime arithmetic wraps as s64
  }
  return { kind: "expire-now" };
}

// advance_periodic_target_expiration (arch/x86/kvm/lapic.c), spec §4.5: mainline "clamp",
// pre-2025 "wrap" (negative delta fed to nsec_to_cycles as u64), unmerged v2 "skip-negative"
export function advancePeriodicTarget(input: PeriodicRearmInput): { targetNs: bigint; deadlineTsc: bigint } {
  const { periodNs, nowNs, guestTsc, tscKhz, variant } = input;
  let targetNs = s64(input.targetNs + periodNs); // ktime_add_ns
  if (variant === "clamp" && targetNs < nowNs) targetNs = nowNs;
  const delta = s64(targetNs - nowNs); // ktime_sub
  let deadlineTsc: bigint;
  if (variant === "skip-negative" && delta <= 0n) deadlineTsc = guestTsc;
  else deadlineTsc = u64(guestTsc + nsecToCycles(u64(delta), tscKhz));
  return { targetNs, deadlineTsc };
}
