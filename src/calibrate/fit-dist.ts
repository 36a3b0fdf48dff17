// Fitting a delay's samples to the distribution forms scenario files accept
// (src/scenario/delays.ts): fixed, uniform, normal and lognormal by their own parameters
// (lognormal by its median and p99, the way the file states it), each scored by the
// Kolmogorov–Smirnov distance to the samples; the best parametric form is kept when its
// distance is within what sampling alone explains, else the samples themselves
// (`empirical`, as quantiles).

import { Z_P99, normalCdf } from "../sim/distributions.js";
import type { DelayDistFile } from "../scenario/delays.js";
import { quantile } from "./samples.js";

export type FormName = "fixed" | "uniform" | "normal" | "lognormal" | "empirical";

export interface Candidate {
  form: FormName;
  dist: DelayDistFile;
  /** KS distance to the samples (0..1). */
  ks: number;
}

export interface DelayFit {
  n: number;
  quantilesNs: { p1: number; p10: number; p50: number; p90: number; p99: number; p999: number; max: number };
  candidates: Candidate[];
  chosen: Candidate;
  /** The KS distance a parametric form may have and still be kept. */
  acceptKs: number;
}

/** Empirical distributions keep this many quantiles. */
export const EMPIRICAL_POINTS = 1000;

function ns(x: number): string {
  return `${Math.max(0, Math.round(x))}ns`;
}

/** KS distance between sorted samples and a continuous CDF. */
export function ksDistance(sorted: Float64Array, cdf: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    const lo = f - i / n;
    const hi = (i + 1) / n - f;
    if (lo > d) d = lo;
    if (hi > d) d = hi;
  }
  return d;
}

/** KS distance between two samples given as sorted arrays. */
export function ksTwoSample(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i]! <= x) i++;
    while (j < b.length && b[j]! <= x) j++;
    const diff = Math.abs(i / a.length - j / b.length);
    if (diff > d) d = diff;
  }
  return d;
}

function parametric(sorted: Float64Array): Candidate[] {
  const n = sorted.length;
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  const out: Candidate[] = [];
  if (min === max) {
    out.push({ form: "fixed", dist: { dist: "fixed", value: ns(min) }, ks: 0 });
    return out;
  }
  out.push({ form: "uniform", dist: { dist: "uniform", min: ns(min), max: ns(max) }, ks: ksDistance(sorted, (x) => (x <= min ? 0 : x >= max ? 1 : (x - min) / (max - min))) });
  let sum = 0;
  for (const x of sorted) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of sorted) ss += (x - mean) * (x - mean);
  const sd = Math.sqrt(ss / Math.max(1, n - 1));
  if (sd > 0) out.push({ form: "normal", dist: { dist: "normal", mean: ns(mean), sd: ns(sd) }, ks: ksDistance(sorted, (x) => normalCdf((x - mean) / sd)) });
  const median = quantile(sorted, 0.5);
  const p99 = quantile(sorted, 0.99);
  if (median >= 1 && p99 > median) {
    const mu = Math.log(Math.round(median));
    const sigma = (Math.log(Math.round(p99)) - mu) / Z_P99;
    out.push({ form: "lognormal", dist: { dist: "lognormal", median: ns(median), p99: ns(p99) }, ks: ksDistance(sorted, (x) => (x <= 0 ? 0 : normalCdf((Math.log(x) - mu) / sigma))) });
  }
  return out;
}

/** The samples as `empirical`: EMPIRICAL_POINTS evenly spaced quantiles (all samples when fewer). */
function empirical(sorted: Float64Array): Candidate {
  const n = sorted.length;
  const k = Math.min(n, EMPIRICAL_POINTS);
  const points: string[] = [];
  const kept = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const x = k === n ? sorted[i]! : quantile(sorted, (i + 0.5) / k);
    kept[i] = Math.round(x);
    points.push(ns(x));
  }
  // The distance of the kept points from all samples (a step CDF against a step CDF).
  return { form: "empirical", dist: { dist: "empirical", samples: points }, ks: ksTwoSample(sorted, kept) };
}

/** Fits sorted samples (at least one). */
export function fitDelay(sorted: Float64Array): DelayFit {
  const n = sorted.length;
  const candidates = [...parametric(sorted), empirical(sorted)];
  // KS critical value at the 1 % level (1.63/√n), with a floor: a form within 1.5 % of
  // the samples' CDF everywhere is as good as the samples for a simulation.
  const acceptKs = Math.max(1.63 / Math.sqrt(n), 0.015);
  const best = candidates.filter((c) => c.form !== "empirical").sort((a, b) => a.ks - b.ks)[0];
  const chosen = best !== undefined && best.ks <= acceptKs ? best : candidates[candidates.length - 1]!;
  const q = (p: number) => quantile(sorted, p);
  return {
    n,
    quantilesNs: { p1: q(0.01), p10: q(0.1), p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: sorted[n - 1]! },
    candidates,
    chosen,
    acceptKs,
  };
}
