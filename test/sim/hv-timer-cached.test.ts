// vmx_set_hv_timer with the L1-ratio divide through a cached reciprocal (the wasm engine's
// hvArm, assembly/hv_timer.ts vmxSetHvTimerCached) against the long-division form the
// API and the reference use: the same status and results for every input, whether the
// cache holds the ratio or has to be refilled.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { wasm } from "../../src/wasm.js";
import { u64, vmxRatio } from "../arbitraries.js";

const U64_MAX = (1n << 64n) - 1n;

interface Outcome {
  status: number;
  delta?: bigint;
  deadline?: bigint;
  expired?: boolean;
}

type SetHvTimer = (deadline: bigint, guest: bigint, host: bigint, advance: bigint, ratio: bigint, fracBits: number, rate: number, max: bigint) => number;

function outcome(f: SetHvTimer, a: readonly [bigint, bigint, bigint, bigint, bigint, number, bigint]): Outcome {
  const [deadline, guest, host, advance, ratio, rate, max] = a;
  const status = f(deadline, guest, host, advance, ratio, 48, rate, max);
  if (status !== wasm.Status.Ok) return { status };
  return { status, delta: wasm.getHvDeltaHostCycles(), deadline: wasm.getHvDeadlineHostTsc(), expired: wasm.getHvExpired() };
}

const input = fc.tuple(
  u64,
  fc.oneof(fc.bigInt({ min: -10_000_000n, max: 10_000_000n }), fc.bigInt({ min: -(1n << 40n), max: 1n << 50n }), u64),
  u64,
  fc.oneof(fc.constantFrom(0n, 2100n), fc.bigInt({ min: 0n, max: 1n << 20n }), u64),
  // A few ratios, so the cache is hit and refilled; the default ratio skips the divide.
  fc.oneof(fc.constantFrom(1n << 48n, 0xb33333333333n, 0x1000000000001n, 1n, U64_MAX), vmxRatio),
  fc.integer({ min: 0, max: 31 }),
  fc.oneof(fc.constantFrom(0xffffffffn, U64_MAX, 0n), u64),
);

describe("vmxSetHvTimerCached = vmxSetHvTimer", () => {
  test("property: the same status, delta, deadline and expiry over realistic and random inputs", () => {
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 8 }), (calls) => {
        for (const [guest, d, host, advance, ratio, rate, max] of calls) {
          const args = [BigInt.asUintN(64, guest + d), guest, host, advance, ratio, rate, max] as const;
          const cached = outcome(wasm.vmxSetHvTimerCached, args);
          const plain = outcome(wasm.vmxSetHvTimer, args);
          expect(cached).toEqual(plain);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("the overflow edge: the shifted delta's high word equal to and just below the ratio", () => {
    const ratio = 0xb33333333333n;
    // delta >> 16 == ratio overflows (u64_shl_div_u64's check), one less divides.
    for (const delta of [ratio << 16n, (ratio << 16n) - 1n, ((ratio - 1n) << 16n) | 0xffffn]) {
      const args = [delta, 0n, 5n, 0n, ratio, 5, U64_MAX] as const;
      expect(outcome(wasm.vmxSetHvTimerCached, args)).toEqual(outcome(wasm.vmxSetHvTimer, args));
    }
    expect(outcome(wasm.vmxSetHvTimerCached, [ratio << 16n, 0n, 5n, 0n, ratio, 5, U64_MAX]).status).toBe(wasm.Status.ERange);
    expect(outcome(wasm.vmxSetHvTimerCached, [(ratio << 16n) - 1n, 0n, 5n, 0n, ratio, 5, U64_MAX]).status).toBe(wasm.Status.Ok);
  });
});
