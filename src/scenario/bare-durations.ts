// Bare numbers that are probably a mistake (issue #14 §6): a duration written as a plain
// number is ns, so `--set duration=2` is 2 ns — no interrupt at all — where the user most
// likely meant 2 ms or 2 s. A duration below 1 µs given without a unit is legal (ns are
// the base unit) but earns a warning. Which fields are durations is the schema's
// knowledge: duration() registers its schemas here, and the walk follows the schema and
// the raw value together.

import type { z } from "zod";
import { isRecord } from "../is-record.js";

const durationSchemas = new WeakSet<object>();

/** Marks a schema as a duration (fields.ts's duration()). */
export function registerDuration<T extends object>(schema: T): T {
  durationSchemas.add(schema);
  return schema;
}

/** Below this, a bare number of ns draws a warning. */
const BARE_WARN_BELOW_NS = 1000;

type Def = { type: string; shape?: Record<string, unknown>; element?: unknown; innerType?: unknown; options?: unknown[]; in?: unknown };

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } })?._zod?.def;
}

/** Dotted paths of durations in `raw` given as bare numbers 0 < n < 1000 (ns). */
export function bareSmallDurations(schema: z.ZodType, raw: unknown): { path: string; value: number }[] {
  const found: { path: string; value: number }[] = [];
  const seen = new Set<string>();
  const walk = (s: unknown, v: unknown, path: string, depth: number): void => {
    if (depth > 32 || v === undefined) return;
    if (durationSchemas.has(s as object)) {
      if (typeof v === "number" && v > 0 && v < BARE_WARN_BELOW_NS && !seen.has(path)) {
        seen.add(path);
        found.push({ path, value: v });
      }
      return;
    }
    const def = defOf(s);
    if (def === undefined) return;
    switch (def.type) {
      case "object":
        if (isRecord(v)) for (const [k, child] of Object.entries(def.shape ?? {})) walk(child, v[k], path === "" ? k : `${path}.${k}`, depth + 1);
        return;
      case "array":
        if (Array.isArray(v)) v.forEach((item, i) => walk(def.element, item, `${path}.${i}`, depth + 1));
        return;
      case "prefault":
      case "default":
      case "optional":
      case "nullable":
        return walk(def.innerType, v, path, depth + 1);
      case "pipe":
        return walk(def.in, v, path, depth + 1);
      case "union":
        // Only the option whose discriminator matches can hold the value; walking all is
        // harmless (an option without the field finds nothing) and needs no discriminator.
        for (const o of def.options ?? []) walk(o, v, path, depth + 1);
        return;
      default:
        return;
    }
  };
  walk(schema, raw, "", 0);
  return found;
}

/** The warning for one bare small duration. */
export function bareDurationWarning(d: { path: string; value: number }): string {
  return `${d.path} = ${d.value} is ${d.value} ns (a bare number is ns); write "${d.value}us", "${d.value}ms" or "${d.value}s" if you meant that`;
}
