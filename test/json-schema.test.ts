// `tscsim schema`: JSON Schemas generated from the zod schemas. Every preset validates
// against the scenario schema (with Ajv, a JSON Schema validator independent of zod),
// every key carries a description, files may carry "$schema", and the sweep file's zod
// validation keeps naming the place, the value and what is allowed.

import { Ajv2020 } from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { PRESETS } from "../src/scenario/presets.js";
import { validateScenario } from "../src/scenario/schema.js";
import { scenarioJsonSchema, sweepJsonSchema, undescribed } from "../src/scenario/json-schema.js";
import { parseSweep } from "../src/sweep/file.js";
import { tscsim } from "./cli.js";

const ajv = new Ajv2020({ strict: false, allErrors: true });
const scenario = ajv.compile(scenarioJsonSchema());
const sweep = ajv.compile(sweepJsonSchema());

describe("scenario schema", () => {
  test.each(PRESETS.map((p) => [p.name, p]))("preset %s validates", (_name, p) => {
    expect(scenario(p.scenario), JSON.stringify(scenario.errors)).toBe(true);
  });

  test("the docs' full example validates", () => {
    const doc = readFileSync(new URL("../docs/scenario-format.md", import.meta.url), "utf8");
    const block = /## Example\s+```json\n([\s\S]*?)```/.exec(doc)!;
    expect(scenario(JSON.parse(block[1]!)), JSON.stringify(scenario.errors)).toBe(true);
  });

  test.each([[{ hots: {} }], [{ seed: -1 }], [{ kvm: { era: "v9" } }], [{ vms: [{ workload: { kind: "nope" } }] }]] as [unknown][])("%j is refused by both", (file) => {
    expect(scenario(file)).toBe(false);
    expect(() => validateScenario(file)).toThrow();
  });

  test("every key has a description; durations and frequencies name their units", () => {
    const s = scenarioJsonSchema();
    expect(undescribed(s)).toEqual([]);
    const props = s.properties as Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
    expect(props.duration!.description).toContain("integer of ns");
    expect(props.host!.properties!.tscKhz!.description).toContain("integer of kHz");
    expect(s.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  test('"$schema" is accepted by the schema and by tscsim', () => {
    const file = { $schema: "./scenario.schema.json", duration: "1s" };
    expect(scenario(file)).toBe(true);
    expect(validateScenario(file).name).toBeDefined();
  });
});

describe("sweep schema", () => {
  const example = { $schema: "./sweep.schema.json", base: "cyclictest", set: { duration: "1s" }, axes: { "kvm.timerAdvance": ["off", "adaptive", "2us"], "kvm.era": ["v5.1", "v5.4"], "vms.0.vcpus": { from: 1, to: 4, step: 1 } }, seeds: 5 };

  test("a sweep with $schema, a list axis and a range validates, and tscsim reads it", () => {
    expect(sweep(example), JSON.stringify(sweep.errors)).toBe(true);
    expect(parseSweep(example, "/tmp/s.json").axes.map((a) => a.values.length)).toEqual([3, 2, 4]);
    expect(Object.keys(sweepJsonSchema().properties!)).toEqual(["$schema", "description", "base", "host", "set", "axes", "seeds"]);
    expect(undescribed(sweepJsonSchema())).toEqual([]);
  });

  test.each([[{ axis: {} }], [{ seeds: 0 }], [{ seeds: [] }], [{ axes: { x: { from: 0, to: 1 } } }], [{ base: 7 }]] as [unknown][])("%j is refused by both", (file) => {
    expect(sweep(file)).toBe(false);
    expect(() => parseSweep(file, "/tmp/s.json")).toThrow();
  });
});

describe("tscsim schema", () => {
  test("prints the scenario schema as JSON", () => {
    const r = tscsim("schema", "scenario");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).title).toBe("tscsim scenario");
  });

  test("a bad kind: one line naming it, exit 2", () => {
    const r = tscsim("schema", "scenarios");
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain('"scenario" or "sweep"');
  });
});
