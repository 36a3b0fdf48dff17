// The simulation: builds the host, VMs and vCPUs of a scenario in wasm memory and runs
// the discrete-event loop. Events are (time, seq)-ordered in wasm (architecture.md,
// "Determinism"); each carries (kind, vCPU index) and is dispatched to that vCPU.

import { simulationStarting } from "./sim-generation.js";
import { wasm } from "../wasm.js";
import { InputRangeError } from "../errors.js";
import { computeL1TscOffset, tscFracBits, tscRatio } from "../math/tsc.js";
import { REARM_VARIANTS } from "../math/lapic-timer.js";
import type { HostStalls, ScenarioConfig } from "../scenario/types.js";
import { ERAS, type EraPolicy } from "./eras.js";
import { MAX_VCPUS, SCHED_EVENT_BASE, VCPU_MASK } from "./events.js";
import { HostScheduler } from "./host-sched.js";
import { planHostSched } from "./sched-plan.js";
import { WasmSched, emitLoadPrograms, loadStreamKeys, planSchedMemory } from "./wasm-sched.js";
import { usesHostScheduler } from "../scenario/schema.js";
import type { HostSchedResult } from "../metrics/sched-types.js";
import { DELAY_KINDS, HostDelaySamplers, delayProgram } from "./host-delays.js";
import type { MetricsSink } from "./metrics-sink.js";
import { Vcpu } from "./vcpu.js";
import type { VcpuEnv } from "./vcpu/state.js";
import { VcpuIds } from "./vcpu-ids.js";
import type { AnyGuestProgram } from "./guest.js";
import { workloadProgram } from "./workloads/index.js";
import { WasmEngine, wasmEngineExclusion } from "./wasm-engine.js";
import { needsFullRecords, planGuestState } from "./wasm-engine-tscdl.js";
import { HostMetrics } from "../metrics/host-metrics.js";
import { guestExitPolicy } from "./exits-in-guest.js";
import { drainTrace, traceActive } from "../trace/session.js";
import type { VcpuMetrics } from "../metrics/vcpu-metrics.js";

/** Host uptime when the simulation starts (ns): the clock and TSC are well past zero. */
export const START_NS = 1_000_000_000;

/**
 * s390's kvm_arch_no_poll: the vCPU's steal time at or above halt_poll_max_steal percent.
 * The simulated host steals time only through host.stalls (length per period).
 */
function stealAboveLimit(stalls: HostStalls | null, maxStealPercent: number | null): boolean {
  if (maxStealPercent === null || stalls === null) return false;
  return (100 * stalls.lengthNs) / stalls.everyNs >= maxStealPercent;
}

export interface VcpuId {
  vm: number;
  vcpu: number;
}

/** Knobs for tests and experiments that are not part of the scenario format. */
export interface SimulationOptions {
  /** Lazy TSC-deadline RFC v3 patch 5 (default true); false reproduces the guest hang (S16). */
  lazyClearExpiredAtArm?: boolean;
  /**
   * Which backend runs the vCPUs: "ts" the TypeScript state machine (any guest program),
   * "wasm" the wasm engine (scenarios inside wasmEngineExclusion's scope;
   * InputRangeError otherwise), "auto" (default) the wasm engine whenever it can.
   * Both give identical results.
   */
  engine?: EngineChoice;
  /**
   * Told now and then during run() how far it has got (the CLI's progress line): every
   * `everyEvents` events or so. Changes no result: the engines only pause to report.
   */
  progress?: SimulationProgress;
  /**
   * With a HostMetrics the wasm engine defers (shared histograms, no per-vCPU series):
   * leave vCPUs 1.. in the engine's metric blocks, made into collectors only as they are
   * read (HostMetrics.withVcpu), valid until the next simulation starts. Default false:
   * every collector exists when run() returns. `tscsim run` sets it (issue #13: ~420
   * bytes per vCPU less at 10^6 vCPUs).
   */
  engineTotalsUntilRead?: boolean;
}

export interface SimulationProgress {
  everyEvents: number;
  report(simulatedNs: number, events: number): void;
}

/** The backends a simulation can be asked for (SimulationOptions.engine). */
export const ENGINE_CHOICES = ["auto", "ts", "wasm"] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export class Simulation {
  readonly vcpus: Vcpu[] = [];
  /** vCPU index <-> (VM, vCPU number within it). */
  private readonly ids: VcpuIds;
  readonly era: EraPolicy;
  events = 0;
  /** The backend running this simulation. */
  readonly engine: "ts" | "wasm";
  private readonly fast: WasmEngine | null = null;
  /** The host scheduler when vCPU threads share CPUs (host.cpus, host.load, host.outer, pins). */
  readonly sched: HostScheduler | null = null;
  /** The host scheduler on the wasm engine. */
  private readonly fastSched: WasmSched | null = null;
  /** Per VM: its program's printed lines are kept. */
  private readonly keepOutputOf: boolean[];
  private readonly progress: SimulationProgress | null;

  /**
   * `metrics` is a HostMetrics whose collectors the simulation adds, one per vCPU in index
   * order, or a function giving each vCPU's sink. With a HostMetrics, shared histograms
   * and no per-vCPU advance series on the wasm engine, the collectors of all vCPUs but
   * the first are added when the run ends: while it runs, their numbers live only in the
   * engine's compact wasm blocks (issue #3 §9, memory per vCPU).
   */
  constructor(
    readonly config: ScenarioConfig,
    metrics: HostMetrics | ((id: VcpuId, index: number) => MetricsSink),
    /** Guest programs by VM index, replacing the configured workloads (custom guest code, tests). */
    programs: readonly (AnyGuestProgram | undefined)[] = [],
    options: SimulationOptions = {},
  ) {
    const { host, kvm } = config;
    this.era = ERAS[kvm.era];
    const total = config.vms.reduce((n, vm) => n + vm.vcpus, 0);
    if (total > MAX_VCPUS) throw new InputRangeError("vms.*.vcpus (total)", total, `at most ${MAX_VCPUS} vCPUs`);
    if (kvm.timerAdvance.kind === "adaptive" && !this.era.adaptiveTuning) {
      throw new InputRangeError("kvm.timerAdvance", "adaptive", `"off" or a fixed duration for era ${kvm.era} (no auto-tuning before v4.20)`);
    }
    this.progress = options.progress ?? null;
    const choice = options.engine ?? "auto";
    const exclusion = programs.some((p) => p !== undefined)
      ? "custom guest programs"
      : options.lazyClearExpiredAtArm === false
        ? "lazyClearExpiredAtArm off (a test's option)"
        : wasmEngineExclusion(config);
    if (choice === "wasm" && exclusion !== null) {
      throw new InputRangeError("engine", "wasm", `a scenario the wasm engine covers (here: ${exclusion}); use "ts" or "auto"`);
    }
    // engineFor's rule (src/sim/wasm-engine.ts), with this run's extra exclusions.
    this.engine = choice === "ts" || exclusion !== null ? "ts" : "wasm";
    const fracBits = tscFracBits(host.vendor);
    // The host TSC reads 0 at host time 0 (base 0n): hostTsc(ns) = floor(ns * khz / 10^6),
    // assembly/sim/host_clock.ts hostTscAt.
    wasm.setHostClock(host.tscKhz, 0n, BigInt(START_NS));
    // The queue's room: the wasm engine keeps one event a vCPU in it (its thread's next
    // event waits in the vCPU's record), two with host stalls; the TypeScript engine up to
    // four (thread, hrtimer, preemption timer, stall). It grows if ever short.
    // With a host scheduler the wasm engine queues every event (no chaining): up to three a vCPU.
    const schedPlan = usesHostScheduler(config) ? planHostSched(config) : null;
    const perVcpuEvents = this.engine === "wasm" ? (schedPlan !== null ? 3 : host.stalls === null ? 1 : 2) : 4;
    const queueCapacity = 16 + total * perVcpuEvents + (schedPlan !== null ? 2 * (host.cpus ?? total) + 2 * (host.outer?.cpus ?? 0) + schedPlan.loads.length : 0);
    this.keepOutputOf = config.vms.map((vm) => ("printLatencies" in vm.workload ? vm.workload.printLatencies : "printSummary" in vm.workload ? vm.workload.printSummary : false));
    const program = delayProgram(host.delays);
    // The wasm engine draws the background tasks' runs from the delay program, on streams after the vCPUs'.
    const fastSched = this.engine === "wasm" ? schedPlan : null;
    const loadRoots = fastSched === null ? [] : emitLoadPrograms(fastSched, program);
    planSchedMemory(schedPlan, fastSched !== null);
    const deferTo =
      metrics instanceof HostMetrics && this.engine === "wasm" && !metrics.options.perVcpuHistograms && metrics.options.advanceSeriesPoints === 0 && metrics.vcpus.length === 0
        ? metrics
        : null;
    // The horizon, before the reserve.
    wasm.queueSetHorizon(BigInt(START_NS + config.durationNs));
    simulationStarting();
    // The wasm engine's pause and migration lists and per-period lateness runs (assembly/sim/engine_control.ts), inside the reserve.
    const perVm = (n: (vm: ScenarioConfig["vms"][number]) => number) => (this.engine === "wasm" ? config.vms.reduce((sum, vm) => sum + n(vm), 0) : 0);
    wasm.ctEngineControlReserve(perVm((vm) => vm.migrations.length), perVm((vm) => vm.pauses.length), perVm((vm) => (vm.workload.kind === "periodic" ? 1 : 0)) > 0);
    planGuestState(config, this.engine === "wasm");
    wasm.simMemoryReserve(total, config.vms.length, queueCapacity, this.engine === "wasm", this.keepOutputOf.some((keep) => keep), deferTo === null, program.cells.length * 8);
    wasm.queueReset(queueCapacity);
    // The compact records on the wasm engine, unless a deadline proposal needs the full ones.
    wasm.vcpuStateInit(total, fracBits, this.engine === "wasm" && !needsFullRecords(config));
    // kvmclock reads 0 at the guests' boot, the start of the simulation.
    wasm.setKvmclockEpoch(BigInt(START_NS));

    this.ids = new VcpuIds(config.vms.map((vm) => vm.vcpus));
    const delays = new HostDelaySamplers(program, config.seed, this.ids, fastSched === null ? [] : loadStreamKeys(fastSched));
    const advanceNs = kvm.timerAdvance.kind === "off" ? 0 : kvm.timerAdvance.kind === "fixed" ? kvm.timerAdvance.ns : 1000;
    const hostTscAtStart = (BigInt(START_NS) * BigInt(host.tscKhz)) / 1_000_000n;

    const hvTimer = host.vendor === "vmx" && kvm.hvTimer && this.era.hvTimer;
    const exitsOf = config.vms.map((vm) => guestExitPolicy(config, vm, hvTimer));
    const pollAllowedOf = config.vms.map((vm) => vm.pollControl && !stealAboveLimit(host.stalls, kvm.haltPoll.maxStealPercent));
    const metricsFor = metrics instanceof HostMetrics ? (id: VcpuId) => metrics.addVcpu(id.vm, id.vcpu) : metrics;
    // Every vCPU's L1 TSC and advance, in index order, whichever engine runs it; its sink
    // unless deferred (then only the first vCPU's, which keeps the aggregate's series).
    const sinks: MetricsSink[] = [];
    let index = 0;
    config.vms.forEach((vm, vmIndex) => {
      const { ratio } = tscRatio(vm.tscKhz, host.tscKhz, host.vendor, { tolerancePpm: kvm.tscTolerancePpm });
      // Each vCPU is created with a guest TSC of 0 (a host-initiated write of 0, spec §2.4).
      const offset = BigInt.asUintN(64, computeL1TscOffset(0n, hostTscAtStart, ratio, fracBits));
      for (let i = 0; i < vm.vcpus; i++, index++) {
        wasm.vcpuSetTsc(index, ratio, offset, vm.tscKhz);
        wasm.vcpuSetAdvance(index, advanceNs, this.era.globalAdvance);
        if (deferTo === null || index === 0) sinks.push(metricsFor({ vm: vmIndex, vcpu: i }, index));
      }
    });
    const perVcpuWaits = metrics instanceof HostMetrics ? metrics.options.perVcpuHistograms : total <= 64;
    if (this.engine === "wasm") {
      if (fastSched !== null) this.fastSched = new WasmSched(fastSched, config, START_NS, loadRoots, total * DELAY_KINDS.length, perVcpuWaits);
      this.fast = new WasmEngine({
        config,
        era: this.era,
        hvTimer,
        startNs: START_NS,
        pollAllowed: pollAllowedOf,
        exits: exitsOf,
        ids: this.ids,
        summaries: this.keepOutputOf.some((keep) => keep),
        sinks: deferTo !== null ? { kind: "deferred", host: deferTo, first: sinks[0] as VcpuMetrics, untilRead: options.engineTotalsUntilRead === true } : { kind: "each", sinks },
        sched: this.fastSched,
      });
      return;
    }

    if (schedPlan !== null) {
      this.sched = new HostScheduler(schedPlan, config, START_NS, perVcpuWaits);
    }
    index = 0;
    config.vms.forEach((vm, vmIndex) => {
      const env: VcpuEnv = {
        vm: vmIndex,
        tscKhz: vm.tscKhz,
        lapic: {
          era: this.era,
          tscDeadlineCpuid: vm.tscDeadline,
          hvTimer: exitsOf[vmIndex]!.hvTimer,
          apicv: kvm.apicv,
          minTimerPeriodUs: kvm.minTimerPeriodUs,
          apicBusCycleNs: kvm.apicBusCycleNs,
          preemptionTimerRate: host.preemptionTimerRate,
          periodicRearmVariant: REARM_VARIANTS[kvm.periodicNegativeDelta ?? (this.era.periodicRearm === "clamp" ? "clamp" : "wrap")],
          legacyPeriodicDrift: kvm.periodicNegativeDelta === null && this.era.periodicRearm === "drift",
          advanceOneshot: kvm.advanceOneshot,
          lazyTscDeadline: kvm.lazyTscDeadline,
          lazyClearExpiredAtArm: options.lazyClearExpiredAtArm ?? true,
          pvDeadline: kvm.pvDeadline,
        },
        delays,
        program: programs[vmIndex] ?? workloadProgram(vm.workload, kvm, vm.vcpus),
        tune: kvm.timerAdvance.kind === "adaptive",
        hz: host.hz,
        startNs: START_NS,
        stalls: host.stalls,
        haltPoll: kvm.haltPoll,
        pollAllowed: pollAllowedOf[vmIndex]!,
        pauses: vm.pauses,
        // The simulated host clock stays one; a destination's TSC rate is a ratio to it.
        migrations: vm.migrations.map((m) => ({ ...m, ratio: ((1n << BigInt(fracBits)) * BigInt(m.tscKhz)) / BigInt(host.tscKhz) })),
        keepOutput: this.keepOutputOf[vmIndex]!,
        exits: exitsOf[vmIndex]!,
        sched: this.sched,
        trace: traceActive(),
      };
      for (let i = 0; i < vm.vcpus; i++, index++) this.vcpus.push(new Vcpu(index, i, env, sinks[index]!));
    });
    this.sched?.attach(this.vcpus);
  }

  private started = false;

  /** Puts every vCPU's first events in the queue (run() does it if not done yet). */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.fast !== null) this.fast.start();
    else {
      for (const v of this.vcpus) v.start();
      if (this.sched !== null) {
        this.sched.start();
        for (const v of this.vcpus) v.startControl();
      }
    }
  }

  /** Runs until the queue is empty or the scenario's duration has passed. */
  run(): void {
    this.start();
    const progress = this.progress;
    const reportProgress = progress === null ? null : (events: number) => progress.report(this.simulatedSoFarNs(), events);
    if (this.fast !== null) {
      this.events += this.fast.run(progress === null ? null : { everyEvents: progress.everyEvents, report: reportProgress! });
      return;
    }
    const vcpus = this.vcpus;
    const sched = this.sched;
    let events = 0;
    // A traced run drains the trace buffer whenever an event has nearly filled it.
    const drainAt = traceActive() ? wasm.TRACE_CAPACITY.value - 64 : Number.POSITIVE_INFINITY;
    const reportEvery = progress === null ? Number.POSITIVE_INFINITY : progress.everyEvents;
    let reportAt = reportEvery;
    for (;;) {
      const p = wasm.queuePop();
      if (p < 0) break;
      events++;
      const kind = p >>> 24;
      if (kind >= SCHED_EVENT_BASE) sched!.onEvent(kind, p & VCPU_MASK, wasm.queuePoppedSeq());
      else vcpus[p & VCPU_MASK]!.onEvent(kind, wasm.queuePoppedSeq());
      if (drainAt !== Number.POSITIVE_INFINITY && wasm.traceLogCount() >= drainAt) drainTrace();
      if (events >= reportAt) {
        reportAt += reportEvery;
        reportProgress!(events);
      }
    }
    this.events += events;
    for (const v of vcpus) v.finish();
  }

  /** Lines printed by the guest programs that keep output, per vCPU (after run). */
  outputs(): { vm: number; vcpu: number; lines: string[] }[] {
    return [...this.outputsAsRead()];
  }

  /**
   * outputs() one vCPU at a time, made as they are read (the wasm engine's summary lines
   * come from its memory: read them before the next simulation starts). At 10^6 vCPUs the
   * whole list would take ~200 bytes per vCPU.
   */
  *outputsAsRead(): Generator<{ vm: number; vcpu: number; lines: string[] }> {
    if (this.fast !== null) {
      for (const [vm, keep] of this.keepOutputOf.entries()) {
        if (!keep) continue;
        for (let vcpu = 0, v = this.ids.firstIndexOf(vm); vcpu < this.config.vms[vm]!.vcpus; vcpu++, v++) {
          // As the TypeScript engine: only vCPUs that printed something.
          const printed = this.fast.linesOf(v);
          if (printed.length > 0) yield { vm, vcpu, lines: printed };
        }
      }
      return;
    }
    for (const v of this.vcpus) if (v.output !== null && v.output.length > 0) yield { vm: v.vm, vcpu: v.vcpu, lines: v.output };
  }

  /** The host scheduler's metrics (after run), or null without one. */
  schedResult(): HostSchedResult | null {
    if (this.fastSched !== null) {
      const ids = Array.from({ length: this.ids.count }, (_, v) => ({ vm: this.ids.vmOf(v), vcpu: this.ids.vcpuInVm(v) }));
      return this.fastSched.result(START_NS + this.simulatedNs, ids);
    }
    if (this.sched === null) return null;
    return this.sched.result(START_NS + this.simulatedNs, this.vcpus.map((v) => ({ vm: v.vm, vcpu: v.vcpu })));
  }

  /** Simulated ns reached so far during run() (the progress report's). */
  private simulatedSoFarNs(): number {
    return Math.min(Math.max(wasm.nowF64() - START_NS, 0), this.config.durationNs);
  }

  /** Simulated ns covered: the whole duration, unless every program ended before it. */
  get simulatedNs(): number {
    if (wasm.queueSize() > 0) return this.config.durationNs;
    return Math.min(wasm.nowF64(), START_NS + this.config.durationNs) - START_NS;
  }
}
