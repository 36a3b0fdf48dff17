// The per-vCPU metrics block the wasm engine fills in linear memory and the TypeScript
// collector fills in a Float64Array (src/metrics/vcpu-slots.ts) must be one layout, and
// the engine's histogram cells HdrHistogram's: the engines hand metrics over through
// them (VcpuMetrics.absorbEngineTotals, addCounts), and the engine's copy of the layout
// is compiled in, so it is pinned here slot by slot and by name.

import { describe, expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";
import { ExitReason, TimerBackend, VCPU_SLOTS, VCPU_SLOT_INDEX as I } from "../../src/metrics/vcpu-slots.js";
import { newAggregateHistogram } from "../../src/metrics/histogram.js";

describe("wasm engine = TypeScript state machine: the metrics block", () => {
  test("the engine's slot block and histogram layout are VcpuMetrics' and HdrHistogram's", () => {
    expect(wasm.SLOTS.value).toBe(VCPU_SLOTS);
    expect(wasm.HIST_CELLS.value).toBe((22 << 10) + 1024);
    const h = newAggregateHistogram();
    expect([h.subBucketHalfCountMagnitude, h.unitMagnitude]).toEqual([10, 0]);
    // The last cell holds 2^32 − 1.
    expect(h.countsArrayIndex(2 ** 32 - 1)).toBe(wasm.HIST_CELLS.value - 1);
  });

  test("every index of the engine's Slot and Counter enums is VcpuMetrics' slot of that name", () => {
    // wasm name -> VcpuMetrics slot (assembly/sim/metrics_slots.ts, src/metrics/vcpu-slots.ts).
    const slots: Record<keyof typeof wasm.Slot, number> = {
      Interrupts: I.INTERRUPTS,
      SumNs: I.SUM_NS,
      SumCycles: I.SUM_CYCLES,
      MinNs: I.MIN_NS,
      MaxNs: I.MAX_NS,
      MinCycles: I.MIN_CYCLES,
      MaxCycles: I.MAX_CYCLES,
      LastNs: I.LAST_NS,
      Early: I.EARLY,
      EarlyWorstNs: I.EARLY_WORST_NS,
      AdvRecords: I.ADV_RECORDS,
      AdvInitial: I.ADV_INITIAL,
      AdvFinal: I.ADV_FINAL,
      AdvMin: I.ADV_MIN,
      AdvMax: I.ADV_MAX,
      SeriesCap: I.SERIES_CAP,
      CbMs: I.CB_MS,
      CbCount: I.CB_COUNT,
      CbPeak: I.CB_PEAK,
    };
    const counters: Record<keyof typeof wasm.Counter, number> = {
      ExitMsrWrite: I.EXITS + ExitReason.msrWrite,
      ExitApicWrite: I.EXITS + ExitReason.apicWrite,
      ExitPreemptionTimer: I.EXITS + ExitReason.preemptionTimer,
      ExitExternalInterrupt: I.EXITS + ExitReason.externalInterrupt,
      ExitHlt: I.EXITS + ExitReason.hlt,
      SpinNs: I.SPIN_NS,
      SwArms: I.ARMS + TimerBackend.sw,
      HvArms: I.ARMS + TimerBackend.hv,
      HvFallbacks: I.HV_FALLBACKS,
      HvToSw: I.HV_TO_SW,
      SwToHv: I.SW_TO_HV,
      Coalesced: I.COALESCED,
      HaltPollNs: I.HALT_POLL_NS,
      PollOk: I.POLL_OK,
      PollFailed: I.POLL_FAILED,
      ExitApicRead: I.EXIT_APIC_READ,
      TimerPosted: I.TIMERS_POSTED,
    };
    // The enums' members (their runtime objects also map value -> name), name -> index.
    const members = (e: object) => Object.fromEntries(Object.entries(e).filter(([name]) => !/^\d+$/.test(name)));
    expect(members(wasm.Slot)).toEqual(slots);
    expect(members(wasm.Counter)).toEqual(counters);
    // Together with the series stride (which the engine does not keep) they cover the block once.
    const used = [...Object.values(slots), ...Object.values(counters), I.SERIES_STRIDE].sort((a, b) => a - b);
    expect(used).toEqual(Array.from({ length: VCPU_SLOTS }, (_, i) => i));
    // The layout itself, pinned (the engine's copy is compiled in).
    expect(I).toEqual({
      INTERRUPTS: 0,
      SUM_NS: 1,
      SUM_CYCLES: 2,
      MIN_NS: 3,
      MAX_NS: 4,
      MIN_CYCLES: 5,
      MAX_CYCLES: 6,
      LAST_NS: 7,
      EARLY: 8,
      EARLY_WORST_NS: 9,
      EXITS: 10,
      SPIN_NS: 15,
      ARMS: 16,
      HV_FALLBACKS: 18,
      HV_TO_SW: 19,
      SW_TO_HV: 20,
      COALESCED: 21,
      ADV_RECORDS: 22,
      ADV_INITIAL: 23,
      ADV_FINAL: 24,
      ADV_MIN: 25,
      ADV_MAX: 26,
      SERIES_CAP: 27,
      SERIES_STRIDE: 28,
      CB_MS: 29,
      CB_COUNT: 30,
      CB_PEAK: 31,
      HALT_POLL_NS: 32,
      POLL_OK: 33,
      POLL_FAILED: 34,
      EXIT_APIC_READ: 35,
      TIMERS_POSTED: 36,
    });
  });
});
