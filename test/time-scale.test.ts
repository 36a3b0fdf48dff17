// ns <-> cycles conversions (spec §3): differential properties and the golden tables of
// §9 (kvm_get_time_scale, nsec_to_cycles / cycles->ns, kvmclock rows, the 3 h wrap).

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import * as ref from "./reference/index.js";
import { khz, realisticKhz, realisticNs, u64 } from "./arbitraries.js";
import { runs, same } from "./helpers.js";

const impls = [
  ["wasm API", api],
  ["reference", ref],
] as const;

/** The API's getTimeScale with its documented rejection turned into the reference's marker. */
function apiTimeScale(scaledHz: bigint, baseHz: bigint): api.TimeScale | "never-terminates" {
  try {
    return api.getTimeScale(scaledHz, baseHz);
  } catch (e) {
    if (e instanceof api.InputRangeError && (e.field === "baseHz" || e.field === "scaledHz")) return "never-terminates";
    throw e;
  }
}

const hz = fc.oneof(
  { arbitrary: u64, weight: 3 },
  { arbitrary: realisticKhz.map((k) => BigInt(k) * 1000n), weight: 2 },
  { arbitrary: fc.constantFrom(1_000_000_000n, 1_000_000n, 1n << 63n), weight: 1 },
);

describe("getTimeScale (kvm_get_time_scale, §3.1)", () => {
  test("equals the reference over 100k u64 pairs (incl. the rejected non-terminating inputs)", () => {
    fc.assert(fc.property(hz, hz, (s, b) => same(apiTimeScale(s, b), ref.getTimeScale(s, b))), runs);
  });

  test("equals the reference for both KVM directions and the pre-2016 kHz form (100k realistic kHz)", () => {
    fc.assert(
      fc.property(khz, (k) => {
        const hzk = BigInt(k) * 1000n;
        same(api.getTimeScale(hzk, 1_000_000_000n), ref.getTimeScale(hzk, 1_000_000_000n), "ns->cycles");
        same(api.getTimeScale(1_000_000_000n, hzk), ref.getTimeScale(1_000_000_000n, hzk), "kvmclock");
        same(api.getTimeScale(BigInt(k), 1_000_000n), ref.getTimeScale(BigInt(k), 1_000_000n), "kHz form");
      }),
      runs,
    );
  });

  test.each([
    [0n, 1_000_000_000n, "scaledHz"],
    [1n << 63n, 1_000_000_000n, "scaledHz"],
    [1_000_000_000n, 0n, "baseHz"], // §3.4: kvmclock with a 0 kHz guest would loop forever
  ])("getTimeScale(%s, %s) is rejected (the kernel loop never terminates, §11)", (s, b, field) => {
    expect(() => api.getTimeScale(s, b)).toThrow(api.InputRangeError);
    expect(() => api.getTimeScale(s, b)).toThrow(new RegExp(`^${field} = ${s === 0n || b === 0n ? "0n" : `${s}n`}`));
    expect(ref.getTimeScale(s, b)).toBe("never-terminates");
  });

  // §9 "kvm_get_time_scale" table, every row and all three columns.
  // [guest kHz, ns->cycles shift, mult, kvmclock shift, mult, pre-2016 kHz-form shift, mult]
  const table: [number, number, number, number, number, number, number][] = [
    [1, -19, 2252211481, 20, 4096000000, -18, 2147483648],
    [1000, -9, 2199023255, 10, 4194304000, -9, 2199164002],
    [1000000, 1, 2147483648, 1, 2147483648, 1, 2147483648],
    [2100000, 2, 2254857830, -1, 4090445043, 2, 2254857830],
    [2345678, 2, 2518652574, -1, 3662026327, 2, 2518652574],
    [2499999, 2, 2684353486, -1, 3435975211, 2, 2684353486],
    [2500000, 2, 2684354560, -1, 3435973836, 2, 2684354560],
    [3000000, 2, 3221225472, -1, 2863311530, 2, 3221225472],
    [3400000, 2, 3650722201, -1, 2526451350, 2, 3650722201],
    [4000000, 3, 2147483648, -1, 2147483648, 3, 2147483648],
    [4294967, 3, 2305842850, -2, 4000000275, 3, 2305842850],
    [5000000, 3, 2684354560, -2, 3435973836, 3, 2684354560],
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("guest %i kHz: ns->cycles (%i, %i), kvmclock (%i, %i), kHz form (%i, %i)", (k, s1, m1, s2, m2, s3, m3) => {
      expect(impl.nsToCyclesScale(k)).toEqual({ shift: s1, mult: m1 });
      expect(impl.getTimeScale(BigInt(k) * 1000n, 1_000_000_000n)).toEqual({ shift: s1, mult: m1 });
      expect(impl.kvmclockScale(k)).toEqual({ shift: s2, mult: m2 });
      expect(impl.getTimeScale(1_000_000_000n, BigInt(k) * 1000n)).toEqual({ shift: s2, mult: m2 });
      expect(impl.getTimeScale(BigInt(k), 1_000_000n)).toEqual({ shift: s3, mult: m3 });
    });

    test("§3.1 hex forms: 1 kHz mult 0x863e0519, 2.1 GHz (2, 0x86666666)", () => {
      expect(impl.nsToCyclesScale(1).mult).toBe(0x863e0519);
      expect(impl.getTimeScale(2_100_000_000n, 1_000_000_000n)).toEqual({ shift: 2, mult: 0x86666666 });
      expect(impl.getTimeScale(1_000_000_000n, 2_100_000_000n)).toEqual({ shift: -1, mult: 4090445043 });
    });
  });
});

describe("nsToCyclesScale / kvmclockScale (kvm_set_tsc_khz, kvm_guest_time_update)", () => {
  test("nsToCyclesScale equals the reference for 100k kHz values", () => {
    fc.assert(fc.property(khz, (k) => same(api.nsToCyclesScale(k), ref.nsToCyclesScale(k))), runs);
  });
  test("kvmclockScale equals the reference for 100k kHz values", () => {
    fc.assert(fc.property(khz, (k) => same(api.kvmclockScale(k), ref.kvmclockScale(k))), runs);
  });
});

const ns = fc.oneof(u64, realisticNs);

describe("nsecToCycles (nsec_to_cycles, §3.2)", () => {
  test("equals the reference over 100k (ns, kHz) pairs", () => {
    fc.assert(fc.property(ns, khz, (n, k) => same(api.nsecToCycles(n, k), ref.nsecToCycles(n, k))), runs);
  });
});

describe("cyclesToNs (lapic.c do_div form, §3.3)", () => {
  test("equals the reference over 100k (cycles, kHz) pairs", () => {
    fc.assert(fc.property(ns, khz, (c, k) => same(api.cyclesToNs(c, k), ref.cyclesToNs(c, k))), runs);
  });
});

// §9 "nsec_to_cycles / cycles->ns": [kHz, ns, cycles, back(do_div)]
const nsecTable: [number, bigint, bigint, bigint][] = [
  [2100000, 1n, 2n, 0n],
  [2100000, 1000n, 2099n, 999n],
  [2100000, 5000n, 10499n, 4999n],
  [2100000, 200000n, 419999n, 199999n],
  [2100000, 1000000000n, 2099999999n, 999999999n],
  [2100000, 1000000000000n, 2099999999627n, 999999999822n],
  [2345678, 1n, 2n, 0n],
  [2345678, 1000n, 2345n, 999n],
  [2345678, 5000n, 11728n, 4999n],
  [2345678, 200000n, 469135n, 199999n],
  [2345678, 1000000000n, 2345677999n, 999999999n],
  [2345678, 1000000000000n, 2345677999779n, 999999999905n],
  [3000000, 1n, 3n, 1n],
  [3000000, 1000n, 3000n, 1000n],
  [3000000, 5000n, 15000n, 5000n],
  [3000000, 200000n, 600000n, 200000n],
  [3000000, 1000000000n, 3000000000n, 1000000000n],
  [3000000, 1000000000000n, 3000000000000n, 1000000000000n],
];

describe.each(impls)("golden conversions, %s", (_name, impl) => {
  test.each(nsecTable)("khz=%i ns=%s -> cycles=%s, back(do_div)=%s", (k, n, cycles, back) => {
    expect(impl.nsecToCycles(n, k)).toBe(cycles);
    expect(impl.cyclesToNs(cycles, k)).toBe(back);
  });

  // §9 "extra edge cases": software TSC-deadline conversions at 2.1 GHz; the 3 h one wraps (§3.3).
  test.each([
    [7560000000000n, 3600000000000n], // 1 h
    [15120000000000n, 7200000000000n], // 2 h
    [18446400000000n, 8784000000000n], // 2.44 h, just below the wrap
    [22680000000000n, 2015836155376n], // 3 h: u64(cycles * 10^6) wrapped -> 2015.8 s, not 10800 s
  ])("cyclesToNs(%s, 2100000) = %s", (cycles, expected) => {
    expect(impl.cyclesToNs(cycles, 2_100_000)).toBe(expected);
  });

  test("the multiply wraps exactly at cycles * 10^6 >= 2^64 (§3.3)", () => {
    const wrapAt = (1n << 64n) / 1_000_000n + 1n; // first cycles value whose product wraps
    expect(impl.cyclesToNs(wrapAt - 1n, 1)).toBe((wrapAt - 1n) * 1_000_000n);
    expect(impl.cyclesToNs(wrapAt, 1)).toBe(wrapAt * 1_000_000n - (1n << 64n));
  });

  // §9 "extra edge cases": kvmclock cycles -> ns via kvmclockScale + pvclockScaleDelta.
  test.each([
    [2_100_000, 2100000000n, 999999999n],
    [2_100_000, 12345678901n, 5878894713n],
    [3_000_000, 3000000000n, 999999999n],
    [3_000_000, 12345678901n, 4115226299n],
  ])("kvmclock at %i kHz: %s cycles -> %s ns", (k, cycles, expected) => {
    const { mult, shift } = impl.kvmclockScale(k);
    expect(impl.pvclockScaleDelta(cycles, mult, shift)).toBe(expected);
  });
});
