// Fixed cases for the engine-differential property (engine-differential.test.ts): one
// scenario per mechanism — issue #11's guest-mode waits and posted interrupts, each
// TSC-deadline workload and deadline proposal, those on shared host CPUs, the LAPIC
// one-shot/periodic workloads, pauses and migrations — each run on both engines, held
// byte-identical, and checked to show its mechanism at work (the properties draw them at
// random too, but may not hit every one in a given run).

import { describe, expect, test } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { wasmEngineExclusion } from "../../src/sim/wasm-engine.js";
import type { Workload } from "../../src/scenario/types.js";
import { CYCLICTEST, scenario, type Overrides } from "./harness.js";
import { resultOf, type RunResult, type RunSummary } from "./differential-scenarios.js";

describe("wasm engine = TypeScript state machine: one case per mechanism", () => {
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
});
