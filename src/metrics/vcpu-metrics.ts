// Per-vCPU metrics collector, called on the engine's hot path (issue #3 §7, §9): the
// recording side. The slot layout it writes is vcpu-slots.ts (shared with the wasm
// engine); reading the block back into totals and a result is vcpu-totals.ts.
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
import type { VcpuResult } from "./types.js";
import { PeriodLateness } from "./period-lateness.js";
import {
  ADV_FINAL, ADV_INITIAL, ADV_MAX, ADV_MIN, ADV_RECORDS, ARMS, CB_COUNT, CB_MS, CB_PEAK, COALESCED, EARLY, EARLY_WORST_NS, EXIT_REASON_COUNT,
  type ExitReason, exitSlot, EXITS, HALT_POLL_NS, HV_FALLBACKS, HV_TO_SW, INTERRUPTS, LAST_NS, MAX_CYCLES, MAX_NS, MIN_CYCLES, MIN_NS, POLL_FAILED,
  POLL_OK, SERIES_CAP, SERIES_STRIDE, SPIN_NS, SUM_CYCLES, SUM_NS, SW_TO_HV, type TimerBackend, TIMERS_POSTED, VCPU_SLOTS,
} from "./vcpu-slots.js";
import { latencyMoments, metricsBody, totalsOfBlock, type VcpuTotals } from "./vcpu-totals.js";

// The report layer reads the exit reasons' names from here.
export { EXIT_REASON_NAMES } from "./vcpu-slots.js";

const NS_PER_MS = 1_000_000;

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
    return totalsOfBlock(this.vm, this.vcpu, this.s, this.o, this.series);
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
