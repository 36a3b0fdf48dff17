// Plot data from latency histograms (ns, HdrHistogram): the OSADL-style histogram —
// interrupts per µs bucket, counts on a log axis, as OSADL plots cyclictest's -h
// output — and the percentile curve (latency against 1/(1−percentile), as
// HdrHistogram's own plotter draws .hgrm files).

import type { Histogram } from "hdr-histogram-js";

/** Bucket widths in µs, in the 1-2-5 series: the finest that keeps at most MAX_BUCKETS buckets. */
const MAX_BUCKETS = 2000;

export function bucketWidthUs(maxNs: number): number {
  const maxUs = Math.max(1, Math.ceil(maxNs / 1000));
  for (let decade = 1; ; decade *= 10) {
    for (const step of [1, 2, 5]) if (maxUs / (step * decade) <= MAX_BUCKETS) return step * decade;
  }
}

interface CountsIterable {
  /** hdr-histogram-js's slot accessors (JsHistogram). */
  countsArrayLength: number;
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
  medianEquivalentValue(v: number): number;
}

/**
 * Interrupts per bucket of `widthUs` µs: [bucket start µs, count] for every non-empty
 * bucket, ascending. Each HdrHistogram slot goes to the bucket of its median
 * equivalent value: below 2048 ns a slot is 1 ns wide, so µs buckets are exact there;
 * above, a slot can be wider than 1 µs (0.1 % of its value) and its count lands in one
 * bucket.
 */
export function microsecondBuckets(h: Histogram, widthUs: number): [number, number][] {
  const hh = h as unknown as CountsIterable;
  const counts = new Map<number, number>();
  for (let i = 0; i < hh.countsArrayLength; i++) {
    const c = hh.getCountAtIndex(i);
    if (c === 0) continue;
    const ns = hh.medianEquivalentValue(hh.valueFromIndex(i));
    const b = Math.floor(ns / 1000 / widthUs) * widthUs;
    counts.set(b, (counts.get(b) ?? 0) + c);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * A line through the non-empty buckets that breaks (a null) where buckets are empty,
 * so a gap in the histogram is drawn as a gap, not as a slope.
 */
export function withGaps(buckets: [number, number][], widthUs: number): [number, number | null][] {
  const out: [number, number | null][] = [];
  for (let i = 0; i < buckets.length; i++) {
    const [b, c] = buckets[i]!;
    out.push([b, c]);
    const next = buckets[i + 1];
    if (next !== undefined && next[0] > b + widthUs) out.push([b + widthUs, null]);
  }
  return out;
}

/**
 * The percentile curve: [1/(1−p), latency µs] at p = 1 − 10^(−k/10) for k = 0, 1, …
 * while 1/(1−p) stays within the sample count (beyond it the curve says nothing),
 * then the maximum at 1/(1−p) = the count.
 */
export function percentileCurve(h: Histogram): [number, number][] {
  const n = h.totalCount;
  if (n === 0) return [];
  const out: [number, number][] = [];
  for (let k = 0; ; k++) {
    const inv = 10 ** (k / 10);
    if (inv > n) break;
    const p = 100 * (1 - 1 / inv);
    out.push([round(inv), h.getValueAtPercentile(p) / 1000]);
  }
  // From the counts (not maxValue, which a decoded histogram knows only to its bucket).
  out.push([n, h.getValueAtPercentile(100) / 1000]);
  return out;
}

/** The percentile curve from a result's summary alone (no histogram carried). */
export function summaryCurve(s: { p50: number | null; p90: number | null; p99: number | null; p999: number | null; max: number | null; min: number | null }, count: number): [number, number][] {
  const pts: [number, number | null][] = [
    [1, s.min === null ? null : Math.max(0, s.min)],
    [2, s.p50],
    [10, s.p90],
    [100, s.p99],
    [1000, s.p999],
    [Math.max(count, 1000), s.max],
  ];
  return pts.filter((p): p is [number, number] => p[1] !== null && (p[0] <= count || p[0] === Math.max(count, 1000))).map(([x, y]) => [x, y / 1000]);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
