// The sweep bench's interval for a median (bench/sweep-stats.ts): checked against the
// published order-statistic table for the median's distribution-free 95 % interval and
// against its own coverage by simulation.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { medianInterval } from "../bench/sweep-stats.js";

const ranks = (n: number): [number, number] | null => {
  const iv = medianInterval(Array.from({ length: n }, (_, i) => i + 1));
  return iv === null ? null : [iv.low, iv.high];
};

describe("medianInterval", () => {
  it("gives the tabled ranks at 95 %", () => {
    // Nonparametric 95 % interval for a median: ranks (j, n + 1 - j), the usual table.
    expect(ranks(5)).toBeNull();
    expect(ranks(6)).toEqual([1, 6]);
    expect(ranks(10)).toEqual([2, 9]);
    expect(ranks(15)).toEqual([4, 12]);
    expect(ranks(20)).toEqual([6, 15]);
    expect(ranks(30)).toEqual([10, 21]);
    expect(ranks(45)).toEqual([16, 30]);
  });

  it("states a coverage of at least the level, and exact for n = 15", () => {
    expect(medianInterval(Array.from({ length: 15 }, (_, i) => i))!.coverage).toBeCloseTo(1 - 2 * (576 / 32768), 12);
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 200 }), (n) => {
        const iv = medianInterval(Array.from({ length: n }, (_, i) => i))!;
        expect(iv.coverage).toBeGreaterThanOrEqual(0.95);
        expect(iv.low).toBeLessThanOrEqual(iv.high);
      }),
    );
  });

  it("does not depend on the samples' order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 6, maxLength: 60 }), (xs) => {
        const a = medianInterval(xs);
        const b = medianInterval([...xs].reverse());
        expect(a).toEqual(b);
        const sorted = [...xs].sort((p, q) => p - q);
        expect(a!.low).toBeGreaterThanOrEqual(sorted[0]!);
        expect(a!.high).toBeLessThanOrEqual(sorted.at(-1)!);
      }),
    );
  });
});
