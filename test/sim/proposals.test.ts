// Switches for behaviours the seed discussions proposed (issue #4 §1): the periodic
// negative-delta variants (seed 000) and the advance for sw one-shot timers.

import { describe, expect, test } from "vitest";
import { run, scenario } from "./harness.js";
import { type GuestCtx, type GuestGenerator, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVTT, APIC_TDCR, APIC_TMICT, LVTT_PERIODIC } from "../../src/sim/apic-regs.js";
import type { Era, PeriodicNegativeDelta } from "../../src/scenario/types.js";

describe("kvm.periodicNegativeDelta (seed 000): a busy periodic guest at the 200 µs floor, a 1 ms stall every 50 ms", () => {
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
  const cfg = (era: Era, periodicNegativeDelta: PeriodicNegativeDelta | null) =>
    scenario({ kvm: { era, hvTimer: true, periodicNegativeDelta }, host: { stalls: { everyNs: 50_000_000, lengthNs: 1_000_000 } } });

  test.each<[Era, PeriodicNegativeDelta]>([
    ["mainline", "wrap"],
    ["v5.4", "wrap"],
  ])("%s with %s: -ERANGE and a fall back to the hrtimer", (era, variant) => {
    const { sinks } = run(cfg(era, variant), [busyPeriodic]);
    expect(sinks[0]!.hvFallbacks).toBeGreaterThan(0);
  });

  test.each<[Era, PeriodicNegativeDelta]>([
    ["v5.4", "skip-negative"],
    ["v5.4", "clamp"],
    ["mainline", "skip-negative"],
  ])("%s with %s: stays on the hv timer", (era, variant) => {
    const { sinks } = run(cfg(era, variant), [busyPeriodic]);
    expect(sinks[0]!.hvFallbacks).toBe(0);
    expect(sinks[0]!.preemptionTimer).toBeGreaterThan(500);
  });

  test("the era decides when unset: v5.4 wraps, mainline clamps", () => {
    expect(run(cfg("v5.4", null), [busyPeriodic]).sinks[0]!.hvFallbacks).toBeGreaterThan(0);
    expect(run(cfg("mainline", null), [busyPeriodic]).sinks[0]!.hvFallbacks).toBe(0);
  });
});

describe("kvm.advanceOneshot (fuqiang wang's proposal, declined upstream)", () => {
  const oneshot = { kind: "oneshot" as const, tmict: 500_000, tdcr: 0xb, gapNs: 0, wait: "hlt" as const };
  // ~2.6 µs of host delay with some jitter: within the tuner's 10000-cycle window at 3 GHz.
  const cfg = (advanceOneshot: boolean) =>
    scenario({ kvm: { hvTimer: false, advanceOneshot }, delays: { wakeup: { dist: "lognormal", medianNs: 1000, p99Ns: 1600 } } }, oneshot);

  test("off (upstream): the sw one-shot timer gets no advance and no busy-wait", () => {
    const { sinks } = run(cfg(false));
    expect(sinks[0]!.spinNs).toBe(0);
    // hrtimer 1000 + wakeup 1000 + entry 400 + dispatch 200 ns.
    expect(sinks[0]!.meanNs).toBeGreaterThan(2500);
  });

  test("on: the hrtimer fires early by the tuned advance, the entry busy-waits, latency falls and stays >= 0", () => {
    const off = run(cfg(false)).sinks[0]!;
    const on = run(cfg(true)).sinks[0]!;
    expect(on.spinNs).toBeGreaterThan(0);
    expect(on.meanNs).toBeLessThan(off.meanNs - 1000);
    expect(on.early).toBe(0);
  });
});
