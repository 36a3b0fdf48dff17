// Several percentiles of one histogram in one pass over its counts. hdr-histogram-js's
// getValueAtPercentile walks the counts from slot 0 for every call; a result asks for
// four percentiles of each latency histogram (per vCPU, per VM and in total, in ns and in
// guest cycles), and those walks were the largest cost of building a small run's result
// (a sweep pays it per run: docs/performance.md). The values are the library's, by
// construction: the same count threshold (its ulp-guarded round-up) and the same slot
// value, found by one monotone walk instead of one walk per percentile (a property test
// in test/metrics-percentiles.test.ts holds them equal).

import type { JsHistogram } from "hdr-histogram-js";
import { nonZeroSlots, type CountsArray } from "./nonzero-slots.js";

/** The library's ulp (hdr-histogram-js/dist/ulp.js). */
const ulp = (x: number): number => Math.pow(2, Math.floor(Math.log2(x)) - 52);

/** The count getValueAtPercentile walks to for `percentile` of `totalCount` samples. */
function countAtPercentile(percentile: number, totalCount: number): number {
  const fp = (Math.min(percentile, 100) / 100) * totalCount;
  return Math.max(Math.ceil(fp - ulp(fp)), 1);
}

/** `h.getValueAtPercentile(p)` for each p of `percentiles`, which must be ascending. */
export function valuesAtPercentiles(h: JsHistogram, percentiles: readonly number[]): number[] {
  const out = new Array<number>(percentiles.length).fill(0);
  const targets = percentiles.map((p) => countAtPercentile(p, h.totalCount));
  for (let k = 1; k < targets.length; k++) {
    if (!(percentiles[k]! >= percentiles[k - 1]!)) throw new RangeError(`valuesAtPercentiles: percentiles must be ascending (${percentiles.join(", ")})`);
  }
  // The counts array itself where the histogram has one (TypedArrayHistogram's public
  // `_counts`, indexed as getCountAtIndex indexes it): only its slots that hold counts are
  // read (nonzero-slots.ts). Other histograms through getCountAtIndex, slot by slot from
  // slot 0 and then from the slot of minNonZeroValue (every record updates it; the slots
  // between are 0).
  const counts = (h as { _counts?: unknown })._counts;
  const length = h.countsArrayLength;
  const direct = ArrayBuffer.isView(counts) && !(counts instanceof DataView) && (counts as CountsArray).length >= length;
  const firstNonZero = h.minNonZeroValue <= h.maxValue ? Math.max(h.countsArrayIndex(h.minNonZeroValue), 1) : length;
  const next = direct ? nonZeroSlots(counts as CountsArray, length) : (i: number) => (i === 1 ? firstNonZero : i);
  let k = 0;
  let total = 0;
  for (let i = next(0); i < length; i = next(i + 1)) {
    total += direct ? (counts as CountsArray)[i]! : h.getCountAtIndex(i);
    if (total < targets[k]!) continue;
    const value = h.valueFromIndex(i);
    while (k < targets.length && total >= targets[k]!) {
      out[k] = percentiles[k] === 0 ? h.lowestEquivalentValue(value) : h.highestEquivalentValue(value);
      k++;
    }
    if (k === targets.length) break;
  }
  return out;
}
