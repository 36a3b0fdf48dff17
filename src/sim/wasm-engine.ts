// The wasm engine's host side (assembly/sim/engine_loop.ts): decides
// whether a scenario is inside its scope, configures it, runs it while draining its
// metric log into the collectors, and at the end hands over what it kept (counts; in its
// complete mode also latency moments, histogram counts, advance statistics and
// callbacks per ms) and its cyclictest summary lines. The TypeScript state machine (vcpu.ts, lapic.ts) is the other
// backend; outside this scope the engine uses that one (architecture.md, "One factory,
// two backends"). test/sim/engine-differential.test.ts holds the two to identical results.

import { wasm } from "../wasm.js";
import type { ScenarioConfig, WorkloadParams } from "../scenario/types.js";
import type { EraPolicy } from "./eras.js";
import type { MetricsSink } from "./metrics-sink.js";
import { VcpuMetrics } from "../metrics/vcpu-metrics.js";
import type { EngineVcpus, HostMetrics } from "../metrics/host-metrics.js";
import { currentSimulation } from "./sim-generation.js";
import { cyclictestSummaryLine } from "./workloads/cyclictest.js";
import { guestCyclesOfNs } from "./guest-time.js";
import type { VcpuIds } from "./vcpu-ids.js";
import type { GuestExitPolicy } from "./exits-in-guest.js";
import type { WasmSched } from "./wasm-sched.js";
import { drainTrace } from "../trace/session.js";
import { REARM_VARIANTS, tmictToNs } from "../math/lapic-timer.js";
import { PeriodLateness } from "../metrics/period-lateness.js";
import { nonZeroSlots } from "../metrics/nonzero-slots.js";
import { tscFracBits } from "../math/tsc.js";
import { engineVmParams, setTscdlCells, tdlLines, tscdlVmExclusion } from "./wasm-engine-tscdl.js";

const U32_MAX = 0xffffffff;
// The engine's layouts (assembly/sim/engine_metrics.ts): slots per vCPU block (VcpuMetrics'),
// log records, and the histogram cells it counts into (HdrHistogram's, 3 digits from 1).
const SLOTS = wasm.SLOTS.value;
const HIST_CELLS = wasm.HIST_CELLS.value;
const HIST_HALF_MAGNITUDE = wasm.HIST_HALF_MAGNITUDE.value;
const LOG_RECORD_F64 = 4;
const LOG_CAPACITY = wasm.LOG_CAPACITY.value;
const { Latency: LOG_LATENCY, Advance: LOG_ADVANCE, PeriodLateness: LOG_PERIOD_LATENESS } = wasm.LogRecord;

/**
 * The engine a run of `config` uses for an engine choice ("auto" picks the wasm engine
 * whenever it covers the scenario). Simulation applies the same rule, with its own
 * extra exclusions (custom guest programs, a test's option) on top.
 */
export function engineFor(choice: "auto" | "ts" | "wasm", config: ScenarioConfig): "ts" | "wasm" {
  return choice === "ts" || wasmEngineExclusion(config) !== null ? "ts" : "wasm";
}

/**
 * Why the scenario needs the TypeScript engine, or null when the wasm engine runs it:
 * every VM runs a built-in workload: cyclictest on either deadline MSR, tscdeadline-latency,
 * rearm-storm or idle-tick through IA32_TSC_DEADLINE, or periodic or oneshot through
 * TMICT/TDCR; pauses, migrations, the lazy and PV deadline proposals and the host
 * scheduler are in scope.
 */
export function wasmEngineExclusion(config: ScenarioConfig): string | null {
  const { kvm } = config;
  for (const [i, hp] of [["kvm.haltPoll.maxNs", kvm.haltPoll.maxNs], ["kvm.haltPoll.growStartNs", kvm.haltPoll.growStartNs], ["kvm.haltPoll.grow", kvm.haltPoll.grow], ["kvm.haltPoll.shrink", kvm.haltPoll.shrink]] as const) {
    if (!Number.isInteger(hp) || hp < 0 || hp > U32_MAX) return `${i} is outside u32`;
  }
  for (const [i, vm] of config.vms.entries()) {
    const w = vm.workload;
    if (w.kind === "periodic" || w.kind === "oneshot") {
      for (const [f, x] of [["tmict", w.tmict], ["tdcr", w.tdcr]] as const) if (!Number.isInteger(x) || x < 0 || x > U32_MAX) return `vms.${i}.workload.${f} is outside u32`;
    } else {
      const tscdl = tscdlVmExclusion(i, vm);
      if (tscdl !== null) return tscdl;
    }
  }
  return null;
}

export interface WasmEngineSetup {
  config: ScenarioConfig;
  era: EraPolicy;
  hvTimer: boolean;
  startNs: number;
  /** Halt polling allowed, per VM (kvm_arch_no_poll is false). */
  pollAllowed: readonly boolean[];
  /** What disableExits and posted timer interrupts decide, per VM (exits-in-guest.ts). */
  exits: readonly GuestExitPolicy[];
  /** Each vCPU's VM and number within it (engine order = index order). */
  ids: VcpuIds;
  /** Some VM prints cyclictest's summary line (its sums are kept). */
  summaries: boolean;
  sinks: EngineSinks;
  /** The host scheduler (host.cpus, host.load, host.outer, pins; wasm-sched.ts), or null. */
  sched: WasmSched | null;
}

/**
 * Where the engine's metrics go: a sink per vCPU, made before the run; or a host's
 * collectors, which the hand-over adds in vCPU order — all but the first, which exists
 * from the start for the advance series the aggregate reports (the host's histograms
 * are shared and its other vCPUs keep no series: Simulation decides).
 */
export type EngineSinks = { kind: "each"; sinks: readonly MetricsSink[] } | { kind: "deferred"; host: HostMetrics; first: VcpuMetrics; untilRead: boolean };

/**
 * The engine's complete mode (assembly/sim/engine_metrics.ts) applies when every sink is a
 * VcpuMetrics of one host: then the sinks, else null (the log mode, which replays every
 * call). With per-vCPU histograms the engine logs each latency for them; one shared pair
 * it counts itself, which needs HdrHistogram's layout for 3 digits from 1 (else null).
 */
function completeSinks(sinks: readonly MetricsSink[]): VcpuMetrics[] | null {
  const first = sinks[0];
  if (!(first instanceof VcpuMetrics)) return null;
  if (!first.ownHistograms) {
    const { ns, cycles } = first.histograms;
    for (const h of [ns, cycles]) if (h.subBucketHalfCountMagnitude !== HIST_HALF_MAGNITUDE || h.unitMagnitude !== 0) return null;
  }
  const all: VcpuMetrics[] = [];
  for (const sink of sinks) {
    if (!(sink instanceof VcpuMetrics) || !first.sameHost(sink)) return null;
    all.push(sink);
  }
  return all;
}

/**
 * vCPUs 1.. of a finished deferred run, read from the engine's metric blocks
 * (engineSlotsOf) while no other simulation has taken the memory.
 */
function engineVcpus(ids: VcpuIds): EngineVcpus {
  const run = currentSimulation();
  let view = new Float64Array(0);
  return {
    count: ids.count - 1,
    vmOf: (k) => ids.vmOf(k + 1),
    vcpuOf: (k) => ids.vcpuInVm(k + 1),
    slotsOf(k) {
      const ptr = wasm.engineSlotsOf(k + 1);
      if (view.buffer !== wasm.memory.buffer || view.byteOffset !== ptr) view = new Float64Array(wasm.memory.buffer, ptr, SLOTS);
      return view;
    },
    current: () => currentSimulation() === run,
  };
}

export class WasmEngine {
  /** The sinks, when the engine runs in its complete mode with a sink per vCPU. */
  private readonly complete: VcpuMetrics[] | null;
  /** Deferred sinks: each vCPU's per-period lateness until its collector exists (handOver). */
  private readonly periods: (PeriodLateness | undefined)[] = [];

  constructor(private readonly s: WasmEngineSetup) {
    const { config, era } = s;
    const { kvm, host } = config;
    const stalls = host.stalls;
    wasm.ctEngineConfigure(
      era.code,
      kvm.timerAdvance.kind === "adaptive",
      era.globalAdvance,
      era.expireWithinAdvance,
      s.hvTimer,
      era.hvBusyWaitEveryMode,
      kvm.apicv,
      host.preemptionTimerRate,
      host.hz,
      BigInt(s.startNs),
      stalls === null ? 0 : stalls.everyNs,
      stalls === null ? 0 : stalls.lengthNs,
    );
    wasm.ctEngineEraFlags(era.hvTimerBeforeWait);
    const hp = kvm.haltPoll;
    wasm.ctEngineHaltPoll(hp.dynamic, hp.maxNs, hp.grow, hp.growStartNs, hp.shrink);
    wasm.ctEngineInit(s.ids.count, config.vms.length, s.summaries);
    this.complete = s.sinks.kind === "each" ? completeSinks(s.sinks.sinks) : null;
    if (s.sinks.kind === "deferred") {
      wasm.engineMetricsInit(s.ids.count, true, false);
      wasm.engineSetSeriesCap(0, s.sinks.first.seriesPoints);
    } else {
      wasm.engineMetricsInit(s.ids.count, this.complete !== null, this.complete?.[0]?.ownHistograms ?? false);
      this.complete?.forEach((m, v) => wasm.engineSetSeriesCap(v, m.seriesPoints));
    }
    wasm.ctEngineLapicConfigure(
      kvm.apicBusCycleNs,
      kvm.minTimerPeriodUs,
      REARM_VARIANTS[kvm.periodicNegativeDelta ?? (era.periodicRearm === "clamp" ? "clamp" : "wrap")],
      kvm.periodicNegativeDelta === null && era.periodicRearm === "drift",
      kvm.advanceOneshot,
      era.hvLatchesDeadline,
      era.hrtimerFollowsTarget,
      era.restoreExpiredOneshotNow,
    );
    wasm.ctEngineDeadlineProposals(kvm.lazyTscDeadline, kvm.pvDeadline);
    let sampleBase = 0;
    config.vms.forEach((_, i) => {
      this.sampleBases.push(sampleBase);
      sampleBase = this.configureVm(i, sampleBase);
    });
    this.configureControl();
    for (let v = 0; v < s.ids.count; v++) wasm.ctEngineSetVcpu(v, s.ids.vmOf(v));
    wasm.guestStateInit(s.ids.count);
  }

  /**
   * VM i's parameters: its workload's and the per-VM cells every VM sets (cells are not
   * zeroed); returns the next VM's first sample cell (wasm-engine-tscdl.ts setTscdlCells).
   */
  private configureVm(i: number, sampleBase: number): number {
    const { config, exits, pollAllowed } = this.s;
    const { kvm } = config;
    const vm = config.vms[i]!;
    const x = exits[i]!;
    const w = vm.workload;
    const cell = (c: { value: number }, value: number): void => wasm.ctEngineSetVmCell(i, c.value, value);
    if (w.kind === "periodic" || w.kind === "oneshot") {
      const periodic = w.kind === "periodic";
      wasm.ctEngineSetVm(i, 0, 0, vm.tscKhz, pollAllowed[i]!, 0, false, x.idleInGuest, x.canPostTimer, x.hvTimer);
      cell(wasm.VM_WORKLOAD, periodic ? wasm.WK_PERIODIC.value : wasm.WK_ONESHOT.value);
      cell(wasm.VM_TIMER_MODE, periodic ? wasm.TM_PERIODIC.value : wasm.TM_ONESHOT.value);
      cell(wasm.VM_TMICT, w.tmict);
      cell(wasm.VM_TDCR, w.tdcr & 0xb); // LapicTimer.writeTdcr keeps val & 0xb
      // lapic-count.ts periodCycles: the guest's own conversion, at its boot calibration.
      let ns = Number(tmictToNs(w.tmict, w.tdcr, kvm.apicBusCycleNs));
      if (periodic) ns = Math.max(ns, kvm.minTimerPeriodUs * 1000);
      cell(wasm.VM_PERIOD_CYCLES, guestCyclesOfNs(ns, vm.tscKhz));
      cell(wasm.VM_GAP_NS, periodic ? 0 : (w as WorkloadParams<"oneshot">).gapNs);
      cell(wasm.VM_WAIT_BUSY, w.wait === "busy" ? 1 : 0);
      return setTscdlCells(i, vm, this.s.ids.firstIndexOf(i), sampleBase);
    }
    const p = engineVmParams(w);
    // The guest converts the interval with the calibration it booted with (cyclictest.ts).
    wasm.ctEngineSetVm(i, guestCyclesOfNs(p.intervalNs, vm.tscKhz), p.loops, vm.tscKhz, pollAllowed[i]!, p.workNs, p.idlePoll, x.idleInGuest, x.canPostTimer, x.hvTimer);
    cell(wasm.VM_WORKLOAD, p.code);
    cell(wasm.VM_TIMER_MODE, wasm.TM_DEADLINE.value);
    for (const k of [wasm.VM_TMICT, wasm.VM_TDCR, wasm.VM_PERIOD_CYCLES, wasm.VM_GAP_NS, wasm.VM_WAIT_BUSY]) cell(k, 0);
    return setTscdlCells(i, vm, this.s.ids.firstIndexOf(i), sampleBase);
  }

  /**
   * Each VM's pauses and migrations (assembly/sim/engine_control.ts), its cells saying
   * where its entries are; a destination's TSC rate is a ratio to the one host clock.
   */
  private configureControl(): void {
    const { config } = this.s;
    wasm.ctEngineControlInit(this.s.ids.count);
    const fracBits = BigInt(tscFracBits(config.host.vendor));
    let migrations = 0;
    let pauses = 0;
    config.vms.forEach((vm, i) => {
      wasm.ctEngineSetVmCell(i, wasm.VM_MIGRATION_FIRST.value, migrations);
      wasm.ctEngineSetVmCell(i, wasm.VM_MIGRATIONS.value, vm.migrations.length);
      wasm.ctEngineSetVmCell(i, wasm.VM_PAUSE_FIRST.value, pauses);
      wasm.ctEngineSetVmCell(i, wasm.VM_PAUSES.value, vm.pauses.length);
      for (const m of vm.migrations) migrations = 1 + wasm.ctEngineAddMigration(m.atNs, ((1n << fracBits) * BigInt(m.tscKhz)) / BigInt(config.host.tscKhz), m.tscKhz);
      for (const p of vm.pauses) pauses = 1 + wasm.ctEngineAddPause(p.atNs, p.lengthNs);
    });
  }
  /** Per VM, its first sample cell (tscdeadline-latency printing its samples). */
  private readonly sampleBases: number[] = [];

  /** Every vCPU's first events, in index order (Vcpu.start). */
  start(): void {
    wasm.ctEngineStart();
  }

  /** Runs to the horizon (after start); returns the events popped. */
  run(progress: { everyEvents: number; report(events: number): void } | null = null): number {
    // The periodic return (assembly/sim/engine_yield.ts) only when progress is asked for.
    if (progress !== null) wasm.ctEngineSetYieldEvery(progress.everyEvents, wasm.ctEngineEvents());
    try {
      for (;;) {
        const more = wasm.ctEngineRun();
        this.drain();
        this.s.sched?.drain();
        drainTrace();
        if (more === 0) break;
        progress?.report(wasm.ctEngineEvents());
      }
    } finally {
      if (progress !== null) wasm.ctEngineSetYieldEvery(0, 0);
    }
    // The per-period lateness runs still open (assembly/sim/engine_metrics.ts).
    for (let from = 0; (from = wasm.engineFlushLatenessRuns(from)) >= 0; ) this.drain();
    this.drain();
    this.handOver();
    return wasm.ctEngineEvents();
  }

  /**
   * Replays the logged calls in the order the engine made them: in the log mode the
   * MetricsSink calls themselves; in the complete mode the parts the engine left to the
   * host (histogram values >= 2^32, or every value for per-vCPU histograms; the series
   * points a collector keeps).
   */
  private drain(): void {
    const n = wasm.engineLogCount();
    if (n === 0) return;
    const log = new Float64Array(wasm.memory.buffer, wasm.engineLogPtr(), LOG_CAPACITY * LOG_RECORD_F64);
    const { sinks } = this.s;
    if (sinks.kind === "each" && this.complete === null) {
      for (let i = 0, o = 0; i < n; i++, o += LOG_RECORD_F64) {
        const code = log[o]!;
        const type = code % 4;
        const sink = sinks.sinks[(code - type) / 4]!;
        if (type === LOG_LATENCY) sink.recordLatency(log[o + 1]!, log[o + 2]!);
        else if (type === LOG_ADVANCE) sink.recordAdvance(log[o + 1]!, log[o + 2]!);
        else if (type === LOG_PERIOD_LATENESS) for (let k = log[o + 2]!; k > 0; k--) sink.recordPeriodLateness?.(log[o + 1]!);
        else sink.hrtimerCallback(log[o + 1]!);
      }
    } else {
      // Deferred, the histograms are the host's shared pair and only the first vCPU has a series.
      const collectors = sinks.kind === "deferred" ? null : this.complete!;
      for (let i = 0, o = 0; i < n; i++, o += LOG_RECORD_F64) {
        const code = log[o]!;
        const type = code % 4;
        if (type === LOG_PERIOD_LATENESS) {
          // Histogram counts (the engine keeps the totals: handOver).
          this.periodLateness((code - type) / 4).addHistogramCount(log[o + 1]!, log[o + 2]!);
          continue;
        }
        const m = collectors === null ? (sinks as { first: VcpuMetrics }).first : collectors[(code - type) / 4]!;
        if (type === LOG_LATENCY) m.recordLatencyHistograms(log[o + 1]!, log[o + 2]!);
        else m.advanceSeriesPoint(log[o + 3]!, log[o + 1]!, log[o + 2]!);
      }
    }
    wasm.engineLogClear();
  }

  /** vCPU v's per-period lateness in the complete mode: its collector's, or (deferred) one kept here until the collector exists. */
  private periodLateness(v: number): PeriodLateness {
    return this.complete !== null ? this.complete[v]!.periodLatenessForEngine() : (this.periods[v] ??= new PeriodLateness());
  }

  /**
   * What each vCPU accumulated in wasm, merged into its sink (and the host's counters);
   * deferred, each collector is added here, in vCPU order, and takes its totals.
   */
  private handOver(): void {
    const { sinks, ids } = this.s;
    // engineSlotsOf fills one static block; one view reads it for every vCPU.
    const slots = new Float64Array(wasm.memory.buffer, wasm.engineSlotsOf(0), SLOTS);
    if (sinks.kind === "each" && this.complete === null) {
      sinks.sinks.forEach((sink, v) => {
        wasm.engineSlotsOf(v);
        sink.addCounts(slots);
      });
      return;
    }
    const first = sinks.kind === "deferred" ? sinks.first : this.complete![0]!;
    // Per-period lateness (periodic workloads) is handed over per vCPU with its collector;
    // without it, deferred, the other vCPUs' totals stay in the engine's blocks until the
    // results read them (SimulationOptions.engineTotalsUntilRead), else they are collectors now.
    const periodic = this.s.config.vms.some((vm) => vm.workload.kind === "periodic");
    if (sinks.kind === "deferred" && !periodic) {
      wasm.engineSlotsOf(0);
      first.absorbEngineTotals(slots);
      sinks.host.addEngineVcpus(engineVcpus(ids));
      if (!sinks.untilRead) sinks.host.collectEngineVcpus();
    } else {
      const lateness = new Float64Array(wasm.memory.buffer, wasm.engineLatenessTotals(0), 4);
      for (let v = 0; v < ids.count; v++) {
        wasm.engineSlotsOf(v);
        wasm.engineLatenessTotals(v);
        const m = v === 0 ? first : sinks.kind === "deferred" ? sinks.host.addVcpu(ids.vmOf(v), ids.vcpuInVm(v)) : this.complete![v]!;
        m.absorbEngineTotals(slots);
        const periods = this.periods[v];
        if (periods !== undefined) m.adoptPeriodLateness(periods);
        const [count, sumNs, minNs, maxNs] = lateness;
        if (count! > 0) m.periodLatenessForEngine().absorbTotals(count!, sumNs!, minNs!, maxNs!);
      }
    }
    if (!first.ownHistograms) {
      const { ns, cycles } = first.histograms;
      for (const [h, ptr] of [[ns, wasm.engineHistNsPtr()], [cycles, wasm.engineHistCyclesPtr()]] as const) {
        const counts = new Float64Array(wasm.memory.buffer, ptr, HIST_CELLS);
        // The slots that hold counts only (a short run fills a handful of ~8,000).
        const next = nonZeroSlots(counts, HIST_CELLS);
        for (let i = next(0); i < HIST_CELLS; i = next(i + 1)) h.recordValueWithCount(h.valueFromIndex(i), counts[i]!);
      }
    }
    first.addHostCallbacks(new Uint32Array(wasm.memory.buffer, wasm.engineCallbacksPtr(), wasm.CALLBACK_WINDOW_MS.value), wasm.engineCallbacksLatestMs(), wasm.engineCallbacksPeak());
  }

  /** The lines vCPU v's program printed (engine order), as the TypeScript programs print them. */
  linesOf(v: number): string[] {
    const w = this.s.config.vms[this.s.ids.vmOf(v)]!.workload;
    if (w.kind === "cyclictest") return w.printSummary ? [this.summaryLine(v)] : [];
    return tdlLines(this.s.config, this.s.ids, this.sampleBases, v);
  }

  /** cyclictest's summary line for vCPU v (engine order), as workloads/cyclictest.ts prints it. */
  summaryLine(v: number): string {
    const vm = this.s.config.vms[this.s.ids.vmOf(v)]!;
    const w = vm.workload as WorkloadParams<"cyclictest">;
    // The engine's statistics: count, loops, min, max, act, sum (f64).
    const [count, , min, max, act, sum] = new Float64Array(wasm.memory.buffer, wasm.ctEngineStats(v), 6);
    return cyclictestSummaryLine(this.s.ids.vcpuInVm(v), w.intervalNs, { count: count!, min: min!, act: act!, sum: sum!, max: max! });
  }
}
