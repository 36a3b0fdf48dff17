// 64-bit primitives (spec §1): differential properties against the BigInt reference
// and the spec's golden vectors (§1, §9 "math64").

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import * as ref from "./reference/index.js";
import { RUNS, U64_MAX, s64, shift, u32, u32NonZero, u64, vmxRatio } from "./arbitraries.js";
import { outcome, runs, same } from "./helpers.js";

const impls = [
  ["wasm API", api],
  ["reference", ref],
] as const;

describe("mulU64U64Shr (mul_u64_u64_shr, §1.1)", () => {
  test("equals the reference over 100k edge-biased inputs", () => {
    fc.assert(fc.property(u64, u64, shift(0, 127), (a, b, s) => same(api.mulU64U64Shr(a, b, s), ref.mulU64U64Shr(a, b, s))), runs);
  });

  // §9 math64 and §1.1 edges.
  test.each([
    [1099511627899n, 197032483697459n, 48, 769658139529n], // 2^40+123 scaled by the VMX 0.7 ratio
    [1099511627899n, 3006477107n, 32, 769658139478n], // same with the coarser SVM ratio (-51 cycles)
    [U64_MAX, U64_MAX, 64, 18446744073709551614n],
    [U64_MAX, U64_MAX, 48, 0xfffffffffffe0000n],
    [3_000_000n, U64_MAX, 48, 196607999999n], // max_guest_tsc_khz VMX before the 0x7fffffff clamp (§2.1)
  ])("mulU64U64Shr(%s, %s, %i) = %s", (a, b, s, expected) => {
    for (const [, impl] of impls) expect(impl.mulU64U64Shr(a, b, s)).toBe(expected);
  });
});

describe("mulS64U64Shr (mul_s64_u64_shr, §1.2)", () => {
  test("equals the reference over 100k edge-biased inputs", () => {
    fc.assert(fc.property(s64, u64, shift(0, 127), (a, b, s) => same(api.mulS64U64Shr(a, b, s), ref.mulS64U64Shr(a, b, s))), runs);
  });

  test.each([
    [-1000003n, 0xb33333333333n, 48, -700002n], // toward zero; floor would give -700003
    [1000003n, 0xb33333333333n, 48, 700002n],
    [-1n, 1n, 1, 0n], // -0.5 rounds to 0, not -1
    [-(1n << 63n), 1n << 48n, 48, -(1n << 63n)], // abs(S64_MIN) = 2^63 as u64, negated back
  ])("mulS64U64Shr(%s, %s, %i) = %s", (a, b, s, expected) => {
    for (const [, impl] of impls) expect(impl.mulS64U64Shr(a, b, s)).toBe(expected);
  });
});

describe("mulU64U64DivU64 (mul_u64_u64_div_u64, §1.3)", () => {
  test("equals the reference (incl. #DE outcomes) over 100k edge-biased inputs", () => {
    fc.assert(fc.property(u64, u64, u64, (a, b, d) => same(outcome(() => api.mulU64U64DivU64(a, b, d)), ref.mulU64U64DivU64(a, b, d))), runs);
  });

  test("equals the reference where the quotient fits (50k extra inputs)", () => {
    const fitting = fc.tuple(u64, u64, u64).map(([a, b, d]) => {
      const hi = (a * b) >> 64n; // d > hi  <=>  a*b/d < 2^64
      return [a, b, d > hi ? d : hi + 1n + (d % (U64_MAX - hi))] as const;
    });
    fc.assert(
      fc.property(fitting, ([a, b, d]) => {
        const expected = ref.mulU64U64DivU64(a, b, d);
        if (typeof expected !== "bigint") throw new Error("generator produced a trapping input");
        same(api.mulU64U64DivU64(a, b, d), expected);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  test.each([
    [10n, 10n, 3n, 33n],
    [U64_MAX, U64_MAX, U64_MAX, U64_MAX],
    [1n << 63n, 4n, 2n, 1n << 64n],
  ])("mulU64U64DivU64(%s, %s, %s) -> %s (2^64 = #DE)", (a, b, d, q) => {
    const expected = q > U64_MAX ? "overflow" : q;
    expect(ref.mulU64U64DivU64(a, b, d)).toBe(expected);
    expect(outcome(() => api.mulU64U64DivU64(a, b, d))).toBe(expected);
  });

  test("d = 0 and quotient >= 2^64 are RangeErrors (#DE)", () => {
    expect(() => api.mulU64U64DivU64(1n, 1n, 0n)).toThrow(RangeError);
    expect(() => api.mulU64U64DivU64(1n << 32n, 1n << 32n, 1n)).toThrow(api.DivideErrorTrap);
    expect(ref.mulU64U64DivU64(1n, 1n, 0n)).toBe("divide-by-zero");
  });
});

describe("mulU64U32Div (mul_u64_u32_div, §1.3)", () => {
  test("equals the reference (incl. #DE outcomes) over 100k edge-biased inputs", () => {
    fc.assert(fc.property(u64, u32, u32, (a, m, d) => same(outcome(() => api.mulU64U32Div(a, m, d)), ref.mulU64U32Div(a, m, d))), runs);
  });

  // §2.4 / §9: the 2.1 GHz-on-3 GHz ratios for both vendors.
  test.each([
    [1n << 48n, 2_100_000, 3_000_000, 197032483697459n],
    [1n << 32n, 2_100_000, 3_000_000, 3006477107n],
  ])("mulU64U32Div(%s, %i, %i) = %s", (a, m, d, expected) => {
    for (const [, impl] of impls) expect(impl.mulU64U32Div(a, m, d)).toBe(expected);
  });
});

describe("u64ShlDivU64 (u64_shl_div_u64, §1.4)", () => {
  test("equals the reference over 100k inputs (shift 1..63)", () => {
    fc.assert(fc.property(u64, shift(1, 63), u64, (a, s, d) => same(api.u64ShlDivU64(a, s, d), ref.u64ShlDivU64(a, s, d))), runs);
  });

  test("equals the reference at KVM's shift 48 with realistic ratios (50k extra inputs)", () => {
    fc.assert(fc.property(u64, vmxRatio, (a, d) => same(api.u64ShlDivU64(a, 48, d), ref.u64ShlDivU64(a, 48, d))), { numRuns: RUNS / 2 });
  });

  // §9 math64: (0, q) = result q, (1, None) = overflow.
  test.each([
    [1000n, 48, 197032483697459n, 1428n],
    [0n, 48, 197032483697459n, 0n],
    [1048576n, 48, 140737488355328n, 2097152n],
    [9223372036854775808n, 48, 281474976710656n, 9223372036854775808n],
    [9223372036854775808n, 48, 140737488355327n, undefined],
  ])("u64ShlDivU64(%s, %i, %s) = %s", (a, s, d, expected) => {
    for (const [, impl] of impls) expect(impl.u64ShlDivU64(a, s, d)).toBe(expected);
  });

  test("a zero divisor reports overflow (hi >= 0), never divides", () => {
    expect(api.u64ShlDivU64(0n, 48, 0n)).toBeUndefined();
    expect(api.u64ShlDivU64(12345n, 1, 0n)).toBeUndefined();
  });
});

describe("doDiv (do_div, §1.5)", () => {
  test("equals the reference over 100k inputs", () => {
    fc.assert(fc.property(u64, u32NonZero, (n, base) => same(api.doDiv(n, base), ref.doDiv(n, base))), runs);
  });

  test.each([
    [2099000000n, 2_100_000, 999n, 1_100_000], // the 1000 ns round trip of §3.3 (2099 cycles * 10^6)
    [U64_MAX, 0xffffffff, 4294967297n, 0],
    [U64_MAX, 1, U64_MAX, 0],
    [7n, 8, 0n, 7],
  ])("doDiv(%s, %i) = %s rem %i", (n, base, quotient, remainder) => {
    for (const [, impl] of impls) expect(impl.doDiv(n, base)).toEqual({ quotient, remainder });
  });
});

describe("pvclockScaleDelta (pvclock_scale_delta, §1.6)", () => {
  test("equals the reference over 100k inputs (shift -63..63)", () => {
    fc.assert(fc.property(u64, u32, shift(-63, 63), (d, m, s) => same(api.pvclockScaleDelta(d, m, s), ref.pvclockScaleDelta(d, m, s))), runs);
  });

  test.each([
    [1000n, 0x86666666, 2, 2099n], // §3.2 nsec_to_cycles at 2.1 GHz
    [2100000000n, 4090445043, -1, 999999999n], // §9 kvmclock row
    [1n << 63n, 0xffffffff, 1, 0n], // left shift silently drops the top bit
    [3n, 0xffffffff, -1, 0n], // right shift drops low bits: 1 * (2^32-1) >> 32 = 0
    [U64_MAX, 0xffffffff, 0, 0xfffffffeffffffffn], // bits 32..95 of the 96-bit product
  ])("pvclockScaleDelta(%s, %i, %i) = %s", (d, m, s, expected) => {
    for (const [, impl] of impls) expect(impl.pvclockScaleDelta(d, m, s)).toBe(expected);
  });
});
