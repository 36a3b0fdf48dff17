// Per-vCPU metrics collector, called on the engine's hot path (issue #3 §7, §9).
//
// Every counter lives in a Float64Array slot block owned by HostMetrics (35 slots =
// 280 bytes per vCPU), not in object fields: V8 boxes a double-valued field in a
// separate 16-byte HeapNumber, which would put ~30 counters near 800 bytes per vCPU
// against the engine's 512-byte budget. Measured with the shared histograms and no
// advance series: ~360 bytes per vCPU in all (block, this object, the host's list).
// A Float64Array holds integers exactly to 2^53, so sums of ns stay exact (the mean
// comes from the sum, not from the histogram). No method allocates, except the
// one-time allocation of the advance series.

import type { CallbacksPerMs } from "./callback-rate.js";
import { latencySummary, type LatencyHistogram } from "./histogram.js";
import type { AdvanceSummary, ExitCounts, LatencyMoments, MetricsOf, TimerCounts, VcpuResult } from "./types.js";
import { PeriodLateness } from "./period-lateness.js";

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
const EXIT_REASON_COUNT = 6;
/** ExitCounts keys by ExitReason value. */
export const EXIT_REASON_NAMES: readonly (keyof ExitCounts)[] = ["msrWrite", "apicWrite", "preemptionTimer", "externalInterrupt", "hlt", "apicRead"];

/** Which timer a deadline was armed on: the hrtimer (sw) or the VMX preemption timer (hv). */
export const TimerBackend = { sw: 0, hv: 1 } as const;
export type TimerBackend = (typeof TimerBackend)[keyof typeof TimerBackend];

// Slot layout of one vCPU's block.
const INTERRUPTS = 0;
const SUM_NS = 1;
const SUM_CYCLES = 2;
const MIN_NS = 3;
const MAX_NS = 4;
const MIN_CYCLES = 5;
const MAX_CYCLES = 6;
const LAST_NS = 7;
const EARLY = 8;
const EARLY_WORST_NS = 9;
const EXITS = 10; // 10..14, by ExitReason
const SPIN_NS = 15;
const ARMS = 16; // 16 sw, 17 hv, by TimerBackend
const HV_FALLBACKS = 18;
const HV_TO_SW = 19;
const SW_TO_HV = 20;
const COALESCED = 21;
const ADV_RECORDS = 22;
const ADV_INITIAL = 23;
const ADV_FINAL = 24;
const ADV_MIN = 25;
const ADV_MAX = 26;
const SERIES_CAP = 27; // capacity of the advance series (points); its length follows from ADV_RECORDS and the stride
const SERIES_STRIDE = 28;
const CB_MS = 29;
const CB_COUNT = 30;
const CB_PEAK = 31;
const HALT_POLL_NS = 32;
const POLL_OK = 33;
const POLL_FAILED = 34;
/** exits.apicRead: after the first five exit reasons' run (ExitReason.apicRead). */
const EXIT_APIC_READ = 35;
const TIMERS_POSTED = 36;
/** Slots per vCPU. */
export const VCPU_SLOTS = 37;
/**
 * The slot layout above by name, for the wasm engine's copy of it (assembly/sim/engine_metrics.ts
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

const NS_PER_MS = 1_000_000;

/** The slot of an exit reason: the first five in one run from EXITS, apicRead after the rest. */
function exitSlot(reason: ExitReason): number {
  return reason === ExitReason.apicRead ? EXIT_APIC_READ : EXITS + reason;
}

/** Raw totals of one vCPU, for aggregation (exact sums, ±Infinity extremes when empty). */
export interface VcpuTotals {
  vm: number;
  vcpu: number;
  interrupts: number;
  latencySumNs: number;
  latencySumCycles: number;
  latencyMinNs: number;
  latencyMaxNs: number;
  latencyMinCycles: number;
  latencyMaxCycles: number;
  earlyCount: number;
  earlyWorstNs: number;
  exits: ExitCounts;
  spinNs: number;
  timers: TimerCounts;
  coalesced: number;
  haltPollNs: number;
  haltPolls: { successful: number; failed: number };
  advanceRecords: number;
  advance: AdvanceSummary;
  callbacksPerMsPeak: number;
}

/** What every collector of one host shares (HostMetrics is one). */
export interface VcpuMetricsContext {
  readonly callbacks: CallbacksPerMs;
  readonly options: { readonly perVcpuHistograms: boolean };
}

/** What a vCPU collector is handed by HostMetrics; see HostMetrics.addVcpu. */
export interface VcpuMetricsWiring {
  vm: number;
  vcpu: number;
  slots: Float64Array;
  base: number;
  latencyNs: LatencyHistogram;
  latencyCycles: LatencyHistogram;
  context: VcpuMetricsContext;
  /** Capacity of the advance series, even, 0 = none. */
  seriesPoints: number;
}

export class VcpuMetrics {
  readonly vm: number;
  readonly vcpu: number;
  private readonly s: Float64Array;
  private readonly o: number;
  private readonly hNs: LatencyHistogram;
  private readonly hCycles: LatencyHistogram;
  // Host-wide parts live behind one reference: each field costs 8 bytes per vCPU.
  private readonly context: VcpuMetricsContext;
  private series: Float64Array | null = null;
  /** Kept only once a periodic workload records a period (most vCPUs never do). */
  private periods: PeriodLateness | null = null;

  /** @internal Created by HostMetrics.addVcpu. */
  constructor(w: VcpuMetricsWiring) {
    this.vm = w.vm;
    this.vcpu = w.vcpu;
    this.s = w.slots;
    this.o = w.base;
    this.hNs = w.latencyNs;
    this.hCycles = w.latencyCycles;
    this.context = w.context;
    const s = this.s;
    const o = this.o;
    s.fill(0, o, o + VCPU_SLOTS);
    s[o + MIN_NS] = Infinity;
    s[o + MAX_NS] = -Infinity;
    s[o + MIN_CYCLES] = Infinity;
    s[o + MAX_CYCLES] = -Infinity;
    s[o + ADV_MIN] = Infinity;
    s[o + ADV_MAX] = -Infinity;
    s[o + SERIES_STRIDE] = 1;
    s[o + SERIES_CAP] = w.seriesPoints;
    s[o + CB_MS] = -1;
  }

  /**
   * One timer interrupt handled by the guest: latency = guest TSC when the handler
   * reads it − the deadline, in guest cycles and in ns (whole numbers).
   *
   * Negative = early. Early is decided on cycles (the guest TSC is what the guest
   * compares); worst earliness is kept in ns. HdrHistogram holds values >= 0, so an
   * early interrupt goes into the histograms as 0 *and* into early.count/worstNs, and
   * into min and mean with its true negative value: percentiles then read "at most
   * on time", and the early counters say how many and by how much.
   */
  recordLatency(latencyCycles: number, latencyNs: number): void {
    const s = this.s;
    const o = this.o;
    s[o + INTERRUPTS] = s[o + INTERRUPTS]! + 1;
    s[o + SUM_NS] = s[o + SUM_NS]! + latencyNs;
    s[o + SUM_CYCLES] = s[o + SUM_CYCLES]! + latencyCycles;
    s[o + LAST_NS] = latencyNs;
    if (latencyNs < s[o + MIN_NS]!) s[o + MIN_NS] = latencyNs;
    if (latencyNs > s[o + MAX_NS]!) s[o + MAX_NS] = latencyNs;
    if (latencyCycles < s[o + MIN_CYCLES]!) s[o + MIN_CYCLES] = latencyCycles;
    if (latencyCycles > s[o + MAX_CYCLES]!) s[o + MAX_CYCLES] = latencyCycles;
    if (latencyCycles < 0) {
      s[o + EARLY] = s[o + EARLY]! + 1;
      if (-latencyNs > s[o + EARLY_WORST_NS]!) s[o + EARLY_WORST_NS] = -latencyNs;
    }
    this.recordLatencyHistograms(latencyCycles, latencyNs);
  }

  /** One periodic interrupt against the previous one plus the period, ns (PeriodLateness). */
  recordPeriodLateness(latenessNs: number): void {
    (this.periods ??= new PeriodLateness()).record(latenessNs);
  }

  /** @internal The per-period lateness, made now if none is kept yet (the wasm engine hands its parts over). */
  periodLatenessForEngine(): PeriodLateness {
    return (this.periods ??= new PeriodLateness());
  }

  /** @internal The wasm engine's hand-over: the periods it kept for this vCPU before the collector existed (none kept here yet). */
  adoptPeriodLateness(periods: PeriodLateness): void {
    this.periods = periods;
  }

  /** @internal The per-period lateness kept so far, or null (aggregate). */
  get periodLateness(): PeriodLateness | null {
    return this.periods;
  }

  /** The histogram part of recordLatency (the wasm engine keeps the rest itself). */
  recordLatencyHistograms(latencyCycles: number, latencyNs: number): void {
    this.hCycles.recordValue(latencyCycles < 0 ? 0 : latencyCycles);
    this.hNs.recordValue(latencyNs > 0 ? latencyNs : 0);
  }

  /** One VM exit. */
  recordExit(reason: ExitReason): void {
    // A bad reason would silently count into a neighbouring slot: check (one compare).
    if (reason !== (reason & 7) || reason >= EXIT_REASON_COUNT) throw new RangeError(`unknown ExitReason ${reason}`);
    const i = this.o + exitSlot(reason);
    this.s[i] = this.s[i]! + 1;
  }

  /** A timer interrupt posted to the running vCPU (no exit on its CPU). */
  timerPosted(): void {
    const i = this.o + TIMERS_POSTED;
    this.s[i] = this.s[i]! + 1;
  }

  /** Host time spent in the busy-wait before VM entry. */
  addSpinNs(ns: number): void {
    const i = this.o + SPIN_NS;
    this.s[i] = this.s[i]! + ns;
  }

  /** A deadline armed on the hrtimer (sw) or the preemption timer (hv). */
  timerArm(backend: TimerBackend): void {
    if (backend !== 0 && backend !== 1) throw new RangeError(`unknown TimerBackend ${backend}`);
    const i = this.o + ARMS + backend;
    this.s[i] = this.s[i]! + 1;
  }

  /** vmx_set_hv_timer returned -ERANGE; the hrtimer was armed instead. */
  hvFallback(): void {
    const i = this.o + HV_FALLBACKS;
    this.s[i] = this.s[i]! + 1;
  }

  /** The timer moved from the preemption timer to the hrtimer (the vCPU blocked). */
  hvToSw(): void {
    const i = this.o + HV_TO_SW;
    this.s[i] = this.s[i]! + 1;
  }

  /** The timer moved back to the preemption timer (the vCPU woke). */
  swToHv(): void {
    const i = this.o + SW_TO_HV;
    this.s[i] = this.s[i]! + 1;
  }

  /** One halt that polled for pollNs; successful when woken before scheduling out. */
  haltPoll(pollNs: number, successful: boolean): void {
    const s = this.s;
    const o = this.o;
    s[o + HALT_POLL_NS]! += pollNs;
    s[o + (successful ? POLL_OK : POLL_FAILED)]!++;
  }

  /** A periodic expiry dropped because an interrupt was already pending. */
  coalesced(): void {
    const i = this.o + COALESCED;
    this.s[i] = this.s[i]! + 1;
  }

  /**
   * Counts kept by the wasm cyclictest engine in a slot block of this layout (exits,
   * spin, arms, fallbacks, switches, coalesced, halt polling): the same as that many
   * recordExit/addSpinNs/timerArm/... calls.
   */
  addCounts(block: Float64Array): void {
    const s = this.s;
    const o = this.o;
    for (let i = EXITS; i <= COALESCED; i++) s[o + i]! += block[i]!;
    for (let i = HALT_POLL_NS; i <= TIMERS_POSTED; i++) s[o + i]! += block[i]!;
  }

  /**
   * Everything the wasm engine kept in its complete mode (assembly/sim/engine_metrics.ts):
   * the counts, plus latency moments and early interrupts, the advance's initial, final,
   * min and max, and the callbacks-per-ms peak — as if its calls had been made here.
   */
  absorbEngineTotals(block: Float64Array): void {
    this.addCounts(block);
    const s = this.s;
    const o = this.o;
    const n = block[INTERRUPTS]!;
    if (n > 0) {
      s[o + INTERRUPTS]! += n;
      s[o + SUM_NS]! += block[SUM_NS]!;
      s[o + SUM_CYCLES]! += block[SUM_CYCLES]!;
      s[o + LAST_NS] = block[LAST_NS]!;
      s[o + MIN_NS] = Math.min(s[o + MIN_NS]!, block[MIN_NS]!);
      s[o + MAX_NS] = Math.max(s[o + MAX_NS]!, block[MAX_NS]!);
      s[o + MIN_CYCLES] = Math.min(s[o + MIN_CYCLES]!, block[MIN_CYCLES]!);
      s[o + MAX_CYCLES] = Math.max(s[o + MAX_CYCLES]!, block[MAX_CYCLES]!);
      s[o + EARLY]! += block[EARLY]!;
      s[o + EARLY_WORST_NS] = Math.max(s[o + EARLY_WORST_NS]!, block[EARLY_WORST_NS]!);
    }
    const records = block[ADV_RECORDS]!;
    if (records > 0) {
      if (s[o + ADV_RECORDS] === 0) s[o + ADV_INITIAL] = block[ADV_INITIAL]!;
      s[o + ADV_RECORDS]! += records;
      s[o + ADV_FINAL] = block[ADV_FINAL]!;
      s[o + ADV_MIN] = Math.min(s[o + ADV_MIN]!, block[ADV_MIN]!);
      s[o + ADV_MAX] = Math.max(s[o + ADV_MAX]!, block[ADV_MAX]!);
    }
    s[o + CB_PEAK] = Math.max(s[o + CB_PEAK]!, block[CB_PEAK]!);
  }

  /** Host-wide hrtimer callbacks per aligned ms that the wasm engine counted: its window and peak (CallbacksPerMs.mergeWindow). */
  addHostCallbacks(cells: Uint32Array, latestMs: number, peak: number): void {
    this.context.callbacks.mergeWindow(cells, latestMs, peak);
  }

  /** Whether this collector is one of `host`'s (HostMetrics.addVcpu). */
  belongsTo(host: VcpuMetricsContext): boolean {
    return this.context === host;
  }

  /** Whether `other` belongs to the same host (HostMetrics) as this collector. */
  sameHost(other: VcpuMetrics): boolean {
    return other.context === this.context;
  }

  /** Capacity of this vCPU's advance series (points; 0 = none). */
  get seriesPoints(): number {
    return this.s[this.o + SERIES_CAP]!;
  }

  /**
   * timer_advance_ns is (now) advanceNs at simulated time nowNs. Keeps initial, final,
   * min and max exactly, and a series of at most `seriesPoints` (nowNs, advanceNs) pairs.
   *
   * Decimation rule: the series holds the calls numbered 0, k, 2k, 3k, ... (k = stride,
   * starting at 1). When it is full and another call is due, every second point is
   * dropped (positions 1, 3, 5, ...) and k doubles. So at any time the points are evenly
   * spaced in call number over the whole run, the first call is always kept, and the
   * result depends only on the sequence of calls. The last value is `final`.
   */
  recordAdvance(nowNs: number, advanceNs: number): void {
    const s = this.s;
    const o = this.o;
    const k = s[o + ADV_RECORDS]!;
    if (k === 0) s[o + ADV_INITIAL] = advanceNs;
    s[o + ADV_RECORDS] = k + 1;
    s[o + ADV_FINAL] = advanceNs;
    if (advanceNs < s[o + ADV_MIN]!) s[o + ADV_MIN] = advanceNs;
    if (advanceNs > s[o + ADV_MAX]!) s[o + ADV_MAX] = advanceNs;
    this.advanceSeriesPoint(k, nowNs, advanceNs);
  }

  /** The series part of recordAdvance for call number k (the wasm engine keeps the rest itself). */
  advanceSeriesPoint(k: number, nowNs: number, advanceNs: number): void {
    const s = this.s;
    const o = this.o;
    const cap = s[o + SERIES_CAP]!;
    if (cap === 0) return;
    let stride = s[o + SERIES_STRIDE]!;
    if (k % stride !== 0) return;
    let series = this.series;
    if (series === null) series = this.series = new Float64Array(2 * cap);
    // Points are calls 0, stride, 2·stride, ..., k − stride: k / stride of them.
    let len = k / stride;
    if (len === cap) {
      const half = cap >>> 1;
      for (let i = 1; i < half; i++) {
        series[2 * i] = series[4 * i]!;
        series[2 * i + 1] = series[4 * i + 1]!;
      }
      len = half;
      stride *= 2;
      s[o + SERIES_STRIDE] = stride;
      // k = cap·(old stride) = half·(new stride): this call stays due.
    }
    series[2 * len] = nowNs;
    series[2 * len + 1] = advanceNs;
  }

  /**
   * An hrtimer callback ran for this vCPU at simulated time nowNs. Counts per aligned
   * ms, floor(nowNs / 10^6), for this vCPU (peak kept as the ms changes: a vCPU's own
   * events arrive in time order) and host-wide.
   */
  hrtimerCallback(nowNs: number): void {
    const s = this.s;
    const o = this.o;
    const ms = Math.floor(nowNs / NS_PER_MS);
    const current = s[o + CB_MS]!;
    let count: number;
    if (ms === current) {
      count = s[o + CB_COUNT]! + 1;
    } else if (ms > current) {
      s[o + CB_MS] = ms;
      count = 1;
    } else {
      throw new RangeError(`vCPU ${this.vm}/${this.vcpu}: hrtimer callback at ${nowNs} ns, before the previous one's ms ${current}`);
    }
    s[o + CB_COUNT] = count;
    if (count > s[o + CB_PEAK]!) s[o + CB_PEAK] = count;
    this.context.callbacks.recordMs(ms);
  }

  /** Interrupts recorded so far. */
  get interrupts(): number {
    return this.s[this.o + INTERRUPTS]!;
  }

  /** Whether the histograms are this vCPU's own (else shared by all vCPUs of the host). */
  get ownHistograms(): boolean {
    return this.context.options.perVcpuHistograms;
  }

  /** The latest latency recorded, in ns (cyclictest's "Act"); NaN before the first. */
  get lastLatencyNs(): number {
    return this.interrupts === 0 ? NaN : this.s[this.o + LAST_NS]!;
  }

  /** The histograms this vCPU records into (its own, or the host's shared ones). */
  get histograms(): { ns: LatencyHistogram; cycles: LatencyHistogram } {
    return { ns: this.hNs, cycles: this.hCycles };
  }

  /** Exact raw totals, for aggregation. */
  totals(): VcpuTotals {
    const s = this.s;
    const o = this.o;
    const exits = {} as ExitCounts;
    EXIT_REASON_NAMES.forEach((name, i) => (exits[name] = s[o + exitSlot(i as ExitReason)]!));
    const records = s[o + ADV_RECORDS]!;
    const series: [number, number][] = [];
    const len = this.series === null || records === 0 ? 0 : Math.floor((records - 1) / s[o + SERIES_STRIDE]!) + 1;
    for (let i = 0; i < len; i++) series.push([this.series![2 * i]!, this.series![2 * i + 1]!]);
    return {
      vm: this.vm,
      vcpu: this.vcpu,
      interrupts: s[o + INTERRUPTS]!,
      latencySumNs: s[o + SUM_NS]!,
      latencySumCycles: s[o + SUM_CYCLES]!,
      latencyMinNs: s[o + MIN_NS]!,
      latencyMaxNs: s[o + MAX_NS]!,
      latencyMinCycles: s[o + MIN_CYCLES]!,
      latencyMaxCycles: s[o + MAX_CYCLES]!,
      earlyCount: s[o + EARLY]!,
      earlyWorstNs: s[o + EARLY_WORST_NS]!,
      exits,
      spinNs: s[o + SPIN_NS]!,
      timers: {
        swArms: s[o + ARMS + TimerBackend.sw]!,
        hvArms: s[o + ARMS + TimerBackend.hv]!,
        hvFallbacks: s[o + HV_FALLBACKS]!,
        hvToSw: s[o + HV_TO_SW]!,
        swToHv: s[o + SW_TO_HV]!,
        posted: s[o + TIMERS_POSTED]!,
      },
      coalesced: s[o + COALESCED]!,
      haltPollNs: s[o + HALT_POLL_NS]!,
      haltPolls: { successful: s[o + POLL_OK]!, failed: s[o + POLL_FAILED]! },
      advanceRecords: records,
      advance:
        records === 0
          ? { initial: 0, final: 0, min: 0, max: 0, series }
          : { initial: s[o + ADV_INITIAL]!, final: s[o + ADV_FINAL]!, min: s[o + ADV_MIN]!, max: s[o + ADV_MAX]!, series },
      callbacksPerMsPeak: s[o + CB_PEAK]!,
    };
  }

  /**
   * This vCPU's result. Latency percentiles are present only if the vCPU has its own
   * histograms; with shared ones (MetricsOptions.perVcpuHistograms = false) the summary
   * has min/mean/max only — the keys are absent rather than NaN, so a reader cannot
   * mistake "not kept" for a value.
   */
  summary(): VcpuResult {
    const t = this.totals();
    const ns = latencyMoments(t.interrupts, t.latencySumNs, t.latencyMinNs, t.latencyMaxNs);
    const cycles = latencyMoments(t.interrupts, t.latencySumCycles, t.latencyMinCycles, t.latencyMaxCycles);
    const latency = this.ownHistograms
      ? {
          ns: latencySummary(this.hNs, ns.min, ns.mean, ns.max),
          cycles: latencySummary(this.hCycles, cycles.min, cycles.mean, cycles.max),
        }
      : { ns, cycles };
    const body = metricsBody(t, latency);
    if (this.periods !== null) body.periodLatenessNs = this.periods.summary();
    return { vm: t.vm, vcpu: t.vcpu, ...body };
  }
}

/** @internal Exact moments; NaN with no samples (a statistic of nothing is undefined). */
export function latencyMoments(n: number, sum: number, min: number, max: number): LatencyMoments {
  return n === 0 ? { min: NaN, mean: NaN, max: NaN } : { min, mean: sum / n, max };
}

/** @internal The metrics body around a latency summary, in the result's key order. */
export function metricsBody<L extends LatencyMoments>(t: Omit<VcpuTotals, "vm" | "vcpu">, latency: { ns: L; cycles: L }): MetricsOf<L> {
  return {
    interrupts: t.interrupts,
    latency,
    early: { count: t.earlyCount, worstNs: t.earlyWorstNs },
    exits: t.exits,
    spinNs: t.spinNs,
    advanceNs: t.advance,
    timers: t.timers,
    coalesced: t.coalesced,
    haltPollNs: t.haltPollNs,
    haltPolls: t.haltPolls,
    callbacksPerMsPeak: t.callbacksPerMsPeak,
  };
}
