// Public API of the LAPIC timer arithmetic (spec §4).

import { wasm } from "../wasm.js";
import { InputRangeError } from "../errors.js";
import { int, khz, s64, u32, u64 } from "./validate.js";
import { nsToCyclesScale } from "./time-scale.js";

/** Largest apic_bus_cycle_ns KVM_CAP_X86_APIC_BUS_CYCLES_NS accepts (§4.1). */
export const MAX_APIC_BUS_CYCLE_NS = 33554432;
/** min_timer_period_us default (§4.1). */
export const DEFAULT_MIN_TIMER_PERIOD_US = 200;

function busNs(value: unknown): number {
  return int("busCycleNs", value, 1, MAX_APIC_BUS_CYCLE_NS, "APIC bus cycle ns");
}

/** TDCR -> divide_count (§4.1): 0->2, 1->4, 2->8, 3->16, 8->32, 9->64, 0xA->128, 0xB->1. */
export function tdcrDivide(tdcr: number): number {
  return wasm.tdcrDivide(u32("tdcr", tdcr));
}

/** tmict_to_ns (§4.1): u64(tmict * busCycleNs * divide_count). */
export function tmictToNs(tmict: number, tdcr: number, busCycleNs: number): bigint {
  return wasm.tmictToNs(u32("tmict", tmict), u32("tdcr", tdcr), busNs(busCycleNs));
}

/** The periodic-mode floor (§4.1): max(periodNs, minTimerPeriodUs*1000) on s64. */
export function applyPeriodicFloor(periodNs: bigint, minTimerPeriodUs = DEFAULT_MIN_TIMER_PERIOD_US): bigint {
  return wasm.applyPeriodicFloor(s64("periodNs", periodNs), u32("minTimerPeriodUs", minTimerPeriodUs));
}

export interface TmcctInput {
  tmict: number;
  /** Current period (s64 ns, after the periodic floor). */
  periodNs: bigint;
  /** target_expiration (host ns, s64 ktime). */
  targetNs: bigint;
  nowNs: bigint;
  busCycleNs: number;
  tdcr: number;
}

/** apic_get_tmcct (§4.6) for one-shot/periodic mode (TSC-deadline mode reads 0). */
export function tmcct(input: TmcctInput): number {
  const divide = tdcrDivide(input.tdcr);
  return wasm.tmcct(
    u32("tmict", input.tmict),
    s64("periodNs", input.periodNs),
    s64("targetNs", input.targetNs),
    s64("nowNs", input.nowNs),
    busNs(input.busCycleNs),
    divide,
  );
}

export interface SwTscdeadlineInput {
  deadlineTsc: bigint;
  guestTsc: bigint;
  /** virtual_tsc_khz; 0 means "not set" and arms nothing, as in the kernel. */
  tscKhz: number;
  advanceNs: number;
  nowNs: bigint;
  /** v5.1+ "expired if deadline too short" guard (ns > advance). Default true. */
  checkAdvance?: boolean;
}

export type SwTscdeadlineDecision =
  | { kind: "not-armed" }
  | { kind: "expire-now" }
  | { kind: "armed"; expiryNs: bigint };

/** start_sw_tscdeadline's arming decision (§4.4, §11: u64 and s64 wraps reproduced). */
export function startSwTscdeadline(input: SwTscdeadlineInput): SwTscdeadlineDecision {
  const r = wasm.startSwTscdeadline(
    u64("deadlineTsc", input.deadlineTsc),
    u64("guestTsc", input.guestTsc),
    u32("tscKhz", input.tscKhz),
    u32("advanceNs", input.advanceNs),
    s64("nowNs", input.nowNs),
    input.checkAdvance ?? true,
  );
  if (r === wasm.SwDeadline.NotArmed) return { kind: "not-armed" };
  if (r === wasm.SwDeadline.ExpireNow) return { kind: "expire-now" };
  return { kind: "armed", expiryNs: wasm.getSwExpiryNs() };
}

/** Periodic re-arm variants: pre-2025 kernels, the unmerged v2 patch, mainline (§4.5). */
export type PeriodicRearmVariant = "wrap" | "skip-negative" | "clamp";

export interface PeriodicRearmInput {
  targetNs: bigint;
  periodNs: bigint;
  nowNs: bigint;
  /** read_l1_tsc(rdtsc()) sampled with nowNs. */
  guestTsc: bigint;
  tscKhz: number;
  variant: PeriodicRearmVariant;
}

/** PeriodicRearm codes of the wasm core, by variant. */
export const REARM_VARIANTS: Readonly<Record<PeriodicRearmVariant, number>> = {
  wrap: wasm.PeriodicRearm.Wrap,
  "skip-negative": wasm.PeriodicRearm.SkipNegative,
  clamp: wasm.PeriodicRearm.Clamp,
};

/** advance_periodic_target_expiration (§4.5): the next target and tscdeadline. */
export function advancePeriodicTarget(input: PeriodicRearmInput): { targetNs: bigint; deadlineTsc: bigint } {
  const variant = REARM_VARIANTS[input.variant];
  if (variant === undefined) throw new InputRangeError("variant", input.variant, '"wrap", "skip-negative" or "clamp"');
  const scale = nsToCyclesScale(khz("tscKhz", input.tscKhz));
  wasm.advancePeriodicTarget(
    s64("targetNs", input.targetNs),
    s64("periodNs", input.periodNs),
    s64("nowNs", input.nowNs),
    u64("guestTsc", input.guestTsc),
    scale.mult,
    scale.shift,
    variant,
  );
  return { targetNs: wasm.getRearmTargetNs(), deadlineTsc: wasm.getRearmDeadlineTsc() };
}
