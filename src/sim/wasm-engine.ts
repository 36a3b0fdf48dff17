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
import type { HostMetrics } from "../metrics/host-metrics.js";
import { cyclictestSummaryLine } from "./workloads/cyclictest.js";
import { guestCyclesOfNs } from "./guest-time.js";
import type { VcpuIds } from "./vcpu-ids.js";
import type { GuestExitPolicy } from "./exits-in-guest.js";
import type { WasmSched } from "./wasm-sched.js";
import { drainTrace } from "../trace/session.js";
import { engineVmParams, setTscdlCells, tdlLines, tscdlVmExclusion } from "./wasm-engine-tscdl.js";

const U32_MAX = 0xffffffff;
// The engine's layouts (assembly/sim/engine_metrics.ts): slots per vCPU block (VcpuMetrics'),
// log records, and the histogram cells it counts into (HdrHistogram's, 3 digits from 1).
const SLOTS = wasm.SLOTS.value;
const HIST_CELLS = wasm.HIST_CELLS.value;
const HIST_HALF_MAGNITUDE = wasm.HIST_HALF_MAGNITUDE.value;
const LOG_RECORD_F64 = 4;
const LOG_CAPACITY = wasm.LOG_CAPACITY.value;
const { Latency: LOG_LATENCY, Advance: LOG_ADVANCE } = wasm.LogRecord;

/**
 * Why the scenario needs the TypeScript engine, or null when the wasm engine runs it:
 * every VM runs a built-in TSC-deadline workload (cyclictest on either deadline MSR,
 * tscdeadline-latency, rearm-storm, idle-tick), without pauses or migrations; the lazy
 * and PV deadline proposals and the host scheduler are in scope.
 */
export function wasmEngineExclusion(config: ScenarioConfig): string | null {
  const { kvm } = config;
  for (const [i, hp] of [["kvm.haltPoll.maxNs", kvm.haltPoll.maxNs], ["kvm.haltPoll.growStartNs", kvm.haltPoll.growStartNs], ["kvm.haltPoll.grow", kvm.haltPoll.grow], ["kvm.haltPoll.shrink", kvm.haltPoll.shrink]] as const) {
    if (!Number.isInteger(hp) || hp < 0 || hp > U32_MAX) return `${i} is outside u32`;
  }
  for (const [i, vm] of config.vms.entries()) {
    const tscdl = tscdlVmExclusion(i, vm);
    if (tscdl !== null) return tscdl;
    if (vm.pauses.length > 0) return `vms.${i}.pauses is not empty`;
    if (vm.migrations.length > 0) return `vms.${i}.migrations is not empty`;
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
export type EngineSinks = { kind: "each"; sinks: readonly MetricsSink[] } | { kind: "deferred"; host: HostMetrics; first: VcpuMetrics };

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

export class WasmEngine {
  /** The sinks, when the engine runs in its complete mode with a sink per vCPU. */
  private readonly complete: VcpuMetrics[] | null;

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
    wasm.ctEngineDeadlineProposals(kvm.lazyTscDeadline, kvm.pvDeadline);
    let sampleBase = 0;
    config.vms.forEach((vm, i) => {
      const w = engineVmParams(vm.workload);
      // The guest converts the interval with the calibration it booted with (cyclictest.ts).
      const x = s.exits[i]!;
      wasm.ctEngineSetVm(i, guestCyclesOfNs(w.intervalNs, vm.tscKhz), w.loops, vm.tscKhz, s.pollAllowed[i]!, w.workNs, w.idlePoll, x.idleInGuest, x.canPostTimer, x.hvTimer);
      wasm.ctEngineSetVmCell(i, wasm.VM_WORKLOAD.value, w.code);
      this.sampleBases.push(sampleBase);
      sampleBase = setTscdlCells(i, vm, s.ids.firstIndexOf(i), sampleBase);
    });
    for (let v = 0; v < s.ids.count; v++) wasm.ctEngineSetVcpu(v, s.ids.vmOf(v));
    wasm.guestStateInit(s.ids.count);
  }

  /** Per VM, its first sample cell (tscdeadline-latency printing its samples). */
  private readonly sampleBases: number[] = [];

  /** Every vCPU's first events, in index order (Vcpu.start). */
  start(): void {
    wasm.ctEngineStart();
  }

  /** Runs to the horizon (after start); returns the events popped. */
  run(): number {
    for (;;) {
      const more = wasm.ctEngineRun();
      this.drain();
      this.s.sched?.drain();
      drainTrace();
      if (more === 0) break;
    }
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
        else sink.hrtimerCallback(log[o + 1]!);
      }
    } else {
      // Deferred, the histograms are the host's shared pair and only the first vCPU has a series.
      const collectors = sinks.kind === "deferred" ? null : this.complete!;
      for (let i = 0, o = 0; i < n; i++, o += LOG_RECORD_F64) {
        const code = log[o]!;
        const type = code % 4;
        const m = collectors === null ? (sinks as { first: VcpuMetrics }).first : collectors[(code - type) / 4]!;
        if (type === LOG_LATENCY) m.recordLatencyHistograms(log[o + 1]!, log[o + 2]!);
        else m.advanceSeriesPoint(log[o + 3]!, log[o + 1]!, log[o + 2]!);
      }
    }
    wasm.engineLogClear();
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
    for (let v = 0; v < ids.count; v++) {
      wasm.engineSlotsOf(v);
      const m = v === 0 ? first : sinks.kind === "deferred" ? sinks.host.addVcpu(ids.vmOf(v), ids.vcpuInVm(v)) : this.complete![v]!;
      m.absorbEngineTotals(slots);
    }
    if (!first.ownHistograms) {
      const { ns, cycles } = first.histograms;
      for (const [h, ptr] of [[ns, wasm.engineHistNsPtr()], [cycles, wasm.engineHistCyclesPtr()]] as const) {
        const counts = new Float64Array(wasm.memory.buffer, ptr, HIST_CELLS);
        for (let i = 0; i < HIST_CELLS; i++) if (counts[i]! > 0) h.recordValueWithCount(h.valueFromIndex(i), counts[i]!);
      }
    }
    first.addHostCallbacks(new Uint32Array(wasm.memory.buffer, wasm.engineCallbacksPtr(), wasm.engineCallbackCells()));
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
