// Builds small scenarios for the simulator tests and runs custom guest programs.

import type { ScenarioConfig, Workload } from "../../src/scenario/types.js";
import type { AnyGuestProgram, GuestCtx, GuestGenerator, GuestProgram } from "../../src/sim/guest.js";
import { ExitReason, TimerBackend, type MetricsSink } from "../../src/sim/metrics-sink.js";
import { VCPU_SLOT_INDEX as I } from "../../src/metrics/vcpu-slots.js";
import { Simulation, type SimulationOptions } from "../../src/sim/engine.js";

/** A sink that keeps nothing: for tests of what a simulation allocates or which engine runs it. */
export const NULL_SINK: MetricsSink = {
  recordLatency() {},
  recordExit() {},
  addSpinNs() {},
  timerArm() {},
  hvFallback() {},
  hvToSw() {},
  swToHv() {},
  timerPosted() {},
  coalesced() {},
  haltPoll() {},
  recordAdvance() {},
  hrtimerCallback() {},
  addCounts() {},
};

/** Counts everything the vCPU reports; enough for assertions. */
export class CountingSink implements MetricsSink {
  latenciesNs: number[] = [];
  latenciesCycles: number[] = [];
  msrWrite = 0;
  apicWrite = 0;
  preemptionTimer = 0;
  externalInterrupt = 0;
  hlt = 0;
  apicRead = 0;
  posted = 0;
  spinNs = 0;
  swArms = 0;
  hvArms = 0;
  hvFallbacks = 0;
  hvToSwCount = 0;
  swToHvCount = 0;
  coalescedCount = 0;
  advances: number[] = [];
  callbacks = 0;
  recordLatency(cycles: number, ns: number): void {
    this.latenciesCycles.push(cycles);
    this.latenciesNs.push(ns);
  }
  recordExit(reason: ExitReason): void {
    const names = ["msrWrite", "apicWrite", "preemptionTimer", "externalInterrupt", "hlt", "apicRead"] as const;
    this[names[reason]]++;
  }
  addSpinNs(ns: number): void {
    this.spinNs += ns;
  }
  timerArm(backend: TimerBackend): void {
    if (backend === TimerBackend.sw) this.swArms++;
    else this.hvArms++;
  }
  hvFallback(): void {
    this.hvFallbacks++;
  }
  hvToSw(): void {
    this.hvToSwCount++;
  }
  swToHv(): void {
    this.swToHvCount++;
  }
  coalesced(): void {
    this.coalescedCount++;
  }
  timerPosted(): void {
    this.posted++;
  }
  haltPollNs = 0;
  pollsOk = 0;
  pollsFailed = 0;
  haltPoll(pollNs: number, successful: boolean): void {
    this.haltPollNs += pollNs;
    if (successful) this.pollsOk++;
    else this.pollsFailed++;
  }
  recordAdvance(_simNs: number, advanceNs: number): void {
    this.advances.push(advanceNs);
  }
  hrtimerCallback(_nowNs?: number): void {
    this.callbacks++;
  }
  addCounts(c: Float64Array): void {
    this.msrWrite += c[I.EXITS + ExitReason.msrWrite]!;
    this.apicWrite += c[I.EXITS + ExitReason.apicWrite]!;
    this.preemptionTimer += c[I.EXITS + ExitReason.preemptionTimer]!;
    this.externalInterrupt += c[I.EXITS + ExitReason.externalInterrupt]!;
    this.hlt += c[I.EXITS + ExitReason.hlt]!;
    this.spinNs += c[I.SPIN_NS]!;
    this.swArms += c[I.ARMS + TimerBackend.sw]!;
    this.hvArms += c[I.ARMS + TimerBackend.hv]!;
    this.hvFallbacks += c[I.HV_FALLBACKS]!;
    this.hvToSwCount += c[I.HV_TO_SW]!;
    this.swToHvCount += c[I.SW_TO_HV]!;
    this.coalescedCount += c[I.COALESCED]!;
    this.haltPollNs += c[I.HALT_POLL_NS]!;
    this.pollsOk += c[I.POLL_OK]!;
    this.pollsFailed += c[I.POLL_FAILED]!;
    this.apicRead += c[I.EXIT_APIC_READ]!;
    this.posted += c[I.TIMERS_POSTED]!;
  }
  get early(): number {
    return this.latenciesNs.filter((l) => l < 0).length;
  }
  get meanNs(): number {
    return this.latenciesNs.reduce((a, b) => a + b, 0) / this.latenciesNs.length;
  }
}

const fixed = (valueNs: number) => ({ dist: "fixed" as const, valueNs });

export interface Overrides {
  kvm?: Partial<ScenarioConfig["kvm"]>;
  host?: Partial<ScenarioConfig["host"]>;
  delays?: Partial<ScenarioConfig["host"]["delays"]>;
  vm?: Partial<ScenarioConfig["vms"][number]>;
  vms?: ScenarioConfig["vms"];
  durationNs?: number;
  seed?: number;
}

export const CYCLICTEST: Extract<Workload, { kind: "cyclictest" }> = { kind: "cyclictest", intervalNs: 1_000_000, loops: 0, printSummary: false, deadlineMsr: "tsc", workNs: 0, idle: "halt" };

/** A scenario with fixed, round host delays unless overridden. */
export function scenario(o: Overrides = {}, workload: Workload = CYCLICTEST): ScenarioConfig {
  return {
    name: "test",
    description: "",
    seed: o.seed ?? 1,
    durationNs: o.durationNs ?? 200_000_000,
    host: {
      vendor: "vmx",
      tscKhz: 3_000_000,
      preemptionTimerRate: 5,
      hz: 1000,
      stalls: null,
      ...o.host,
      delays: {
        hrtimer: fixed(1000),
        wakeup: fixed(2000),
        vmExit: fixed(300),
        vmEntry: fixed(400),
        irqDispatch: fixed(200),
        msrExit: fixed(800),
        cpuIdleExit: fixed(1500),
        ...o.delays,
      },
    },
    kvm: {
      era: "mainline",
      timerAdvance: { kind: "adaptive" },
      hvTimer: true,
      apicv: true,
      minTimerPeriodUs: 200,
      tscTolerancePpm: 250,
      apicBusCycleNs: 1,
      periodicNegativeDelta: null,
      advanceOneshot: false,
      lazyTscDeadline: false,
      pvDeadline: false,
      postedTimerInterrupts: false,
      // Halt polling off unless a test turns it on (tests/sim/halt-poll.test.ts).
      haltPoll: { maxNs: 0, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null },
      ...o.kvm,
    },
    vms: o.vms ?? [{ name: "vm0", vcpus: 1, tscKhz: 3_000_000, tscDeadline: true, pollControl: true, pauses: [], migrations: [], disableExits: [], workload, ...o.vm }],
  };
}

/** Runs a scenario; returns the simulation and one sink per vCPU. */
export function run(
  config: ScenarioConfig,
  programs: (AnyGuestProgram | undefined)[] = [],
  options: SimulationOptions = {},
  makeSink: () => CountingSink = () => new CountingSink(),
): { sim: Simulation; sinks: CountingSink[] } {
  const sinks: CountingSink[] = [];
  const sim = new Simulation(
    config,
    () => {
      const s = makeSink();
      sinks.push(s);
      return s;
    },
    programs,
    options,
  );
  sim.run();
  return { sim, sinks };
}

/** A program from a main body; the ISR counts interrupts and EOIs. */
export function program(body: (g: GuestCtx, irqs: { count: number }) => GuestGenerator): { prog: GuestProgram; irqs: { count: number } } {
  const irqs = { count: 0 };
  return {
    irqs,
    prog: {
      main: (g) => body(g, irqs),
      *interrupt(g) {
        irqs.count++;
        yield g.eoi();
      },
    },
  };
}
