// The simulated host clock (assembly/sim/host_clock.ts): the host TSC from ns and back.
// nsWhenHostTscReaches divides by the host kHz through a precomputed reciprocal; it must
// equal the exact ceiling of the inverse, checked against BigInt.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { wasm } from "../../src/wasm.js";

const I64_MAX = 2n ** 63n - 1n;

/** The earliest ns >= 0 at which base + floor(ns * khz / 10^6) >= tsc, capped at i64 max. */
function reference(khz: bigint, base: bigint, tsc: bigint): bigint {
  if (tsc <= base) return 0n;
  const d = tsc - base;
  if ((d * 1_000_000n) >> 64n >= khz) return I64_MAX;
  let ns = (d * 1_000_000n) / khz;
  // hostTscAt(ns) = base + floor(ns * khz / 10^6), computed as in wasm (q·khz + r·khz/10^6, u64 wrap).
  const at = (n: bigint): bigint => (base + (n / 1_000_000n) * khz + ((n % 1_000_000n) * khz) / 1_000_000n) % 2n ** 64n;
  if (at(ns) < tsc) ns += 1n;
  return ns > I64_MAX ? I64_MAX : ns;
}

describe("host clock", () => {
  test("property: nsWhenHostTscReaches = the exact inverse (random and edge kHz, TSC values)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 0xffffffff }), fc.constantFrom(1, 2, 1000, 2_994_000, 3_000_000, 0x80000000, 0xffffffff)),
        fc.bigInt({ min: 0n, max: 2n ** 40n - 1n }),
        fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 50n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 20n - 1n })),
        (khz, base, tsc) => {
          wasm.setHostClock(khz, base, 0n);
          expect(wasm.nsWhenHostTscReaches(tsc)).toBe(reference(BigInt(khz), base, tsc));
        },
      ),
      { numRuns: 50_000 },
    );
  });
});
