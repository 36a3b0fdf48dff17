// Latency histograms: hdr-histogram-js with a faster bucket index (issue #3 §7).
//
// The library's JS histograms find a value's slot with Math.log2 and Math.pow, which
// measured ~90 ns per recordValue here; the engine records two values (ns and cycles)
// per interrupt and aims at 2·10^6 interrupts/s. For values below 2^32 the subclasses
// below compute the same slot with Math.clz32 and shifts (the Java HdrHistogram's own
// formula), ~10 ns per record; larger values fall back to the library. A property test
// pins both indices equal, so counts, percentiles and add() are the library's.
//
// Histograms hold values >= 0 only: callers record early interrupts as 0 (see
// VcpuMetrics.recordLatency).

import { Float64Histogram, Int32Histogram, type JsHistogram } from "hdr-histogram-js";
import type { LatencySummary } from "./latency-summary.js";
import { valuesAtPercentiles } from "./percentiles.js";
import { nonZeroSlots } from "./nonzero-slots.js";

/** 3 significant digits: 0.1 % value resolution. */
export const SIGNIFICANT_DIGITS = 3;
/**
 * Initial range; histograms auto-resize on a larger value, so memory follows the
 * largest latency seen (each further power of two costs 1024 slots) rather than a
 * worst case fixed up front.
 */
export const INITIAL_HIGHEST_TRACKABLE = 1 << 16;

const TWO_POW_32 = 4294967296;

// HdrHistogram's slot index for 0 <= value < 2^32, without log2/pow:
// bucket = max(floor(log2 value) − subBucketHalfCountMagnitude − unitMagnitude, 0),
// sub-bucket = value >> (bucket + unitMagnitude).
function fastCountsIndex(h: JsHistogram, value: number): number {
  const shift = 31 - Math.clz32(value) - h.subBucketHalfCountMagnitude - h.unitMagnitude;
  const bucketIndex = shift > 0 ? shift : 0;
  const subBucketIndex = value >>> (bucketIndex + h.unitMagnitude);
  return ((bucketIndex + 1) << h.subBucketHalfCountMagnitude) + subBucketIndex - h.subBucketHalfCount;
}

/** Per-vCPU histogram: 32-bit counts (one vCPU at 1 kHz needs 24 days to reach 2^31). */
export class LatencyHistogram32 extends Int32Histogram {
  override countsArrayIndex(value: number): number {
    return value >= 0 && value < TWO_POW_32 ? fastCountsIndex(this, value) : super.countsArrayIndex(value);
  }
}

/** The library's own bookkeeping, which add() below updates as the library's add() does. */
interface JsHistogramInternals {
  updatedMaxValue(value: number): void;
  updateMinNonZeroValue(value: number): void;
}

/**
 * Host-wide / aggregate histogram: float counts, exact to 2^53. 10^5 vCPUs at 1 kHz put
 * 2^31 samples into one bucket in ~21 s of simulated time when the delays are fixed,
 * and Int32Histogram's counts wrap there.
 */
export class LatencyHistogram64 extends Float64Histogram {
  override countsArrayIndex(value: number): number {
    return value >= 0 && value < TWO_POW_32 ? fastCountsIndex(this, value) : super.countsArrayIndex(value);
  }

  /**
   * The library's add() for another latency histogram of the same layout, reading only
   * the slots that hold counts (nonzero-slots.ts). The library walks all ~8,000 slots
   * through a method call each, which made a one-vCPU, 1 ms run's result cost more than
   * its simulation and had V8 compile add() with TurboFan mid-command
   * (docs/performance.md). Same counts, totals, extremes and
   * time stamps as the library's add() (a property test holds them equal); any other
   * case (another layout, a resize, another kind of histogram) is the library's.
   */
  override add(other: JsHistogram): void {
    if (
      !(other instanceof LatencyHistogram32 || other instanceof LatencyHistogram64) ||
      this.bucketCount !== other.bucketCount ||
      this.subBucketCount !== other.subBucketCount ||
      this.unitMagnitude !== other.unitMagnitude ||
      this.highestEquivalentValue(this.valueFromIndex(this.countsArrayLength - 1)) < other.maxValue
    ) {
      super.add(other);
      return;
    }
    // Int32Histogram's and Float64Histogram's counts: an Int32Array and a Float64Array.
    const from = other._counts as Int32Array | Float64Array;
    const length = other.countsArrayLength;
    const next = nonZeroSlots(from, length);
    let observed = 0;
    for (let i = next(0); i < length; i = next(i + 1)) {
      const count = from[i]!;
      if (count > 0) {
        this.addToCountAtIndex(i, count);
        observed += count;
      }
    }
    this.setTotalCount(this.totalCount + observed);
    const internals = this as unknown as JsHistogramInternals;
    internals.updatedMaxValue(Math.max(this.maxValue, other.maxValue));
    internals.updateMinNonZeroValue(Math.min(this.minNonZeroValue, other.minNonZeroValue));
    this.startTimeStampMsec = Math.min(this.startTimeStampMsec, other.startTimeStampMsec);
    this.endTimeStampMsec = Math.max(this.endTimeStampMsec, other.endTimeStampMsec);
  }
}

export type LatencyHistogram = LatencyHistogram32 | LatencyHistogram64;

function configure<H extends LatencyHistogram>(h: H): H {
  h.autoResize = true;
  return h;
}

export function newVcpuHistogram(): LatencyHistogram32 {
  return configure(new LatencyHistogram32(1, INITIAL_HIGHEST_TRACKABLE, SIGNIFICANT_DIGITS));
}

export function newAggregateHistogram(): LatencyHistogram64 {
  return configure(new LatencyHistogram64(1, INITIAL_HIGHEST_TRACKABLE, SIGNIFICANT_DIGITS));
}

const SUMMARY_PERCENTILES = [50, 90, 99, 99.9] as const;

/**
 * min/mean/max from exact running values, percentiles from the histogram. HdrHistogram
 * reports a percentile as the highest value equivalent to its bucket, which can exceed
 * the exact maximum by up to 0.1 %; percentiles are capped at `max` so that a reader
 * never sees p99.9 > max. Early interrupts sit at 0 in the histogram, so percentiles
 * are never negative unless every sample was early (then all of them are `max`).
 */
export function latencySummary(h: LatencyHistogram, min: number, mean: number, max: number): LatencySummary {
  // One walk over the counts for the four (percentiles.ts), the library's values.
  const [p50, p90, p99, p999] = valuesAtPercentiles(h, SUMMARY_PERCENTILES).map((v) => Math.min(v, max)) as [number, number, number, number];
  return { min, mean, p50, p90, p99, p999, max };
}
