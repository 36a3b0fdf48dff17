// The grid: the cross product of the axes, times the seeds, in one documented order —
// the first axis varies slowest and the seed fastest, like nested loops written in the
// sweep file's order with the seed loop innermost. Run `index` is the position in that
// order; runs are computed from their index (mixed-radix digits), never stored, so a
// million-run grid costs nothing until it is walked.

import type { SweepSpec } from "./file.js";
import { runId } from "./identity.js";

export interface RunSpec {
  /** Position in the grid order (0-based). */
  index: number;
  /** Axis path -> value, in axis order. */
  params: Record<string, unknown>;
  seed: number;
  /** Stable identity (identity.ts). */
  id: string;
}

export class Grid {
  /** Parameter combinations (product of the axis lengths; 1 with no axes). */
  readonly combinations: number;
  /** Runs: combinations × seeds. */
  readonly size: number;
  private readonly setRecord: Record<string, unknown>;

  constructor(readonly spec: SweepSpec) {
    this.combinations = spec.axes.reduce((n, a) => n * a.values.length, 1);
    this.size = this.combinations * spec.seeds.length;
    this.setRecord = Object.fromEntries(spec.set);
  }

  /** The axis values of combination `combo` (0 ≤ combo < combinations). */
  paramsAt(combo: number): Record<string, unknown> {
    const params: Record<string, unknown> = {};
    const digits: unknown[] = [];
    let rest = combo;
    for (let a = this.spec.axes.length - 1; a >= 0; a--) {
      const values = this.spec.axes[a]!.values;
      digits[a] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    this.spec.axes.forEach((axis, a) => {
      params[axis.path] = digits[a];
    });
    return params;
  }

  runAt(index: number): RunSpec {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`run index ${index} outside the grid (0..${this.size - 1})`);
    const seeds = this.spec.seeds.length;
    const params = this.paramsAt(Math.floor(index / seeds));
    const seed = this.spec.seeds[index % seeds]!;
    return { index, params, seed, id: runId({ baseDigest: this.spec.base.digest, set: this.setRecord, params, seed }) };
  }

  /** Every run in grid order. */
  *runs(): Generator<RunSpec> {
    for (let i = 0; i < this.size; i++) yield this.runAt(i);
  }
}
