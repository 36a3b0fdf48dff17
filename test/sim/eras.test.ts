// Each kernel era's tested differences (spec §5.2, §4.4, §4.5, §6; seed-history §3.4, §7).

import { describe, expect, test } from "vitest";
import { CYCLICTEST, run, scenario } from "./harness.js";
import { Exit, type GuestCtx, type GuestGenerator, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVTT, APIC_TDCR, APIC_TMICT, LVTT_PERIODIC, LVTT_TSCDEADLINE } from "../../src/sim/apic-regs.js";
import type { Era } from "../../src/scenario/types.js";
import { wasm } from "../../src/wasm.js";

const fixed = (valueNs: number) => ({ dist: "fixed" as const, valueNs });
const lognormal = (medianNs: number, p99Ns: number) => ({ dist: "lognormal" as const, medianNs, p99Ns });

describe("busy-wait units (S7, b6aa57c69cb2)", () => {
  // Guest TSC at half the host rate: D - G guest cycles last twice as long in host time.
  const slowGuest = { host: { tscKhz: 3_000_000 }, vm: { tscKhz: 1_500_000 }, kvm: { hvTimer: false, timerAdvance: { kind: "fixed" as const, ns: 8000 } } };

  test("v4.0 spins guest cycles as host cycles: every interrupt arrives early", () => {
    const { sinks } = run(scenario({ ...slowGuest, kvm: { ...slowGuest.kvm, era: "v4.0" } }));
    expect(sinks[0]!.latenciesNs.length).toBeGreaterThan(100);
    expect(sinks[0]!.early).toBe(sinks[0]!.latenciesNs.length);
  });

  test("v4.20 (auto-tuned) also spins guest cycles: early interrupts", () => {
    // With jitter the tuned advance sometimes exceeds the delay, and then the spin is too short.
    const jittery = { wakeup: lognormal(2000, 5000) };
    const { sinks } = run(scenario({ ...slowGuest, delays: jittery, kvm: { hvTimer: false, era: "v4.20", timerAdvance: { kind: "adaptive" } } }));
    expect(sinks[0]!.early).toBeGreaterThan(10);
    const fixedUnits = run(scenario({ ...slowGuest, delays: jittery, kvm: { hvTimer: false, era: "v5.4", timerAdvance: { kind: "adaptive" } } }));
    expect(fixedUnits.sinks[0]!.early).toBeLessThan(sinks[0]!.early / 4);
  });

  test.each<Era>(["v5.1", "v5.4"])("%s converts to host time: never early with the advance covering the delay", (era) => {
    const { sinks } = run(scenario({ ...slowGuest, kvm: { ...slowGuest.kvm, era } }));
    expect(sinks[0]!.latenciesNs.length).toBeGreaterThan(100);
    expect(sinks[0]!.early).toBe(0);
    // The spin covers the advance minus the deterministic delay each time.
    expect(sinks[0]!.spinNs).toBeGreaterThan(0);
  });
});

describe("adaptive tuning eras (S5, S5b, S5c)", () => {
  // A 20 µs wake-up: the measured lateness is ~60000 cycles at 3 GHz.
  const hugeDelay = { delays: { wakeup: fixed(20_000) }, kvm: { hvTimer: false } };
  const finalAdvance = (era: Era): number => {
    const { sinks } = run(scenario({ ...hugeDelay, kvm: { ...hugeDelay.kvm, era } }));
    return sinks[0]!.advances.at(-1)!;
  };

  test("v4.20: unbounded, the advance follows the delay past 5000 ns", () => {
    expect(finalAdvance("v4.20")).toBeGreaterThan(15_000);
  });
  test("v5.1: above 5000 ns the advance is disabled (0) for good", () => {
    const { sinks } = run(scenario({ ...hugeDelay, kvm: { ...hugeDelay.kvm, era: "v5.1" } }));
    const adv = sinks[0]!.advances;
    // It climbs past 5000 ns, drops to 0, and with advance 0 no later wait happens.
    expect(Math.max(...adv)).toBeLessThanOrEqual(5000 + 5000 / 8);
    expect(adv.indexOf(0)).toBe(adv.length - 1);
    expect(wasm.vcpuAdvance(0, false)).toBe(0);
    expect(sinks[0]!.latenciesNs.length).toBeGreaterThan(100);
  });
  test.each<Era>(["v5.4", "mainline"])("%s: samples above 10000 cycles are ignored, the advance stays at 1000", (era) => {
    expect(finalAdvance(era)).toBe(1000);
  });
});

describe("v4.20's global advance and 'adjust done' (S4, S6)", () => {
  const jitter = { delays: { wakeup: lognormal(2000, 2600), hrtimer: lognormal(1000, 1300) }, kvm: { hvTimer: false } };
  const twoVms = (era: Era) =>
    scenario({
      ...jitter,
      kvm: { ...jitter.kvm, era },
      vms: [
        { name: "a", vcpus: 2, tscKhz: 3_000_000, tscDeadline: true, pollControl: true, pauses: [], migrations: [], disableExits: [], workload: CYCLICTEST },
        { name: "b", vcpus: 2, tscKhz: 2_100_000, tscDeadline: true, pollControl: true, pauses: [], migrations: [], disableExits: [], workload: CYCLICTEST },
      ],
    });

  test("v4.20 tunes one value for every vCPU; mainline one per vCPU", () => {
    run(twoVms("v4.20"));
    const global = [0, 1, 2, 3].map((v) => wasm.vcpuAdvance(v, true));
    expect(new Set(global).size).toBe(1);
    run(twoVms("mainline"));
    const perVcpu = [0, 1, 2, 3].map((v) => wasm.vcpuAdvance(v, false));
    expect(new Set(perVcpu).size).toBeGreaterThan(1);
  });

  test("v4.20 stops tuning once the error is under 100 cycles; mainline keeps tuning", () => {
    const tail = (era: Era): Set<number> => {
      const { sinks } = run(scenario({ ...jitter, kvm: { ...jitter.kvm, era } }));
      const adv = sinks[0]!.advances;
      return new Set(adv.slice(adv.length / 2));
    };
    expect(tail("v4.20").size).toBe(1);
    expect(tail("mainline").size).toBeGreaterThan(1);
  });
});

describe("deadline within the advance (S9, Liran Alon v5.1)", () => {
  // A TSC-deadline 1500 cycles (500 ns) ahead with a 1000 ns advance.
  const shortDeadlines: GuestProgram = {
    *main(g: GuestCtx): GuestGenerator {
      yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
      for (let i = 0; i < 100; i++) {
        g.rdtscTo(0);
        g.regAdd(0, 0, 1500);
        yield g.wrmsrTscDeadline(0);
        yield g.compute(5000);
      }
      yield Exit.Done;
    },
    *interrupt(g: GuestCtx): GuestGenerator {
      yield g.eoi();
    },
  };
  const cfg = (era: Era) => scenario({ kvm: { era, hvTimer: false, timerAdvance: era === "v4.20" ? { kind: "adaptive" } : { kind: "fixed", ns: 1000 } } });

  test("v5.1+ injects at once instead of arming an hrtimer in the past", () => {
    const { sinks } = run(cfg("v5.1"), [shortDeadlines]);
    expect(sinks[0]!.swArms).toBe(0);
  });
  test("v4.20 arms the hrtimer (already expired)", () => {
    const { sinks } = run(cfg("v4.20"), [shortDeadlines]);
    expect(sinks[0]!.swArms).toBe(100);
  });
});

describe("hv timer in one-shot mode (S8, d981dd15498b)", () => {
  // A busy guest (no HLT), so the preemption timer stays in charge; one-shot 100 µs.
  const busyOneshot = (): GuestProgram => ({
    *main(g: GuestCtx): GuestGenerator {
      yield g.writeApic(APIC_TDCR, 0xb);
      yield g.writeApic(APIC_LVTT, 0xee);
      for (let i = 0; i < 200; i++) {
        g.rdtscTo(0);
        g.regAdd(0, 0, 300_000); // 100 µs of a 3 GHz guest = 100000 bus cycles at ÷1
        yield g.writeApic(APIC_TMICT, 100_000);
        const start = i;
        while (done.count === start) yield g.compute(500);
      }
      yield Exit.Done;
    },
    *interrupt(g: GuestCtx): GuestGenerator {
      g.rdtscTo(1);
      g.recordLatency(g.regDiff(1, 0));
      done.count++;
      yield g.eoi();
    },
  });
  const done = { count: 0 };
  const cfg = (era: Era) => scenario({ kvm: { era, hvTimer: true, timerAdvance: era === "mainline" ? { kind: "adaptive" } : { kind: "fixed", ns: 3000 } } });

  test("v5.4: the advance is applied to the hv timer without a busy-wait, so interrupts arrive early", () => {
    done.count = 0;
    const { sinks } = run(cfg("v5.4"), [busyOneshot()]);
    expect(sinks[0]!.preemptionTimer).toBeGreaterThan(150);
    expect(sinks[0]!.early).toBeGreaterThan(150);
  });
  test("mainline busy-waits for hv timers in every mode: never early", () => {
    done.count = 0;
    const { sinks } = run(cfg("mainline"), [busyOneshot()]);
    expect(sinks[0]!.preemptionTimer).toBeGreaterThan(150);
    expect(sinks[0]!.early).toBe(0);
  });
});

describe("periodic re-arm after a long stall (S10, 18ab3fc8e880)", () => {
  // A busy periodic guest at the 200 µs floor, hv timer, a 1 ms host stall every 50 ms.
  const busyPeriodic: GuestProgram = {
    *main(g: GuestCtx): GuestGenerator {
      yield g.writeApic(APIC_TDCR, 0xb);
      yield g.writeApic(APIC_LVTT, LVTT_PERIODIC | 0xec);
      yield g.writeApic(APIC_TMICT, 100);
      for (;;) yield g.compute(10_000);
    },
    *interrupt(g: GuestCtx): GuestGenerator {
      yield g.eoi();
    },
  };
  const cfg = (era: Era) => scenario({ kvm: { era, hvTimer: true }, host: { stalls: { everyNs: 50_000_000, lengthNs: 1_000_000 } } });

  test("pre-2025 (v5.4): the negative delta wraps, -ERANGE, and the vCPU stays on the hrtimer", () => {
    const { sinks } = run(cfg("v5.4"), [busyPeriodic]);
    expect(sinks[0]!.hvFallbacks).toBeGreaterThan(0);
    const hvArmsBefore = sinks[0]!.hvArms;
    expect(sinks[0]!.swArms).toBeGreaterThan(hvArmsBefore / 10);
  });
  test("mainline clamps the target to now and stays on the hv timer", () => {
    const { sinks } = run(cfg("mainline"), [busyPeriodic]);
    expect(sinks[0]!.hvFallbacks).toBe(0);
    expect(sinks[0]!.swArms).toBe(0);
    expect(sinks[0]!.preemptionTimer).toBeGreaterThan(500);
  });
});

describe("determinism", () => {
  const cfg = (vcpus: number) => scenario({ delays: { wakeup: lognormal(3000, 15000), hrtimer: lognormal(1500, 6000) }, vm: { vcpus } });

  test("same scenario and seed: identical latencies", () => {
    const a = run(cfg(2)).sinks.map((s) => s.latenciesNs);
    const b = run(cfg(2)).sinks.map((s) => s.latenciesNs);
    expect(a).toEqual(b);
  });
  test("adding a vCPU does not change another vCPU's draws", () => {
    const two = run(cfg(2)).sinks[1]!.latenciesNs;
    const three = run(cfg(3)).sinks[1]!.latenciesNs;
    expect(three).toEqual(two);
  });
  test("another seed gives other draws", () => {
    const a = run(cfg(1)).sinks[0]!.latenciesNs;
    const b = run({ ...cfg(1), seed: 2 }).sinks[0]!.latenciesNs;
    expect(a).not.toEqual(b);
  });
});
