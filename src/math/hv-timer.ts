// Public API of the VMX-preemption timer programming (spec §6).

import { wasm } from "../wasm.js";
import { int, khz, u32, u64 } from "./validate.js";
import { nsToCyclesScale } from "./time-scale.js";

/** cpu_preemption_timer_multi that KVM emulates for L1 (and a common hardware value). */
export const DEFAULT_PREEMPTION_TIMER_RATE = 5;
/** Classic maximum preemption-timer value (§6.1). */
export const PREEMPTION_TIMER_MAX_VALUE = 0xffffffffn;

export interface HvTimerInput {
  deadlineTsc: bigint;
  /** read_l1_tsc(hostTsc). */
  guestTsc: bigint;
  hostTsc: bigint;
  /** timer_advance_ns, converted with nsec_to_cycles at the guest's tscKhz. */
  advanceNs: number;
  tscKhz: number;
  /** The L1 TSC scaling ratio (default ratio = 1 << fracBits). */
  l1Ratio: bigint;
  fracBits?: 48;
  /** IA32_VMX_MISC[4:0], default 5. */
  rate?: number;
  /** Largest programmable value (2^32-1, or the 2026 erratum cap). */
  maxValue?: bigint;
}

export type HvTimerResult =
  | {
      status: "ok";
      /** Advance subtracted, in guest cycles. */
      advanceCycles: bigint;
      deltaHostCycles: bigint;
      hvDeadlineHostTsc: bigint;
      /** The VMX-preemption timer value written at entry (delta >> rate). */
      timerValue: number;
      expired: boolean;
    }
  | { status: "erange"; advanceCycles: bigint };

/**
 * vmx_set_hv_timer (§6.2): -ERANGE is a status (the caller falls back to the hrtimer),
 * never a throw.
 */
export function vmxSetHvTimer(input: HvTimerInput): HvTimerResult {
  const scale = nsToCyclesScale(khz("tscKhz", input.tscKhz));
  const rate = int("rate", input.rate ?? DEFAULT_PREEMPTION_TIMER_RATE, 0, 31, "IA32_VMX_MISC[4:0]");
  const maxValue = u64("maxValue", input.maxValue ?? PREEMPTION_TIMER_MAX_VALUE);
  const fracBits = int("fracBits", input.fracBits ?? 48, 48, 48, "48 (the hv timer is VMX-only)");
  const hostTsc = u64("hostTsc", input.hostTsc);
  const advanceCycles = wasm.hvAdvanceCycles(u32("advanceNs", input.advanceNs), scale.mult, scale.shift);
  const st = wasm.vmxSetHvTimer(
    u64("deadlineTsc", input.deadlineTsc),
    u64("guestTsc", input.guestTsc),
    hostTsc,
    advanceCycles,
    u64("l1Ratio", input.l1Ratio),
    fracBits,
    rate,
    maxValue,
  );
  if (st === wasm.Status.ERange) return { status: "erange", advanceCycles };
  const hvDeadlineHostTsc = wasm.getHvDeadlineHostTsc();
  return {
    status: "ok",
    advanceCycles,
    deltaHostCycles: wasm.getHvDeltaHostCycles(),
    hvDeadlineHostTsc,
    timerValue: wasm.preemptionTimerValue(hvDeadlineHostTsc, hostTsc, rate),
    expired: wasm.getHvExpired(),
  };
}

/** vmx_update_hv_timer (§6.2): u32((hvDeadlineHostTsc - hostTsc) >> rate), 0 once past. */
export function preemptionTimerValue(hvDeadlineHostTsc: bigint, hostTsc: bigint, rate = DEFAULT_PREEMPTION_TIMER_RATE): number {
  return wasm.preemptionTimerValue(u64("hvDeadlineHostTsc", hvDeadlineHostTsc), u64("hostTsc", hostTsc), int("rate", rate, 0, 31, "IA32_VMX_MISC[4:0]"));
}
