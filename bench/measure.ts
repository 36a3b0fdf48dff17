// benchmark.js wrapper: per-element time from the median of the samples (the machine is
// shared and noisy, so the median is quoted; the mean and its relative margin of error
// are kept for reference).

import Benchmark from "benchmark";
import { median } from "./report.js";

export interface Measurement {
  /** Median over samples of (time per op / elements per op), in ns. */
  nsPerElement: number;
  meanNsPerElement: number;
  minNsPerElement: number;
  /** benchmark.js relative margin of error of the mean, percent. */
  rmePercent: number;
  samples: number;
  elementsPerOp: number;
}

export interface MeasureOptions {
  /** Seconds benchmark.js may spend on one measurement (after minSamples are taken). */
  maxTime: number;
  minSamples: number;
}


/** Times `op` (which processes `elementsPerOp` elements) and returns ns per element. */
export function measure(name: string, op: () => void, elementsPerOp: number, options: MeasureOptions): Measurement {
  const bench = new Benchmark(name, op, {
    maxTime: options.maxTime,
    minSamples: options.minSamples,
    initCount: 1,
  });
  bench.run({ async: false });
  if (bench.error) throw new Error(`benchmark "${name}" failed: ${String((bench.error as Error).message ?? bench.error)}`);
  const perElementNs = bench.stats.sample.map((secondsPerOp) => (secondsPerOp * 1e9) / elementsPerOp);
  return {
    nsPerElement: median(perElementNs),
    meanNsPerElement: (bench.stats.mean * 1e9) / elementsPerOp,
    minNsPerElement: Math.min(...perElementNs),
    rmePercent: bench.stats.rme,
    samples: perElementNs.length,
    elementsPerOp,
  };
}
