// `tscsim check`: the cyclictest a measured file describes, simulated on the scenario
// (with the fitted host profile), and the two latency distributions side by side —
// percentiles and the Kolmogorov–Smirnov distance between the binned distributions.

import type { ScenarioConfig } from "../scenario/types.js";
import { Simulation } from "../sim/engine.js";
import type { MetricsSink } from "../sim/metrics-sink.js";
import type { MeasuredLatency } from "./cyclictest-files.js";

/** Bin counts of a latency distribution, plus samples past the last bin. */
export interface Binned {
  counts: number[];
  overflows: number;
}

export const CHECK_QUANTILES = [0.5, 0.9, 0.99, 0.999] as const;

/** The smallest bin whose cumulative count reaches q of all samples (Infinity: in the overflow). */
export function binQuantile(b: Binned, q: number): number {
  const total = b.counts.reduce((a, c) => a + c, 0) + b.overflows;
  const need = q * total;
  let cum = 0;
  for (let i = 0; i < b.counts.length; i++) {
    cum += b.counts[i]!;
    if (cum >= need && cum > 0) return i;
  }
  return Number.POSITIVE_INFINITY;
}

/** KS distance between two binned distributions on the same bins (overflow at +∞). */
export function binnedKs(a: Binned, b: Binned): number {
  const ta = a.counts.reduce((x, c) => x + c, 0) + a.overflows;
  const tb = b.counts.reduce((x, c) => x + c, 0) + b.overflows;
  if (ta === 0 || tb === 0) return Number.NaN;
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let i = 0; i < Math.max(a.counts.length, b.counts.length); i++) {
    ca += a.counts[i] ?? 0;
    cb += b.counts[i] ?? 0;
    d = Math.max(d, Math.abs(ca / ta - cb / tb));
  }
  return d;
}

/** A MetricsSink that only bins latencies (cyclictest's truncation to whole bins). */
class BinningSink implements MetricsSink {
  constructor(
    private readonly out: Binned,
    private readonly binNs: number,
    private readonly bins: number,
  ) {}
  recordLatency(_cycles: number, latencyNs: number): void {
    const bin = Math.floor(Math.max(0, latencyNs) / this.binNs);
    if (bin >= this.bins) this.out.overflows++;
    else this.out.counts[bin] = (this.out.counts[bin] ?? 0) + 1;
  }
  recordExit(): void {}
  addSpinNs(): void {}
  timerArm(): void {}
  hvFallback(): void {}
  hvToSw(): void {}
  swToHv(): void {}
  coalesced(): void {}
  haltPoll(): void {}
  recordAdvance(): void {}
  hrtimerCallback(): void {}
  addCounts(): void {}
}

/** Simulates the scenario and bins its latencies as the measured file does. */
export function simulateBinned(config: ScenarioConfig, measured: MeasuredLatency, histogramBins = 0): Binned {
  const out: Binned = { counts: [], overflows: 0 };
  const bins = Math.max(measured.counts.length, histogramBins, 1);
  const sink = new BinningSink(out, measured.binNs, bins);
  new Simulation(config, () => sink).run();
  for (let i = 0; i < bins; i++) out.counts[i] ??= 0;
  return out;
}

export interface CheckResult {
  measured: { n: number; overflows: number; quantiles: number[]; max: number | null };
  simulated: { n: number; overflows: number; quantiles: number[] };
  ks: number;
  binNs: number;
}

export function compareLatency(measured: MeasuredLatency, sim: Binned): CheckResult {
  const m: Binned = { counts: measured.counts, overflows: measured.overflows };
  const count = (b: Binned) => b.counts.reduce((a, c) => a + c, 0) + b.overflows;
  return {
    measured: { n: count(m), overflows: m.overflows, quantiles: CHECK_QUANTILES.map((q) => binQuantile(m, q)), max: measured.max },
    simulated: { n: count(sim), overflows: sim.overflows, quantiles: CHECK_QUANTILES.map((q) => binQuantile(sim, q)) },
    ks: binnedKs(m, sim),
    binNs: measured.binNs,
  };
}
