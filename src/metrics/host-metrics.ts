// The host's metrics: owns every vCPU collector's slots, the host-wide callback-rate
// counter, and — in the lean mode for very many vCPUs — the one latency histogram pair
// all vCPUs share (issue #3 §7, §9).

import { InputRangeError } from "../errors.js";
import { CallbacksPerMs } from "./callback-rate.js";
import { newAggregateHistogram, newVcpuHistogram, type LatencyHistogram64 } from "./histogram.js";
import { VcpuMetrics } from "./vcpu-metrics.js";
import { VCPU_SLOTS } from "./vcpu-slots.js";

/** Points in the advance series of the first vCPU, whatever advanceSeriesPoints says. */
export const AGGREGATE_SERIES_POINTS = 256;

export interface MetricsOptions {
  /**
   * Keep latency histograms (ns and cycles) per vCPU, giving per-vCPU percentiles.
   * Each costs ~30–60 kB (autoresized 32-bit counts), so at 10^5 vCPUs turn this off:
   * then all vCPUs record into one shared histogram pair, the aggregate's percentiles
   * are identical, and per-vCPU summaries carry min/mean/max only. Default true.
   */
  perVcpuHistograms: boolean;
  /**
   * Capacity of each vCPU's advance series (even, or 0 for none; 16 bytes a point).
   * The first vCPU created always keeps AGGREGATE_SERIES_POINTS, so the aggregate has
   * a series even when this is 0. Default 256 with per-vCPU histograms, else 0.
   */
  advanceSeriesPoints: number;
}

/**
 * Above this many vCPUs, per-vCPU histograms are off by default. Their counts arrays
 * stop fitting in cache: recordLatency measured ~28 ns with one vCPU, ~48 ns at 64 and
 * ~200 ns at 1024 with them, against ~28–38 ns at any count with the shared pair.
 */
export const PER_VCPU_HISTOGRAMS_MAX_VCPUS = 64;

/** The options a run of `vcpuCount` vCPUs should use unless the user asks otherwise. */
export function defaultMetricsOptions(vcpuCount: number): MetricsOptions {
  const perVcpuHistograms = vcpuCount <= PER_VCPU_HISTOGRAMS_MAX_VCPUS;
  return { perVcpuHistograms, advanceSeriesPoints: perVcpuHistograms ? AGGREGATE_SERIES_POINTS : 0 };
}

/**
 * vCPUs whose totals stay in an engine until read (the wasm engine's deferred hand-over,
 * src/sim/wasm-engine.ts): at 10^6 vCPUs a collector each would be ~420 bytes per vCPU
 * more, for totals that are read once, when the results are written.
 */
export interface EngineVcpus {
  readonly count: number;
  vmOf(i: number): number;
  vcpuOf(i: number): number;
  /** vCPU i's totals in VcpuMetrics' slot layout, as absorbEngineTotals takes them (valid until the next call). */
  slotsOf(i: number): Float64Array;
  /** Whether the engine still holds this run's totals (no simulation has started since). */
  current(): boolean;
}

// vCPU slot blocks are allocated in chunks: one Float64Array per vCPU would add ~200
// bytes of typed-array and buffer headers to each 280-byte block (VCPU_SLOTS doubles).
const VCPUS_PER_CHUNK = 256;

export class HostMetrics {
  readonly options: Readonly<MetricsOptions>;
  /** Host-wide hrtimer callbacks per aligned ms. */
  readonly callbacks = new CallbacksPerMs();
  /** The shared histograms when perVcpuHistograms is false, else null. */
  readonly sharedLatencyNs: LatencyHistogram64 | null;
  readonly sharedLatencyCycles: LatencyHistogram64 | null;
  private readonly collectors: VcpuMetrics[] = [];
  private chunk = new Float64Array(0);
  private chunkUsed = 0;
  /** Collectors after `collectors`, kept by an engine until read (addEngineVcpus). */
  private engine: EngineVcpus | null = null;
  /** The slots withVcpu reuses. */
  private readonly scratch = new Float64Array(VCPU_SLOTS);

  constructor(options: Partial<MetricsOptions> = {}) {
    const perVcpuHistograms = options.perVcpuHistograms ?? true;
    const advanceSeriesPoints = options.advanceSeriesPoints ?? (perVcpuHistograms ? AGGREGATE_SERIES_POINTS : 0);
    if (typeof perVcpuHistograms !== "boolean") {
      throw new InputRangeError("metrics.perVcpuHistograms", perVcpuHistograms, "true or false");
    }
    if (!Number.isInteger(advanceSeriesPoints) || advanceSeriesPoints < 0 || advanceSeriesPoints % 2 !== 0 || advanceSeriesPoints > 1 << 20) {
      throw new InputRangeError("metrics.advanceSeriesPoints", advanceSeriesPoints, "an even integer in [0, 2^20]");
    }
    this.options = Object.freeze({ perVcpuHistograms, advanceSeriesPoints });
    this.sharedLatencyNs = perVcpuHistograms ? null : newAggregateHistogram();
    this.sharedLatencyCycles = perVcpuHistograms ? null : newAggregateHistogram();
  }

  /**
   * A collector for (vm, vcpu). Each pair at most once: aggregate() checks, rather than
   * a set here, which would cost ~40 bytes per vCPU for the run's whole life.
   */
  addVcpu(vm: number, vcpu: number): VcpuMetrics {
    this.collectEngineVcpus();
    for (const [field, v] of [["vm", vm], ["vcpu", vcpu]] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new InputRangeError(field, v, "an integer in [0, 2^32)");
    }
    if (this.chunkUsed === VCPUS_PER_CHUNK || this.chunk.length === 0) {
      this.chunk = new Float64Array(VCPUS_PER_CHUNK * VCPU_SLOTS);
      this.chunkUsed = 0;
    }
    const m = this.collector(vm, vcpu, this.chunk, this.chunkUsed * VCPU_SLOTS, this.collectors.length === 0);
    this.chunkUsed++;
    this.collectors.push(m);
    return m;
  }

  private collector(vm: number, vcpu: number, slots: Float64Array, base: number, first: boolean): VcpuMetrics {
    const own = this.options.perVcpuHistograms;
    return new VcpuMetrics({
      vm,
      vcpu,
      slots,
      base,
      latencyNs: own ? newVcpuHistogram() : this.sharedLatencyNs!,
      latencyCycles: own ? newVcpuHistogram() : this.sharedLatencyCycles!,
      context: this,
      seriesPoints: first ? Math.max(AGGREGATE_SERIES_POINTS, this.options.advanceSeriesPoints) : this.options.advanceSeriesPoints,
    });
  }

  /**
   * The engine's vCPUs, as collectors after the ones added so far (in its order): each is
   * made when read (withVcpu), the same collector addVcpu would have made with the
   * engine's totals absorbed. Reading `vcpus` makes them all, once.
   */
  addEngineVcpus(engine: EngineVcpus): void {
    this.collectEngineVcpus();
    if (this.collectors.length === 0) throw new RangeError("addEngineVcpus: the first vCPU's collector is added first (it keeps the aggregate's advance series)");
    this.engine = engine;
  }

  /** How many collectors the host has (those an engine keeps included). */
  get vcpuCount(): number {
    return this.collectors.length + (this.engine?.count ?? 0);
  }

  /** The VM of collector i (cheap: no collector is made). */
  vmOf(i: number): number {
    const n = this.collectors.length;
    return i < n ? this.collectors[i]!.vm : this.engineOrThrow().vmOf(i - n);
  }

  /**
   * f(collector i), in the order of `vcpus`: one the engine keeps is made over slots
   * reused by the next call — valid only inside f (a typed array per read would be most of
   * reading 10^6 vCPUs: aggregateHost and VcpuResultList read them this way).
   */
  withVcpu<T>(i: number, f: (m: VcpuMetrics) => T): T {
    const n = this.collectors.length;
    if (i < n) return f(this.collectors[i]!);
    const engine = this.engineOrThrow();
    const k = i - n;
    if (!(k >= 0 && k < engine.count)) throw new RangeError(`collector ${i} of ${this.vcpuCount}`);
    const m = this.collector(engine.vmOf(k), engine.vcpuOf(k), this.scratch, 0, false);
    m.absorbEngineTotals(engine.slotsOf(k));
    return f(m);
  }

  /** The collectors, in the order they were added (those an engine keeps are made now, once). */
  get vcpus(): readonly VcpuMetrics[] {
    this.collectEngineVcpus();
    return this.collectors;
  }

  private engineOrThrow(): EngineVcpus {
    const engine = this.engine!;
    // Broken invariant, not bad input: the engine's memory was reused by a later simulation.
    if (!engine.current()) throw new Error("a run's per-vCPU totals were read after another simulation started: read them (or `vcpus`) first");
    return engine;
  }

  /** Makes the engine's vCPUs (addEngineVcpus) collectors of this host's own now, as addVcpu makes them. */
  collectEngineVcpus(): void {
    if (this.engine === null) return;
    const engine = this.engineOrThrow();
    this.engine = null;
    for (let k = 0; k < engine.count; k++) this.addVcpu(engine.vmOf(k), engine.vcpuOf(k)).absorbEngineTotals(engine.slotsOf(k));
  }
}
