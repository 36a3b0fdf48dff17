// Latency histograms in HdrHistogram's own formats, so that HdrHistogram's tools (and
// hdr-histogram-js) read what tscsim measured:
//  - the compressed base64 encoding (HdrHistogram's V2 encoding, deflated, base64; the
//    "HISTFAAA…" strings of its log files), carried by results under `histograms`;
//  - the .hgrm percentile distribution text (outputPercentileDistribution).
// The histograms hold ns (3 significant digits; early interrupts as 0, see
// metrics/histogram.ts).

import { decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";
import type { HostMetrics } from "../metrics/host-metrics.js";
import { newAggregateHistogram, type LatencyHistogram } from "../metrics/histogram.js";

export const HISTOGRAM_ENCODING = "hdrhistogram-v2-compressed-base64";

/** The latency histograms of a run as a result carries them. */
export interface ResultHistograms {
  encoding: typeof HISTOGRAM_ENCODING;
  unit: "ns";
  /** Every vCPU's interrupts. */
  all: string;
  /**
   * One per VM, in VM order, when the run has more than one VM (with one, `all` is that
   * VM's: not written twice). Also empty when the run shared one histogram among all
   * vCPUs (above 64 vCPUs): then per-VM histograms were not kept.
   */
  vms: { vm: number; encoded: string }[];
}

/** A run's ns histograms in memory (no copies: the collectors' own where possible). */
export interface RunHistograms {
  all: LatencyHistogram;
  /** Per VM (merged from its vCPUs'), or null when the vCPUs shared one histogram. */
  vms: { vm: number; histogram: LatencyHistogram }[] | null;
  /** Per vCPU in collector order, or null when the vCPUs shared one histogram. */
  vcpus: { vm: number; vcpu: number; histogram: LatencyHistogram }[] | null;
}

/** The histograms of a finished run's collectors. */
export function runHistograms(host: HostMetrics): RunHistograms {
  if (!host.options.perVcpuHistograms) {
    const all = host.sharedLatencyNs!;
    const vmIds = new Set<number>();
    // By index: the wasm engine's collectors are not made for this (HostMetrics.vmOf).
    for (let i = 0; i < host.vcpuCount; i++) vmIds.add(host.vmOf(i));
    // One VM: its histogram is the shared one.
    const vms = vmIds.size === 1 ? [{ vm: [...vmIds][0]!, histogram: all }] : null;
    return { all, vms, vcpus: null };
  }
  const all = newAggregateHistogram();
  const byVm = new Map<number, LatencyHistogram>();
  for (const m of host.vcpus) {
    const h = m.histograms.ns;
    all.add(h);
    let vmH = byVm.get(m.vm);
    if (vmH === undefined) byVm.set(m.vm, (vmH = newAggregateHistogram()));
    vmH.add(h);
  }
  const vms = [...byVm.entries()].sort((x, y) => x[0] - y[0]).map(([vm, histogram]) => ({ vm, histogram }));
  const vcpus = host.vcpus.map((m) => ({ vm: m.vm, vcpu: m.vcpu, histogram: m.histograms.ns }));
  return { all, vms, vcpus };
}

/** HdrHistogram's compressed base64 form (deterministic: same counts, same string). */
export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** A histogram from its compressed base64 form (64-bit counts). */
export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 64);
}

export function encodeRunHistograms(h: RunHistograms): ResultHistograms {
  return {
    encoding: HISTOGRAM_ENCODING,
    unit: "ns",
    all: encodeHistogram(h.all),
    vms: h.vms === null || h.vms.length < 2 ? [] : h.vms.map((v) => ({ vm: v.vm, encoded: encodeHistogram(v.histogram) })),
  };
}

/** The sum of histograms (counts added slot by slot): pooled percentiles across runs. */
export function poolHistograms(hs: Iterable<Histogram>): Histogram {
  const pooled = newAggregateHistogram();
  for (const h of hs) pooled.add(h as unknown as Parameters<typeof pooled.add>[0]);
  return pooled;
}

/**
 * The .hgrm text: HdrHistogram's percentile distribution (Value, Percentile,
 * TotalCount, 1/(1-Percentile), then the Mean/StdDeviation/Max/Total count/Buckets
 * footer), values in `unitNs` ns (1000: µs, as HdrHistogram's plotter expects ms or µs
 * and labels the axis by the user's choice). Five ticks per half distance, as
 * HdrHistogram's own default.
 */
export function renderHgrm(h: Histogram, unitNs = 1000): string {
  return h.outputPercentileDistribution(5, unitNs, false);
}
