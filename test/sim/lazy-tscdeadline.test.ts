// Lazy TSC-deadline (Wang Jianchao's RFC v3, seed 004; scenarios S15, S16).

import { describe, expect, test } from "vitest";
import { run, scenario } from "./harness.js";
import { Exit, type GuestCtx, type GuestGenerator, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVT_MASKED, APIC_LVTT, LVTT_TSCDEADLINE } from "../../src/sim/apic-regs.js";

const storm = { kind: "rearm-storm" as const, intervalNs: 100_000, rewrites: 4, spacingNs: 5_000 };

describe("S15: a deadline rewritten 4 times, later each time, before it expires", () => {
  const cfg = (lazyTscDeadline: boolean, hvTimer = true) => scenario({ kvm: { lazyTscDeadline, hvTimer } }, storm);

  test.each([true, false])("lazy on traps only the first write of each period (hv timer %s)", (hvTimer) => {
    const off = run(cfg(false, hvTimer)).sinks[0]!;
    const on = run(cfg(true, hvTimer)).sinks[0]!;
    const periods = off.latenciesNs.length;
    expect(periods).toBeGreaterThan(1000);
    // Off: every write exits (1 + 4 per period); on: the first one only.
    expect(off.msrWrite).toBeGreaterThanOrEqual(5 * periods);
    expect(on.msrWrite).toBeLessThanOrEqual(on.latenciesNs.length + 2);
    expect(on.msrWrite).toBeLessThan(0.25 * off.msrWrite);
    // The interrupt still comes at the last deadline written: never early.
    expect(on.early).toBe(0);
    // The stale expiry costs a timer event: hrtimer callbacks rise (the guest halts).
    expect(on.callbacks).toBeGreaterThan(off.callbacks);
  });
});

/** Runs a guest body and counts interrupts (vector 0xef, TSC-deadline mode). */
function guest(body: (g: GuestCtx) => GuestGenerator): { prog: GuestProgram; irqs: { count: number } } {
  const irqs = { count: 0 };
  return {
    irqs,
    prog: {
      *main(g) {
        yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
        yield* body(g);
        yield Exit.Done;
      },
      *interrupt(g) {
        irqs.count++;
        yield g.eoi();
      },
    },
  };
}

describe("S16: when `armed` must be cleared", () => {
  const lazy = scenario({ kvm: { lazyTscDeadline: true } });

  /** An already-expired deadline, then a later one the guest waits for. */
  const expiredThenLater = (g: GuestCtx): GuestGenerator =>
    (function* () {
      g.rdtscTo(0);
      yield g.wrmsrTscDeadline(0); // expired at arm: injected at once
      yield g.compute(10_000);
      g.rdtscTo(0);
      g.regAdd(0, 0, 300_000);
      yield g.wrmsrTscDeadline(0); // 100 µs ahead
      yield g.compute(1_000_000);
    })();

  test("expired at arm clears `armed`: the next, later deadline still traps and fires", () => {
    const { prog, irqs } = guest(expiredThenLater);
    const { sinks } = run(lazy, [prog]);
    expect(irqs.count).toBe(2);
    expect(sinks[0]!.msrWrite).toBe(2);
  });

  test("without that clear (RFC before v3 patch 5) the guest's clockevent hangs: no second interrupt", () => {
    const { prog, irqs } = guest(expiredThenLater);
    const { sinks } = run(lazy, [prog], { lazyClearExpiredAtArm: false });
    expect(irqs.count).toBe(1);
    // The later write did not trap: the host never armed it.
    expect(sinks[0]!.msrWrite).toBe(1);
  });

  test("an earlier deadline traps; a later one does not", () => {
    const { prog, irqs } = guest(function* (g) {
      g.rdtscTo(0);
      g.regAdd(1, 0, 600_000);
      yield g.wrmsrTscDeadline(1); // armed = t + 200 µs
      g.regAdd(2, 0, 900_000);
      yield g.wrmsrTscDeadline(2); // later: no trap
      g.regAdd(3, 0, 300_000);
      yield g.wrmsrTscDeadline(3); // earlier than armed: traps
      yield g.compute(1_000_000);
    });
    const { sinks } = run(lazy, [prog]);
    expect(sinks[0]!.msrWrite).toBe(2);
    // Fires at the earliest (t + 100 µs), re-arms to the pending one (the latest written, t + 100 µs): one interrupt.
    expect(irqs.count).toBe(1);
  });

  test.each([
    ["a mode change", [0xef, LVTT_TSCDEADLINE | 0xef]],
    ["masking LVTT", [APIC_LVT_MASKED | LVTT_TSCDEADLINE | 0xef, LVTT_TSCDEADLINE | 0xef]],
  ])("%s clears `armed`: the next write traps", (_what, lvtts) => {
    const { prog } = guest(function* (g) {
      g.rdtscTo(0);
      g.regAdd(0, 0, 600_000);
      yield g.wrmsrTscDeadline(0);
      for (const v of lvtts) yield g.writeApic(APIC_LVTT, v);
      g.regAdd(0, 0, 300_000);
      yield g.wrmsrTscDeadline(0); // later than the old armed value, yet it traps
      yield g.compute(1_000_000);
    });
    expect(run(lazy, [prog]).sinks[0]!.msrWrite).toBe(2);
  });
});
