// Guests that wait in guest mode (workload idle "poll", disableExits hlt/mwait) and posted
// timer interrupts (kvm.postedTimerInterrupts): which exits happen, which timer is used,
// and what the wait costs, with fixed round host delays (harness.ts) so the arithmetic is
// exact. Both engines give the same numbers (engine-differential.test.ts); these run
// cyclictest on the wasm engine and tscdeadline-latency on the TypeScript one.

import { describe, expect, test } from "vitest";
import { CYCLICTEST, run, scenario, type Overrides } from "./harness.js";
import type { DisabledExit, GuestIdle, Workload } from "../../src/scenario/types.js";
import { validateScenario } from "../../src/scenario/schema.js";
import { ScenarioError } from "../../src/scenario/errors.js";

const cyclic = (idle: GuestIdle): Workload => ({ ...CYCLICTEST, intervalNs: 250_000, idle });
const kut = (idle: GuestIdle): Workload => ({ kind: "tscdeadline-latency", deltaCycles: 300_000, size: 2000, breakmaxCycles: 0, printLatencies: false, idle });

function sinkOf(o: Overrides, w: Workload, disableExits: DisabledExit[] = []) {
  const c = scenario({ durationNs: 50_000_000, ...o, vm: { disableExits, ...o.vm } }, w);
  const { sinks } = run(c);
  return sinks[0]!;
}

const NO_ADVANCE = { timerAdvance: { kind: "off" as const } };

describe("workload idle: poll (guest idle=poll)", () => {
  test.each([
    ["cyclictest", cyclic],
    ["tscdeadline-latency", kut],
  ] as const)("%s: the armed preemption timer fires in guest mode; the hrtimer kicks the polling vCPU", (_name, w) => {
    const hv = sinkOf({ kvm: NO_ADVANCE }, w("poll"));
    const sw = sinkOf({ kvm: { ...NO_ADVANCE, hvTimer: false } }, w("poll"));
    expect(hv.latenciesNs.length).toBeGreaterThan(100);
    expect([hv.hlt, hv.hvToSwCount, hv.externalInterrupt]).toEqual([0, 0, 0]);
    expect(hv.preemptionTimer).toBeGreaterThanOrEqual(hv.latenciesNs.length);
    expect([sw.hlt, sw.preemptionTimer]).toEqual([0, 0]);
    // (tscdeadline_latency does not record its first interrupt.)
    expect(sw.externalInterrupt - sw.latenciesNs.length).toBeOneOf([0, 1]);
    // Without the advance: the hrtimer path pays the hrtimer delay (1000 ns) on top.
    expect(sw.meanNs - hv.meanNs).toBeGreaterThan(900);
    expect(sw.meanNs - hv.meanNs).toBeLessThan(1100);
  });

  test("a halting guest: both backends end on the hrtimer (hv -> sw at every block), equal latencies", () => {
    const hv = sinkOf({}, kut("halt"));
    const sw = sinkOf({ kvm: { hvTimer: false } }, kut("halt"));
    expect(hv.hvToSwCount).toBe(hv.hlt);
    expect(hv.latenciesNs).toEqual(sw.latenciesNs);
  });
});

describe("vms.<i>.disableExits", () => {
  test("hlt: no HLT exit, no halt polling, no hv -> sw switch; the preemption timer wakes the idle CPU after cpuIdleExit", () => {
    const poll = sinkOf({ kvm: { ...NO_ADVANCE, haltPoll: { maxNs: 200_000, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null } } }, cyclic("poll"));
    const inGuest = sinkOf(
      { kvm: { ...NO_ADVANCE, haltPoll: { maxNs: 200_000, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null } } },
      cyclic("halt"),
      ["hlt"],
    );
    expect([inGuest.hlt, inGuest.hvToSwCount, inGuest.haltPollNs, inGuest.pollsOk + inGuest.pollsFailed]).toEqual([0, 0, 0, 0]);
    expect(inGuest.preemptionTimer).toBe(poll.preemptionTimer);
    // The same path as the polling guest plus the C-state exit (1500 ns in the harness).
    expect(inGuest.meanNs - poll.meanNs).toBeGreaterThan(1490);
    expect(inGuest.meanNs - poll.meanNs).toBeLessThan(1510);
  });

  test("hlt without a preemption timer: the hrtimer's kick wakes the idle CPU (external-interrupt exit)", () => {
    const s = sinkOf({ kvm: { hvTimer: false } }, cyclic("halt"), ["hlt"]);
    expect(s.hlt).toBe(0);
    expect(s.externalInterrupt).toBe(s.latenciesNs.length);
  });

  test("mwait: kvm_can_use_hv_timer is false (no preemption timer at all)", () => {
    const s = sinkOf({}, cyclic("halt"), ["mwait"]);
    expect([s.hvArms, s.preemptionTimer, s.hlt]).toEqual([0, 0, 0]);
    expect(s.swArms).toBeGreaterThan(100);
  });

  test("pause and cstate alone change nothing for the timer path", () => {
    const plain = sinkOf({}, cyclic("halt"));
    const other = sinkOf({}, cyclic("halt"), ["pause", "cstate"]);
    expect(other.latenciesNs).toEqual(plain.latenciesNs);
    expect(other.hlt).toBe(plain.hlt);
  });
});

describe("kvm.postedTimerInterrupts (pi_inject_timer)", () => {
  test("with HLT in the guest and APICv: every expiry is posted, no exit for the timer on the vCPU's CPU, no preemption timer", () => {
    const s = sinkOf({ kvm: { postedTimerInterrupts: true } }, cyclic("halt"), ["hlt"]);
    expect(s.posted).toBe(s.latenciesNs.length);
    expect([s.externalInterrupt, s.preemptionTimer, s.hlt, s.hvArms]).toEqual([0, 0, 0, 0]);
    // The same guest without posting: the hrtimer's interrupt exits (hv timer off to compare).
    const notPosted = sinkOf({ kvm: { hvTimer: false } }, cyclic("halt"), ["hlt"]);
    expect(notPosted.externalInterrupt).toBe(notPosted.latenciesNs.length);
    expect(notPosted.posted).toBe(0);
  });

  test("kvm_can_post_timer_interrupt needs APICv and HLT or MWAIT in the guest", () => {
    const noApicv = sinkOf({ kvm: { postedTimerInterrupts: true, apicv: false } }, cyclic("halt"), ["hlt"]);
    expect(noApicv.posted).toBe(0);
    expect(noApicv.preemptionTimer).toBeGreaterThan(0);
    const exiting = sinkOf({ kvm: { postedTimerInterrupts: true } }, cyclic("halt"));
    expect(exiting.posted).toBe(0);
    expect(exiting.hvArms).toBeGreaterThan(0);
  });

  test("the posted path's busy-wait runs where the hrtimer fires: with the advance, spin is counted and the latency shrinks", () => {
    const off = sinkOf({ kvm: { postedTimerInterrupts: true, ...NO_ADVANCE } }, cyclic("poll"), ["hlt"]);
    const fixed = sinkOf({ kvm: { postedTimerInterrupts: true, timerAdvance: { kind: "fixed", ns: 3000 } } }, cyclic("poll"), ["hlt"]);
    expect(off.spinNs).toBe(0);
    expect(fixed.spinNs).toBeGreaterThan(0);
    // The hrtimer fires 3000 ns early, its callback 1000 ns later (the hrtimer delay) spins
    // to the deadline: the hrtimer delay no longer shows.
    expect(off.meanNs - fixed.meanNs).toBeGreaterThan(980);
    expect(off.meanNs - fixed.meanNs).toBeLessThan(1020);
  });
});

describe("scenario keys", () => {
  const bad = (raw: unknown): string => {
    try {
      validateScenario(raw);
    } catch (e) {
      if (e instanceof ScenarioError) return e.message;
      throw e;
    }
    return "";
  };
  test("defaults: no exits disabled, halting guests, no posting", () => {
    const c = validateScenario({});
    expect(c.vms[0]!.disableExits).toEqual([]);
    expect(c.kvm.postedTimerInterrupts).toBe(false);
    expect((c.vms[0]!.workload as { idle: string }).idle).toBe("halt");
    expect(c.host.delays.cpuIdleExit.dist).toBe("lognormal");
  });
  test("disableExits is normalised (KVM's bit order, no duplicates)", () => {
    expect(validateScenario({ vms: [{ disableExits: ["hlt", "mwait", "hlt"] }] }).vms[0]!.disableExits).toEqual(["mwait", "hlt"]);
  });
  test.each([
    [{ vms: [{ disableExits: ["halt"] }] }, "vms.0.disableExits"],
    [{ vms: [{ disableExits: "hlt" }] }, "vms.0.disableExits"],
    [{ kvm: { era: "v4.0" }, vms: [{ disableExits: ["hlt"] }] }, "vms.0.disableExits"],
    [{ kvm: { era: "v5.4", postedTimerInterrupts: true } }, "kvm.postedTimerInterrupts"],
    [{ vms: [{ workload: { kind: "cyclictest", idle: "mwait" } }] }, "vms.0.workload.idle"],
  ])("refused: %j names %s", (raw, field) => {
    expect(bad(raw)).toContain(field);
  });
});
