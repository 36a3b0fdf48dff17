import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { Int32Histogram } from "hdr-histogram-js";
import { LatencyHistogram32, LatencyHistogram64, latencySummary, SIGNIFICANT_DIGITS } from "../src/metrics/histogram.js";

// One index formula, two implementations (the library's log2/pow one and our clz32
// one): feed both the same values, as HdrHistogramJS does for its JS and wasm backends.
describe("fast bucket index", () => {
  const configs = [
    [1, 2 ** 16],
    [1, 2 ** 40],
    [1000, 2 ** 30],
  ] as const;

  test.each(configs)("equals the library's index (lowest %d, highest %d)", (lowest, highest) => {
    const ours = new LatencyHistogram32(lowest, highest, SIGNIFICANT_DIGITS);
    const theirs = new Int32Histogram(lowest, highest, SIGNIFICANT_DIGITS);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat({ max: 4096 }),
          fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          fc.integer({ min: 2 ** 32, max: 2 ** 40 }),
          fc.integer({ min: 0, max: 31 }).map((k) => 2 ** k),
          fc.integer({ min: 1, max: 32 }).map((k) => 2 ** k - 1),
          fc.double({ min: 0, max: 1e9, noNaN: true }),
        ),
        (v) => {
          expect(ours.countsArrayIndex(v)).toBe(theirs.countsArrayIndex(v));
        },
      ),
      { numRuns: 5000 },
    );
  });

  test("negative values are refused, as by the library", () => {
    expect(() => new LatencyHistogram32(1, 2 ** 16, 3).countsArrayIndex(-1)).toThrow();
  });

  test("same values → same counts and percentiles as the library's histogram", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 34 }), { minLength: 1, maxLength: 300 }), (values) => {
        const ours = new LatencyHistogram64(1, 2 ** 16, 3);
        const theirs = new Int32Histogram(1, 2 ** 16, 3);
        ours.autoResize = theirs.autoResize = true;
        for (const v of values) {
          ours.recordValue(v);
          theirs.recordValue(v);
        }
        for (const p of [0, 1, 50, 90, 99, 99.9, 100]) expect(ours.getValueAtPercentile(p)).toBe(theirs.getValueAtPercentile(p));
        expect(ours.totalCount).toBe(theirs.totalCount);
      }),
      { numRuns: 200 },
    );
  });
});

describe("latencySummary", () => {
  test("percentiles are capped at the exact max (HdrHistogram reports a bucket's top)", () => {
    const h = new LatencyHistogram64(1, 2 ** 16, 3);
    h.autoResize = true;
    h.recordValue(1_234_567);
    expect(h.getValueAtPercentile(99.9)).toBeGreaterThan(1_234_567);
    const s = latencySummary(h, 1_234_567, 1_234_567, 1_234_567);
    expect(s.p999).toBe(1_234_567);
    expect(s.p50).toBe(1_234_567);
  });

  test("values below 2048 are exact at 3 significant digits", () => {
    const h = new LatencyHistogram32(1, 2 ** 16, 3);
    for (let v = 1; v <= 1000; v++) h.recordValue(v);
    const s = latencySummary(h, 1, 500.5, 1000);
    expect([s.p50, s.p90, s.p99, s.p999]).toEqual([500, 900, 990, 999]);
  });
});
