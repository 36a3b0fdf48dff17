// The wasm engine's plain copies of its loop, onThreadEvent and runProgram
// (assembly/sim/engine_loop.ts plainCopy, engine_program.ts COPY_*): cyclictest's (with
// and without a deadline proposal) and rearm-storm's (with and without the lazy one). A
// run that qualifies takes one, one that does not keeps the general
// copies, and either gives the same bytes for the same scenario (the general copy is the
// one the engine-differential tests hold to the TypeScript engine on every workload; these
// cases hold each plain copy to it too).

import { afterEach, describe, expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";
import { CYCLICTEST, scenario, type Overrides } from "./harness.js";
import { resultOf, viaForwarders } from "./differential-scenarios.js";
import type { Workload } from "../../src/scenario/types.js";

const LOGNORMAL = { hrtimer: { dist: "lognormal", medianNs: 1500, p99Ns: 6000 }, vmExit: { dist: "lognormal", medianNs: 700, p99Ns: 2500 } } as const;

/** The run's result on the wasm engine, whether it took the cyclictest copies, and the copy it took. */
function run(o: Overrides, w: Workload, allowPlain: boolean): { result: string; plain: boolean; copy: number } {
  wasm.ctEngineAllowPlain(allowPlain);
  const result = resultOf(scenario(o, w), "wasm");
  return { result, plain: wasm.ctEnginePlainCyclictest(), copy: wasm.ctEnginePlainCopy() };
}

afterEach(() => wasm.ctEngineAllowPlain(true));

const HALT_POLL = { maxNs: 200_000, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null } as const;
/** A VM of the scenario's `vms`, its vCPUs at tscKhz running `workload`. */
const vmOf = (name: string, vcpus: number, tscKhz: number, workload: Workload) => ({ name, vcpus, tscKhz, tscDeadline: true, pollControl: true, pauses: [], migrations: [], disableExits: [], workload });

/**
 * The scenario run with the plain copies allowed and with the general copies only: the
 * same bytes, and the same as the TypeScript engine's. Returns both runs (which copy each took).
 */
function sameBytesEitherCopy(overrides: Overrides, w: Workload): { plain: ReturnType<typeof run>; general: ReturnType<typeof run> } {
  const plain = run(overrides, w, true);
  const general = run(overrides, w, false);
  expect(plain.result).toBe(general.result);
  expect(plain.result).toBe(resultOf(scenario(overrides, w), "ts"));
  return { plain, general };
}

describe("wasm engine: cyclictest copies of the loop", () => {
  const vm = (name: string, vcpus: number, tscKhz: number) => vmOf(name, vcpus, tscKhz, CYCLICTEST);
  test.each([
    ["preemption timer, halt polling", { kvm: { haltPoll: HALT_POLL }, vm: { vcpus: 3 } }],
    ["hrtimer only, no APICv (EOI exits)", { kvm: { hvTimer: false, apicv: false }, vm: { vcpus: 2 } }],
    ["lognormal host delays, 100 µs interval", { delays: LOGNORMAL, vm: { vcpus: 4 } }, 100_000],
    ["host stalls", { host: { stalls: { everyNs: 3_000_000, lengthNs: 40_000 } }, vm: { vcpus: 2 } }],
    ["two VMs at different TSC rates", { vms: [vm("a", 2, 2_100_000), vm("b", 1, 3_000_000)] }],
  ] as const)("%s: taken, and the same bytes as the general copies and the TypeScript engine", (_name, o, interval?: number) => {
    const w = { ...CYCLICTEST, intervalNs: interval ?? 1_000_000 };
    const { plain, general } = sameBytesEitherCopy({ seed: 7, durationNs: 30_000_000, ...o } as Overrides, w);
    expect(plain.plain).toBe(true);
    expect(general.plain).toBe(false);
  });

  test.each([
    ["extra work", { ...CYCLICTEST, workNs: 20_000 }, {}],
    ["idle=poll", { ...CYCLICTEST, idle: "poll" }, {}],
    ["posted timer interrupts", CYCLICTEST, { kvm: { postedTimerInterrupts: true }, vm: { disableExits: ["hlt"] } }],
    ["another workload", { kind: "rearm-storm", intervalNs: 100_000, rewrites: 4, spacingNs: 5_000 }, {}],
  ] as const)("%s: not taken", (_name, w, o) => {
    expect(run({ durationNs: 5_000_000, ...o } as Overrides, w as Workload, true).plain).toBe(false);
  });
});

describe("wasm engine: rearm-storm copies of the loop", () => {
  const STORM = { kind: "rearm-storm", intervalNs: 100_000, rewrites: 4, spacingNs: 5_000 } as const;
  const LAZY = { kvm: { lazyTscDeadline: true } } as const;
  const vm = (name: string, vcpus: number, tscKhz: number, workload: Workload = STORM) => vmOf(name, vcpus, tscKhz, workload);
  test.each([
    ["preemption timer, halt polling", STORM, { kvm: { haltPoll: HALT_POLL }, vm: { vcpus: 3 } }],
    ["hrtimer only, no APICv (EOI exits)", STORM, { kvm: { hvTimer: false, apicv: false }, vm: { vcpus: 2 } }],
    ["lognormal host delays, deadlines that expire as written", { ...STORM, intervalNs: 2_000, rewrites: 2, spacingNs: 1_000 }, { delays: LOGNORMAL, vm: { vcpus: 4 } }],
    ["host stalls", STORM, { host: { stalls: { everyNs: 3_000_000, lengthNs: 40_000 } }, vm: { vcpus: 2 } }],
    ["two VMs at different TSC rates, no rewrites", { ...STORM, rewrites: 0 }, { vms: [vm("a", 2, 2_100_000), vm("b", 1, 3_000_000)] }],
    // The preemption timer's kept delta (vcpu_hv_timer.ts hvArmInline's memo) must miss when
    // the ratio, the advance or the guest delta changes: VMs at other rates, a tuned advance.
    ["two VMs at different TSC rates, rewrites, adaptive advance", STORM, { kvm: { timerAdvance: { kind: "adaptive" } }, vms: [vm("a", 2, 2_100_000), vm("b", 2, 3_000_000)] }],
    ["fixed advance, unscaled TSC", { ...STORM, intervalNs: 30_000, spacingNs: 3_000 }, { kvm: { timerAdvance: { kind: "fixed", ns: 2_500 } }, host: { tscKhz: 2_100_000 }, vm: { vcpus: 2, tscKhz: 2_100_000 } }],
    ["lazy: preemption timer, halt polling", STORM, { kvm: { ...LAZY.kvm, haltPoll: HALT_POLL }, vm: { vcpus: 3 } }],
    ["lazy: hrtimer only, no APICv", STORM, { kvm: { ...LAZY.kvm, hvTimer: false, apicv: false }, vm: { vcpus: 2 } }],
    ["lazy: lognormal host delays, deadlines that expire as written", { ...STORM, intervalNs: 2_000, rewrites: 2, spacingNs: 1_000 }, { ...LAZY, delays: LOGNORMAL, vm: { vcpus: 4 } }],
    ["lazy: hrtimer only, deadlines that expire as written (armed cleared at the hrtimer's start)", { ...STORM, intervalNs: 2_000, rewrites: 2, spacingNs: 1_000 }, { kvm: { ...LAZY.kvm, hvTimer: false }, delays: LOGNORMAL, vm: { vcpus: 3 } }],
    ["lazy: two VMs at different TSC rates", STORM, { ...LAZY, vms: [vm("a", 2, 2_100_000), vm("b", 1, 3_000_000)] }],
    // The lazy re-arm's hrtimer runs at once unless an event of the vCPU's own comes first
    // (engine_lazy_rearm.ts rearmedRunsNow): here the halt poll's end, between the armed
    // deadline and the later one, so the re-armed hrtimer goes into the queue.
    ["lazy: a halt-poll window that ends between the armed deadline and the later one", STORM, { kvm: { ...LAZY.kvm, haltPoll: { ...HALT_POLL, maxNs: 90_000, dynamic: false } }, vm: { vcpus: 2 } }],
    ["lazy: host stalls", STORM, { ...LAZY, host: { stalls: { everyNs: 1_000_000, lengthNs: 30_000 } }, vm: { vcpus: 2 } }],
    ["lazy: uniform host delays, runs that end between the armed deadline and the later one", STORM, { ...LAZY, durationNs: 3_331_000, delays: { hrtimer: { dist: "uniform", minNs: 0, maxNs: 9_000 }, wakeup: { dist: "uniform", minNs: 500, maxNs: 30_000 } }, vm: { vcpus: 8 } }],
  ] as const)("%s: taken, and the same bytes as the general copies and the TypeScript engine", (name, w, o) => {
    const { plain, general } = sameBytesEitherCopy({ seed: 11, durationNs: 10_000_000, ...o } as Overrides, w as Workload);
    expect(plain.copy).toBe(name.startsWith("lazy") ? wasm.COPY_REARM_STORM_LAZY.value : wasm.COPY_REARM_STORM.value);
    expect(general.copy).toBe(wasm.COPY_GENERAL.value);
  });

  test("lazy, log mode (the metric log fills and is drained mid-run): the same bytes as the general copies and the TypeScript engine", () => {
    const c = scenario({ seed: 11, durationNs: 10_000_000, kvm: { lazyTscDeadline: true }, delays: LOGNORMAL, vm: { vcpus: 3 } } as Overrides, STORM);
    wasm.ctEngineAllowPlain(true);
    const plain = viaForwarders(c, "wasm");
    expect(wasm.ctEnginePlainCopy()).toBe(wasm.COPY_REARM_STORM_LAZY.value);
    wasm.ctEngineAllowPlain(false);
    expect(plain).toBe(viaForwarders(c, "wasm"));
    expect(plain).toBe(viaForwarders(c, "ts"));
  });

  test.each([
    ["PV deadline proposal", { kvm: { pvDeadline: true } }],
    ["posted timer interrupts", { kvm: { postedTimerInterrupts: true }, vm: { disableExits: ["hlt"] } }],
    ["a VM running cyclictest beside it", { vms: [vm("a", 1, 2_100_000), vm("b", 1, 2_100_000, CYCLICTEST)] }],
    ["lazy, a VM running cyclictest beside it", { ...LAZY, vms: [vm("a", 1, 2_100_000), vm("b", 1, 2_100_000, CYCLICTEST)] }],
  ] as const)("%s: not taken", (_name, o) => {
    const r = run({ durationNs: 5_000_000, ...o } as Overrides, STORM as Workload, true);
    expect(r.copy).toBe(wasm.COPY_GENERAL.value);
  });

  test("lazy cyclictest takes cyclictest's proposals copy, not rearm-storm's", () => {
    expect(run({ durationNs: 5_000_000, ...LAZY } as Overrides, CYCLICTEST, true).copy).toBe(wasm.COPY_CYCLICTEST_PROPOSALS.value);
  });
});

describe("wasm engine: cyclictest copies of the loop with a deadline proposal", () => {
  const LAZY = { kvm: { lazyTscDeadline: true } } as const;
  const PV = { kvm: { pvDeadline: true } } as const;
  const PV_MSR = { ...CYCLICTEST, deadlineMsr: "pv" } as const;
  const vm = vmOf;
  test.each([
    ["lazy: preemption timer, halt polling", CYCLICTEST, { kvm: { ...LAZY.kvm, haltPoll: HALT_POLL }, vm: { vcpus: 3 } }],
    ["lazy: hrtimer only, no APICv", CYCLICTEST, { kvm: { ...LAZY.kvm, hvTimer: false, apicv: false }, vm: { vcpus: 2 } }],
    ["lazy: lognormal host delays, 20 µs interval", { ...CYCLICTEST, intervalNs: 20_000 }, { ...LAZY, delays: LOGNORMAL, vm: { vcpus: 4 } }],
    ["PV MSR with the PV proposal: preemption timer, halt polling", PV_MSR, { kvm: { ...PV.kvm, haltPoll: HALT_POLL }, vm: { vcpus: 3 } }],
    ["PV MSR with the PV proposal: hrtimer only, no APICv, lognormal delays", PV_MSR, { kvm: { ...PV.kvm, hvTimer: false, apicv: false }, delays: LOGNORMAL, vm: { vcpus: 2 } }],
    ["PV MSR without the proposal (the write does nothing)", PV_MSR, { vm: { vcpus: 2 } }],
    ["the TSC MSR with the PV proposal on", CYCLICTEST, { ...PV, vm: { vcpus: 2 } }],
    ["both proposals, two VMs at different TSC rates on the PV MSR", PV_MSR, { kvm: { ...PV.kvm, ...LAZY.kvm }, vms: [vm("a", 2, 2_100_000, PV_MSR), vm("b", 1, 3_000_000, PV_MSR)] }],
    ["lazy, host stalls", CYCLICTEST, { ...LAZY, host: { stalls: { everyNs: 3_000_000, lengthNs: 40_000 } }, vm: { vcpus: 2 } }],
  ] as const)("%s: taken, and the same bytes as the general copies and the TypeScript engine", (_name, w, o) => {
    const { plain, general } = sameBytesEitherCopy({ seed: 5, durationNs: 20_000_000, ...o } as Overrides, w as Workload);
    expect(plain.copy).toBe(wasm.COPY_CYCLICTEST_PROPOSALS.value);
    expect(general.copy).toBe(wasm.COPY_GENERAL.value);
  });

  test.each([
    ["lazy, extra work", { ...CYCLICTEST, workNs: 20_000 }, LAZY],
    ["PV MSR, idle=poll", { ...PV_MSR, idle: "poll" }, PV],
    ["PV MSR, extra work", { ...PV_MSR, workNs: 20_000 }, PV],
    ["a VM on the TSC MSR beside one on the PV MSR", CYCLICTEST, { ...PV, vms: [vm("a", 1, 2_100_000, CYCLICTEST), vm("b", 1, 2_100_000, PV_MSR)] }],
  ] as const)("%s: not taken", (_name, w, o) => {
    expect(run({ durationNs: 5_000_000, ...o } as Overrides, w as Workload, true).copy).toBe(wasm.COPY_GENERAL.value);
  });
});

describe("wasm engine: tscdeadline-latency copies of the loop", () => {
  const TDL = { kind: "tscdeadline-latency", deltaCycles: 30_000, size: 10_000, breakmaxCycles: 0, printLatencies: false, idle: "halt" } as const;
  const vm = vmOf;
  test.each([
    ["preemption timer, halt polling", TDL, { kvm: { haltPoll: HALT_POLL }, vm: { vcpus: 3 } }],
    ["hrtimer only, no APICv (EOI exits)", TDL, { kvm: { hvTimer: false, apicv: false }, vm: { vcpus: 2 } }],
    ["lognormal host delays, a short delta (deadlines that expire as written)", { ...TDL, deltaCycles: 2_000 }, { delays: LOGNORMAL, vm: { vcpus: 4 } }],
    ["printing its samples, stopped by the sample count", { ...TDL, size: 40, printLatencies: true }, { vm: { vcpus: 2 } }],
    ["stopped by breakmax", { ...TDL, breakmaxCycles: 1, printLatencies: true }, { kvm: { hvTimer: false }, vm: { vcpus: 2 } }],
    ["host stalls", TDL, { host: { stalls: { everyNs: 3_000_000, lengthNs: 40_000 } }, vm: { vcpus: 2 } }],
    ["two VMs at different TSC rates", TDL, { vms: [vm("a", 2, 2_100_000, TDL), vm("b", 1, 3_000_000, TDL)] }],
  ] as const)("%s: taken, and the same bytes as the general copies and the TypeScript engine", (_name, w, o) => {
    const { plain, general } = sameBytesEitherCopy({ seed: 3, durationNs: 20_000_000, ...o } as Overrides, w as Workload);
    expect(plain.copy).toBe(wasm.COPY_TSCDEADLINE_LATENCY.value);
    expect(general.copy).toBe(wasm.COPY_GENERAL.value);
  });

  test.each([
    ["its spinning variant (idle poll)", { ...TDL, idle: "poll" }, {}],
    ["lazy TSC-deadline", TDL, { kvm: { lazyTscDeadline: true } }],
    ["the PV deadline proposal", TDL, { kvm: { pvDeadline: true } }],
    ["a VM running cyclictest beside it", TDL, { vms: [vm("a", 1, 2_100_000, TDL), vm("b", 1, 2_100_000, CYCLICTEST)] }],
  ] as const)("%s: not taken", (_name, w, o) => {
    expect(run({ durationNs: 5_000_000, ...o } as Overrides, w as Workload, true).copy).toBe(wasm.COPY_GENERAL.value);
  });
});
