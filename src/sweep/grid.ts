// The grid: the cross product of the axes, times the seeds, in one documented order —
// the first axis varies slowest and the seed fastest, like nested loops written in the
// sweep file's order with the seed loop innermost. Run `index` is the position in that
// order; runs are computed from their index (mixed-radix digits), never stored, so a
// million-run grid costs nothing until it is walked.

import type { SweepSpec } from "./file.js";
import { canonicalJson, runIdOfCanonical } from "./identity.js";

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
  /** canonicalJson of `set`, the same for every run. */
  private readonly setJson: string;
  /** The last combination runAt met and its params' canonical JSON: a combination's seeds are consecutive runs. */
  private lastCombo = -1;
  private lastParamsJson = "";

  constructor(readonly spec: SweepSpec) {
    this.combinations = spec.axes.reduce((n, a) => n * a.values.length, 1);
    this.size = this.combinations * spec.seeds.length;
    this.setJson = canonicalJson(Object.fromEntries(spec.set));
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
    const combo = Math.floor(index / seeds);
    const params = this.paramsAt(combo);
    const seed = this.spec.seeds[index % seeds]!;
    // The sweep's main thread makes the id of every run it hands out (runner.ts) and of
    // every run of the shard on --resume: only the SHA-256 is per run (identity.ts).
    if (combo !== this.lastCombo) {
      this.lastParamsJson = canonicalJson(params);
      this.lastCombo = combo;
    }
    return { index, params, seed, id: runIdOfCanonical(this.spec.base.digest, this.setJson, this.lastParamsJson, seed) };
  }

  /** Every run in grid order. */
  *runs(): Generator<RunSpec> {
    for (let i = 0; i < this.size; i++) yield this.runAt(i);
  }
}
