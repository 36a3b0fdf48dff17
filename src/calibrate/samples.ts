// A bounded, seeded sample of a delay's values (Vitter's algorithm R): a trace of any
// length is read in constant memory, and the same trace always gives the same sample.

import { seededUniform } from "../seeded-uniform.js";

export const DEFAULT_RESERVOIR = 200_000;

export class Reservoir {
  private readonly values: Float64Array;
  /** Values offered (the sample holds min(seen, capacity) of them). */
  seen = 0;
  private readonly rand: () => number;

  constructor(capacity = DEFAULT_RESERVOIR, seed = 1) {
    this.values = new Float64Array(capacity);
    this.rand = seededUniform(seed);
  }

  add(x: number): void {
    const cap = this.values.length;
    if (this.seen < cap) this.values[this.seen] = x;
    else {
      const j = Math.floor(this.rand() * (this.seen + 1));
      if (j < cap) this.values[j] = x;
    }
    this.seen++;
  }

  /** The kept values, sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.values.length)).sort();
  }
}

/** The q-quantile of sorted values (linear interpolation between order statistics). */
export function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
