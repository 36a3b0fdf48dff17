// LatencyHistogram64.add (src/metrics/histogram.ts) reads only the slots that can hold
// counts; hdr-histogram-js's own add() reads them all. Same random histograms into both:
// the sums must be the same histogram (every slot, the totals, the extremes, the time
// stamps, the compressed encoding), including values of 0, negative counts (the period
// lateness histograms record some), empty histograms, a resize, and several adds in turn.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { encodeIntoCompressedBase64, Float64Histogram, JsHistogram } from "hdr-histogram-js";
import { newAggregateHistogram, newVcpuHistogram, type LatencyHistogram } from "../src/metrics/histogram.js";

const RECORD = fc.record({
  value: fc.oneof(fc.constant(0), fc.nat({ max: 5000 }), fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 2 ** 16, max: 2 ** 24 })),
  count: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -3, max: -1 })),
});
const HISTOGRAM = fc.record({ aggregate: fc.boolean(), records: fc.array(RECORD, { maxLength: 40 }), startMs: fc.nat({ max: 1000 }), endMs: fc.nat({ max: 1000 }) });

type HistogramSpec = typeof HISTOGRAM extends fc.Arbitrary<infer S> ? S : never;

function build(spec: HistogramSpec): LatencyHistogram {
  const h = spec.aggregate ? newAggregateHistogram() : newVcpuHistogram();
  for (const r of spec.records) h.recordValueWithCount(r.value, r.count);
  h.startTimeStampMsec = spec.startMs;
  h.endTimeStampMsec = spec.endMs;
  return h;
}

function snapshot(h: LatencyHistogram) {
  const counts = Array.from({ length: h.countsArrayLength }, (_, i) => h.getCountAtIndex(i));
  return { counts, total: h.totalCount, max: h.maxValue, min: h.minNonZeroValue, start: h.startTimeStampMsec, end: h.endTimeStampMsec, length: h.countsArrayLength };
}

const libraryAdd = (into: LatencyHistogram, other: LatencyHistogram) => JsHistogram.prototype.add.call(into, other);

describe("LatencyHistogram64.add", () => {
  test("is the library's add(): same slots, totals, extremes, time stamps and encoding", () => {
    fc.assert(
      fc.property(fc.array(HISTOGRAM, { minLength: 1, maxLength: 4 }), (specs) => {
        const ours = newAggregateHistogram();
        const theirs = newAggregateHistogram();
        for (const spec of specs) {
          ours.add(build(spec));
          libraryAdd(theirs, build(spec));
        }
        expect(snapshot(ours)).toEqual(snapshot(theirs));
        // Negative counts make the library's encoder throw; compare encodings where it can.
        if (snapshot(theirs).counts.every((c) => c >= 0)) expect(encodeIntoCompressedBase64(ours)).toBe(encodeIntoCompressedBase64(theirs));
      }),
      { numRuns: 150 },
    );
  });

  test("another kind of histogram goes through the library's add()", () => {
    const other = new Float64Histogram(1, 2 ** 16, 3);
    other.recordValueWithCount(1234, 3);
    const ours = newAggregateHistogram();
    ours.add(other);
    expect(ours.totalCount).toBe(3);
    expect(ours.getCountAtIndex(ours.countsArrayIndex(1234))).toBe(3);
  });
});
