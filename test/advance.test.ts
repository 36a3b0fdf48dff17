// Timer advancement, its tuners and the busy-wait (spec §1.7, §5): differential
// properties and the §5.4 / §9 golden sequences and busy-wait lengths.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import * as ref from "./reference/index.js";
import { U32_MAX, khz, realisticKhz, s64, u32, u64 } from "./arbitraries.js";
import { runs, same } from "./helpers.js";

const impls = [
  ["wasm API", api],
  ["reference", ref],
] as const;

/** timer_advance_ns: realistic values around the 1000/5000 constants and any u32. */
const advanceNs = fc.oneof(
  fc.constantFrom(0, 1, 100, 1000, 4990, 5000, 5001, U32_MAX, U32_MAX - 1),
  fc.integer({ min: 0, max: 6000 }),
  u32,
);
/** G - D in guest cycles: around the 100/10000 filter edges, realistic, and any s64. */
const deltaCycles = fc.oneof(
  fc.constantFrom(0n, 99n, -99n, 100n, -100n, 10000n, -10000n, 10001n, -10001n),
  fc.bigInt({ min: -20_000n, max: 20_000n }),
  s64,
);

describe("adjustTimerAdvance (adjust_lapic_timer_advance, v5.4+, §5.4)", () => {
  test("equals the reference for 100k (advance, delta, kHz) inputs", () => {
    fc.assert(fc.property(advanceNs, deltaCycles, khz, (a, d, k) => same(api.adjustTimerAdvance(a, d, k), ref.adjustTimerAdvance(a, d, k))), runs);
  });

  test("TIMER_ADVANCE constants (§5.1)", () => {
    expect(api.TIMER_ADVANCE).toEqual({ adjustMinCycles: 100, adjustMaxCycles: 10000, initNs: 1000, maxNs: 5000, adjustStep: 8 });
  });

  // §5.4 / §9 "adaptive advance (guest 3,000,000 kHz)": [advance, delta cycles, next advance]
  const table: [number, bigint, number][] = [
    [1000, -50n, 1000],
    [1000, 99n, 1000],
    [1000, 100n, 1004],
    [1004, 3000n, 1129],
    [1129, -3000n, 1004],
    [1004, 10000n, 1420],
    [1420, 10001n, 1420],
    [1420, -9000n, 1045],
    [1045, 50000n, 1045],
    [4990, 9000n, 1000], // 5365 > 5000: overshoot reset
    [100, -9000n, 1000], // u32 wrap below 0, then reset
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("advance=%i delta=%s -> %i", (a, d, expected) => {
      expect(impl.adjustTimerAdvance(a, d, 3_000_000)).toBe(expected);
    });

    test("S64_MIN is filtered like any huge delta (C abs() keeps it negative)", () => {
      expect(impl.adjustTimerAdvance(1000, -(1n << 63n), 3_000_000)).toBe(1000);
      expect(impl.adjustTimerAdvance(1000, (1n << 63n) - 1n, 3_000_000)).toBe(1000);
    });

    test("the golden sequence chains from 1000", () => {
      let a = 1000;
      const seen = [-50n, 99n, 100n, 3000n, -3000n, 10000n, 10001n, -9000n, 50000n].map((d) => (a = impl.adjustTimerAdvance(a, d, 3_000_000)));
      expect(seen).toEqual([1000, 1000, 1004, 1129, 1004, 1420, 1420, 1045, 1045]);
    });

    test("20 consecutive events late by 3000 cycles climb by 125 ns each", () => {
      let a = 1000;
      const climb = Array.from({ length: 20 }, () => (a = impl.adjustTimerAdvance(a, 3000n, 3_000_000)));
      expect(climb).toEqual([1125, 1250, 1375, 1500, 1625, 1750, 1875, 2000, 2125, 2250, 2375, 2500, 2625, 2750, 2875, 3000, 3125, 3250, 3375, 3500]);
    });
  });
});

describe("adjustTimerAdvanceLegacy (pre-v5.4 tuner, §5.2)", () => {
  const era = fc.constantFrom("v4.20" as const, "v5.1" as const);
  test("equals the reference for 100k (advance, delta, kHz, era) inputs", () => {
    fc.assert(
      fc.property(advanceNs, deltaCycles, khz, era, (a, d, k, e) => same(api.adjustTimerAdvanceLegacy(a, d, k, e), ref.adjustTimerAdvanceLegacy(a, d, k, e))),
      runs,
    );
  });

  // Worked at 3 GHz: ns = |delta| / 3, step = min(u32(ns), advance / 8).
  const table: [number, bigint, "v4.20" | "v5.1", number, boolean][] = [
    [1000, 3000n, "v4.20", 1125, false], // late 1000 ns, capped at 1000/8
    [1000, 3000n, "v5.1", 1125, false],
    [1000, -300n, "v4.20", 900, false], // early 100 ns, not capped (125)
    [1000, -50n, "v4.20", 984, true], // |delta| < 100: the last step, then done
    [1000, 99n, "v5.1", 1033, true],
    [4990, 9000n, "v4.20", 5613, false], // unbounded before v5.1
    [4990, 9000n, "v5.1", 0, true], // v5.1 "haywire": disabled and done
    [100, -9000n, "v4.20", 88, false], // the step is capped by advance/8, so no wrap
    [1000, 0n, "v4.20", 1000, true],
    [1000, -(1n << 63n), "v4.20", 1000, true], // u64(2^63 * 10^6) = 0 ns; C abs(S64_MIN) < 100 -> done
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("advance=%i delta=%s era %s -> %i (done %s)", (a, d, e, next, done) => {
      expect(impl.adjustTimerAdvanceLegacy(a, d, 3_000_000, e)).toEqual({ advanceNs: next, done });
    });
  });

  test("an unknown era is rejected", () => {
    expect(() => api.adjustTimerAdvanceLegacy(1000, 0n, 3_000_000, "v3.0" as never)).toThrow(api.InputRangeError);
    expect(() => api.adjustTimerAdvanceLegacy(1000, 0n, 3_000_000, "v3.0" as never)).toThrow(/era = "v3.0"/);
  });
});

const hz = fc.oneof(fc.constantFrom(100, 250, 300, 1000, 4, 100000), fc.integer({ min: 4, max: 100000 }));

describe("ndelayLoops (ndelay -> __const_udelay -> __delay, §1.7)", () => {
  test("equals the reference for 100k (ns, host kHz, HZ) inputs", () => {
    const ns = fc.oneof(fc.integer({ min: 0, max: 10_000 }), u32);
    fc.assert(fc.property(ns, khz, fc.oneof(fc.constant(1000), hz), (n, k, h) => same(api.ndelayLoops(n, k, h), ref.ndelayLoops(n, k, h))), runs);
  });

  describe.each(impls)("%s", (_name, impl) => {
    test("ndelay(1000) at 3 GHz waits 3493 cycles (~16.4 % more than 3000)", () => {
      expect(impl.ndelayLoops(1000, 3_000_000)).toBe(3493n);
      expect(impl.ndelayLoops(1000, 3_000_000, 1000)).toBe(3493n);
      expect(impl.ndelayLoops(238, 3_000_000)).toBe(832n);
      expect(impl.ndelayLoops(0, 3_000_000)).toBe(1n); // __delay(++xloops)
    });
  });
});

describe("busyWaitLength (__wait_lapic_expire, §5.4)", () => {
  const guestCycles = fc.oneof(fc.bigInt({ min: 0n, max: 20_000n }), u64);
  const input = fc.record({ guestCycles, advanceNs, tscKhz: khz, scaled: fc.boolean(), hostKhz: realisticKhz, hz: fc.oneof(fc.constant(undefined), hz) });
  test("equals the reference for 100k inputs (scaled and unscaled)", () => {
    fc.assert(fc.property(input, (i) => same(api.busyWaitLength(i), ref.busyWaitLength(i))), runs);
  });

  describe.each(impls)("%s", (_name, impl) => {
    test("unscaled: __delay(min(guest cycles, nsec_to_cycles(advance))) (§9)", () => {
      expect(impl.busyWaitLength({ guestCycles: 2500n, advanceNs: 1000, tscKhz: 3_000_000, scaled: false, hostKhz: 3_000_000 })).toEqual({
        kind: "unscaled",
        hostCycles: 2500n,
        hostNs: 833n,
      });
      expect(impl.busyWaitLength({ guestCycles: 5000n, advanceNs: 1000, tscKhz: 3_000_000, scaled: false, hostKhz: 3_000_000 })).toEqual({
        kind: "unscaled",
        hostCycles: 3000n,
        hostNs: 1000n,
      });
      // at 2.1 GHz the cap is nsec_to_cycles(1000) = 2099 guest cycles, used as host cycles
      expect(impl.busyWaitLength({ guestCycles: 5000n, advanceNs: 1000, tscKhz: 2_100_000, scaled: false, hostKhz: 3_000_000 }).hostCycles).toBe(2099n);
    });

    // §9 "busy-wait length", scaled 2.1 GHz guest on a 3 GHz host: [guest cycles, delay_ns, ndelay arg, host cycles]
    test.each([
      [500n, 238, 832n],
      [2100n, 1000, 3493n],
      [5000n, 1000, 3493n], // delay_ns 2380, capped at the advance
      [10000000000000n, 1000, 3493n], // delay_ns 4761904761904, u32-truncated then capped
    ])("scaled: guest_cycles=%s -> ndelay(%i) -> %s host cycles", (g, delayNs, hostCycles) => {
      const r = impl.busyWaitLength({ guestCycles: g, advanceNs: 1000, tscKhz: 2_100_000, scaled: true, hostKhz: 3_000_000 });
      expect(r).toEqual({ kind: "scaled", delayNs, hostCycles, hostNs: impl.cyclesToNs(hostCycles, 3_000_000) });
    });

    test("scaled: the do_div ns of §9 rows before the min (238, 1000, 2380, 4761904761904)", () => {
      expect([500n, 2100n, 5000n, 10000000000000n].map((g) => impl.cyclesToNs(g, 2_100_000))).toEqual([238n, 1000n, 2380n, 4761904761904n]);
    });

    test("scaled: u32 truncation of delay_ns before the min lets a huge wait come out tiny", () => {
      // cycles whose do_div ns is exactly 2^32 + 7: u32 gives 7, below the 1000 ns advance
      const g = ((1n << 32n) + 7n) * 3n; // 3 GHz guest: ns = cycles / 3
      const r = impl.busyWaitLength({ guestCycles: g, advanceNs: 1000, tscKhz: 3_000_000, scaled: true, hostKhz: 3_000_000 });
      expect(r.kind === "scaled" && r.delayNs).toBe(7);
    });
  });
});
