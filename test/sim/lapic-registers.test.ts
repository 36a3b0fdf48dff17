// LAPIC timer register semantics (spec §4.3, §4.4, §4.6) through guest programs.

import { describe, expect, test } from "vitest";
import { run, scenario } from "./harness.js";
import { Exit, type GuestCtx, type GuestGenerator, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVT_MASKED, APIC_LVTT, APIC_SPIV, APIC_TDCR, APIC_TMCCT, APIC_TMICT, LVTT_PERIODIC, LVTT_TSCDEADLINE } from "../../src/sim/apic-regs.js";

function guest(body: (g: GuestCtx, irqs: { count: number; tsc: bigint[] }) => GuestGenerator): { prog: GuestProgram; irqs: { count: number; tsc: bigint[] } } {
  const irqs = { count: 0, tsc: [] as bigint[] };
  return {
    irqs,
    prog: {
      main: (g) => body(g, irqs),
      *interrupt(g) {
        irqs.count++;
        irqs.tsc.push(g.rdtsc());
        yield g.eoi();
      },
    },
  };
}

describe.each([true, false])("register semantics (hv timer %s)", (hvTimer) => {
  test("entering TSC-deadline mode clears TMICT and stops the count; TMICT writes are then ignored", () => {
    const seen: Record<string, number> = {};
    const { prog, irqs } = guest(function* (g) {
      yield g.writeApic(APIC_TDCR, 0xb);
      yield g.writeApic(APIC_LVTT, 0xec);
      yield g.writeApic(APIC_TMICT, 100_000);
      yield g.compute(10_000);
      seen.tmcctBefore = g.readApic(APIC_TMCCT);
      yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xec);
      seen.tmict = g.readApic(APIC_TMICT);
      seen.tmcct = g.readApic(APIC_TMCCT);
      yield g.writeApic(APIC_TMICT, 5000);
      seen.tmictIgnored = g.readApic(APIC_TMICT);
      yield g.compute(500_000);
      yield Exit.Done;
    });
    run(scenario({ kvm: { hvTimer } }), [prog]);
    expect(seen.tmcctBefore).toBeGreaterThan(0);
    expect(seen).toMatchObject({ tmict: 0, tmcct: 0, tmictIgnored: 0 });
    expect(irqs.count).toBe(0);
  });

  test("leaving TSC-deadline mode clears the armed deadline (no interrupt, MSR reads 0 back in mode 2)", () => {
    let msr = -1n;
    const { prog, irqs } = guest(function* (g) {
      yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
      g.rdtscTo(0);
      g.regAdd(0, 0, 300_000);
      yield g.wrmsrTscDeadline(0);
      yield g.writeApic(APIC_LVTT, 0xef);
      yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
      g.rdmsrTscDeadlineTo(1);
      msr = g.reg(1);
      yield g.compute(1_000_000);
      yield Exit.Done;
    });
    run(scenario({ kvm: { hvTimer } }), [prog]);
    expect(msr).toBe(0n);
    expect(irqs.count).toBe(0);
  });

  test("one-shot <-> periodic keeps the running count", () => {
    const seen: number[] = [];
    const { prog } = guest(function* (g) {
      yield g.writeApic(APIC_TDCR, 0xb);
      yield g.writeApic(APIC_LVTT, APIC_LVT_MASKED | 0xec);
      yield g.writeApic(APIC_TMICT, 1_000_000);
      yield g.compute(300_000);
      seen.push(g.readApic(APIC_TMCCT));
      yield g.writeApic(APIC_LVTT, APIC_LVT_MASKED | LVTT_PERIODIC | 0xec);
      seen.push(g.readApic(APIC_TMCCT));
      yield Exit.Done;
    });
    run(scenario({ kvm: { hvTimer } }), [prog]);
    // The LVTT write exit costs 800 ns of bus cycles at 1 ns each: the count went on.
    expect(seen[0]).toBeLessThan(700_000);
    expect(seen[1]).toBeLessThan(seen[0]!);
    expect(seen[0]! - seen[1]!).toBeLessThan(2_000);
  });

  test("a TDCR change while running rescales the remaining time (floor(rem * new / old))", () => {
    const seen: number[] = [];
    let start = 0n;
    const { prog, irqs } = guest(function* (g) {
      yield g.writeApic(APIC_TDCR, 0xb); // ÷1
      yield g.writeApic(APIC_LVTT, 0xec);
      start = g.rdtsc();
      yield g.writeApic(APIC_TMICT, 1_000_000); // 1 ms
      yield g.compute(250_000);
      yield g.writeApic(APIC_TDCR, 0x0); // ÷2: the remaining ~749 µs becomes ~1.5 ms
      seen.push(g.readApic(APIC_TMCCT));
      while (irqs.count === 0) yield g.compute(1000);
      yield Exit.Done;
    });
    run(scenario({ kvm: { hvTimer } }), [prog]);
    // TMCCT counts remaining / (bus 1 ns * divide 2): about 749 µs of bus cycles.
    expect(seen[0]).toBeGreaterThan(740_000);
    expect(seen[0]).toBeLessThan(750_000);
    // Fired ~0.25 ms + ~1.5 ms after the TMICT write (3 GHz guest: 3000 cycles per µs).
    const firedAfterUs = Number(irqs.tsc[0]! - start) / 3000;
    expect(firedAfterUs).toBeGreaterThan(1740);
    expect(firedAfterUs).toBeLessThan(1760);
    expect(irqs.count).toBe(1);
  });

  test("clearing SPIV's enable bit masks LVTT", () => {
    let lvtt = 0;
    const { prog, irqs } = guest(function* (g) {
      yield g.writeApic(APIC_LVTT, 0xec);
      yield g.writeApic(APIC_TMICT, 100_000);
      yield g.writeApic(APIC_SPIV, 0xff);
      lvtt = g.readApic(APIC_LVTT);
      yield g.compute(500_000);
      yield Exit.Done;
    });
    run(scenario({ kvm: { hvTimer } }), [prog]);
    expect(lvtt & APIC_LVT_MASKED).toBe(APIC_LVT_MASKED);
    expect(irqs.count).toBe(0);
  });

  test("periodic floor: TMICT 100 at ÷1 gives a 200 µs period and TMCCT above TMICT", () => {
    let max = 0;
    const { prog, irqs } = guest(function* (g) {
      yield g.writeApic(APIC_TDCR, 0xb);
      yield g.writeApic(APIC_LVTT, LVTT_PERIODIC | 0xec);
      yield g.writeApic(APIC_TMICT, 100);
      for (let i = 0; i < 200; i++) {
        max = Math.max(max, g.readApic(APIC_TMCCT));
        yield g.compute(5_000);
      }
      yield Exit.Done;
    });
    run(scenario({ kvm: { hvTimer } }), [prog]);
    expect(max).toBeGreaterThan(100);
    expect(max).toBeLessThan(200_000);
    // ~1 ms of guest time at a 200 µs period: about 5 interrupts, not 10,000.
    expect(irqs.count).toBeGreaterThanOrEqual(4);
    expect(irqs.count).toBeLessThanOrEqual(7);
  });
});
