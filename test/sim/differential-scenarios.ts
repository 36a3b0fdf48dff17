// The random scenarios both engines are fed (engine-differential.test.ts) and the fixed
// cases' common ground (engine-differential-cases.test.ts): fast-check arbitraries over
// eras, backends, vendors, advance modes, host delays of every distribution form, halt
// polling, stalls, several VMs at different TSC rates, every workload, pauses,
// migrations and the deadline proposals; resultOf, a run's JSON without its wall time; and
// viaForwarders, the same through sinks that are not the host's collectors.

import fc from "fast-check";
import { runScenario } from "../../src/sim/run.js";
import { Simulation } from "../../src/sim/engine.js";
import { HostMetrics, aggregate, type VcpuMetrics } from "../../src/metrics/index.js";
import type { MetricsSink } from "../../src/sim/metrics-sink.js";
import type { DelayDist, ScenarioConfig, Workload } from "../../src/scenario/types.js";
import type { ExitCounts, TimerCounts } from "../../src/metrics/types.js";
import { CYCLICTEST, scenario } from "./harness.js";

export const leaf: fc.Arbitrary<DelayDist> = fc.oneof(
  fc.integer({ min: 0, max: 20_000 }).map((valueNs) => ({ dist: "fixed" as const, valueNs })),
  fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 20_000 })).map(([minNs, span]) => ({ dist: "uniform" as const, minNs, maxNs: minNs + span })),
  fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 5_000 })).map(([meanNs, sdNs]) => ({ dist: "normal" as const, meanNs, sdNs })),
  fc.tuple(fc.integer({ min: 100, max: 10_000 }), fc.integer({ min: 0, max: 50_000 })).map(([medianNs, extra]) => ({ dist: "lognormal" as const, medianNs, p99Ns: medianNs + extra })),
  fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 6 }).map((samplesNs) => ({ dist: "empirical" as const, samplesNs })),
);
export const delay: fc.Arbitrary<DelayDist> = fc.oneof(
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

export const config: fc.Arbitrary<ScenarioConfig> = fc
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

export const noPauses = config.map((c) => ({ ...c, vms: c.vms.map((vm) => ({ ...vm, pauses: [] })) }));

export type RunSummary = { exits: ExitCounts; timers: TimerCounts };
export type RunResult = RunSummary & { interrupts: number; coalesced: number; spinNs: number; periodLatenessNs?: { count: number } };

export function resultOf(c: ScenarioConfig, engine: "ts" | "wasm", perVcpuHistograms = true): string {
  const { result, output } = runScenario(c, { engine, perVcpuHistograms });
  const { wallMs: _wall, ...rest } = result;
  return JSON.stringify({ rest, output });
}

/**
 * A run through sinks that are not the host's collectors, so the wasm engine takes its
 * log mode (every metric call logged and replayed on the host; the log fills often):
 * events, the clock's end value, the aggregate and every vCPU's summary, as JSON.
 */
export function viaForwarders(c: ScenarioConfig, engine: "ts" | "wasm", perVcpuHistograms = true): string {
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
  return JSON.stringify({ events: sim.events, simulatedNs: sim.simulatedNs, ...aggregate(collectors, host), vcpus: collectors.map((m) => m.summary()) });
}
