// `tscsim summarize` (issue #5 §5): ok runs grouped by chosen axis paths, each metric
// aggregated over the runs of a group (the seeds, and any axis not grouped by): n, mean,
// sample standard deviation, min and max. Streaming: a group keeps running sums
// (Welford), not its runs, so a results file of any length summarises in constant
// memory per group. A run that appears twice (a resumed or merged file) counts once;
// failed runs are counted and left out.

import { InputRangeError } from "../errors.js";
import { parseDurationNs, parseFrequencyKhz } from "../units.js";
import { didYouMean } from "../scenario/suggest.js";
import { canonicalJson } from "./identity.js";
import type { ResultLine } from "./line.js";
import { scanResults } from "./results-file.js";
import { decodeHistogram, poolHistograms } from "../report/hdr.js";
import type { Histogram } from "hdr-histogram-js";
import { DEFAULT_METRICS } from "./default-metrics.js";

export { DEFAULT_METRICS };

export interface MetricStats {
  /** Runs where the metric has a value (a latency of a run without interrupts is null). */
  n: number;
  mean: number | null;
  /** Sample standard deviation (n − 1); null below 2 values. */
  sd: number | null;
  min: number | null;
  max: number | null;
  /**
   * Latency percentiles only, when the results lines carry histograms and pooling is on:
   * the percentile of all the group's interrupts together (the runs' histograms added),
   * capped at the largest exact maximum as a run's own percentiles are. Otherwise absent.
   */
  pooled?: number | null;
}

export interface SummaryGroup {
  /** The grouping paths' values. */
  params: Record<string, unknown>;
  /** Ok runs in the group. */
  runs: number;
  metrics: Record<string, MetricStats>;
}

export interface Summary {
  by: string[];
  metrics: string[];
  groups: SummaryGroup[];
  okRuns: number;
  /** Runs whose only line is a failure. */
  failedRuns: number;
  /** Repeated lines of a run counted once. */
  duplicates: number;
  /** Latency percentiles were pooled from the runs' histograms (SummarizeOptions.pool and every ok line carried them). */
  pooled: boolean;
}

/** The percentiles a pooled histogram gives, by metric path. */
const POOLABLE: Record<string, number> = { "latency.ns.p50": 50, "latency.ns.p90": 90, "latency.ns.p99": 99, "latency.ns.p999": 99.9 };

class Accumulator {
  n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;

  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  stats(): MetricStats {
    if (this.n === 0) return { n: 0, mean: null, sd: null, min: null, max: null };
    return { n: this.n, mean: this.mean, sd: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : null, min: this.min, max: this.max };
  }
}

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Numeric (or null) leaves of a result, for "did you mean" lists; per-vCPU and series left out. */
export function metricPaths(result: unknown, prefix = ""): string[] {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return [];
  return Object.entries(result).flatMap(([k, v]) => {
    const path = prefix === "" ? k : `${prefix}.${k}`;
    // Per-vCPU figures, the advance series and the run's own seed are not metrics to average.
    if (k === "vcpus" || k === "series" || (prefix === "" && k === "seed")) return [];
    if (typeof v === "number" || v === null) return [path];
    return metricPaths(v, path);
  });
}

function unknownMetric(metric: string, result: unknown): InputRangeError {
  const paths = metricPaths(result);
  const shown = paths.filter((p) => p.startsWith("latency.ns.") || !p.startsWith("latency.")).slice(0, 14);
  return new InputRangeError("--metric", metric, `a numeric result path such as ${shown.join(", ")} (docs/results-format.md)${didYouMean(metric, paths)}`);
}

function unknownAxis(path: string, params: Record<string, unknown>): InputRangeError {
  const axes = [...Object.keys(params), "seed"];
  return new InputRangeError("--by", path, `an axis path of the sweep: ${axes.join(", ")}${didYouMean(path, axes)}`);
}

/** A sortable number for a value written with units, else undefined. */
function magnitude(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  for (const parse of [(s: string) => Number(parseDurationNs("v", s)), (s: string) => parseFrequencyKhz("v", s)]) {
    try {
      return parse(v);
    } catch {
      // not this kind
    }
  }
  return undefined;
}

/** Natural order of axis values: numbers and quantities with units by size, then the rest as text. */
export function compareAxisValues(a: unknown, b: unknown): number {
  const ma = magnitude(a);
  const mb = magnitude(b);
  if (ma !== undefined && mb !== undefined && ma !== mb) return ma - mb;
  if (ma !== undefined && mb === undefined) return -1;
  if (ma === undefined && mb !== undefined) return 1;
  const sa = typeof a === "string" ? a : canonicalJson(a ?? null);
  const sb = typeof b === "string" ? b : canonicalJson(b ?? null);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export interface SummarizeOptions {
  /** Axis paths to group by; undefined: every axis of the first run (one group per parameter combination). */
  by?: string[];
  metrics?: string[];
  /**
   * Pool latency percentiles across a group's runs (default true): add the runs'
   * histograms (results lines carry them, `histograms.all`) and take the percentile of
   * the sum — the percentile of every interrupt of the group, which a mean of per-run
   * percentiles is not. False, or any line without histograms: mean ± sd of the runs'
   * own percentiles only.
   */
  pool?: boolean;
}

export function summarize(files: readonly string[], options: SummarizeOptions = {}): Summary {
  const metrics = options.metrics ?? [...DEFAULT_METRICS];
  let by = options.by;
  const groups = new Map<string, { params: Record<string, unknown>; runs: number; acc: Accumulator[]; histogram: Histogram | null; maxNs: number }>();
  const poolable = metrics.some((m) => m in POOLABLE);
  let pooled = options.pool !== false && poolable;
  const okIds = new Set<string>();
  const failedIds = new Set<string>();
  let duplicates = 0;
  let checked = false;

  const visit = (line: ResultLine): void => {
    if (line.status === "failed") {
      if (failedIds.has(line.id)) duplicates++;
      failedIds.add(line.id);
      return;
    }
    if (okIds.has(line.id)) {
      duplicates++;
      return;
    }
    okIds.add(line.id);
    const axes = { ...line.params, seed: line.seed };
    if (!checked) {
      // Results share one schema and a sweep's lines one set of axes: the first ok line
      // tells whether a path exists, before any work is wasted.
      by ??= Object.keys(line.params);
      for (const path of by) if (!(path in axes)) throw unknownAxis(path, line.params);
      for (const m of metrics) {
        const v = valueAt(line.result, m);
        if (typeof v !== "number" && v !== null) throw unknownMetric(m, line.result);
      }
      checked = true;
    }
    const params = Object.fromEntries(by!.map((p) => [p, axes[p as keyof typeof axes]]));
    const key = canonicalJson(by!.map((p) => params[p] ?? null));
    let group = groups.get(key);
    if (group === undefined) {
      group = { params, runs: 0, acc: metrics.map(() => new Accumulator()), histogram: null, maxNs: -Infinity };
      groups.set(key, group);
    }
    group.runs++;
    if (pooled) {
      const encoded = (line.result as { histograms?: { all?: unknown } }).histograms?.all;
      if (typeof encoded !== "string") pooled = false;
      else {
        const h = decodeHistogram(encoded);
        group.histogram = group.histogram === null ? h : poolHistograms([group.histogram, h]);
        const max = valueAt(line.result, "latency.ns.max");
        if (typeof max === "number" && max > group.maxNs) group.maxNs = max;
      }
    }
    metrics.forEach((m, i) => {
      const v = valueAt(line.result, m);
      if (typeof v === "number" && Number.isFinite(v)) group.acc[i]!.add(v);
    });
  };
  for (const file of files) scanResults(file, visit);

  const ordered = [...groups.values()].sort((a, b) => {
    for (const p of by ?? []) {
      const c = compareAxisValues(a.params[p], b.params[p]);
      if (c !== 0) return c;
    }
    return 0;
  });
  let failedRuns = 0;
  for (const id of failedIds) if (!okIds.has(id)) failedRuns++;
  return {
    by: by ?? [],
    metrics,
    groups: ordered.map((g) => ({
      params: g.params,
      runs: g.runs,
      metrics: Object.fromEntries(
        metrics.map((m, i) => {
          const stats = g.acc[i]!.stats();
          const p = POOLABLE[m];
          if (!pooled || p === undefined) return [m, stats];
          const h = g.histogram;
          return [m, { ...stats, pooled: h === null || h.totalCount === 0 ? null : Math.min(h.getValueAtPercentile(p), g.maxNs) }];
        }),
      ),
    })),
    okRuns: okIds.size,
    failedRuns,
    duplicates,
    pooled,
  };
}
