// A run's scenario in its file form: the base, then `set` in file order, then the axis
// values in axis order, then the seed — each applied like `tscsim run --set`, so a value
// in a sweep is checked exactly as it would be in a scenario file. Shared by the up-front
// validation (main thread), the workers and the bench's bare threads
// (bench/sweep-raw-worker.mjs), so all of them see the same scenario.

import { validateScenario } from "../scenario/schema.js";
import { applySet } from "../scenario/set.js";
import type { ScenarioConfig } from "../scenario/types.js";

interface RunScenarioInput {
  baseRaw: unknown;
  set: readonly (readonly [string, unknown])[];
  params: Record<string, unknown>;
  seed: number;
}

/** What every run of a sweep shares: the base scenario (file form), its label for messages, and `set`. */
export interface SweepBase {
  baseRaw: unknown;
  /** "preset cyclictest", a file path, or "inline": labels a ScenarioError. */
  baseLabel: string;
  set: readonly (readonly [string, unknown])[];
}

function scenarioOfRun(input: RunScenarioInput): unknown {
  let raw = input.baseRaw;
  for (const [path, value] of input.set) raw = applySet(raw, path, value);
  for (const [path, value] of Object.entries(input.params)) raw = applySet(raw, path, value);
  return applySet(raw, "seed", input.seed);
}

/** The validated scenario of one run; throws the ScenarioError of an invalid one. */
export function configOfRun(base: SweepBase, params: Record<string, unknown>, seed: number): ScenarioConfig {
  return validateScenario(scenarioOfRun({ baseRaw: base.baseRaw, set: base.set, params, seed }), base.baseLabel);
}

/**
 * configOfRun with a one-entry memo, for a thread that runs a sweep's runs one after the
 * other (a worker, a bench thread). The runs of one parameter combination differ only in
 * the seed, and the seed takes part in no cross-field rule and only becomes
 * `config.seed` (seeds were checked as u32 integers when the sweep file was parsed), so
 * the next seed of the same combination is the last config with that seed: no second
 * validation. Only a config that validated is kept; runScenario does not modify its
 * config, so runs may share the nested objects.
 */
export class RunConfigMemo {
  private key: string | undefined;
  private config: ScenarioConfig | undefined;

  constructor(private readonly base: SweepBase) {}

  configOf(params: Record<string, unknown>, seed: number): ScenarioConfig {
    const key = JSON.stringify(params);
    if (this.config !== undefined && key === this.key) return { ...this.config, seed };
    const config = configOfRun(this.base, params, seed);
    this.key = key;
    this.config = config;
    return config;
  }
}
