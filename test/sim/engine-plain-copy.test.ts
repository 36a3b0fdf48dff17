// The wasm engine's cyclictest copies of its loop, onThreadEvent and runProgram
// (assembly/sim/engine_loop.ts, plainCyclictest): a run that qualifies takes them, one that
// does not keeps the general copies, and either copy gives the same bytes for the same
// scenario (the general copy is the one the engine-differential tests hold to the
// TypeScript engine on every workload; these cases hold the cyclictest copy to it too).

import { afterEach, describe, expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";
import { CYCLICTEST, scenario, type Overrides } from "./harness.js";
import { resultOf } from "./differential-scenarios.js";
import type { Workload } from "../../src/scenario/types.js";

const LOGNORMAL = { hrtimer: { dist: "lognormal", medianNs: 1500, p99Ns: 6000 }, vmExit: { dist: "lognormal", medianNs: 700, p99Ns: 2500 } } as const;

/** The run's result on the wasm engine, and whether it took the cyclictest copies. */
function run(o: Overrides, w: Workload, allowPlain: boolean): { result: string; plain: boolean } {
  wasm.ctEngineAllowPlain(allowPlain);
  const result = resultOf(scenario(o, w), "wasm");
  return { result, plain: wasm.ctEnginePlainCyclictest() };
}

afterEach(() => wasm.ctEngineAllowPlain(true));

describe("wasm engine: cyclictest copies of the loop", () => {
  const vm = (name: string, vcpus: number, tscKhz: number) => ({ name, vcpus, tscKhz, tscDeadline: true, pollControl: true, pauses: [], migrations: [], disableExits: [], workload: CYCLICTEST });
  test.each([
    ["preemption timer, halt polling", { kvm: { haltPoll: { maxNs: 200_000, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null } }, vm: { vcpus: 3 } }],
    ["hrtimer only, no APICv (EOI exits)", { kvm: { hvTimer: false, apicv: false }, vm: { vcpus: 2 } }],
    ["lognormal host delays, 100 µs interval", { delays: LOGNORMAL, vm: { vcpus: 4 } }, 100_000],
    ["host stalls", { host: { stalls: { everyNs: 3_000_000, lengthNs: 40_000 } }, vm: { vcpus: 2 } }],
    ["two VMs at different TSC rates", { vms: [vm("a", 2, 2_100_000), vm("b", 1, 3_000_000)] }],
  ] as const)("%s: taken, and the same bytes as the general copies and the TypeScript engine", (_name, o, interval?: number) => {
    const w = { ...CYCLICTEST, intervalNs: interval ?? 1_000_000 };
    const overrides = { seed: 7, durationNs: 30_000_000, ...o } as Overrides;
    const plain = run(overrides, w, true);
    const general = run(overrides, w, false);
    expect(plain.plain).toBe(true);
    expect(general.plain).toBe(false);
    expect(plain.result).toBe(general.result);
    expect(plain.result).toBe(resultOf(scenario(overrides, w), "ts"));
  });

  test.each([
    ["extra work", { ...CYCLICTEST, workNs: 20_000 }, {}],
    ["idle=poll", { ...CYCLICTEST, idle: "poll" }, {}],
    ["PV deadline MSR", { ...CYCLICTEST, deadlineMsr: "pv" }, {}],
    ["posted timer interrupts", CYCLICTEST, { kvm: { postedTimerInterrupts: true }, vm: { disableExits: ["hlt"] } }],
    ["another workload", { kind: "rearm-storm", intervalNs: 100_000, rewrites: 4, spacingNs: 5_000 }, {}],
  ] as const)("%s: not taken", (_name, w, o) => {
    expect(run({ durationNs: 5_000_000, ...o } as Overrides, w as Workload, true).plain).toBe(false);
  });
});
