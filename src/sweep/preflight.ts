// Up-front validation (issue #5 §1): every run's scenario is validated before the first
// run starts, so a sweep never dies at run 3,000 on a value it could have refused at
// once. The seed does not take part in any cross-field rule (and seeds were checked as
// integers when the sweep file was parsed), so each parameter combination is validated
// once, with its first seed, and a failure is reported for all of its seeds.

import { ScenarioError } from "../scenario/errors.js";
import { SweepError, type InvalidRun } from "./errors.js";
import type { Grid } from "./grid.js";
import { configOfRun } from "./scenario-of-run.js";

/** Throws a SweepError listing the invalid parameter combinations, if any. */
export function validateGrid(grid: Grid): void {
  const { spec } = grid;
  const base = { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set };
  const invalid: InvalidRun[] = [];
  for (let combo = 0; combo < grid.combinations; combo++) {
    const params = grid.paramsAt(combo);
    try {
      configOfRun(base, params, spec.seeds[0]!);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      invalid.push({ params, seeds: spec.seeds, issues: err.issues });
    }
  }
  if (invalid.length > 0) throw SweepError.invalidRuns(invalid, grid.combinations, grid.size, spec.source);
}
