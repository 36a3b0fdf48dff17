// benchmark.js wrapper: per-element time from the median of the samples (the machine is
// shared and noisy, so the median is quoted; the mean and its relative margin of error
// are kept for reference).

import Benchmark from "benchmark";

/** The median of the samples (the figure quoted: the machine may be shared and noisy). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of no samples");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

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
  /** Seconds a sample must last at least (benchmark.js' default is 0.05 s or more). */
  minTime?: number;
}


/** Times `op` (which processes `elementsPerOp` elements) and returns ns per element. */
export function measure(name: string, op: () => void, elementsPerOp: number, options: MeasureOptions): Measurement {
  const bench = new Benchmark(name, op, {
    maxTime: options.maxTime,
    minSamples: options.minSamples,
    initCount: 1,
    ...(options.minTime !== undefined ? { minTime: options.minTime } : {}),
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
