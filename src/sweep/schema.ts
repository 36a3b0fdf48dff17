// The sweep file's shape as a zod schema: what `tscsim sweep` accepts, with the messages
// it prints, and the source of `tscsim schema sweep` (JSON Schema for editors). What
// needs more than the shape — resolving `base`, checking each dotted path against the
// scenario, expanding ranges, the grid's size — is done in file.ts after this.

import { z } from "zod";
import type { ScenarioIssue } from "../scenario/errors.js";
import { didYouMean } from "../scenario/suggest.js";
import { inWords } from "../scenario/issues.js";
import { canonicalJson } from "./identity.js";
import { MAX_AXIS_VALUES } from "./range.js";
import { groupDigits } from "../group-digits.js";

/** A grid larger than this is refused: every run's id is computed on --resume and merge. */
export const MAX_RUNS = 1_000_000;
export const MAX_SEED = 0xffffffff;
const RANGE_KEYS = ["from", "to", "step"] as const;

const SEED_ITEM = `an integer seed 0..${MAX_SEED}`;
const SEEDS = `a count 1..${groupDigits(MAX_RUNS)} (seeds 1..N) or a list of seeds`;
const RANGE_NEEDS = 'a range needs from, to and step, e.g. {"from": 0, "to": 5000, "step": 250} or {"from": "0ns", "to": "5us", "step": "250ns"}';
const AXIS = 'a list of values or a range {"from", "to", "step"}';
/** Marks an unknown-key issue of a strict object; the known keys follow as JSON. */
const UNKNOWN = "\u0000unknown:";

function strictWith<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? `${UNKNOWN}${JSON.stringify(Object.keys(shape))}` : iss.code === "invalid_type" && iss.input !== undefined ? what : undefined),
  });
}

/** Values listed once each (canonical JSON compares them). */
function onceEach(what: (first: number) => string) {
  return (list: readonly unknown[], ctx: z.core.$RefinementCtx<unknown[]>): void => {
    const seen = new Map<string, number>();
    list.forEach((v, i) => {
      const key = canonicalJson(v);
      const first = seen.get(key);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: [i], message: what(first), input: v });
      else seen.set(key, i);
    });
  };
}

const rangeBound = z.union([z.number(), z.string()], { error: 'a number or a string with units ("250ns", "2.1GHz")' });

const rangeSchema = strictWith(
  {
    from: rangeBound.describe("first value: a number, or a duration/frequency with units"),
    to: rangeBound.describe("last value (included when a step lands on it), same kind as from"),
    step: rangeBound.describe("step above 0, same kind as from"),
  },
  RANGE_NEEDS,
).describe('A range: {"from", "to", "step"}; plain numbers give numbers, values with units give "<n>ns" or "<n>kHz" strings');

const listSchema = z
  .array(z.unknown())
  .min(1, { error: "a non-empty list of values" })
  .max(MAX_AXIS_VALUES, { error: `at most ${groupDigits(MAX_AXIS_VALUES)} values per axis` })
  .superRefine(onceEach((first) => `values listed once each (same as item ${first})`))
  .describe("the axis' values, each a value the scenario key accepts (with its units)");

export const sweepFileSchema = strictWith(
  {
    $schema: z.string({ error: "a string (the JSON Schema's location, for editors)" }).optional().describe("The JSON Schema this file follows (for editors: `tscsim schema sweep > sweep.schema.json`); ignored by tscsim"),
    description: z.string({ error: "a string, for people" }).optional().describe("For people"),
    base: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())], { error: "a preset name, a scenario file path (relative to the sweep file) or an inline scenario object" })
      .optional()
      .describe('The scenario every run starts from: a preset name (`tscsim presets`), a scenario file path relative to the sweep file, or an inline scenario object. Default "default"'),
    host: z
      .string({ error: "a host profile file path (what `tscsim fit --out` writes), relative to the sweep file" })
      .min(1, { error: "a host profile file path (what `tscsim fit --out` writes), relative to the sweep file" })
      .optional()
      .describe("A host profile written by `tscsim fit --out`, relative to the sweep file: laid over the base's host (each delay it names replaces the base's)"),
    set: z
      .record(z.string(), z.unknown(), { error: '{"dotted.path": value, ...}, applied to every run' })
      .optional()
      .describe('Fixed overrides for every run: {"dotted.path": value}, as `tscsim run --set` (values with units, e.g. "1s", "2.1GHz")'),
    axes: z
      .record(z.string(), z.union([listSchema, rangeSchema], { error: AXIS }), { error: '{"dotted.path": [values] or {"from", "to", "step"}, ...}' })
      .optional()
      .describe("The grid: per dotted scenario path a list of values or a range; the grid is their cross product (the first axis varies slowest) times the seeds"),
    seeds: z
      .union(
        [
          z.int({ error: SEEDS }).min(1, { error: SEEDS }).max(MAX_RUNS, { error: SEEDS }),
          z
            .array(z.int({ error: SEED_ITEM }).min(0, { error: SEED_ITEM }).max(MAX_SEED, { error: SEED_ITEM }))
            .min(1, { error: SEEDS })
            .superRefine(onceEach(() => "seeds listed once each")),
        ],
        { error: SEEDS },
      )
      .optional()
      .describe("A count N (seeds 1..N) or a list of seeds (u32); default 1"),
  },
  'a JSON object with keys "base", "set", "axes", "seeds"',
).describe("A tscsim sweep: a base scenario, fixed overrides, axes and seeds (docs/sweeps.md)");

export type SweepFile = z.output<typeof sweepFileSchema>;

/** A zod path as the sweep's messages write it: `axes[kvm.era].1`, `set[duration]`, `seeds.0`. */
function placeOf(path: readonly PropertyKey[]): string {
  const [head, key, ...rest] = path.map(String);
  if ((head === "axes" || head === "set") && key !== undefined) return [`${head}[${key}]`, ...rest].join(".");
  return path.map(String).join(".");
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur = raw;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function isTypeMismatchAt(issues: readonly z.core.$ZodIssue[], depth: number): boolean {
  return issues.every((i) => i.path.length === depth && (i.code === "invalid_type" || i.code === "unrecognized_keys"));
}

/** zod's issues as the sweep's: place, the value written there, what is allowed. */
export function sweepIssues(error: z.ZodError, raw: unknown, base: readonly PropertyKey[] = []): ScenarioIssue[] {
  return error.issues.flatMap((iss) => convert(iss, raw, base));
}

function convert(iss: z.core.$ZodIssue, raw: unknown, base: readonly PropertyKey[]): ScenarioIssue[] {
  const path = [...base, ...iss.path];
  if (path[0] === "axes" && path.length === 3 && valueAt(raw, path) === undefined) {
    // A missing range key.
    return [{ path: placeOf(path), value: undefined, allowed: RANGE_NEEDS }];
  }
  if (iss.code === "invalid_union") {
    // The branch the value was meant for: the one that did not fail on the type alone.
    const meant = iss.errors.filter((branch) => !isTypeMismatchAt(branch, 0));
    if (meant.length === 1) return meant[0]!.flatMap((i) => convert(i, raw, path));
  }
  if (iss.code === "unrecognized_keys" && iss.message.startsWith(UNKNOWN)) {
    const known: string[] = JSON.parse(iss.message.slice(UNKNOWN.length));
    const range = known.includes("from");
    return iss.keys.map((key) => ({
      path: placeOf([...path, key]),
      value: valueAt(raw, [...path, key]),
      problem: "unknown key",
      allowed: range ? `a range's keys: from, to, step${didYouMean(key, RANGE_KEYS)}` : `a sweep key (${known.join(", ")})${didYouMean(key, known)}`,
    }));
  }
  const value = valueAt(raw, path);
  // A zod default message ("Invalid input: expected string, received array") in words.
  return [{ path: placeOf(path), value, allowed: inWords(iss) }];
}
