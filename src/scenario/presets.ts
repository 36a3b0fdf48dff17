// The embedded presets (issue #3 §8): scenario files in the file form, validated like any
// other. Each has a name and a one-line description for `tscsim presets`.

import type { ScenarioFile } from "./schema.js";
import { defaultPreset } from "./presets/default.js";
import { cyclictestPreset } from "./presets/cyclictest.js";
import { tscdeadlineLatencyPreset } from "./presets/tscdeadline-latency.js";
import { v40NoAdvancePreset } from "./presets/v4.0-no-advance.js";
import { periodicFloorPreset } from "./presets/periodic-floor.js";
import { SEED_SCENARIOS } from "./presets/seed-scenarios.js";
import { HOST_SCHED_PRESETS } from "./presets/host-sched.js";

export interface Preset {
  name: string;
  /** One line, for `tscsim presets`. */
  description: string;
  /** The scenario in the file form (what a user would write in a JSON file). */
  scenario: ScenarioFile;
}

function preset(scenario: ScenarioFile & { name: string; description: string }): Preset {
  return { name: scenario.name, description: scenario.description, scenario };
}

/** Every preset, `default` first. */
export const PRESETS: readonly Preset[] = [
  preset(defaultPreset),
  preset(cyclictestPreset),
  preset(tscdeadlineLatencyPreset),
  preset(v40NoAdvancePreset),
  preset(periodicFloorPreset),
  ...SEED_SCENARIOS.map(preset),
  ...HOST_SCHED_PRESETS.map(preset),
];

export const DEFAULT_PRESET = "default";

export function presetNames(): string[] {
  return PRESETS.map((p) => p.name);
}

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/** A fresh, mutable copy of a preset's file form (presets themselves are never modified). */
export function presetScenario(p: Preset): ScenarioFile {
  return structuredClone(p.scenario) as ScenarioFile;
}
