// nonZeroSlots (src/metrics/nonzero-slots.ts) skips blocks of zero counts with a byte
// compare: it must visit exactly the slots whose count is not 0, in order, for 32-bit
// and float counts, any length (a partial last block), a view that starts inside its
// buffer, and counts on every block boundary.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { nonZeroSlots, type CountsArray } from "../src/metrics/nonzero-slots.js";

function visited(counts: CountsArray, length: number): number[] {
  const next = nonZeroSlots(counts, length);
  const out: number[] = [];
  for (let i = next(0); i < length; i = next(i + 1)) out.push(i);
  return out;
}

function expected(counts: CountsArray, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(length, counts.length); i++) if (counts[i] !== 0) out.push(i);
  return out;
}

const SPEC = fc.record({
  float: fc.boolean(),
  length: fc.integer({ min: 0, max: 2000 }),
  offset: fc.integer({ min: 0, max: 3 }),
  // Positions near block edges (64 float or 128 32-bit counts a block) and anywhere.
  slots: fc.array(fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 31 }).chain((b) => fc.constantFrom(b * 64 - 1, b * 64, b * 128 - 1, b * 128))), { maxLength: 12 }),
  values: fc.array(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -9, max: -1 }), fc.constant(-0), fc.constant(0.5)), { minLength: 12, maxLength: 12 }),
});

describe("nonZeroSlots", () => {
  test("visits exactly the slots whose count is not 0", () => {
    fc.assert(
      fc.property(SPEC, ({ float, length, offset, slots, values }) => {
        const buffer = new ArrayBuffer((length + offset) * 8);
        const counts: CountsArray = float ? new Float64Array(buffer, offset * 8, length) : new Int32Array(buffer, offset * 4, length);
        new Uint8Array(buffer).fill(0xff, 0, offset * counts.BYTES_PER_ELEMENT); // bytes before the view are not the view's
        slots.forEach((s, k) => {
          if (s >= 0 && s < length) counts[s] = values[k]!;
        });
        expect(visited(counts, length)).toEqual(expected(counts, length));
      }),
      { numRuns: 500 },
    );
  });

  test("every slot of a block, alone, is found; so is the last slot of a partial block", () => {
    for (const make of [(n: number) => new Int32Array(n), (n: number) => new Float64Array(n)]) {
      for (const length of [256, 300]) {
        for (let s = 0; s < length; s++) {
          const counts = make(length);
          counts[s] = 1;
          expect(visited(counts, length)).toEqual([s]);
        }
      }
    }
  });
});
