// Reading the wasm engine's metrics out at the end of a run: engineSlotsOf expands a
// vCPU's compact block (engine_metrics.ts) into src/metrics/vcpu-metrics.ts's slot layout
// (Slot and Counter below; a test pins the indices), which the host reads once
// (WasmEngine.handOver: absorbEngineTotals in the complete mode, addCounts in both). What
// the block does not keep it derives here: latency extremes and the last latency in ns
// from those in cycles, and the worst earliness from the least latency
// (cyclesToNsSigned is nondecreasing in cycles) — except where the ns were kept as
// measured (metrics_ns_extremes.ts: the PV deadline MSR, migrations).

import { Count, Sum, M_ADV_FINAL, M_ADV_INITIAL, M_ADV_MAX, M_ADV_MIN, M_CB_COUNT, M_CB_MS, M_CB_PEAK, M_LAST_CYCLES, M_MAX_CYCLES, M_MIN_CYCLES, M_SUM_CYCLES, M_SUM_NS, blk, countOf, seriesCapOf } from "./engine_metrics";
import { NS_EXTREMES_BYTES, exactNsCell, nsExtremesPtr } from "./metrics_ns_extremes";
import { cyclesToNsSigned } from "./vcpu_timer";

/** Slots per vCPU in the expanded layout (VcpuMetrics VCPU_SLOTS) and the indices used here (VcpuMetrics' names). */
export const SLOTS: i32 = 37;
export enum Slot {
  Interrupts = 0,
  SumNs = 1,
  SumCycles = 2,
  MinNs = 3,
  MaxNs = 4,
  MinCycles = 5,
  MaxCycles = 6,
  LastNs = 7,
  Early = 8,
  EarlyWorstNs = 9,
  AdvRecords = 22,
  AdvInitial = 23,
  AdvFinal = 24,
  AdvMin = 25,
  AdvMax = 26,
  SeriesCap = 27,
  CbMs = 29,
  CbCount = 30,
  CbPeak = 31,
}

/** The counted events (VcpuMetrics slots EXITS.. COALESCED, HALT_POLL_NS.. POLL_FAILED). */
export enum Counter {
  ExitMsrWrite = 10,
  ExitApicWrite = 11,
  ExitPreemptionTimer = 12,
  ExitExternalInterrupt = 13,
  ExitHlt = 14,
  SpinNs = 15,
  SwArms = 16,
  HvArms = 17,
  HvFallbacks = 18,
  HvToSw = 19,
  SwToHv = 20,
  Coalesced = 21,
  HaltPollNs = 32,
  PollOk = 33,
  PollFailed = 34,
  /** exits.apicRead (never counted here: cyclictest reads no APIC register). */
  ExitApicRead = 35,
  TimerPosted = 36,
}

/** The expanded slot block engineSlotsOf fills (static). */
const expandedPtr: usize = memory.data(SLOTS << 3, 8);

// @ts-ignore: decorator
@inline
function put(slot: i32, x: f64): void {
  store<f64>(expandedPtr + (usize(slot) << 3), x);
}

/** Latency cycles -> ns for the expanded block, with -0 as 0. */
// @ts-ignore: decorator
@inline
function nsOfCycles(v: i32, cycles: f64): f64 {
  const ns = cyclesToNsSigned(v, cycles);
  return ns == 0 ? 0 : ns;
}

/**
 * vCPU v's block expanded into VcpuMetrics' slot layout (SLOTS f64; valid until the next
 * call): what absorbEngineTotals (complete mode) and addCounts (both modes) read.
 */
export function engineSlotsOf(v: i32): usize {
  const b = blk(v);
  memory.fill(expandedPtr, 0, usize(SLOTS) << 3);
  const interrupts = countOf(v, Count.Interrupts);
  put(Slot.Interrupts, interrupts);
  put(Slot.SumNs, load<f64>(b + M_SUM_NS));
  put(Slot.SumCycles, load<f64>(b + M_SUM_CYCLES));
  const minCycles = load<f64>(b + M_MIN_CYCLES);
  const maxCycles = load<f64>(b + M_MAX_CYCLES);
  put(Slot.MinCycles, minCycles);
  put(Slot.MaxCycles, maxCycles);
  // Latencies measured in ns (the PV deadline MSR) keep their ns extremes exactly.
  const exact = exactNsCell(v);
  const minNs = interrupts == 0 ? Infinity : exact != 0 ? load<f64>(exact) : nsOfCycles(v, minCycles);
  put(Slot.MinNs, minNs);
  put(Slot.MaxNs, interrupts == 0 ? -Infinity : exact != 0 ? load<f64>(exact, 8) : nsOfCycles(v, maxCycles));
  put(Slot.LastNs, interrupts == 0 ? 0 : exact != 0 ? load<f64>(exact, 16) : nsOfCycles(v, load<f64>(b + M_LAST_CYCLES)));
  const early = countOf(v, Count.Early);
  put(Slot.Early, early);
  // Early latencies are those below 0 cycles and the least in ns among them is the least
  // of all (ns and cycles order alike), so the worst is the least (0 when none is early).
  put(Slot.EarlyWorstNs, early > 0 && -minNs > 0 ? -minNs : 0);
  if (nsExtremesPtr != 0) {
    // Kept as recorded (the TSC rate changed during the run).
    const p = nsExtremesPtr + usize(v) * NS_EXTREMES_BYTES;
    put(Slot.MinNs, load<f64>(p));
    put(Slot.MaxNs, load<f64>(p, 8));
    put(Slot.LastNs, load<f64>(p, 16));
    put(Slot.EarlyWorstNs, load<f64>(p, 24));
  }
  put(Counter.ExitMsrWrite, countOf(v, Count.ExitMsrWrite));
  put(Counter.ExitApicWrite, countOf(v, Count.ExitApicWrite));
  put(Counter.ExitPreemptionTimer, countOf(v, Count.ExitPreemptionTimer));
  put(Counter.ExitExternalInterrupt, countOf(v, Count.ExitExternalInterrupt));
  put(Counter.ExitHlt, countOf(v, Count.ExitHlt));
  put(Counter.SpinNs, load<f64>(b + usize(Sum.SpinNs)));
  put(Counter.SwArms, countOf(v, Count.SwArms));
  put(Counter.HvArms, countOf(v, Count.HvArms));
  put(Counter.HvFallbacks, countOf(v, Count.HvFallbacks));
  put(Counter.HvToSw, countOf(v, Count.HvToSw));
  put(Counter.SwToHv, countOf(v, Count.SwToHv));
  put(Counter.Coalesced, countOf(v, Count.Coalesced));
  const records = countOf(v, Count.AdvRecords);
  put(Slot.AdvRecords, records);
  put(Slot.AdvInitial, records == 0 ? 0 : f64(load<u32>(b + M_ADV_INITIAL)));
  put(Slot.AdvFinal, records == 0 ? 0 : f64(load<u32>(b + M_ADV_FINAL)));
  put(Slot.AdvMin, records == 0 ? Infinity : f64(load<u32>(b + M_ADV_MIN)));
  put(Slot.AdvMax, records == 0 ? -Infinity : f64(load<u32>(b + M_ADV_MAX)));
  put(Slot.SeriesCap, f64(seriesCapOf(v)));
  put(Slot.CbMs, load<f64>(b + M_CB_MS));
  put(Slot.CbCount, f64(load<u32>(b + M_CB_COUNT)));
  put(Slot.CbPeak, f64(load<u32>(b + M_CB_PEAK)));
  put(Counter.HaltPollNs, load<f64>(b + usize(Sum.HaltPollNs)));
  put(Counter.PollOk, countOf(v, Count.PollOk));
  put(Counter.PollFailed, countOf(v, Count.PollFailed));
  put(Counter.TimerPosted, countOf(v, Count.Posted));
  return expandedPtr;
}
