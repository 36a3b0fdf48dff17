// valuesAtPercentiles (src/metrics/percentiles.ts) against the library's own
// getValueAtPercentile, one call per percentile: the same histograms, random data.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { newAggregateHistogram, newVcpuHistogram } from "../src/metrics/histogram.js";
import { valuesAtPercentiles } from "../src/metrics/percentiles.js";

const PERCENTILES = fc.uniqueArray(fc.oneof(fc.constantFrom(0, 50, 90, 99, 99.9, 99.99, 100, 120), fc.double({ min: 0, max: 100, noNaN: true })), { minLength: 1, maxLength: 8 }).map((ps) => [...ps].sort((a, b) => a - b));
const VALUES = fc.array(fc.oneof(fc.nat({ max: 5000 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(0)), { maxLength: 400 });

describe("valuesAtPercentiles", () => {
  test.each([
    ["per-vCPU (32-bit counts)", newVcpuHistogram],
    ["aggregate (float counts)", newAggregateHistogram],
  ] as const)("%s: equals getValueAtPercentile for every percentile", (_name, make) => {
    fc.assert(
      fc.property(VALUES, PERCENTILES, fc.integer({ min: 1, max: 5 }), (values, ps, weight) => {
        const h = make();
        for (const v of values) h.recordValueWithCount(v, weight);
        expect(valuesAtPercentiles(h, ps)).toEqual(ps.map((p) => h.getValueAtPercentile(p)));
      }),
      { numRuns: 300 },
    );
  });

  test("an empty histogram gives 0, as the library does", () => {
    const h = newVcpuHistogram();
    expect(valuesAtPercentiles(h, [50, 99])).toEqual([h.getValueAtPercentile(50), h.getValueAtPercentile(99)]);
  });

  test("percentiles out of order are refused", () => {
    expect(() => valuesAtPercentiles(newVcpuHistogram(), [99, 50])).toThrow(RangeError);
  });
});
