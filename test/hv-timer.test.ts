// VMX-preemption timer programming (spec §6): differential properties and the §6.2 /
// §9 "vmx_set_hv_timer" golden table.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import * as ref from "./reference/index.js";
import { U64_MAX, khz, realisticKhz, u32, u64, vmxRatio } from "./arbitraries.js";
import { runs, same } from "./helpers.js";

const impls = [
  ["wasm API", api],
  ["reference", ref],
] as const;

const rate = fc.oneof(fc.constant(5), fc.constantFrom(0, 1, 31), fc.integer({ min: 0, max: 31 }));
const maxValue = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constantFrom(0n, 1n, 0xffffffffn, 0x7fffffffn, U64_MAX), weight: 1 },
  { arbitrary: u64, weight: 1 },
);
const advanceNs = fc.oneof(fc.constantFrom(0, 1000, 5000), fc.integer({ min: 0, max: 10_000 }), u32);
const l1Ratio = fc.oneof(fc.constant(1n << 48n), vmxRatio);

describe("vmxSetHvTimer (vmx_set_hv_timer, §6.2)", () => {
  const realistic = fc
    .tuple(u64, fc.oneof(fc.bigInt({ min: -10_000_000n, max: 10_000_000n }), fc.bigInt({ min: -(1n << 40n), max: 1n << 44n })), u64, advanceNs, realisticKhz, l1Ratio, rate, maxValue)
    .map(([guestTsc, d, hostTsc, adv, tscKhz, ratio, r, max]) => ({
      deadlineTsc: BigInt.asUintN(64, guestTsc + d),
      guestTsc,
      hostTsc,
      advanceNs: adv,
      tscKhz,
      l1Ratio: ratio,
      rate: r,
      maxValue: max,
    }));
  const random = fc.record({ deadlineTsc: u64, guestTsc: u64, hostTsc: u64, advanceNs, tscKhz: khz, l1Ratio, rate, maxValue });

  test("equals the reference for 50k realistic deadlines", () => {
    fc.assert(fc.property(realistic, (input) => same(api.vmxSetHvTimer(input), ref.vmxSetHvTimer(input))), { numRuns: 50_000 });
  });
  test("equals the reference for 50k random u64 inputs", () => {
    fc.assert(fc.property(random, (input) => same(api.vmxSetHvTimer(input), ref.vmxSetHvTimer(input))), { numRuns: 50_000 });
  });

  // §9 "vmx_set_hv_timer (host 3.0GHz, guest 2.1GHz ratio, preemption rate 5)", A = 1000 ns = 2099 guest cycles:
  // [guest delta, host delta, timer value, ok?, expired]
  const table: [bigint, bigint, bigint, boolean, boolean][] = [
    [0n, 0n, 0n, true, true],
    [2099n, 0n, 0n, true, true],
    [2100n, 1n, 0n, true, false],
    [2100000n, 2997001n, 93656n, true, false],
    [10000000000n, 14285711287n, 446428477n, true, false],
    [300000000000n, 428571425572n, 13392857049n, false, false], // > 32 bits: -ERANGE
    [1000000000000n, 1428571425572n, 44642857049n, false, false],
  ];
  const guestTsc = 10n ** 12n;
  const hostTsc = 1_428_571_428_571n;
  describe.each(impls)("%s", (_name, impl) => {
    test.each(table)("guest delta %s -> host delta %s, timer value %s, ok %s, expired %s", (d, hostDelta, value, ok, expired) => {
      // the host delta is the guest delta minus the advance, through the L1 ratio
      if (d > 2099n) expect(impl.u64ShlDivU64(d - 2099n, 48, 0xb33333333333n)).toBe(hostDelta);
      expect(hostDelta >> 5n).toBe(value);
      const r = impl.vmxSetHvTimer({ deadlineTsc: guestTsc + d, guestTsc, hostTsc, advanceNs: 1000, tscKhz: 2_100_000, l1Ratio: 0xb33333333333n });
      if (ok) {
        expect(r).toEqual({
          status: "ok",
          advanceCycles: 2099n,
          deltaHostCycles: hostDelta,
          hvDeadlineHostTsc: hostTsc + hostDelta,
          timerValue: Number(value),
          expired,
        });
      } else {
        expect(r).toEqual({ status: "erange", advanceCycles: 2099n });
      }
    });

    test("a deadline in the past programs delta 0 (expired)", () => {
      const r = impl.vmxSetHvTimer({ deadlineTsc: guestTsc - 5n, guestTsc, hostTsc, advanceNs: 1000, tscKhz: 2_100_000, l1Ratio: 0xb33333333333n });
      expect(r).toEqual({ status: "ok", advanceCycles: 2099n, deltaHostCycles: 0n, hvDeadlineHostTsc: hostTsc, timerValue: 0, expired: true });
    });

    test("unscaled 3 GHz, A = 3000 cycles: guest delta 2100000 -> host 2097000, value 65531 (§9)", () => {
      const r = impl.vmxSetHvTimer({ deadlineTsc: 2_100_000n, guestTsc: 0n, hostTsc: 0n, advanceNs: 1000, tscKhz: 3_000_000, l1Ratio: 1n << 48n });
      expect(r).toEqual({ status: "ok", advanceCycles: 3000n, deltaHostCycles: 2097000n, hvDeadlineHostTsc: 2097000n, timerValue: 65531, expired: false });
    });

    test("unscaled 3 GHz: the largest usable host delta is 2^37 - 1 (~45.8 s, §6.2, §9)", () => {
      const base = { guestTsc: 0n, hostTsc: 0n, advanceNs: 1000, tscKhz: 3_000_000, l1Ratio: 1n << 48n };
      const last = impl.vmxSetHvTimer({ ...base, deadlineTsc: (1n << 37n) - 1n + 3000n });
      expect(last.status === "ok" && last.timerValue).toBe(0xffffffff);
      expect(impl.vmxSetHvTimer({ ...base, deadlineTsc: (1n << 37n) + 3000n })).toEqual({ status: "erange", advanceCycles: 3000n });
    });

    test("the 2026 erratum cap (maxValue) moves the -ERANGE boundary", () => {
      const base = { guestTsc: 0n, hostTsc: 0n, advanceNs: 0, tscKhz: 3_000_000, l1Ratio: 1n << 48n, maxValue: 1_000_000n };
      expect(impl.vmxSetHvTimer({ ...base, deadlineTsc: (1_000_000n << 5n) + 31n }).status).toBe("ok");
      expect(impl.vmxSetHvTimer({ ...base, deadlineTsc: (1_000_000n << 5n) + 32n }).status).toBe("erange");
    });

    test("the pre-fix periodic tscdeadline 0xc00000e556c100c0 makes the hv timer fail (§4.5)", () => {
      const r = impl.vmxSetHvTimer({ deadlineTsc: 0xc00000e556c100c0n, guestTsc: 10n ** 12n, hostTsc: 0n, advanceNs: 1000, tscKhz: 3_000_000, l1Ratio: 1n << 48n });
      expect(r.status).toBe("erange");
    });

    test("a zero delta skips the shift-and-divide, so even an overflowing ratio succeeds", () => {
      const base = { guestTsc: 0n, hostTsc: 7n, advanceNs: 1000, tscKhz: 3_000_000, l1Ratio: 0n };
      expect(impl.vmxSetHvTimer({ ...base, deadlineTsc: 3000n })).toEqual({ status: "ok", advanceCycles: 3000n, deltaHostCycles: 0n, hvDeadlineHostTsc: 7n, timerValue: 0, expired: true });
      expect(impl.vmxSetHvTimer({ ...base, deadlineTsc: 3001n })).toEqual({ status: "erange", advanceCycles: 3000n }); // u64_shl_div_u64 overflow
    });

    test("hv_deadline_tsc = host TSC + delta wraps at 2^64", () => {
      const r = impl.vmxSetHvTimer({ deadlineTsc: 100n, guestTsc: 0n, hostTsc: U64_MAX, advanceNs: 0, tscKhz: 3_000_000, l1Ratio: 1n << 48n });
      expect(r).toEqual({ status: "ok", advanceCycles: 0n, deltaHostCycles: 100n, hvDeadlineHostTsc: 99n, timerValue: 0, expired: false });
    });
  });

  test("constants: rate 5, max value 2^32 - 1", () => {
    expect(api.DEFAULT_PREEMPTION_TIMER_RATE).toBe(5);
    expect(api.PREEMPTION_TIMER_MAX_VALUE).toBe(0xffffffffn);
  });
});

describe("preemptionTimerValue (vmx_update_hv_timer, §6.2)", () => {
  test("equals the reference for 100k inputs", () => {
    const pair = fc.oneof(
      fc.tuple(u64, u64),
      fc.tuple(u64, fc.bigInt({ min: -(1n << 40n), max: 1n << 40n })).map(([h, d]) => [BigInt.asUintN(64, h + d), h] as const),
    );
    fc.assert(fc.property(pair, rate, ([hv, host], r) => same(api.preemptionTimerValue(hv, host, r), ref.preemptionTimerValue(hv, host, r))), runs);
  });

  describe.each(impls)("%s", (_name, impl) => {
    test.each([
      [2997006n, 5n, 5, 93656],
      [1000n, 2000n, 5, 0], // already past
      [1000n, 1000n, 5, 0],
      [1n << 40n, 0n, 0, 0], // u32 truncation of the shifted delta
      [(1n << 37n) - 1n, 0n, 5, 0xffffffff],
    ])("preemptionTimerValue(%s, %s, %i) = %i", (hv, host, r, expected) => {
      expect(impl.preemptionTimerValue(hv, host, r)).toBe(expected);
    });
    test("default rate is 5", () => {
      expect(impl.preemptionTimerValue(64n, 0n)).toBe(2);
    });
  });
});
