// BigInt reference of the VMX-preemption timer programming, re-stated from
// shared/spec/kvm-timer-reference.md §6.

import { u32, u64, u64ShlDivU64 } from "./math64.js";
import { nsecToCycles } from "./time-scale.js";
import type { HvTimerInput, HvTimerResult } from "../../src/index.js";

// vmx_update_hv_timer's value (arch/x86/kvm/vmx/vmx.c), spec §6.2: u32((deadline - now) >> rate), 0 once past
export function preemptionTimerValue(hvDeadlineHostTsc: bigint, hostTsc: bigint, rate = 5): number {
  const delta = hvDeadlineHostTsc > hostTsc ? hvDeadlineHostTsc - hostTsc : 0n;
  return Number(u32(delta >> BigInt(rate)));
}

// vmx_set_hv_timer (arch/x86/kvm/vmx/vmx.c), spec §6.2
export function vmxSetHvTimer(input: HvTimerInput): HvTimerResult {
  const { deadlineTsc, guestTsc, hostTsc, l1Ratio } = input;
  const fracBits = input.fracBits ?? 48;
  const rate = input.rate ?? 5;
  const maxValue = input.maxValue ?? 0xffffffffn;
  // 2. deadline in the past -> 0
  let delta = (deadlineTsc > guestTsc ? deadlineTsc : guestTsc) - guestTsc;
  // 3. subtract the advance, in guest cycles
  const advanceCycles = nsecToCycles(BigInt(input.advanceNs), input.tscKhz);
  delta = delta > advanceCycles ? delta - advanceCycles : 0n;
  // 4. guest -> host cycles through the L1 ratio, skipped for the default ratio or a zero delta
  if (l1Ratio !== 1n << BigInt(fracBits) && delta !== 0n) {
    const host = u64ShlDivU64(delta, fracBits, l1Ratio);
    if (host === undefined) return { status: "erange", advanceCycles };
    delta = host;
  }
  // 5. must fit the preemption timer (classic: delta >> (rate + 32) == 0)
  if (delta >> BigInt(rate) > maxValue) return { status: "erange", advanceCycles };
  // 6. arm
  const hvDeadlineHostTsc = u64(hostTsc + delta);
  return {
    status: "ok",
    advanceCycles,
    deltaHostCycles: delta,
    hvDeadlineHostTsc,
    timerValue: preemptionTimerValue(hvDeadlineHostTsc, hostTsc, rate),
    expired: delta === 0n,
  };
}
