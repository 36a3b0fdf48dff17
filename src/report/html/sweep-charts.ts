// The charts of a sweep: a heatmap of one metric over two axes (mean over the seeds
// and any other axis), the metric along one axis with its spread across seeds (one line
// per value of the second axis), and — when the results lines carry histograms — the
// latency histogram pooled per value of the first axis.

import type { Histogram } from "hdr-histogram-js";
import { InputRangeError } from "../../errors.js";
import { didYouMean } from "../../scenario/suggest.js";
import { canonicalJson } from "../../sweep/identity.js";
import { scanResults } from "../../sweep/results-file.js";
import { compareAxisValues, summarize, type Summary } from "../../sweep/summarize.js";
import { decodeHistogram, poolHistograms } from "../hdr.js";
import { bucketWidthUs, microsecondBuckets, withGaps } from "./latency-data.js";
import type { ChartSpec } from "./run-charts.js";

export interface SweepReportOptions {
  /** The metric (a numeric result path); default latency.ns.p99. */
  metric?: string;
  /** The heatmap's x axis and the lines' x axis; default the sweep's first axis. */
  x?: string;
  /** The heatmap's y axis, one line per value; default the second axis (none with a one-axis sweep). */
  y?: string;
}

export const DEFAULT_SWEEP_METRIC = "latency.ns.p99";

/** ECharts' default palette, so that a line and its band share a colour. */
const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

/** 4 significant digits: a mean over seeds has no more meaning than that, and cells stay readable. */
function sig4(v: number | null): number | null {
  return v === null ? null : Number(v.toPrecision(4));
}

function label(v: unknown): string {
  return typeof v === "string" ? v : canonicalJson(v ?? null);
}

/** The sweep's axes (the first ok line's params) and its first ok line's result. */
function firstOk(files: readonly string[]): { axes: string[] } {
  let axes: string[] | undefined;
  for (const f of files) {
    scanResults(f, (line) => {
      if (axes === undefined && line.status === "ok") axes = Object.keys(line.params);
    });
    if (axes !== undefined) break;
  }
  if (axes === undefined) throw new InputRangeError("results", files.join(", "), "a results file with at least one ok run");
  return { axes };
}

function pickAxis(flag: string, given: string | undefined, fallback: string | undefined, axes: string[]): string | undefined {
  if (given === undefined) return fallback;
  if (!axes.includes(given)) throw new InputRangeError(flag, given, `an axis of the sweep: ${axes.join(", ") || "(none: the sweep has only seeds)"}${didYouMean(given, axes)}`);
  return given;
}

function ordered(s: Summary, path: string): string[] {
  const seen: string[] = [];
  for (const g of s.groups) {
    const l = label(g.params[path]);
    if (!seen.includes(l)) seen.push(l);
  }
  return seen;
}

function heatmap(s: Summary, metric: string, x: string, y: string): ChartSpec {
  const xs = ordered(s, x);
  // summarize orders groups by x first; y's values in their own natural order.
  const yValues = new Map(s.groups.map((g) => [label(g.params[y]), g.params[y]]));
  const yOrder = [...yValues.entries()].sort((a, b) => compareAxisValues(a[1], b[1])).map(([l]) => l);
  const data: [number, number, number | null][] = s.groups.map((g) => [xs.indexOf(label(g.params[x])), yOrder.indexOf(label(g.params[y])), sig4(g.metrics[metric]!.mean)]);
  const values = data.map((d) => d[2]).filter((v): v is number => v !== null);
  return {
    id: "sweep-heatmap",
    title: `${metric} over ${x} × ${y}`,
    note: `Mean of ${metric} over the seeds (and any axis not shown) in each cell.`,
    option: {
      animation: false,
      tooltip: { position: "top" },
      grid: { left: 110, right: 110, top: 30, bottom: 60 },
      xAxis: { type: "category", data: xs, name: x, nameLocation: "middle", nameGap: 30, splitArea: { show: true } },
      yAxis: { type: "category", data: yOrder, name: y, splitArea: { show: true } },
      visualMap: { min: values.length > 0 ? Math.min(...values) : 0, max: values.length > 0 ? Math.max(...values) : 1, calculable: true, orient: "vertical", right: 10, top: "middle" },
      series: [{ name: metric, type: "heatmap", data: data.map(([i, j, v]) => [i, j, v ?? "-"]), label: { show: xs.length * yOrder.length <= 100 } }],
    },
  };
}

function lines(s: Summary, metric: string, x: string, y: string | undefined): ChartSpec {
  const xs = ordered(s, x);
  const groupsOfLine = new Map<string, Summary["groups"]>();
  for (const g of s.groups) {
    const key = y === undefined ? metric : `${y}=${label(g.params[y])}`;
    groupsOfLine.set(key, [...(groupsOfLine.get(key) ?? []), g]);
  }
  const series: Record<string, unknown>[] = [];
  let k = 0;
  for (const [name, groups] of groupsOfLine) {
    const at = (pick: (m: NonNullable<Summary["groups"][number]["metrics"][string]>) => number | null): (number | string)[] =>
      xs.map((xv) => {
        const g = groups.find((gg) => label(gg.params[x]) === xv);
        const v = g === undefined ? null : sig4(pick(g.metrics[metric]!));
        return v === null ? "-" : v;
      });
    const min = at((m) => m.min);
    const max = at((m) => m.max);
    const spread = max.map((hi, i) => (typeof hi === "number" && typeof min[i] === "number" ? sig4(hi - (min[i] as number))! : "-"));
    const color = PALETTE[k % PALETTE.length];
    const stack = `spread-${k++}`;
    // The band: an invisible line at the minimum, and the spread stacked on it.
    series.push({ name: `${name} min`, type: "line", data: min, stack, color, lineStyle: { opacity: 0 }, showSymbol: false, silent: true, tooltip: { show: false } });
    series.push({ name: `${name} spread`, type: "line", data: spread, stack, color, lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.2 }, showSymbol: false, silent: true });
    series.push({ name, type: "line", color, data: at((m) => m.mean), showSymbol: true });
  }
  return {
    id: "sweep-lines",
    title: `${metric} along ${x}`,
    note: `Mean over the seeds (line) and their spread, min to max (band)${y === undefined ? "" : `, one line per ${y}`}.`,
    option: {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 5, type: "scroll", data: [...groupsOfLine.keys()] },
      grid: { left: 80, right: 30, top: 40, bottom: 55 },
      xAxis: { type: "category", data: xs, name: x, nameLocation: "middle", nameGap: 30, boundaryGap: false },
      yAxis: { type: "value", name: metric, scale: true },
      series,
    },
  };
}

/** Latency histograms pooled per value of `x` (every seed and other axis added), when lines carry them. */
function pooledHistograms(files: readonly string[], x: string): ChartSpec | null {
  const pooled = new Map<string, Histogram[]>();
  const seen = new Set<string>();
  for (const f of files) {
    scanResults(f, (line) => {
      const enc = line.result?.histograms?.all;
      if (line.status !== "ok" || enc === undefined || seen.has(line.id)) return;
      seen.add(line.id);
      const key = label(line.params[x]);
      // Pool as we go: one histogram per x value in memory, whatever the file's length.
      const acc = pooled.get(key);
      pooled.set(key, [poolHistograms([...(acc ?? []), decodeHistogram(enc)])]);
    });
  }
  if (pooled.size === 0) return null;
  const hs = [...pooled.entries()];
  const width = bucketWidthUs(Math.max(...hs.map(([, [h]]) => h!.getValueAtPercentile(100))));
  return {
    id: "sweep-histograms",
    title: `Latency histogram pooled per ${x}`,
    note: `Interrupts per ${width} µs bucket, every run with that ${x} added together (all seeds and other axes), log counts.`,
    option: {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 5, type: "scroll" },
      grid: { left: 70, right: 30, top: 40, bottom: 55 },
      xAxis: { type: "value", name: "latency (µs)", nameLocation: "middle", nameGap: 30, min: 0 },
      yAxis: { type: "log", name: "interrupts", min: 1 },
      series: hs.map(([name, [h]]) => ({ name: `${x}=${name}`, type: "line", step: "end", showSymbol: false, data: withGaps(microsecondBuckets(h!, width), width) })),
    },
  };
}

/** Every chart of a sweep's results (one or more files, e.g. shards). */
export function sweepCharts(files: readonly string[], options: SweepReportOptions = {}): { charts: ChartSpec[]; summary: Summary; x: string; y: string | undefined; metric: string } {
  const { axes } = firstOk(files);
  const metric = options.metric ?? DEFAULT_SWEEP_METRIC;
  const x = pickAxis("--x", options.x, axes[0], axes);
  if (x === undefined) throw new InputRangeError("results", files.join(", "), "a sweep with at least one axis (a seeds-only sweep has nothing to plot against)");
  const y = pickAxis("--y", options.y, axes.find((a) => a !== x), axes);
  if (y === x) throw new InputRangeError("--y", y, `an axis other than --x (${x})`);
  const summary = summarize(files, { by: y === undefined ? [x] : [x, y], metrics: [metric] });
  const charts = [...(y === undefined ? [] : [heatmap(summary, metric, x, y)]), lines(summary, metric, x, y)];
  const h = pooledHistograms(files, x);
  if (h !== null) charts.push(h);
  return { charts, summary, x, y, metric };
}
