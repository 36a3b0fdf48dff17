// The charts of a run and of a compare (A and B overlaid), as ECharts options: plain
// JSON that the page hands to echarts.setOption (no functions, so it can be embedded).

import type { Histogram } from "hdr-histogram-js";
import type { RunResult, VcpuResult } from "../../metrics/types.js";
import { EXIT_REASON_NAMES } from "../../metrics/vcpu-metrics.js";
import { decodeHistogram } from "../hdr.js";
import { bucketWidthUs, microsecondBuckets, percentileCurve, summaryCurve, withGaps } from "./latency-data.js";

/** One chart of the page. */
export interface ChartSpec {
  id: string;
  title: string;
  /** A sentence under the title: what is drawn and how to read it. */
  note: string;
  option: Record<string, unknown>;
}

/** A run as the report draws it: its result and its ns histograms (null when not carried). */
export interface ReportRun {
  label: string;
  result: RunResult;
  all: Histogram | null;
  vms: Map<number, Histogram>;
}

/** A result's carried histograms, decoded. */
export function reportRun(label: string, result: RunResult): ReportRun {
  const h = result.histograms;
  const vms = new Map<number, Histogram>();
  for (const v of h?.vms ?? []) vms.set(v.vm, decodeHistogram(v.encoded));
  return { label, result, all: h === undefined ? null : decodeHistogram(h.all), vms };
}

const BASE = { animation: false, grid: { left: 70, right: 30, top: 40, bottom: 55 }, tooltip: { trigger: "axis" }, legend: { top: 5, type: "scroll" } };

function vmIds(result: RunResult): number[] {
  return [...new Set(result.vcpus.map((v) => v.vm))].sort((a, b) => a - b);
}

function vcpusOf(result: RunResult, vm: number): VcpuResult[] {
  return result.vcpus.filter((v) => v.vm === vm);
}

interface Curve {
  name: string;
  histogram: Histogram | null;
  /** Fallback when no histogram is carried. */
  summary: RunResult["latency"]["ns"];
  count: number;
}

/** Per VM where histograms allow it, else the run's whole. */
function curvesOf(run: ReportRun, prefix: string): Curve[] {
  const ids = vmIds(run.result);
  if (ids.length > 1 && run.vms.size === ids.length) {
    return ids.map((vm) => ({ name: `${prefix}VM ${vm}`, histogram: run.vms.get(vm)!, summary: run.result.latency.ns, count: run.vms.get(vm)!.totalCount }));
  }
  return [{ name: `${prefix}${ids.length > 1 ? "all VMs" : `VM ${ids[0] ?? 0}`}`, histogram: run.all, summary: run.result.latency.ns, count: run.result.interrupts }];
}

function histogramChart(curves: Curve[]): ChartSpec | null {
  const drawn = curves.filter((c): c is Curve & { histogram: Histogram } => c.histogram !== null && c.histogram.totalCount > 0);
  if (drawn.length === 0) return null;
  const width = bucketWidthUs(Math.max(...drawn.map((c) => c.histogram.getValueAtPercentile(100))));
  return {
    id: "latency-histogram",
    title: "Latency histogram",
    note: `Interrupts per ${width} µs latency bucket (guest TSC at the handler − deadline), counts on a log scale, as OSADL plots cyclictest; early interrupts count at 0.`,
    option: {
      ...BASE,
      xAxis: { type: "value", name: "latency (µs)", nameLocation: "middle", nameGap: 30, min: 0 },
      yAxis: { type: "log", name: "interrupts", min: 1, logBase: 10 },
      series: drawn.map((c) => ({ name: c.name, type: "line", step: "end", showSymbol: false, connectNulls: false, data: withGaps(microsecondBuckets(c.histogram, width), width) })),
    },
  };
}

function percentileChart(curves: Curve[]): ChartSpec {
  return {
    id: "latency-percentiles",
    title: "Latency by percentile",
    note: "Latency against 1/(1−percentile) on a log axis (2 = p50, 10 = p90, 100 = p99, 1000 = p99.9), as HdrHistogram plots a percentile distribution. Without carried histograms only the summary percentiles are drawn.",
    option: {
      ...BASE,
      xAxis: { type: "log", name: "1/(1−percentile)", nameLocation: "middle", nameGap: 30, min: 1 },
      yAxis: { type: "value", name: "latency (µs)" },
      series: curves.map((c) => ({ name: c.name, type: "line", showSymbol: true, symbolSize: 3, data: c.histogram !== null ? percentileCurve(c.histogram) : summaryCurve(c.summary, c.count) })),
    },
  };
}

const MAX_ADVANCE_LINES = 16;

function advanceChart(runs: { prefix: string; result: RunResult }[]): ChartSpec | null {
  const series = runs.flatMap(({ prefix, result }) => {
    const withSeries = result.vcpus.filter((v) => v.advanceNs.series.length > 0);
    const shown = withSeries.length > 0 ? withSeries.slice(0, MAX_ADVANCE_LINES) : [];
    if (shown.length === 0 && result.advanceNs.series.length > 0) {
      return [{ name: `${prefix}first vCPU`, type: "line", showSymbol: false, data: result.advanceNs.series.map(([t, a]) => [t / 1e6, a]) }];
    }
    return shown.map((v) => ({ name: `${prefix}VM ${v.vm} vCPU ${v.vcpu}`, type: "line", showSymbol: false, data: v.advanceNs.series.map(([t, a]) => [t / 1e6, a]) }));
  });
  if (series.length === 0) return null;
  return {
    id: "advance",
    title: "Timer advance over time",
    note: `timer_advance_ns as each vCPU's wait saw it (sampled), against simulated time; up to ${MAX_ADVANCE_LINES} vCPUs per run.`,
    option: { ...BASE, xAxis: { type: "value", name: "simulated time (ms)", nameLocation: "middle", nameGap: 30 }, yAxis: { type: "value", name: "advance (ns)" }, series },
  };
}

function perSecond(count: number, simulatedNs: number): number {
  return simulatedNs > 0 ? Math.round((count / (simulatedNs / 1e9)) * 10) / 10 : 0;
}

function exitsChart(runs: { prefix: string; result: RunResult }[]): ChartSpec {
  const series = runs.flatMap(({ prefix, result }) =>
    vmIds(result).map((vm) => {
      const vs = vcpusOf(result, vm);
      return { name: `${prefix}VM ${vm}`, type: "bar", data: EXIT_REASON_NAMES.map((r) => perSecond(vs.reduce((n, v) => n + v.exits[r], 0), result.simulatedNs)) };
    }),
  );
  return {
    id: "exits",
    title: "VM exits by reason",
    note: "Exits per simulated second, all vCPUs of a VM together.",
    option: { ...BASE, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, xAxis: { type: "category", data: [...EXIT_REASON_NAMES] }, yAxis: { type: "value", name: "exits / s" }, series },
  };
}

function cpuChart(runs: { prefix: string; result: RunResult }[]): ChartSpec {
  const categories: string[] = [];
  const spin: number[] = [];
  const poll: number[] = [];
  for (const { prefix, result } of runs) {
    for (const vm of vmIds(result)) {
      const vs = vcpusOf(result, vm);
      const vcpuNs = vs.length * result.simulatedNs;
      const pct = (ns: number): number => (vcpuNs > 0 ? Math.round((ns / vcpuNs) * 1e6) / 1e4 : 0);
      categories.push(`${prefix}VM ${vm}`);
      spin.push(pct(vs.reduce((n, v) => n + v.spinNs, 0)));
      poll.push(pct(vs.reduce((n, v) => n + v.haltPollNs, 0)));
    }
  }
  return {
    id: "cpu",
    title: "Host CPU: busy-wait and halt polling",
    note: "Host CPU burned in the busy-wait before VM entry (kvm_wait_lapic_expire) and in halt polling (kvm_vcpu_halt), as % of the VM's vCPU time.",
    option: {
      ...BASE,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: categories },
      yAxis: { type: "value", name: "% of vCPU time" },
      series: [
        { name: "busy-wait", type: "bar", data: spin },
        { name: "halt polling", type: "bar", data: poll },
      ],
    },
  };
}

/** Every chart of one run. */
export function runCharts(run: ReportRun): ChartSpec[] {
  const curves = curvesOf(run, "");
  const one = [{ prefix: "", result: run.result }];
  return [histogramChart(curves), percentileChart(curves), advanceChart(one), exitsChart(one), cpuChart(one)].filter((c): c is ChartSpec => c !== null);
}

/** A compare's charts: A and B overlaid on each. */
export function compareCharts(a: ReportRun, b: ReportRun): ChartSpec[] {
  // Overlays compare the sides' wholes: per-VM lines of two sides would double the legend.
  const whole = (r: ReportRun, prefix: string): Curve => ({ name: prefix, histogram: r.all, summary: r.result.latency.ns, count: r.result.interrupts });
  const curves = [whole(a, "A"), whole(b, "B")];
  const both = [
    { prefix: "A · ", result: a.result },
    { prefix: "B · ", result: b.result },
  ];
  return [histogramChart(curves), percentileChart(curves), advanceChart(both), exitsChart(both), cpuChart(both)].filter((c): c is ChartSpec => c !== null);
}
