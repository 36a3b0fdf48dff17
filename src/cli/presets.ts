// `tscsim presets`: the embedded scenarios, one line each (issue #3 §8), or one
// preset's scenario file, to copy and edit.

import type { Command } from "commander";
import { InputRangeError } from "../errors.js";
import { PRESETS, findPreset, presetNames, type Preset } from "../scenario/presets.js";
import { ScenarioError } from "../scenario/errors.js";
import { didYouMean } from "../scenario/suggest.js";

interface PresetsOptions {
  format: string;
}

function renderPresets(presets: readonly Preset[]): string {
  const width = Math.max(...presets.map((p) => p.name.length));
  return presets.map((p) => `${p.name.padEnd(width)}  ${p.description}`).join("\n");
}

/** The JSON contract: [{"name","description"}], every preset. */
function presetsJson(presets: readonly Preset[]): string {
  return JSON.stringify(
    presets.map((p) => ({ name: p.name, description: p.description })),
    null,
    2,
  );
}

export function registerPresets(program: Command): void {
  program
    .command("presets")
    .description("list the embedded scenarios (name and one line each), or print one as a scenario file")
    .argument("[name]", "print this preset's scenario file (JSON) instead of the list")
    .option("--format <table|json>", "table for people, json: [{name, description}]", "table")
    .addHelpText("after", "\nExamples:\n  tscsim presets\n  tscsim presets --format json\n  tscsim presets default > my-scenario.json")
    .action((name: string | undefined, opts: PresetsOptions) => {
      if (opts.format !== "table" && opts.format !== "json") throw new InputRangeError("--format", opts.format, '"table" or "json"');
      if (name !== undefined) {
        const preset = findPreset(name);
        if (!preset) {
          const names = presetNames();
          throw new ScenarioError([{ path: "preset", value: name, allowed: `one of ${names.join(", ")}` }], undefined, `unknown preset ${JSON.stringify(name)}: allowed one of ${names.join(", ")}${didYouMean(name, names)}`);
        }
        process.stdout.write(`${JSON.stringify(preset.scenario, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${opts.format === "json" ? presetsJson(PRESETS) : renderPresets(PRESETS)}\n`);
    });
}
