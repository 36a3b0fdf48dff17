// The slot block of one vCPU's metrics: which Float64Array slot holds which counter,
// and the exit reasons and timer backends that index runs of slots. The layout is a
// contract with the wasm engine, which keeps the same block in linear memory
// (assembly/sim/metrics_slots.ts Slot and Counter; test/sim/engine-metrics-layout.test.ts
// pins one to the other), so it lives apart from the collector that fills it
// (vcpu-metrics.ts) and the reader that sums it up (vcpu-totals.ts).

import type { ExitCounts } from "./types.js";

/** Why the vCPU exited to the host. Values index ExitCounts in this order. */
export const ExitReason = {
  /** WRMSR IA32_TSC_DEADLINE. */
  msrWrite: 0,
  /** APIC register write (LVTT, TMICT, TDCR, ...). */
  apicWrite: 1,
  preemptionTimer: 2,
  externalInterrupt: 3,
  hlt: 4,
  /** A trapped APIC register read (TMCCT always; any register without APICv). */
  apicRead: 5,
} as const satisfies Record<keyof ExitCounts, number>;
export type ExitReason = (typeof ExitReason)[keyof typeof ExitReason];
/** How many exit reasons there are (recordExit checks against it). */
export const EXIT_REASON_COUNT = 6;
/** ExitCounts keys by ExitReason value. */
export const EXIT_REASON_NAMES: readonly (keyof ExitCounts)[] = ["msrWrite", "apicWrite", "preemptionTimer", "externalInterrupt", "hlt", "apicRead"];

/** Which timer a deadline was armed on: the hrtimer (sw) or the VMX preemption timer (hv). */
export const TimerBackend = { sw: 0, hv: 1 } as const;
export type TimerBackend = (typeof TimerBackend)[keyof typeof TimerBackend];

// Slot layout of one vCPU's block (exported one by one for the collector and the
// reader; VCPU_SLOT_INDEX below is the same by name for tests and the wasm side).
export const INTERRUPTS = 0;
export const SUM_NS = 1;
export const SUM_CYCLES = 2;
export const MIN_NS = 3;
export const MAX_NS = 4;
export const MIN_CYCLES = 5;
export const MAX_CYCLES = 6;
export const LAST_NS = 7;
export const EARLY = 8;
export const EARLY_WORST_NS = 9;
export const EXITS = 10; // 10..14, by ExitReason
export const SPIN_NS = 15;
export const ARMS = 16; // 16 sw, 17 hv, by TimerBackend
export const HV_FALLBACKS = 18;
export const HV_TO_SW = 19;
export const SW_TO_HV = 20;
export const COALESCED = 21;
export const ADV_RECORDS = 22;
export const ADV_INITIAL = 23;
export const ADV_FINAL = 24;
export const ADV_MIN = 25;
export const ADV_MAX = 26;
export const SERIES_CAP = 27; // capacity of the advance series (points); its length follows from ADV_RECORDS and the stride
export const SERIES_STRIDE = 28;
export const CB_MS = 29;
export const CB_COUNT = 30;
export const CB_PEAK = 31;
export const HALT_POLL_NS = 32;
export const POLL_OK = 33;
export const POLL_FAILED = 34;
/** exits.apicRead: after the first five exit reasons' run (ExitReason.apicRead). */
export const EXIT_APIC_READ = 35;
export const TIMERS_POSTED = 36;
/** Slots per vCPU. */
export const VCPU_SLOTS = 37;
/**
 * The slot layout above by name, for the wasm engine's copy of it (assembly/sim/metrics_slots.ts
 * Slot and Counter; a test pins one to the other). EXITS and ARMS are the first of their runs.
 */
export const VCPU_SLOT_INDEX = Object.freeze({
  INTERRUPTS,
  SUM_NS,
  SUM_CYCLES,
  MIN_NS,
  MAX_NS,
  MIN_CYCLES,
  MAX_CYCLES,
  LAST_NS,
  EARLY,
  EARLY_WORST_NS,
  EXITS,
  SPIN_NS,
  ARMS,
  HV_FALLBACKS,
  HV_TO_SW,
  SW_TO_HV,
  COALESCED,
  ADV_RECORDS,
  ADV_INITIAL,
  ADV_FINAL,
  ADV_MIN,
  ADV_MAX,
  SERIES_CAP,
  SERIES_STRIDE,
  CB_MS,
  CB_COUNT,
  CB_PEAK,
  HALT_POLL_NS,
  POLL_OK,
  POLL_FAILED,
  EXIT_APIC_READ,
  TIMERS_POSTED,
} as const);

/** The slot of an exit reason: the first five in one run from EXITS, apicRead after the rest. */
export function exitSlot(reason: ExitReason): number {
  return reason === ExitReason.apicRead ? EXIT_APIC_READ : EXITS + reason;
}
