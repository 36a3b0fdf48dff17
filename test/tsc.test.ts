// TSC scaling (spec §2, §3.4, §11): differential properties and the §9 golden rows
// (set_tsc_khz table, max_guest_tsc_khz, nested multiplier/offset).

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import * as ref from "./reference/index.js";
import { U32_MAX, U64_MAX, fracBitsAndRatio, khz, realisticKhz, s64, svmRatio, u32NonZero, u64, vendor, vmxRatio } from "./arbitraries.js";
import { outcome, runs, same } from "./helpers.js";

const impls = [
  ["wasm API", api],
  ["reference", ref],
] as const;

/** Largest ppm for which 10^6 + ppm still fits in an s32 (no wrap, §11). */
const PPM_NO_WRAP_MAX = 0x7fffffff - 1_000_000;

/** tsc_tolerance_ppm values where 10^6 + ppm fits in an s32: default, 0, edges, random. */
const ppm = fc.oneof(
  fc.constantFrom(0, 1, 250, 999_999, 1_000_000, 1_000_001, PPM_NO_WRAP_MAX - 1, PPM_NO_WRAP_MAX),
  fc.integer({ min: 0, max: 10_000 }),
  fc.integer({ min: 0, max: PPM_NO_WRAP_MAX }),
);

/** tsc_tolerance_ppm values where 10^6 + ppm wraps as a 32-bit int (§11). */
const ppmWrapping = fc.oneof(
  fc.constantFrom(PPM_NO_WRAP_MAX + 1, 0x7fffffff),
  fc.integer({ min: PPM_NO_WRAP_MAX + 1, max: 0x7fffffff }),
);

/** A host rate: realistic, or any non-zero u32 kHz. */
const hostKhz = khz;

/** (user, host) pairs: independent, within/around the tolerance window, or far apart. */
const userHost = fc.oneof(
  fc.tuple(khz, hostKhz),
  fc.tuple(realisticKhz, fc.integer({ min: -2000, max: 2000 })).map(([h, d]) => [Math.min(Math.max(h + d, 1), U32_MAX), h] as const),
  fc.tuple(u32NonZero, u32NonZero),
);

/** TSC offsets as the API accepts them: signed, or the u64 bit pattern. */
const offset = fc.oneof(s64, u64);

describe("vendor constants (kvm_caps, §2.1)", () => {
  test("tscFracBits / defaultTscRatio / maxTscRatio equal the reference (100k runs each)", () => {
    fc.assert(fc.property(vendor, (v) => same(api.tscFracBits(v), ref.tscFracBits(v))), runs);
    fc.assert(fc.property(vendor, (v) => same(api.defaultTscRatio(v), ref.defaultTscRatio(v))), runs);
    fc.assert(fc.property(vendor, (v) => same(api.maxTscRatio(v), ref.maxTscRatio(v))), runs);
  });

  test.each([
    ["vmx", 48, 1n << 48n, U64_MAX],
    ["svm", 32, 1n << 32n, 0xffffffffffn],
  ] as const)("%s: %i fraction bits, default %s, max %s", (v, bits, def, max) => {
    for (const [, impl] of impls) {
      expect(impl.tscFracBits(v)).toBe(bits);
      expect(impl.defaultTscRatio(v)).toBe(def);
      expect(impl.maxTscRatio(v)).toBe(max);
    }
  });
});

describe("maxGuestTscKhz (kvm_caps.max_guest_tsc_khz, §2.1)", () => {
  test("equals the reference over 100k host rates", () => {
    fc.assert(fc.property(hostKhz, vendor, (h, v) => same(api.maxGuestTscKhz(h, v), ref.maxGuestTscKhz(h, v))), runs);
  });

  test.each([
    [3_000_000, "vmx", 2147483647], // unclamped 196607999999
    [3_000_000, "svm", 767999999],
    [1, "vmx", 65535],
    [1, "svm", 255],
  ] as const)("maxGuestTscKhz(%i, %s) = %i", (h, v, expected) => {
    for (const [, impl] of impls) expect(impl.maxGuestTscKhz(h, v)).toBe(expected);
  });
});

describe("tscTolerance (adjust_tsc_khz thresholds, §2.4, §11)", () => {
  test("equals the reference over 100k (host, ppm) pairs (10^6 + ppm fits in s32; u64/u32 wraps included)", () => {
    fc.assert(fc.property(hostKhz, ppm, (h, p) => same(api.tscTolerance(h, p), ref.tscTolerance(h, p))), runs);
  });

  // §11: "1000000 + ppm is evaluated as a wrapping 32-bit int, sign-extended to u64".
  test("equals the reference where 10^6 + ppm wraps as a 32-bit int (ppm > 2146483647), 10k inputs", () => {
    fc.assert(fc.property(hostKhz, ppmWrapping, (h, p) => same(api.tscTolerance(h, p), ref.tscTolerance(h, p))), { numRuns: 10_000 });
  });

  test.each([
    [3_000_000, 250, 2999250, 3000750],
    [3_000_000, 0, 3000000, 3000000],
    [2_100_000, 250, 2099475, 2100525],
    [0xffffffff, 250, 4293893553, 1073740], // u32 truncation of the high threshold (4296041036)
    [1, 0x7fffffff, 4154502539, 4154502539], // 10^6 - ppm sign-extended; 10^6 + ppm wraps as s32
    [3_000_000, 0x7fffffff, 2010021040, 2010021034], // both wrap mod 2^64; low > high
    [1_000_000, 2146483647, 2009021038, 2147483647], // largest ppm without the s32 wrap
    [1_000_000, 2146483648, 2009021037, 2007021037], // 10^6 + ppm = 2^31 wraps to -2^31
  ])("tscTolerance(%i, %i) = [%i, %i]", (h, p, lowKhz, highKhz) => {
    for (const [, impl] of impls) expect(impl.tscTolerance(h, p)).toEqual({ lowKhz, highKhz });
  });

  test("the default ppm is 250", () => {
    expect(api.DEFAULT_TSC_TOLERANCE_PPM).toBe(250);
    expect(api.tscTolerance(3_000_000)).toEqual({ lowKhz: 2999250, highKhz: 3000750 });
  });
});

describe("tscRatio (KVM_SET_TSC_KHZ with TSC-scaling hardware, §2.4)", () => {
  test("equals the reference (refusals included) over 100k (user, host, vendor) inputs", () => {
    fc.assert(
      fc.property(userHost, vendor, ([u, h], v) => same(outcome(() => api.tscRatio(u, h, v)), ref.tscRatio(u, h, v))),
      runs,
    );
  });

  test("equals the reference with non-default tolerances (50k extra inputs, no s32 wrap)", () => {
    fc.assert(
      fc.property(userHost, vendor, ppm, ([u, h], v, p) =>
        same(outcome(() => api.tscRatio(u, h, v, { tolerancePpm: p })), ref.tscRatio(u, h, v, { tolerancePpm: p })),
      ),
      { numRuns: 50_000 },
    );
  });

  test("follows the s32-wrapped high threshold (§11): 2.1e9 kHz on a 1e6 kHz host, ppm 2146483648, scales", () => {
    // 10^6 + ppm = 2^31 wraps to -2^31: window [2009021037, 2007021037] is empty, so every rate scales
    const expected = { ratio: 2100n << 48n, scaling: true };
    expect(ref.tscRatio(2_100_000_000, 1_000_000, "vmx", { tolerancePpm: 2146483648 })).toEqual(expected);
    expect(api.tscRatio(2_100_000_000, 1_000_000, "vmx", { tolerancePpm: 2146483648 })).toEqual(expected);
  });

  // §9 "set_tsc_khz on 3,000,000 kHz host (VMX)": [user, scaling, ratio, ns->cycles mult, shift]
  const table: [number, boolean, bigint, number, number][] = [
    [2999250, false, 0x1000000000000n, 3220420165, 2],
    [2999249, true, 0xffef981a852en, 3220419091, 2],
    [3000750, false, 0x1000000000000n, 3222030778, 2],
    [3000751, true, 0x1001067e57ad1n, 3222031852, 2],
    [2100000, true, 0xb33333333333n, 2254857830, 2],
    [1, true, 0x597a7e0n, 2252211481, -19],
  ];
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("user=%i: scaling=%s ratio=%s mult=%i shift=%i", (user, scaling, ratio, mult, shift) => {
      expect(impl.tscTolerance(3_000_000)).toEqual({ lowKhz: 2999250, highKhz: 3000750 });
      expect(impl.tscRatio(user, 3_000_000, "vmx")).toEqual({ ratio, scaling });
      // virtual_tsc_mult/shift are set from user_khz even when no scaling is applied (§2.4 step 3)
      expect(impl.nsToCyclesScale(user)).toEqual({ shift, mult });
    });

    test("SVM 2.1 GHz on 3 GHz: ratio 0xb3333333 (§9)", () => {
      expect(impl.tscRatio(2_100_000, 3_000_000, "svm")).toEqual({ ratio: 0xb3333333n, scaling: true });
    });

    test("user_tsc_khz=1 on a 2.3 GHz host: ratio 122380424, kvmclock sees 0 kHz (§3.4)", () => {
      const { ratio } = impl.tscRatio(1, 2_300_000, "vmx") as { ratio: bigint };
      expect(ratio).toBe(122380424n);
      expect(impl.scaledTscKhz(2_300_000, ratio, 48)).toBe(0n);
      expect(impl.mulU64U64Shr(2_300_000n, ratio, 48)).toBe(0n);
    });
  });

  test.each([
    [2147483647, 3_000_000, "vmx"],
    [767999999, 3_000_000, "svm"],
    [0xffffffff, 3_000_000, "vmx"],
    [0xffffffff, 0xffffffff, "vmx"], // equal to the host rate (no scaling needed), but >= max_guest_tsc_khz (0x7fffffff)
  ] as const)("user=%i on a %i kHz %s host is refused (user >= max_guest_tsc_khz)", (u, h, v) => {
    expect(ref.tscRatio(u, h, v)).toBe("refused");
    expect(() => api.tscRatio(u, h, v)).toThrow(api.KvmRefusedError);
    expect(() => api.tscRatio(u, h, v)).toThrow(RangeError);
    expect(() => api.tscRatio(u, h, v)).toThrow(/userKhz/);
  });

  test("one below max_guest_tsc_khz is accepted", () => {
    expect(api.tscRatio(767999998, 3_000_000, "svm")).toEqual(ref.tscRatio(767999998, 3_000_000, "svm"));
    expect(api.tscRatio(767999998, 3_000_000, "svm").scaling).toBe(true);
    expect(api.tscRatio(2147483646, 3_000_000, "vmx").scaling).toBe(true);
  });
});

describe("scaleTsc / readL1Tsc / computeL1TscOffset (kvm_scale_tsc & co., §2.2)", () => {
  test("scaleTsc equals the reference over 100k inputs", () => {
    fc.assert(fc.property(u64, fracBitsAndRatio, (t, { fracBits, ratio }) => same(api.scaleTsc(t, ratio, fracBits), ref.scaleTsc(t, ratio, fracBits))), runs);
  });

  test("readL1Tsc equals the reference over 100k inputs", () => {
    fc.assert(
      fc.property(u64, fracBitsAndRatio, offset, (t, { fracBits, ratio }, off) => same(api.readL1Tsc(t, ratio, off, fracBits), ref.readL1Tsc(t, ratio, off, fracBits))),
      runs,
    );
  });

  test("computeL1TscOffset equals the reference over 100k inputs", () => {
    fc.assert(
      fc.property(u64, u64, fracBitsAndRatio, (target, host, { fracBits, ratio }) =>
        same(api.computeL1TscOffset(target, host, ratio, fracBits), ref.computeL1TscOffset(target, host, ratio, fracBits)),
      ),
      runs,
    );
  });

  describe.each(impls)("%s", (_name, impl) => {
    test("the default ratio returns the TSC unchanged (no multiply)", () => {
      for (const t of [0n, 1n, 1n << 63n, U64_MAX]) {
        expect(impl.scaleTsc(t, 1n << 48n, 48)).toBe(t);
        expect(impl.scaleTsc(t, 1n << 32n, 32)).toBe(t);
      }
    });

    test("guest TSC = (host * ratio >> N) + offset, wrapping (§2.2)", () => {
      expect(impl.scaleTsc(1099511627899n, 0xb33333333333n, 48)).toBe(769658139529n);
      expect(impl.readL1Tsc(1099511627899n, 0xb33333333333n, 1000n, 48)).toBe(769658140529n);
      expect(impl.readL1Tsc(1099511627899n, 0xb33333333333n, -769658139530n, 48)).toBe(U64_MAX);
      expect(impl.readL1Tsc(5n, 1n << 48n, U64_MAX, 48)).toBe(4n);
      expect(impl.computeL1TscOffset(0n, 1099511627899n, 0xb33333333333n, 48)).toBe(-769658139529n);
      expect(impl.computeL1TscOffset(10n ** 12n, 0n, 0xb33333333333n, 48)).toBe(10n ** 12n);
    });
  });
});

describe("nested TSC scaling (kvm_calc_nested_tsc_multiplier/offset, §2.3)", () => {
  test("nestedTscMultiplier equals the reference over 100k inputs", () => {
    const pair = fc.oneof(
      fc.tuple(vmxRatio, vmxRatio).map(([l1, l2]) => ({ l1, l2, fracBits: 48 as const })),
      fc.tuple(svmRatio, svmRatio).map(([l1, l2]) => ({ l1, l2, fracBits: 32 as const })),
    );
    fc.assert(fc.property(pair, ({ l1, l2, fracBits }) => same(api.nestedTscMultiplier(l1, l2, fracBits), ref.nestedTscMultiplier(l1, l2, fracBits))), runs);
  });

  test("nestedTscOffset equals the reference over 100k inputs", () => {
    fc.assert(
      fc.property(offset, offset, fracBitsAndRatio, (o1, o2, { fracBits, ratio }) =>
        same(api.nestedTscOffset(o1, o2, ratio, fracBits), ref.nestedTscOffset(o1, o2, ratio, fracBits)),
      ),
      runs,
    );
  });

  // §9 "nested multiplier/offset (VMX)"
  describe.each(impls)("%s", (_name, impl) => {
    test("l1 1/3 (0x555555555555) x l2 4.0 = 0x1555555555554 (lost LSB)", () => {
      expect(impl.nestedTscMultiplier(0x555555555555n, 0x4000000000000n, 48)).toBe(0x1555555555554n);
      expect(impl.nestedTscMultiplier(0x555555555555n, 1n << 48n, 48)).toBe(0x555555555555n); // default l2: l1 as is
    });
    test.each([
      [-1000000000000n, -33125236320908n, 4n << 48n, -37125236320908n],
      [-123456789n, 0n, 0xb33333333333n, -86419752n],
      [5n, 7n, 1n << 48n, 12n], // default multiplier: plain sum
      [-1n, -1n, 1n << 48n, -2n],
    ])("offset(l1=%s, l2=%s, mult=%s) = %s", (o1, o2, m, expected) => {
      expect(impl.nestedTscOffset(o1, o2, m, 48)).toBe(expected);
    });
  });
});

describe("scaledTscKhz (kvmclock's view of the guest rate, §3.4)", () => {
  test("equals the reference over 100k inputs", () => {
    fc.assert(
      fc.property(hostKhz, fracBitsAndRatio, (h, { fracBits, ratio }) => same(api.scaledTscKhz(h, ratio, fracBits), ref.scaledTscKhz(h, ratio, fracBits))),
      runs,
    );
  });
});
