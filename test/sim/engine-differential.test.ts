// The two backends of the simulator (architecture.md, "One factory, two backends"): the
// TypeScript vCPU/LAPIC state machine and the wasm engine must give the same
// result, byte for byte, for every scenario the wasm engine covers. fast-check feeds both
// the same random scenarios: eras, backends, vendors, advance modes, host delays of every
// distribution form, halt polling, stalls, several VMs at different TSC rates, guests
// that poll instead of halting, exits disabled in the guest, posted timer interrupts,
// every TSC-deadline workload, both deadline MSRs, the lazy and PV deadline proposals.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { runScenario } from "../../src/sim/run.js";
import { loadScenario } from "../../src/scenario/load.js";
import { Simulation } from "../../src/sim/engine.js";
import { wasmEngineExclusion } from "../../src/sim/wasm-engine.js";
import { InputRangeError } from "../../src/errors.js";
import type { DelayDist, ScenarioConfig, Workload } from "../../src/scenario/types.js";
import { CYCLICTEST, NULL_SINK, scenario, type Overrides } from "./harness.js";
import { PRESETS } from "../../src/scenario/presets.js";
import { validateScenario } from "../../src/scenario/schema.js";
import { withScheduler } from "./sched-arbitraries.js";
import { wasm } from "../../src/wasm.js";
import { ExitReason, TimerBackend, VCPU_SLOTS, VCPU_SLOT_INDEX as I } from "../../src/metrics/vcpu-metrics.js";
import { newAggregateHistogram } from "../../src/metrics/histogram.js";
import { HostMetrics, aggregate, type VcpuMetrics } from "../../src/metrics/index.js";
import type { MetricsSink } from "../../src/sim/metrics-sink.js";
import type { ExitCounts, TimerCounts } from "../../src/metrics/types.js";

const leaf: fc.Arbitrary<DelayDist> = fc.oneof(
  fc.integer({ min: 0, max: 20_000 }).map((valueNs) => ({ dist: "fixed" as const, valueNs })),
  fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 20_000 })).map(([minNs, span]) => ({ dist: "uniform" as const, minNs, maxNs: minNs + span })),
  fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 5_000 })).map(([meanNs, sdNs]) => ({ dist: "normal" as const, meanNs, sdNs })),
  fc.tuple(fc.integer({ min: 100, max: 10_000 }), fc.integer({ min: 0, max: 50_000 })).map(([medianNs, extra]) => ({ dist: "lognormal" as const, medianNs, p99Ns: medianNs + extra })),
  fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 6 }).map((samplesNs) => ({ dist: "empirical" as const, samplesNs })),
);
const delay: fc.Arbitrary<DelayDist> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  {
    weight: 1,
    arbitrary: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 10 }), part: leaf }), { minLength: 1, maxLength: 3 }).map((parts) => ({ dist: "mixture" as const, parts })),
  },
);

const era = fc.constantFrom("v4.0", "v4.20", "v5.1", "v5.4", "mainline" as const);

interface VmDraw {
  kind: Workload["kind"];
  intervalNs: number;
  loops: number;
  printSummary: boolean;
  workNs: number;
  idle: "halt" | "poll";
  tmict: number;
  tdcr: number;
  wait: "hlt" | "busy";
  gapNs: number;
  deadlineMsr: "tsc" | "pv";
  tdl: { deltaCycles: number; size: number; breakmaxCycles: number; printLatencies: boolean };
  storm: { intervalNs: number; rewrites: number; spacingNs: number };
  tick: { hz: number; nohz: boolean };
}

/** Pauses from [gap before, length] pairs: sorted and not overlapping, as the scenario layer requires. */
function pausesOf(draws: readonly (readonly [number, number])[]): { atNs: number; lengthNs: number }[] {
  let atNs = 0;
  return draws.map(([gapNs, lengthNs]) => {
    atNs += gapNs;
    const pause = { atNs, lengthNs };
    atNs += lengthNs;
    return pause;
  });
}

/** The VM's workload of its drawn kind: cyclictest (on either deadline MSR), the LAPIC one-shot/periodic ones, or another TSC-deadline one. */
function workloadOf(vm: VmDraw): Workload {
  switch (vm.kind) {
    case "periodic":
      return { kind: "periodic", tmict: vm.tmict, tdcr: vm.tdcr, wait: vm.wait };
    case "oneshot":
      return { kind: "oneshot", tmict: vm.tmict, tdcr: vm.tdcr, gapNs: vm.gapNs, wait: vm.wait };
    case "tscdeadline-latency":
      return { kind: vm.kind, ...vm.tdl, idle: vm.idle };
    case "rearm-storm":
      return { kind: vm.kind, ...vm.storm };
    case "idle-tick":
      return { kind: vm.kind, hz: vm.tick.hz, nohz: vm.tick.nohz };
    default:
      return { ...CYCLICTEST, intervalNs: vm.intervalNs, loops: vm.loops, printSummary: vm.printSummary, workNs: vm.workNs, idle: vm.idle, deadlineMsr: vm.deadlineMsr };
  }
}

const config: fc.Arbitrary<ScenarioConfig> = fc
  .record({
    era,
    advance: fc.oneof(fc.constant({ kind: "adaptive" as const }), fc.constant({ kind: "off" as const }), fc.integer({ min: 0, max: 6_000 }).map((ns) => ({ kind: "fixed" as const, ns }))),
    hvTimer: fc.boolean(),
    apicv: fc.boolean(),
    vendor: fc.constantFrom("vmx", "svm" as const),
    delays: fc.record({ hrtimer: delay, wakeup: delay, vmExit: delay, vmEntry: delay, irqDispatch: delay, msrExit: delay, cpuIdleExit: delay }),
    postedTimerInterrupts: fc.boolean(),
    haltPoll: fc.record({
      maxNs: fc.constantFrom(0, 50_000, 200_000),
      grow: fc.constantFrom(0, 2, 3),
      growStartNs: fc.constantFrom(1_000, 10_000),
      shrink: fc.constantFrom(0, 2),
      dynamic: fc.boolean(),
      maxStealPercent: fc.constantFrom(null, 10),
    }),
    stalls: fc.option(fc.record({ everyNs: fc.integer({ min: 500_000, max: 5_000_000 }), lengthNs: fc.integer({ min: 0, max: 400_000 }) })),
    // The LAPIC one-shot/periodic paths (the periodic and oneshot workloads).
    minTimerPeriodUs: fc.constantFrom(200, 200, 50, 0),
    periodicNegativeDelta: fc.constantFrom(null, null, "wrap", "skip-negative", "clamp" as const),
    advanceOneshot: fc.boolean(),
    apicBusCycleNs: fc.constantFrom(1, 1, 5),
    vms: fc.array(
      fc.record({
        vcpus: fc.integer({ min: 1, max: 3 }),
        tscKhz: fc.constantFrom(3_000_000, 2_100_000, 2_994_000, 1_000_000),
        intervalNs: fc.constantFrom(100_000, 190_000, 250_000, 1_000_000),
        loops: fc.constantFrom(0, 0, 37),
        pollControl: fc.boolean(),
        printSummary: fc.boolean(),
        workNs: fc.constantFrom(0, 0, 3_000, 15_000, 120_000),
        idle: fc.constantFrom("halt", "halt", "poll" as const),
        disableExits: fc.constantFrom([], [], ["hlt"], ["mwait"], ["hlt", "pause"], ["mwait", "hlt", "cstate"] as const).map((x) => [...x]),
        kind: fc.constantFrom("cyclictest", "cyclictest", "periodic", "oneshot", "tscdeadline-latency", "rearm-storm", "idle-tick" as const),
        tmict: fc.constantFrom(0, 3_000, 10_000, 50_000, 209_731, 1_000_000),
        tdcr: fc.constantFrom(0xb, 0x0, 0x1, 0x3, 0x8),
        wait: fc.constantFrom("hlt", "hlt", "busy" as const),
        gapNs: fc.constantFrom(0, 0, 5_000, 60_000),
        tscDeadline: fc.boolean(),
        // Pauses: gaps and lengths (sorted, not overlapping); migrations: times (sorted, ties allowed) and destination rates.
        pauses: fc.array(fc.tuple(fc.integer({ min: 0, max: 12_000_000 }), fc.integer({ min: 0, max: 3_000_000 })), { maxLength: 2 }),
        migrations: fc.array(fc.tuple(fc.integer({ min: 0, max: 30_000_000 }), fc.constantFrom(2_500_000, 3_000_000, 1_500_000, 3_700_000)), { maxLength: 2 }),
        deadlineMsr: fc.constantFrom("tsc", "tsc", "pv" as const),
        tdl: fc.record({
          deltaCycles: fc.constantFrom(3_000, 20_000, 200_000, 1_000_000),
          size: fc.constantFrom(10_000, 12_000, 50, 3),
          breakmaxCycles: fc.constantFrom(0, 0, 5_000, 30_000),
          printLatencies: fc.boolean(),
        }),
        storm: fc.record({ intervalNs: fc.constantFrom(60_000, 100_000, 250_000), rewrites: fc.constantFrom(0, 1, 4), spacingNs: fc.constantFrom(0, 5_000, 40_000) }),
        tick: fc.record({ hz: fc.constantFrom(100, 250, 1000), nohz: fc.boolean(), tscDeadline: fc.boolean() }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    // The unmerged deadline proposals (seed 003, 004).
    lazyTscDeadline: fc.boolean(),
    pvDeadline: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map((r) => {
    const base = scenario({
      seed: r.seed,
      durationNs: 30_000_000,
      host: { vendor: r.vendor, tscKhz: 3_000_000, stalls: r.stalls },
      delays: r.delays,
      kvm: {
        era: r.era,
        // Adaptive tuning does not exist before v4.20 (the scenario layer refuses it).
        timerAdvance: r.era === "v4.0" && r.advance.kind === "adaptive" ? { kind: "off" } : r.advance,
        hvTimer: r.hvTimer,
        apicv: r.apicv,
        haltPoll: r.haltPoll,
        minTimerPeriodUs: r.minTimerPeriodUs,
        periodicNegativeDelta: r.periodicNegativeDelta,
        advanceOneshot: r.advanceOneshot,
        // KVM_CAP_X86_APIC_BUS_CYCLES_NS is mainline only (the scenario layer refuses it elsewhere).
        apicBusCycleNs: r.era === "mainline" ? r.apicBusCycleNs : 1,
        // pi_inject_timer is modelled as mainline has it (the scenario layer refuses it elsewhere).
        postedTimerInterrupts: r.era === "mainline" && r.postedTimerInterrupts,
        lazyTscDeadline: r.lazyTscDeadline,
        pvDeadline: r.pvDeadline,
      },
      vms: r.vms.map((vm, i) => ({
        name: `vm${i}`,
        vcpus: vm.vcpus,
        tscKhz: vm.tscKhz,
        // The CPUID bit: the LAPIC count workloads do not need it; of the TSC-deadline ones
        // only idle-tick's nohz validates without it (it arms no timer).
        tscDeadline: vm.kind === "periodic" || vm.kind === "oneshot" ? vm.tscDeadline : vm.kind === "idle-tick" && vm.tick.nohz ? vm.tick.tscDeadline : true,
        pollControl: vm.pollControl,
        pauses: pausesOf(vm.pauses),
        migrations: [...vm.migrations].sort((a, b) => a[0] - b[0]).map(([atNs, tscKhz]) => ({ atNs, tscKhz })),
        // KVM_CAP_X86_DISABLE_EXITS does not exist in v4.0.
        disableExits: r.era === "v4.0" ? [] : vm.disableExits,
        workload: workloadOf(vm),
      })),
    });
    return base;
  });

const noPauses = config.map((c) => ({ ...c, vms: c.vms.map((vm) => ({ ...vm, pauses: [] })) }));

type RunSummary = { exits: ExitCounts; timers: TimerCounts };
type RunResult = RunSummary & { interrupts: number; coalesced: number; spinNs: number; periodLatenessNs?: { count: number } };

function resultOf(c: ScenarioConfig, engine: "ts" | "wasm", perVcpuHistograms = true): string {
  const { result, output } = runScenario(c, { engine, perVcpuHistograms });
  const { wallMs: _wall, ...rest } = result;
  return JSON.stringify({ rest, output });
}

describe("wasm engine = TypeScript state machine", () => {
  test("property: identical results (metrics, events, per-vCPU series, cyclictest lines) for random scenarios, per-vCPU histograms", () => {
    fc.assert(
      fc.property(config, (c) => {
        expect(wasmEngineExclusion(c)).toBeNull();
        expect(resultOf(c, "wasm")).toBe(resultOf(c, "ts"));
      }),
      { numRuns: 60 },
    );
  });

  // With a CPU per vCPU and no load the host scheduler must change nothing: on either
  // engine, the scheduler on gives the result without it, plus its own block.
  test("property: a host scheduler with one CPU per vCPU (either engine) = the wasm engine without one", () => {
    fc.assert(
      fc.property(config, fc.constantFrom("ts", "wasm" as const), (c, engine) => {
        if (c.host.stalls !== null) return; // stalls do not combine with the scheduler
        if (c.vms.some((vm) => vm.pauses.length > 0)) return; // nor do pauses (the scenario layer refuses them)
        const total = c.vms.reduce((n, vm) => n + vm.vcpus, 0);
        const shared: ScenarioConfig = { ...c, host: { ...c.host, cpus: total } };
        expect(wasmEngineExclusion(shared)).toBeNull();
        const { result, output } = runScenario(shared, { engine, perVcpuHistograms: true });
        const { wallMs: _wall, hostSched, ...rest } = result;
        expect(hostSched!.runQueueWaitNs.max).toBe(0);
        expect(JSON.stringify({ rest, output })).toBe(resultOf(c, "wasm"));
      }),
      { numRuns: 30 },
    );
  });

  // Shared CPUs (fewer than vCPUs, pins), background load, an outer level with tenants,
  // polling on and off, kvm_arch_no_poll by steal: the wasm engine's scheduler
  // (assembly/sim/engine_sched.ts) against host-sched.ts, byte for byte.
  test("property: identical results with a host scheduler (overcommit, pins, load, outer level, steal)", () => {
    let contended = 0;
    fc.assert(
      // Pauses do not combine with a host scheduler (the scenario layer refuses them).
      fc.property(withScheduler(noPauses, delay), fc.boolean(), (c, perVcpu) => {
        const wasmResult = resultOf(c, "wasm", perVcpu);
        expect(wasmResult).toBe(resultOf(c, "ts", perVcpu));
        if ((JSON.parse(wasmResult).rest.hostSched.runQueueWaitNs.sum as number) > 0) contended++;
      }),
      { numRuns: 60 },
    );
    // The property is about contention: most runs must have had some.
    expect(contended).toBeGreaterThan(20);
  });

  test.each(["overcommit-poll", "overcommit-no-poll", "nested-poll", "nested-no-poll", "nested-steal-no-poll", "rt-pinned"])("preset %s (100 ms): identical on both engines, and auto picks the wasm engine", async (name) => {
    const { loadScenario } = await import("../../src/scenario/load.js");
    const c = loadScenario(name, ["duration=100ms"]);
    expect(wasmEngineExclusion(c)).toBeNull();
    expect(resultOf(c, "wasm", false)).toBe(resultOf(c, "ts", false));
  });

  // The host's own collectors put the wasm engine in its complete mode: it keeps latency
  // moments, advance statistics and callbacks per ms itself; per-vCPU histograms (the
  // test above) get every latency logged, a shared pair (this test) it counts in wasm.
  test("property: identical results with shared histograms (the wasm engine's complete mode)", () => {
    fc.assert(
      fc.property(config, (c) => {
        expect(resultOf(c, "wasm", false)).toBe(resultOf(c, "ts", false));
      }),
      { numRuns: 60 },
    );
  });

  // Sinks that are not the host's own collectors (here: forwarders to them) put the wasm
  // engine in its log mode: every metric call is logged and replayed on the host.
  test("property: identical results through foreign sinks (the wasm engine's log mode)", () => {
    const viaForwarders = (c: ScenarioConfig, engine: "ts" | "wasm", perVcpuHistograms: boolean): string => {
      const host = new HostMetrics({ perVcpuHistograms, advanceSeriesPoints: perVcpuHistograms ? 256 : 0 });
      const collectors: VcpuMetrics[] = [];
      const sim = new Simulation(
        c,
        (id) => {
          const m = host.addVcpu(id.vm, id.vcpu);
          collectors.push(m);
          const forward: MetricsSink = {
            recordLatency: (a, b) => m.recordLatency(a, b),
            recordExit: (r) => m.recordExit(r),
            addSpinNs: (ns) => m.addSpinNs(ns),
            timerArm: (b) => m.timerArm(b),
            hvFallback: () => m.hvFallback(),
            hvToSw: () => m.hvToSw(),
            swToHv: () => m.swToHv(),
            coalesced: () => m.coalesced(),
            timerPosted: () => m.timerPosted(),
            haltPoll: (ns, ok) => m.haltPoll(ns, ok),
            recordAdvance: (t, a) => m.recordAdvance(t, a),
            hrtimerCallback: (t) => m.hrtimerCallback(t),
            recordPeriodLateness: (ns) => m.recordPeriodLateness(ns),
            addCounts: (block) => m.addCounts(block),
          };
          return forward;
        },
        [],
        { engine },
      );
      sim.run();
      return JSON.stringify({ events: sim.events, ...aggregate(collectors, host), vcpus: collectors.map((m) => m.summary()) });
    };
    fc.assert(
      fc.property(config, fc.boolean(), (c, perVcpu) => {
        expect(viaForwarders(c, "wasm", perVcpu)).toBe(viaForwarders(c, "ts", perVcpu));
      }),
      { numRuns: 30 },
    );
  });

  test("the engine's slot block and histogram layout are VcpuMetrics' and HdrHistogram's", () => {
    expect(wasm.SLOTS.value).toBe(VCPU_SLOTS);
    expect(wasm.HIST_CELLS.value).toBe((22 << 10) + 1024);
    const h = newAggregateHistogram();
    expect([h.subBucketHalfCountMagnitude, h.unitMagnitude]).toEqual([10, 0]);
    // The last cell holds 2^32 − 1.
    expect(h.countsArrayIndex(2 ** 32 - 1)).toBe(wasm.HIST_CELLS.value - 1);
  });

  test("every index of the engine's Slot and Counter enums is VcpuMetrics' slot of that name", () => {
    // wasm name -> VcpuMetrics slot (assembly/sim/metrics_slots.ts, src/metrics/vcpu-metrics.ts).
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

  // The mechanisms of issue #11 on purpose (the property tests draw them at random too).
  test.each([
    ["idle=poll on the preemption timer", {}, "poll", [], (r: RunSummary) => r.exits.preemptionTimer > 0 && r.exits.hlt === 0],
    ["idle=poll on the hrtimer", { hvTimer: false }, "poll", [], (r: RunSummary) => r.exits.externalInterrupt > 0],
    ["HLT in the guest", {}, "halt", ["hlt"], (r: RunSummary) => r.exits.hlt === 0 && r.exits.preemptionTimer > 0],
    ["MWAIT in the guest", {}, "halt", ["mwait"], (r: RunSummary) => r.timers.hvArms === 0 && r.exits.externalInterrupt > 0],
    ["posted timer interrupts", { postedTimerInterrupts: true }, "halt", ["hlt"], (r: RunSummary) => r.timers.posted > 0 && r.exits.externalInterrupt === 0],
    ["posted, polling guest, thread work", { postedTimerInterrupts: true, work: 20_000 }, "poll", ["mwait"], (r: RunSummary) => r.timers.posted > 0],
  ] as const)("%s: identical on both engines", (_name, kvm, idle, disableExits, check) => {
    const { work, ...rest } = kvm as { work?: number };
    const c = scenario(
      { seed: 3, durationNs: 20_000_000, kvm: rest, vm: { vcpus: 2, disableExits: [...disableExits] }, delays: { hrtimer: { dist: "lognormal", medianNs: 1500, p99Ns: 6000 }, cpuIdleExit: { dist: "uniform", minNs: 500, maxNs: 3000 } } },
      { ...CYCLICTEST, intervalNs: 100_000, workNs: work ?? 0, idle },
    );
    const wasmResult = resultOf(c, "wasm");
    expect(wasmResult).toBe(resultOf(c, "ts"));
    expect(check(JSON.parse(wasmResult).rest as RunSummary)).toBe(true);
  });

  // One fixed case per TSC-deadline workload and deadline proposal, each showing its mechanism at work.
  type Fixed = { output: { lines: string[] }[]; rest: RunSummary & { interrupts: number; events: number } };
  const TDL = { kind: "tscdeadline-latency" as const, deltaCycles: 30_000, size: 10_000, breakmaxCycles: 0, printLatencies: false, idle: "halt" as const };
  const STORM = { kind: "rearm-storm" as const, intervalNs: 100_000, rewrites: 4, spacingNs: 5_000 };
  const PV = { ...CYCLICTEST, intervalNs: 200_000, deadlineMsr: "pv" as const };
  test.each([
    ["tscdeadline-latency, printing its samples", {}, {}, { ...TDL, size: 40, printLatencies: true }, (r: Fixed) => r.rest.interrupts === 80 && r.output.length === 2 && r.output.every((o) => o.lines.length === 40 && o.lines.every((l) => /^latency: -?\d+$/.test(l)))],
    ["tscdeadline-latency stopped by breakmax", { hvTimer: false }, {}, { ...TDL, breakmaxCycles: 1, printLatencies: true }, (r: Fixed) => r.output.length === 2 && r.output.every((o) => o.lines.length === 1 && o.lines[0]!.startsWith("hit max: 1 < latency: "))],
    ["tscdeadline-latency polling (idle=poll)", {}, {}, { ...TDL, idle: "poll" as const }, (r: Fixed) => r.rest.interrupts > 1000 && r.rest.exits.hlt === 0],
    ["tscdeadline-latency, lazy TSC-deadline", { lazyTscDeadline: true }, {}, TDL, (r: Fixed) => r.rest.interrupts > 1000],
    ["rearm-storm", {}, {}, STORM, (r: Fixed) => r.rest.interrupts > 300 && r.rest.exits.msrWrite >= 5 * r.rest.interrupts],
    ["rearm-storm, lazy TSC-deadline: later rewrites do not trap", { lazyTscDeadline: true }, {}, STORM, (r: Fixed) => r.rest.interrupts > 300 && r.rest.exits.msrWrite < 2 * r.rest.interrupts],
    ["rearm-storm, lazy TSC-deadline on the hrtimer", { lazyTscDeadline: true, hvTimer: false }, {}, STORM, (r: Fixed) => r.rest.interrupts > 300 && r.rest.exits.msrWrite < 2 * r.rest.interrupts],
    ["idle-tick at HZ=250", {}, {}, { kind: "idle-tick" as const, hz: 250, nohz: false }, (r: Fixed) => r.rest.interrupts === 2 * 5 - 2 || r.rest.interrupts === 2 * 5],
    ["idle-tick nohz without the TSC-deadline CPUID bit", {}, { tscDeadline: false }, { kind: "idle-tick" as const, hz: 250, nohz: true }, (r: Fixed) => r.rest.interrupts === 0 && r.rest.exits.hlt === 2 && r.rest.exits.apicWrite === 0],
    ["cyclictest on the PV deadline MSR, with its summary", { pvDeadline: true }, {}, { ...PV, printSummary: true }, (r: Fixed) => r.rest.interrupts > 150 && r.output.length === 2 && r.output.every((o) => /^T: \d/.test(o.lines[0]!))],
    ["cyclictest on the PV MSR without kvm.pvDeadline: the writes do nothing", {}, {}, PV, (r: Fixed) => r.rest.interrupts === 0 && r.rest.exits.msrWrite === 2],
    ["cyclictest, lazy TSC-deadline and the PV MSR enabled", { lazyTscDeadline: true, pvDeadline: true }, {}, { ...CYCLICTEST, intervalNs: 200_000, workNs: 30_000 }, (r: Fixed) => r.rest.interrupts > 150],
  ] as const)("%s: identical on both engines", (_name, kvm, vm, workload, check) => {
    const c = scenario({ seed: 5, durationNs: 20_000_000, kvm, vm: { vcpus: 2, ...vm }, delays: { hrtimer: { dist: "lognormal", medianNs: 1500, p99Ns: 6000 } } }, workload);
    expect(wasmEngineExclusion(c)).toBeNull();
    const wasmResult = resultOf(c, "wasm");
    expect(wasmResult).toBe(resultOf(c, "ts"));
    expect(check(JSON.parse(wasmResult) as Fixed)).toBe(true);
  });

  // The TSC-deadline workloads and the proposals with a host scheduler (vCPUs sharing CPUs).
  test.each([
    ["rearm-storm on shared CPUs", ["vms.0.workload.kind=rearm-storm"]],
    ["cyclictest on the PV MSR with both proposals, on shared CPUs", ["kvm.lazyTscDeadline=true", "kvm.pvDeadline=true", "vms.0.workload.deadlineMsr=pv", "vms.0.workload.printSummary=true"]],
  ])("%s: identical on both engines", (_name, sets) => {
    const c = loadScenario("overcommit-poll", ["duration=20ms", ...sets]);
    expect(wasmEngineExclusion(c)).toBeNull();
    expect(resultOf(c, "wasm")).toBe(resultOf(c, "ts"));
  });

  test("the default and cyclictest presets' shapes: identical, and auto picks the wasm engine", () => {
    const c = scenario({ durationNs: 200_000_000, vm: { vcpus: 4 } });
    const sim = new Simulation(c, () => NULL_SINK);
    expect(sim.engine).toBe("wasm");
    expect(resultOf(c, "wasm")).toBe(resultOf(c, "ts"));
  });

  // The LAPIC one-shot/periodic workloads, pauses and migrations on purpose, one case each
  // (the property tests draw them at random too).
  const PERIODIC_10US = { kind: "periodic", tmict: 10_000, tdcr: 0xb, wait: "busy" } as const;
  const ONESHOT_100US = { kind: "oneshot", tmict: 100_000, tdcr: 0xb, gapNs: 0, wait: "busy" } as const;
  const jitter = { hrtimer: { dist: "lognormal", medianNs: 1500, p99Ns: 30_000 }, wakeup: { dist: "uniform", minNs: 1000, maxNs: 9000 } } as const;
  test.each([
    ["periodic on the hv timer, busy, 50 µs floor (S13's)", { kvm: { minTimerPeriodUs: 0 } }, PERIODIC_10US, (r: RunResult) => r.timers.hvArms > 0 && r.periodLatenessNs!.count > 1000],
    ["periodic on the hrtimer, HLT, pre-2025 re-arm at expiry + period (v5.4)", { kvm: { era: "v5.4", hvTimer: false, timerAdvance: { kind: "fixed", ns: 1000 } } }, { kind: "periodic", tmict: 250_000, tdcr: 0xb, wait: "hlt" }, (r: RunResult) => r.exits.hlt > 0 && r.timers.hvArms === 0 && r.periodLatenessNs!.count > 50],
    ["periodic, the legacy drift (v4.0), divide by 16", { kvm: { era: "v4.0", hvTimer: false, timerAdvance: { kind: "off" } } }, { kind: "periodic", tmict: 20_000, tdcr: 0x3, wait: "hlt" }, (r: RunResult) => r.interrupts > 50],
    ["periodic, negative delta skipped, hv timer before d981dd15498b (v5.1)", { kvm: { era: "v5.1", periodicNegativeDelta: "skip-negative" }, host: { stalls: { everyNs: 2_000_000, lengthNs: 500_000 } } }, { kind: "periodic", tmict: 209_731, tdcr: 0xb, wait: "busy" }, (r: RunResult) => r.timers.hvArms > 0 && r.interrupts > 50],
    ["one-shot on the hv timer, busy (S08's)", {}, ONESHOT_100US, (r: RunResult) => r.timers.hvArms > 0 && r.exits.preemptionTimer > 0],
    ["one-shot on the hrtimer, HLT, a gap, kvm.advanceOneshot", { kvm: { hvTimer: false, advanceOneshot: true } }, { kind: "oneshot", tmict: 50_000, tdcr: 0xb, gapNs: 20_000, wait: "hlt" }, (r: RunResult) => r.timers.swArms > 0 && r.spinNs > 0],
    // 10 µs floored to 200 µs: 100 periods a vCPU in 20 ms, fewer with a 5 ms pause.
    ["pauses of a periodic guest (S11's, short)", { vm: { pauses: [{ atNs: 3_000_000, lengthNs: 5_000_000 }, { atNs: 12_000_000, lengthNs: 0 }] } }, PERIODIC_10US, (r: RunResult) => r.interrupts > 50 && r.interrupts < 190],
    ["pauses of cyclictest", { vm: { pauses: [{ atNs: 2_500_000, lengthNs: 4_000_000 }] } }, { ...CYCLICTEST, intervalNs: 100_000 }, (r: RunResult) => r.interrupts > 50],
    ["migrations of cyclictest (the deadline keeps its TSC value)", { vm: { migrations: [{ atNs: 5_000_000, tscKhz: 6_000_000 }, { atNs: 5_000_000, tscKhz: 1_500_000 }] } }, { ...CYCLICTEST, intervalNs: 100_000 }, (r: RunResult) => r.interrupts > 50],
    ["migrations of a periodic guest (restart from TMCCT)", { vm: { migrations: [{ atNs: 4_000_000, tscKhz: 2_000_000 }] } }, PERIODIC_10US, (r: RunResult) => r.periodLatenessNs!.count > 150],
    ["migrations of a one-shot guest (restart from TMCCT)", { vm: { migrations: [{ atNs: 4_000_000, tscKhz: 4_000_000 }, { atNs: 9_000_000, tscKhz: 2_500_000 }] } }, ONESHOT_100US, (r: RunResult) => r.interrupts > 50],
  ] as const)("%s: identical on both engines, auto picks the wasm engine", (_name, o, workload, check) => {
    const c = scenario({ seed: 5, durationNs: 20_000_000, ...(o as Overrides), vm: { vcpus: 2, ...(o as Overrides).vm }, delays: jitter }, workload as Workload);
    expect(wasmEngineExclusion(c)).toBeNull();
    for (const perVcpuHistograms of [true, false]) {
      const wasmResult = resultOf(c, "wasm", perVcpuHistograms);
      expect(wasmResult).toBe(resultOf(c, "ts", perVcpuHistograms));
      expect(check(JSON.parse(wasmResult).rest as RunResult)).toBe(true);
    }
  });

  // Every preset with a periodic or oneshot workload, pauses or migrations: on the wasm
  // engine unless something else keeps it on the TypeScript one, with the same result.
  test("the presets with these workloads, pauses or migrations run on the wasm engine, identical to the TypeScript one", () => {
    let covered = 0;
    for (const p of PRESETS) {
      const c = validateScenario(p.scenario, p.name);
      if (!c.vms.some((vm) => vm.workload.kind === "periodic" || vm.workload.kind === "oneshot" || vm.pauses.length > 0 || vm.migrations.length > 0)) continue;
      const why = wasmEngineExclusion(c);
      if (why !== null) {
        expect(why).not.toMatch(/periodic|oneshot|pauses|migrations|tmict|tdcr/);
        continue;
      }
      covered++;
      // S11 needs its 10 s pause and the resume; the others are shortened.
      const short = { ...c, durationNs: Math.min(c.durationNs, p.name === "s11-stopped-vm" ? c.durationNs : 300_000_000) };
      expect(resultOf(short, "wasm", false), p.name).toBe(resultOf(short, "ts", false));
    }
    expect(covered).toBeGreaterThanOrEqual(7);
  });

  test.each([
    ["no TSC-deadline CPUID", scenario({ vm: { tscDeadline: false } }), /tscDeadline/],
  ])("out of scope (%s): auto runs the TypeScript engine, engine=wasm is refused with the reason", (_name, c, reason) => {
    const sinks = () => NULL_SINK;
    expect(new Simulation(c, sinks).engine).toBe("ts");
    expect(() => new Simulation(c, sinks, [], { engine: "wasm" })).toThrow(InputRangeError);
    expect(() => new Simulation(c, sinks, [], { engine: "wasm" })).toThrow(reason);
  });
});
