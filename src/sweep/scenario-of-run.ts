// A run's scenario in its file form: the base, then `set` in file order, then the axis
// values in axis order, then the seed — each applied like `tscsim run --set`, so a value
// in a sweep is checked exactly as it would be in a scenario file. Shared by the up-front
// validation (main thread) and the workers, so both see the same scenario.

import { applySet } from "../scenario/set.js";

export interface RunScenarioInput {
  baseRaw: unknown;
  set: readonly (readonly [string, unknown])[];
  params: Record<string, unknown>;
  seed: number;
}

export function scenarioOfRun(input: RunScenarioInput): unknown {
  let raw = input.baseRaw;
  for (const [path, value] of input.set) raw = applySet(raw, path, value);
  for (const [path, value] of Object.entries(input.params)) raw = applySet(raw, path, value);
  return applySet(raw, "seed", input.seed);
}
