// LAPIC timer arithmetic (spec §4, §11): differential properties and the §9 golden
// tables (TDCR, tmict_to_ns + periodic floor, TMCCT, start_sw_tscdeadline, periodic re-arm).

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import * as ref from "./reference/index.js";
import { S64_MAX, S64_MIN, U32_MAX, U64_MAX, khz, ktime, realisticKhz, s64, u32, u64 } from "./arbitraries.js";
import { runs, same } from "./helpers.js";

const impls = [
  ["wasm API", api],
  ["reference", ref],
] as const;

const busCycleNs = fc.oneof(fc.constantFrom(1, 2, 40, 33554431, 33554432), fc.integer({ min: 1, max: 33554432 }), fc.integer({ min: 1, max: 100 }));
const tdcr = fc.oneof(fc.integer({ min: 0, max: 15 }), u32);
const tmict = fc.oneof(fc.constantFrom(0, 1, 100, 0x10000, 0x999999, U32_MAX), u32);

describe("tdcrDivide (divide_count, §4.1)", () => {
  test("equals the reference for 100k TDCR values", () => {
    fc.assert(fc.property(tdcr, (t) => same(api.tdcrDivide(t), ref.tdcrDivide(t))), runs);
  });

  // §9 "TDCR -> divide_count"
  const table: [number, number][] = [
    [0x0, 2], [0x1, 4], [0x2, 8], [0x3, 16], [0x4, 2], [0x5, 4], [0x6, 8], [0x7, 16],
    [0x8, 32], [0x9, 64], [0xa, 128], [0xb, 1], [0xc, 32], [0xd, 64], [0xe, 128], [0xf, 1],
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("TDCR %i -> divide by %i", (t, divide) => {
      expect(impl.tdcrDivide(t)).toBe(divide);
      expect(impl.tdcrDivide((t | 0xfffffff0) >>> 0)).toBe(divide); // bits above 3 do not matter
    });
  });
});

describe("tmictToNs / applyPeriodicFloor (tmict_to_ns, min_timer_period_us, §4.1)", () => {
  test("tmictToNs equals the reference for 100k inputs", () => {
    fc.assert(fc.property(tmict, tdcr, busCycleNs, (m, t, b) => same(api.tmictToNs(m, t, b), ref.tmictToNs(m, t, b))), runs);
  });

  test("applyPeriodicFloor equals the reference for 100k inputs", () => {
    const minUs = fc.oneof(fc.constant(200), fc.constantFrom(0, 1, U32_MAX), u32);
    fc.assert(fc.property(s64, minUs, (p, m) => same(api.applyPeriodicFloor(p, m), ref.applyPeriodicFloor(p, m))), runs);
  });

  // §9 "tmict_to_ns / TMCCT": [tmict, tdcr, bus ns, period ns, after the periodic floor]
  const table: [number, number, number, bigint, bigint][] = [
    [0x10000, 0xb, 1, 65536n, 200000n],
    [0x999999, 0x0, 1, 20132658n, 20132658n],
    [0xffffffff, 0xa, 1, 549755813760n, 549755813760n],
    [0xffffffff, 0x0, 40, 343597383600n, 343597383600n],
    [0x64, 0xb, 1, 100n, 200000n],
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("tmict=%i tdcr=%i bus_ns=%i: period %s ns, periodic %s ns", (m, t, b, period, floored) => {
      expect(impl.tmictToNs(m, t, b)).toBe(period);
      expect(impl.applyPeriodicFloor(period)).toBe(floored);
      expect(impl.applyPeriodicFloor(period, 200)).toBe(floored);
    });

    test("kvm-unit-tests 'apic change mode' TMICT 0x999999: 10066329 ns at /1, 20132658 ns at /2 (§8.2)", () => {
      expect(impl.tmictToNs(0x999999, 0xb, 1)).toBe(10066329n);
      expect(impl.tmictToNs(0x999999, 0x0, 1)).toBe(20132658n);
    });

    test("the largest bus cycle, 33554432 ns, keeps (2^32-1)*128*ns within u64 (§4.1)", () => {
      expect(impl.tmictToNs(U32_MAX, 0xa, 33554432)).toBe(0xffffffffn * 128n * 33554432n);
      expect(impl.tmictToNs(U32_MAX, 0xa, 33554432)).toBeLessThanOrEqual(U64_MAX);
      expect(0xffffffffn * 128n * 33554433n).toBeGreaterThan(U64_MAX);
    });

    test("the floor is a signed compare: negative periods are raised too (§11 huge periods)", () => {
      expect(impl.applyPeriodicFloor(-1n)).toBe(200000n);
      expect(impl.applyPeriodicFloor(S64_MIN)).toBe(200000n);
      expect(impl.applyPeriodicFloor(199999n)).toBe(200000n);
      expect(impl.applyPeriodicFloor(200001n)).toBe(200001n);
      expect(impl.applyPeriodicFloor(100n, 0)).toBe(100n);
    });
  });

  test("MAX_APIC_BUS_CYCLE_NS = 33554432 and one more is rejected", () => {
    expect(api.MAX_APIC_BUS_CYCLE_NS).toBe(33554432);
    expect(api.DEFAULT_MIN_TIMER_PERIOD_US).toBe(200);
    expect(() => api.tmictToNs(1, 0, 33554433)).toThrow(api.InputRangeError);
    expect(() => api.tmictToNs(1, 0, 33554433)).toThrow(/busCycleNs = 33554433/);
    expect(() => api.tmictToNs(1, 0, 0)).toThrow(/busCycleNs = 0/);
  });
});

describe("tmcct (apic_get_tmcct, §4.6, §11)", () => {
  /** Realistic: a running timer with now within a few periods of the target. */
  const realistic = fc
    .tuple(tmict, fc.integer({ min: 0, max: 15 }), fc.constantFrom(1, 40), fc.boolean(), fc.bigInt({ min: 0n, max: 1n << 50n }), fc.bigInt({ min: -3n << 20n, max: 3n << 20n }), fc.double({ min: -0.5, max: 2.5, noNaN: true }))
    .map(([m, t, b, periodic, now, jitter, frac]) => {
      const raw = ref.tmictToNs(m, t, b);
      const periodNs = periodic ? ref.applyPeriodicFloor(raw) : raw;
      const targetNs = now + BigInt(Math.trunc(Number(periodNs) * frac)) + jitter;
      return { tmict: m, periodNs, targetNs, nowNs: now, busCycleNs: b, tdcr: t };
    });
  /** Random: any s64 period/target/now (negative periods included, §11). */
  const random = fc.record({ tmict, periodNs: s64, targetNs: ktime, nowNs: ktime, busCycleNs, tdcr });

  test("equals the reference for 50k realistic running timers", () => {
    fc.assert(fc.property(realistic, (input) => same(api.tmcct(input), ref.tmcct(input))), { numRuns: 50_000 });
  });
  test("equals the reference for 50k random s64 inputs", () => {
    fc.assert(fc.property(random, (input) => same(api.tmcct(input), ref.tmcct(input))), { numRuns: 50_000 });
  });

  // §9 "TMCCT": TMICT 0x999999, TDCR 0 (/2), bus 1 ns, period 20132658 ns; [remaining, TMCCT]
  const table: [bigint, number][] = [
    [20132658n, 0],
    [20132657n, 10066328],
    [10066329n, 5033164],
    [1n, 0],
    [0n, 0],
    [-5n, 0],
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("period=20132658 remaining=%s -> %i", (remaining, expected) => {
      for (const nowNs of [0n, 1_000_000_000n, 1n << 62n]) {
        const input = { tmict: 0x999999, periodNs: 20132658n, targetNs: nowNs + remaining, nowNs, busCycleNs: 1, tdcr: 0 };
        expect(impl.tmcct(input)).toBe(expected);
      }
    });

    test("periodic TMICT=100, /1: period clamped to 200000 ns, TMCCT 150000 > TMICT (§4.6, §9)", () => {
      const period = impl.applyPeriodicFloor(impl.tmictToNs(100, 0xb, 1));
      expect(period).toBe(200000n);
      expect(impl.tmcct({ tmict: 100, periodNs: period, targetNs: 150000n, nowNs: 0n, busCycleNs: 1, tdcr: 0xb })).toBe(150000);
      expect(impl.tmcct({ tmict: 100, periodNs: period, targetNs: 199999n, nowNs: 0n, busCycleNs: 1, tdcr: 0xb })).toBe(199999);
    });

    test("TMICT 0 or period 0 read 0; one-shot after injection (target 0) reads 0", () => {
      expect(impl.tmcct({ tmict: 0, periodNs: 1000n, targetNs: 500n, nowNs: 0n, busCycleNs: 1, tdcr: 0xb })).toBe(0);
      expect(impl.tmcct({ tmict: 10, periodNs: 0n, targetNs: 500n, nowNs: 0n, busCycleNs: 1, tdcr: 0xb })).toBe(0);
      expect(impl.tmcct({ tmict: 10, periodNs: 1000n, targetNs: 0n, nowNs: 5_000_000n, busCycleNs: 1, tdcr: 0xb })).toBe(0);
    });

    test("target - now wraps as s64 (§11): a target far ahead of a very negative now reads 0", () => {
      // S64_MAX - (-2) wraps to S64_MIN + 1 < 0 -> clamped to 0
      expect(impl.tmcct({ tmict: 10, periodNs: 1000n, targetNs: S64_MAX, nowNs: -2n, busCycleNs: 1, tdcr: 0xb })).toBe(0);
      expect(impl.tmcct({ tmict: 10, periodNs: 1000n, targetNs: S64_MAX, nowNs: 0n, busCycleNs: 1, tdcr: 0xb })).toBe(Number(S64_MAX % 1000n));
    });
  });
});

describe("startSwTscdeadline (start_sw_tscdeadline, §4.4, §11)", () => {
  const advanceNs = fc.oneof(fc.constantFrom(0, 1000, 5000), fc.integer({ min: 0, max: 10000 }), u32);
  const swKhz = fc.oneof({ arbitrary: khz, weight: 9 }, { arbitrary: fc.constant(0), weight: 1 });
  const checkAdvance = fc.constantFrom(true, false, undefined);
  const realistic = fc
    .tuple(u64, fc.oneof(fc.bigInt({ min: -100_000n, max: 100_000n }), fc.bigInt({ min: -(1n << 46n), max: 1n << 46n })), swKhz, advanceNs, ktime, checkAdvance)
    .map(([guestTsc, d, tscKhz, adv, nowNs, chk]) => ({ deadlineTsc: BigInt.asUintN(64, guestTsc + d), guestTsc, tscKhz, advanceNs: adv, nowNs, checkAdvance: chk }));
  const random = fc
    .tuple(u64, u64, swKhz, advanceNs, ktime, checkAdvance)
    .map(([deadlineTsc, guestTsc, tscKhz, adv, nowNs, chk]) => ({ deadlineTsc, guestTsc, tscKhz, advanceNs: adv, nowNs, checkAdvance: chk }));

  test("equals the reference for 50k realistic deadlines (near the guest TSC)", () => {
    fc.assert(fc.property(realistic, (input) => same(api.startSwTscdeadline(input), ref.startSwTscdeadline(input))), { numRuns: 50_000 });
  });
  test("equals the reference for 50k random u64 deadlines and s64 clocks", () => {
    fc.assert(fc.property(random, (input) => same(api.startSwTscdeadline(input), ref.startSwTscdeadline(input))), { numRuns: 50_000 });
  });

  // §9 "start_sw_tscdeadline (guest 2,100,000 kHz, advance 1000ns)": [deadline - guest TSC, hrtimer expiry - now | "expire"]
  const table: [bigint, bigint | "expire"][] = [
    [0n, "expire"],
    [2100n, "expire"],
    [2101n, "expire"],
    [2102n, "expire"],
    [2103n, 1n],
    [21000n, 9000n],
    [2100000n, 999000n],
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("deadline - guest_tsc = %s -> %s", (diff, after) => {
      const guestTsc = 10n ** 12n;
      const nowNs = 5_000_000_000n;
      const decision = impl.startSwTscdeadline({ deadlineTsc: guestTsc + diff, guestTsc, tscKhz: 2_100_000, advanceNs: 1000, nowNs });
      expect(decision).toEqual(after === "expire" ? { kind: "expire-now" } : { kind: "armed", expiryNs: nowNs + after });
    });

    test("the 3 h deadline wraps to 2015.8 s (§3.3, §9 extra edge cases)", () => {
      const decision = impl.startSwTscdeadline({ deadlineTsc: 22680000000000n + 7n, guestTsc: 7n, tscKhz: 2_100_000, advanceNs: 1000, nowNs: 0n });
      expect(decision).toEqual({ kind: "armed", expiryNs: 2015836155376n - 1000n });
    });

    test("tscdeadline 0 or virtual_tsc_khz 0 arms nothing (never fires)", () => {
      expect(impl.startSwTscdeadline({ deadlineTsc: 0n, guestTsc: 0n, tscKhz: 2_100_000, advanceNs: 1000, nowNs: 0n })).toEqual({ kind: "not-armed" });
      expect(impl.startSwTscdeadline({ deadlineTsc: 1n << 40n, guestTsc: 0n, tscKhz: 0, advanceNs: 1000, nowNs: 0n })).toEqual({ kind: "not-armed" });
    });

    test("before v5.1 (no ns > advance guard) short deadlines are armed in the past", () => {
      const input = { deadlineTsc: 2100n, guestTsc: 0n, tscKhz: 2_100_000, advanceNs: 1000, nowNs: 100n, checkAdvance: false };
      expect(impl.startSwTscdeadline(input)).toEqual({ kind: "armed", expiryNs: 100n });
      expect(impl.startSwTscdeadline({ ...input, deadlineTsc: 21n })).toEqual({ kind: "armed", expiryNs: 100n + 10n - 1000n });
      expect(impl.startSwTscdeadline({ ...input, deadlineTsc: 21n, checkAdvance: true })).toEqual({ kind: "expire-now" });
      expect(impl.startSwTscdeadline({ ...input, guestTsc: 2100n })).toEqual({ kind: "expire-now" }); // deadline == guest TSC
    });

    test("a deadline behind the guest TSC expires at once even though its u64 ns is huge", () => {
      expect(impl.startSwTscdeadline({ deadlineTsc: 1000n, guestTsc: 2000n, tscKhz: 2_100_000, advanceNs: 1000, nowNs: 0n })).toEqual({ kind: "expire-now" });
    });

    test("the hrtimer expiry wraps as s64 ktime (§11)", () => {
      const nowNs = S64_MAX - 1000n;
      const decision = impl.startSwTscdeadline({ deadlineTsc: 2100000n, guestTsc: 0n, tscKhz: 2_100_000, advanceNs: 1000, nowNs });
      expect(decision).toEqual({ kind: "armed", expiryNs: S64_MIN + 1_000_000n - 2001n });
    });
  });
});

describe("advancePeriodicTarget (advance_periodic_target_expiration, §4.5)", () => {
  const variant = fc.constantFrom("wrap" as const, "skip-negative" as const, "clamp" as const);
  const realistic = fc
    .tuple(fc.bigInt({ min: 0n, max: 1n << 50n }), fc.bigInt({ min: 200_000n, max: 10_000_000_000n }), fc.bigInt({ min: -(1n << 34n), max: 1n << 34n }), u64, realisticKhz, variant)
    .map(([targetNs, periodNs, lateness, guestTsc, tscKhz, v]) => ({ targetNs, periodNs, nowNs: targetNs + lateness, guestTsc, tscKhz, variant: v }));
  const random = fc.record({ targetNs: ktime, periodNs: s64, nowNs: ktime, guestTsc: u64, tscKhz: khz, variant });

  test("equals the reference for 50k realistic re-arms (all three variants)", () => {
    fc.assert(fc.property(realistic, (input) => same(api.advancePeriodicTarget(input), ref.advancePeriodicTarget(input))), { numRuns: 50_000 });
  });
  test("equals the reference for 50k random s64 inputs (all three variants)", () => {
    fc.assert(fc.property(random, (input) => same(api.advancePeriodicTarget(input), ref.advancePeriodicTarget(input))), { numRuns: 50_000 });
  });

  // §4.5 / §9 "periodic re-arm": 3 GHz guest, period 1 ms, guest TSC 10^12.
  const base = { periodNs: 1_000_000n, guestTsc: 10n ** 12n, tscKhz: 3_000_000 };
  describe.each(impls)("%s", (_name, impl) => {
    test.each(["wrap", "skip-negative", "clamp"] as const)("on time (%s): next target 11000000, delta 999800 ns", (v) => {
      const r = impl.advancePeriodicTarget({ ...base, targetNs: 10_000_000n, nowNs: 10_000_200n, variant: v });
      expect(r).toEqual({ targetNs: 11_000_000n, deadlineTsc: 10n ** 12n + 2_999_400n });
    });

    test("after a 5 s pause, mainline clamps the target to now: tscdeadline = guest TSC", () => {
      const r = impl.advancePeriodicTarget({ ...base, targetNs: 10_000_000n, nowNs: 5_010_000_000n, variant: "clamp" });
      expect(r).toEqual({ targetNs: 5_010_000_000n, deadlineTsc: 10n ** 12n });
    });

    test("after a 5 s pause, pre-fix kernels compute tscdeadline 0xc00000e556c100c0", () => {
      const r = impl.advancePeriodicTarget({ ...base, targetNs: 10_000_000n, nowNs: 5_010_000_000n, variant: "wrap" });
      expect(r).toEqual({ targetNs: 11_000_000n, deadlineTsc: 0xc00000e556c100c0n });
      expect(BigInt.asIntN(64, r.deadlineTsc)).toBe(-4611685033424387904n);
      expect(r.deadlineTsc).toBe(13835059040285163712n);
    });

    test("after a 5 s pause, the unmerged v2 keeps tscdeadline = guest TSC but not the target", () => {
      const r = impl.advancePeriodicTarget({ ...base, targetNs: 10_000_000n, nowNs: 5_010_000_000n, variant: "skip-negative" });
      expect(r).toEqual({ targetNs: 11_000_000n, deadlineTsc: 10n ** 12n });
    });
  });

  test("an unknown variant is rejected", () => {
    expect(() => api.advancePeriodicTarget({ ...base, targetNs: 0n, nowNs: 0n, variant: "bogus" as never })).toThrow(api.InputRangeError);
    expect(() => api.advancePeriodicTarget({ ...base, targetNs: 0n, nowNs: 0n, variant: "bogus" as never })).toThrow(/variant = "bogus"/);
  });
});
