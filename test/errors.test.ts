// Bad input at the API edge: the right error class, carrying field/value/allowed, and
// a message that names the argument and the value. Kernel outcomes (#DE, -EINVAL)
// have their own classes.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import { InputRangeError, InputTypeError, KvmRefusedError, DivideErrorTrap } from "../src/index.js";
import { U64_MAX, notU64 } from "./arbitraries.js";

type ErrorClass = typeof InputRangeError | typeof InputTypeError;

/** Asserts fn throws `cls` for `field` carrying `value`, and that the message names both. */
function expectBad(fn: () => unknown, cls: ErrorClass, field: string, value: unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name} for ${field}`).toBeInstanceOf(cls);
  const e = caught as InputRangeError;
  expect(e.field).toBe(field);
  expect(Object.is(e.value, value) || e.value === value).toBe(true);
  expect(typeof e.allowed).toBe("string");
  expect(e.message.startsWith(`${field} = `)).toBe(true);
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  expect(e.message).toContain(shown);
}

const R = InputRangeError;
const T = InputTypeError;
const V = { tscKhz: 2_100_000 };

describe("error classes", () => {
  test("InputRangeError / InputTypeError / KvmRefusedError / DivideErrorTrap hierarchy and fields", () => {
    const r = new InputRangeError("x", 5n, "0..1");
    expect(r).toBeInstanceOf(RangeError);
    expect(r.name).toBe("InputRangeError");
    expect([r.field, r.value, r.allowed]).toEqual(["x", 5n, "0..1"]);
    expect(r.message).toBe("x = 5n is out of range: allowed 0..1");
    const t = new InputTypeError("y", "s", "a bigint");
    expect(t).toBeInstanceOf(TypeError);
    expect(t.name).toBe("InputTypeError");
    expect(new KvmRefusedError("EINVAL", "userKhz", 1, "why")).toBeInstanceOf(RangeError);
    expect(new DivideErrorTrap("op", "why")).toBeInstanceOf(RangeError);
  });
});

describe("u64 arguments", () => {
  /** [name, call with the bad value in the named u64 argument] */
  const u64Args: [string, (v: bigint) => unknown][] = [
    ["a", (v) => api.mulU64U64Shr(v, 1n, 0)],
    ["b", (v) => api.mulU64U64Shr(1n, v, 0)],
    ["b", (v) => api.mulS64U64Shr(1n, v, 0)],
    ["d", (v) => api.mulU64U64DivU64(1n, 1n, v)],
    ["a", (v) => api.mulU64U32Div(v, 1, 1)],
    ["divisor", (v) => api.u64ShlDivU64(1n, 48, v)],
    ["n", (v) => api.doDiv(v, 3)],
    ["delta", (v) => api.pvclockScaleDelta(v, 1, 0)],
    ["scaledHz", (v) => api.getTimeScale(v, 1n)],
    ["baseHz", (v) => api.getTimeScale(1n, v)],
    ["ns", (v) => api.nsecToCycles(v, 1000)],
    ["cycles", (v) => api.cyclesToNs(v, 1000)],
    ["tsc", (v) => api.scaleTsc(v, 1n, 48)],
    ["ratio", (v) => api.scaleTsc(1n, v, 48)],
    ["hostTsc", (v) => api.readL1Tsc(v, 1n, 0n, 48)],
    ["targetTsc", (v) => api.computeL1TscOffset(v, 0n, 1n, 48)],
    ["l2", (v) => api.nestedTscMultiplier(1n, v, 48)],
    ["l2Mult", (v) => api.nestedTscOffset(0n, 0n, v, 48)],
    ["ratio", (v) => api.scaledTscKhz(1000, v, 48)],
    ["deadlineTsc", (v) => api.startSwTscdeadline({ deadlineTsc: v, guestTsc: 0n, tscKhz: 1000, advanceNs: 0, nowNs: 0n })],
    ["guestTsc", (v) => api.advancePeriodicTarget({ targetNs: 0n, periodNs: 1n, nowNs: 0n, guestTsc: v, ...V, variant: "clamp" })],
    ["guestCycles", (v) => api.busyWaitLength({ guestCycles: v, advanceNs: 0, tscKhz: 1000, scaled: false, hostKhz: 1000 })],
    ["hostTsc", (v) => api.vmxSetHvTimer({ deadlineTsc: 0n, guestTsc: 0n, hostTsc: v, advanceNs: 0, tscKhz: 1000, l1Ratio: 1n << 48n })],
    ["l1Ratio", (v) => api.vmxSetHvTimer({ deadlineTsc: 0n, guestTsc: 0n, hostTsc: 0n, advanceNs: 0, tscKhz: 1000, l1Ratio: v })],
    ["hvDeadlineHostTsc", (v) => api.preemptionTimerValue(v, 0n)],
    ["ratio", (v) => api.batchScaleTsc(new BigUint64Array(1), v, 48, 0n, new BigUint64Array(1))],
    ["divisor", (v) => api.batchU64ShlDivU64(new BigUint64Array(1), 48, v, new BigUint64Array(1))],
  ];

  test.each(u64Args)("%s: -1n and 2^64 are InputRangeErrors", (field, call) => {
    expectBad(() => call(-1n), R, field, -1n);
    expectBad(() => call(1n << 64n), R, field, 1n << 64n);
    expect(() => call(U64_MAX)).not.toThrow(InputRangeError); // the edge itself is accepted
  });

  test.each(u64Args)("%s: non-bigint values are InputTypeErrors", (field, call) => {
    expectBad(() => call(1 as never), T, field, 1);
    expectBad(() => call("5" as never), T, field, "5");
    expectBad(() => call(undefined as never), T, field, undefined);
  });

  test("any bigint outside u64 is rejected, naming the argument and value (2000 random values)", () => {
    fc.assert(
      fc.property(notU64, fc.integer({ min: 0, max: u64Args.length - 1 }), (v, i) => {
        const [field, call] = u64Args[i]!;
        expectBad(() => call(v), R, field, v);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("s64 and offset arguments", () => {
  test.each([
    ["a", (v: bigint) => api.mulS64U64Shr(v, 1n, 0)],
    ["periodNs", (v: bigint) => api.applyPeriodicFloor(v)],
    ["deltaCycles", (v: bigint) => api.adjustTimerAdvance(1000, v, 1000)],
    ["nowNs", (v: bigint) => api.startSwTscdeadline({ deadlineTsc: 1n, guestTsc: 0n, tscKhz: 1000, advanceNs: 0, nowNs: v })],
    ["targetNs", (v: bigint) => api.tmcct({ tmict: 1, periodNs: 1n, targetNs: v, nowNs: 0n, busCycleNs: 1, tdcr: 0 })],
  ] as const)("%s: outside -2^63..2^63-1 is an InputRangeError", (field, call) => {
    expectBad(() => call(1n << 63n), R, field, 1n << 63n);
    expectBad(() => call(-(1n << 63n) - 1n), R, field, -(1n << 63n) - 1n);
    expectBad(() => call(0 as never), T, field, 0);
  });

  test("TSC offsets take -2^63..2^64-1 (signed or u64 bit pattern), nothing else", () => {
    expectBad(() => api.readL1Tsc(0n, 1n << 48n, -(1n << 63n) - 1n, 48), R, "offset", -(1n << 63n) - 1n);
    expectBad(() => api.readL1Tsc(0n, 1n << 48n, 1n << 64n, 48), R, "offset", 1n << 64n);
    expectBad(() => api.nestedTscOffset(1n << 64n, 0n, 1n, 48), R, "l1Offset", 1n << 64n);
    expectBad(() => api.nestedTscOffset(0n, -(1n << 64n), 1n, 48), R, "l2Offset", -(1n << 64n));
    expectBad(() => api.batchScaleTsc(new BigUint64Array(1), 1n, 48, 1.5 as never, new BigUint64Array(1)), T, "offset", 1.5);
    expect(api.readL1Tsc(0n, 1n << 48n, -1n, 48)).toBe(U64_MAX);
    expect(api.readL1Tsc(0n, 1n << 48n, U64_MAX, 48)).toBe(U64_MAX);
  });
});

describe("shifts out of range", () => {
  test.each([
    ["mulU64U64Shr", () => api.mulU64U64Shr(1n, 1n, 128), 128],
    ["mulU64U64Shr", () => api.mulU64U64Shr(1n, 1n, -1), -1],
    ["mulU64U64Shr", () => api.mulU64U64Shr(1n, 1n, 1.5), 1.5],
    ["mulS64U64Shr", () => api.mulS64U64Shr(1n, 1n, 128), 128],
    ["u64ShlDivU64", () => api.u64ShlDivU64(1n, 0, 1n), 0], // shift 0 is undefined in C (§11)
    ["u64ShlDivU64", () => api.u64ShlDivU64(1n, 64, 1n), 64],
    ["pvclockScaleDelta", () => api.pvclockScaleDelta(1n, 1, 64), 64],
    ["pvclockScaleDelta", () => api.pvclockScaleDelta(1n, 1, -64), -64],
    ["batchMulU64U64Shr", () => api.batchMulU64U64Shr(new BigUint64Array(1), new BigUint64Array(1), 128, new BigUint64Array(1)), 128],
    ["batchU64ShlDivU64", () => api.batchU64ShlDivU64(new BigUint64Array(1), 64, 1n, new BigUint64Array(1)), 64],
  ] as const)("%s shift %s", (_name, call, value) => {
    expectBad(call, R, "shift", value);
  });

  test("a non-number shift is an InputTypeError", () => {
    expectBad(() => api.mulU64U64Shr(1n, 1n, 48n as never), T, "shift", 48n);
  });

  test("the domain edges themselves are accepted", () => {
    expect(api.mulU64U64Shr(U64_MAX, U64_MAX, 127)).toBe(1n);
    expect(api.u64ShlDivU64(1n, 1, 1n)).toBe(2n);
    expect(api.u64ShlDivU64(1n, 63, 1n << 62n)).toBe(2n);
    expect(api.pvclockScaleDelta(U64_MAX, 0xffffffff, -63)).toBe(0n);
    expect(api.pvclockScaleDelta(1n, 0xffffffff, 63)).toBe(0x7fffffff80000000n);
  });
});

describe("frequencies and u32 arguments", () => {
  test.each([
    ["tscKhz", () => api.nsecToCycles(1n, 0), 0],
    ["tscKhz", () => api.cyclesToNs(1n, 0), 0],
    ["tscKhz", () => api.nsToCyclesScale(0), 0],
    ["tscKhz", () => api.kvmclockScale(0), 0],
    ["tscKhz", () => api.nsecToCycles(1n, 2 ** 32), 2 ** 32],
    ["tscKhz", () => api.nsecToCycles(1n, 2.5), 2.5],
    ["hostKhz", () => api.maxGuestTscKhz(0, "vmx"), 0],
    ["hostKhz", () => api.tscTolerance(0), 0],
    ["userKhz", () => api.tscRatio(0, 3_000_000, "vmx"), 0],
    ["hostKhz", () => api.tscRatio(3_000_000, 0, "vmx"), 0],
    ["hostKhz", () => api.scaledTscKhz(0, 1n, 48), 0],
    ["tscKhz", () => api.adjustTimerAdvance(1000, 0n, 0), 0],
    ["tscKhz", () => api.vmxSetHvTimer({ deadlineTsc: 0n, guestTsc: 0n, hostTsc: 0n, advanceNs: 0, tscKhz: 0, l1Ratio: 1n }), 0],
    ["hostKhz", () => api.busyWaitLength({ guestCycles: 0n, advanceNs: 0, tscKhz: 1, scaled: true, hostKhz: 0 }), 0],
    ["hostKhz", () => api.ndelayLoops(1, 0), 0],
    ["tscKhz", () => api.batchCyclesToNs(new BigUint64Array(1), 0, new BigUint64Array(1)), 0],
    ["tscKhz", () => api.batchNsecToCycles(new BigUint64Array(1), -5, new BigUint64Array(1)), -5],
    ["base", () => api.doDiv(1n, 0), 0],
    ["m", () => api.mulU64U32Div(1n, 2 ** 32, 1), 2 ** 32],
    ["d", () => api.mulU64U32Div(1n, 1, -1), -1],
    ["mulFrac", () => api.pvclockScaleDelta(1n, 2 ** 32, 0), 2 ** 32],
    ["tdcr", () => api.tdcrDivide(-1), -1],
    ["tmict", () => api.tmictToNs(2 ** 32, 0, 1), 2 ** 32],
    ["advanceNs", () => api.adjustTimerAdvance(-1, 0n, 1000), -1],
    ["tolerancePpm", () => api.tscTolerance(1000, -1), -1],
    ["tolerancePpm", () => api.tscRatio(1000, 1000, "vmx", { tolerancePpm: 2 ** 31 }), 2 ** 31],
    ["rate", () => api.preemptionTimerValue(0n, 0n, 32), 32],
    ["hz", () => api.ndelayLoops(1, 1000, 0), 0],
    ["minTimerPeriodUs", () => api.applyPeriodicFloor(0n, -1), -1],
  ] as const)("%s = %s is an InputRangeError", (field, call, value) => {
    expectBad(call, R, field, value);
  });

  test("non-number kHz is an InputTypeError", () => {
    expectBad(() => api.nsecToCycles(1n, 2_100_000n as never), T, "tscKhz", 2_100_000n);
    expectBad(() => api.tscRatio("3000000" as never, 3_000_000, "vmx"), T, "userKhz", "3000000");
  });

  test("mulU64U32Div / mulU64U64DivU64: divisor 0 and quotient overflow are RangeErrors", () => {
    expect(() => api.mulU64U32Div(1n, 1, 0)).toThrow(RangeError);
    expect(() => api.mulU64U32Div(1n, 1, 0)).toThrow(/^d = 0/);
    let trap: unknown;
    try {
      api.mulU64U32Div(U64_MAX, 2, 1);
    } catch (e) {
      trap = e;
    }
    expect(trap).toBeInstanceOf(DivideErrorTrap);
    expect((trap as DivideErrorTrap).operation).toBe("mul_u64_u32_div");
    expect((trap as Error).message).toMatch(/#DE/);
  });
});

describe("vendors, fraction bits, variants", () => {
  test.each([
    ["tscFracBits", () => api.tscFracBits("arm" as never)],
    ["defaultTscRatio", () => api.defaultTscRatio("intel" as never)],
    ["maxTscRatio", () => api.maxTscRatio("" as never)],
    ["maxGuestTscKhz", () => api.maxGuestTscKhz(3_000_000, "amd" as never)],
    ["tscRatio", () => api.tscRatio(2_100_000, 3_000_000, "VMX" as never)],
  ] as const)("%s: an unknown vendor is an InputRangeError naming it", (_name, call) => {
    let caught: unknown;
    try {
      call();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputRangeError);
    expect((caught as InputRangeError).field).toBe("vendor");
    expect((caught as Error).message).toMatch(/^vendor = "/);
  });

  test.each([
    [() => api.scaleTsc(1n, 1n, 47), 47],
    [() => api.readL1Tsc(1n, 1n, 0n, 64), 64],
    [() => api.nestedTscMultiplier(1n, 1n, 0), 0],
    [() => api.scaledTscKhz(1, 1n, 16), 16],
  ] as const)("fracBits other than 48/32 is an InputRangeError (%#)", (call, value) => {
    expectBad(call, R, "fracBits", value);
  });

  test("the hv timer is VMX-only (fracBits 48)", () => {
    expectBad(() => api.vmxSetHvTimer({ deadlineTsc: 0n, guestTsc: 0n, hostTsc: 0n, advanceNs: 0, tscKhz: 1, l1Ratio: 1n, fracBits: 32 as never }), R, "fracBits", 32);
  });

  test("KvmRefusedError carries errno, field and value", () => {
    let caught: unknown;
    try {
      api.tscRatio(2147483647, 3_000_000, "vmx");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KvmRefusedError);
    const e = caught as KvmRefusedError;
    expect([e.errno, e.field, e.value]).toEqual(["EINVAL", "userKhz", 2147483647]);
    expect(e.message).toContain("userKhz = 2147483647");
    expect(e.message).toContain("EINVAL");
  });
});
