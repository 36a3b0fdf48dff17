// `tscsim schema scenario|sweep`: the JSON Schema of a scenario or sweep file, for editors.

import type { Command } from "commander";
import { InputRangeError } from "../errors.js";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of a scenario or sweep file (for editor completion and validation)")
    .argument("<kind>", "scenario or sweep")
    .option("--out <file>", "write it to a file instead of stdout")
    .addHelpText(
      "after",
      '\nPoint a file at it with "$schema" (tscsim ignores the key), e.g.\n  tscsim schema scenario --out scenario.schema.json\n  { "$schema": "./scenario.schema.json", "vms": [{ "vcpus": 4 }] }\nSee docs/scenario-format.md, "Editor completion".',
    )
    .action(async (kind: string, opts: { out?: string }) => {
      if (kind !== "scenario" && kind !== "sweep") throw new InputRangeError("kind", kind, '"scenario" or "sweep"');
      // Loaded when the command runs, not at start-up (docs/performance.md).
      const [{ scenarioJsonSchema, sweepJsonSchema }, { writeReport }] = await Promise.all([import("../scenario/json-schema.js"), import("./output.js")]);
      const schema = kind === "scenario" ? scenarioJsonSchema() : sweepJsonSchema();
      writeReport(JSON.stringify(schema, null, 2), opts.out);
    });
}
