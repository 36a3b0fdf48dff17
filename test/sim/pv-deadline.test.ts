// The PV nanosecond deadline MSR (Radim Krcmar's 2016 proposal, seed 003; scenario S21)
// and live migration to a host with another TSC rate.

import { describe, expect, test } from "vitest";
import { run, scenario } from "./harness.js";
import { Exit, type GuestCtx, type GuestGenerator, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVTT, LVTT_TSCDEADLINE } from "../../src/sim/apic-regs.js";

const pv = scenario({ kvm: { pvDeadline: true } });

function guest(body: (g: GuestCtx, irqs: { count: number; kvmclock: bigint[] }) => GuestGenerator): { prog: GuestProgram; irqs: { count: number; kvmclock: bigint[] } } {
  const irqs = { count: 0, kvmclock: [] as bigint[] };
  return {
    irqs,
    prog: {
      *main(g) {
        yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
        yield* body(g, irqs);
        yield Exit.Done;
      },
      *interrupt(g) {
        irqs.count++;
        g.kvmclockTo(7);
        irqs.kvmclock.push(g.reg(7));
        yield g.eoi();
      },
    },
  };
}

describe("semantics: IA32_TSC_DEADLINE's, in kvmclock ns", () => {
  test("fires when kvmclock reaches the value", () => {
    const { prog, irqs } = guest(function* (g) {
      g.kvmclockTo(0);
      g.regAdd(0, 0, 100_000);
      yield g.wrmsrPvDeadline(0);
      yield g.compute(1_000_000);
    });
    run(pv, [prog]);
    expect(irqs.count).toBe(1);
    // Fired at the value plus the host's delays (hrtimer 1 µs, wake-up, entry, dispatch; advance tuned).
    const target = 100_000n + 800n; // the write happened after the LVTT write exit (800 ns)
    expect(irqs.kvmclock[0]! >= target - 5_000n && irqs.kvmclock[0]! <= target + 5_000n).toBe(true);
  });

  test("reads what was written; the other MSR reads 0 (cross-read option (a)); both read 0 once it fired", () => {
    const seen: Record<string, bigint> = {};
    const { prog } = guest(function* (g) {
      g.kvmclockTo(0);
      g.regAdd(0, 0, 200_000);
      yield g.wrmsrPvDeadline(0);
      g.rdmsrPvDeadlineTo(1);
      g.rdmsrTscDeadlineTo(2);
      seen.pv = g.reg(1) - g.reg(0);
      seen.tsc = g.reg(2);
      yield g.compute(1_000_000);
      g.rdmsrPvDeadlineTo(1);
      seen.pvAfter = g.reg(1);
    });
    run(pv, [prog]);
    expect(seen).toEqual({ pv: 0n, tsc: 0n, pvAfter: 0n });
  });

  test("a non-zero write to one MSR disarms the other; 0 disarms", () => {
    const seen: Record<string, bigint> = {};
    const { prog, irqs } = guest(function* (g) {
      g.kvmclockTo(0);
      g.regAdd(0, 0, 200_000);
      yield g.wrmsrPvDeadline(0);
      g.rdtscTo(1);
      g.regAdd(1, 1, 3_000_000); // 1 ms of a 3 GHz guest
      yield g.wrmsrTscDeadline(1);
      g.rdmsrPvDeadlineTo(2);
      seen.pvAfterTscWrite = g.reg(2);
      g.regSet(3, 0);
      yield g.wrmsrTscDeadline(3); // disarm
      yield g.compute(2_000_000);
    });
    run(pv, [prog]);
    expect(seen.pvAfterTscWrite).toBe(0n);
    expect(irqs.count).toBe(0);
  });

  test("without kvm.pvDeadline the MSR does nothing", () => {
    const { prog, irqs } = guest(function* (g) {
      g.kvmclockTo(0);
      g.regAdd(0, 0, 100_000);
      yield g.wrmsrPvDeadline(0);
      yield g.compute(1_000_000);
    });
    run(scenario(), [prog]);
    expect(irqs.count).toBe(0);
  });
});

describe("its point: migrating to a host with twice the TSC rate (S21)", () => {
  // A guest booted on a 3 GHz host paces itself every 1 ms; at 50 ms it lands on a 6 GHz
  // host without TSC scaling. Its TSC-deadline math still uses 3 GHz.
  const migrating = scenario({ kvm: { pvDeadline: true, hvTimer: false }, vm: { migrations: [{ atNs: 50_000_000, tscKhz: 6_000_000 }] }, durationNs: 120_000_000 });

  const pacer = (useNs: boolean) =>
    guest(function* (g, irqs) {
      for (let i = 0; i < 100; i++) {
        const before = irqs.count;
        if (useNs) {
          g.kvmclockTo(0);
          g.regAdd(0, 0, 1_000_000);
          yield g.wrmsrPvDeadline(0);
        } else {
          g.rdtscTo(0);
          g.regAdd(0, 0, Math.floor((1_000_000 * g.tscKhz) / 1e6)); // boot calibration
          yield g.wrmsrTscDeadline(0);
        }
        while (irqs.count === before) yield g.hlt();
      }
    });
  const intervalsAfter = (kvmclock: bigint[]): number[] =>
    kvmclock.slice(1).map((t, i) => Number(t - kvmclock[i]!)).filter((_, i) => Number(kvmclock[i]!) > 55_000_000);

  test("through the ns MSR the deadlines stay correct", () => {
    const { prog, irqs } = pacer(true);
    run(migrating, [prog]);
    const after = intervalsAfter(irqs.kvmclock);
    expect(after.length).toBeGreaterThan(10);
    for (const d of after) expect(Math.abs(d - 1_000_000)).toBeLessThan(20_000);
  });

  test("through a TSC deadline from the stale calibration they come twice as often", () => {
    const { prog, irqs } = pacer(false);
    run(migrating, [prog]);
    const after = intervalsAfter(irqs.kvmclock);
    expect(after.length).toBeGreaterThan(10);
    for (const d of after) expect(Math.abs(d - 500_000)).toBeLessThan(20_000);
  });

  test("a deadline armed before the migration is re-armed the way it was armed", () => {
    const fired = (useNs: boolean): bigint => {
      const { prog, irqs } = guest(function* (g) {
        yield g.compute(45_000_000);
        if (useNs) {
          g.kvmclockTo(0);
          g.regAdd(0, 0, 10_000_000);
          yield g.wrmsrPvDeadline(0);
        } else {
          g.rdtscTo(0);
          g.regAdd(0, 0, 10_000 * 3000); // 10 ms at the 3 GHz calibration (3000 cycles/µs)
          yield g.wrmsrTscDeadline(0);
        }
        yield g.compute(30_000_000);
      });
      run(migrating, [prog]);
      return irqs.kvmclock[0]!;
    };
    // Armed at ~45 ms for 10 ms. PV: ~55 ms. TSC: 5 ms of 3 GHz cycles left at 50 ms run
    // at 6 GHz: ~52.5 ms.
    expect(Number(fired(true)) / 1e6).toBeCloseTo(55, 1);
    expect(Number(fired(false)) / 1e6).toBeCloseTo(52.5, 1);
  });
});
