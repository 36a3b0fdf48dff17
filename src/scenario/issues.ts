// zod issues -> ScenarioIssue: the dotted file-form path, the value the user wrote there
// (read from the raw input, so "1xs" is shown rather than a parsed number) and what is
// allowed, with "did you mean" for unknown keys, enum values and discriminators.

import type { z } from "zod";
import type { ScenarioIssue } from "./errors.js";
import { KNOWN_KEYS_MESSAGE, TOO_LARGE_MESSAGE } from "./fields.js";
import { didYouMean } from "./suggest.js";

type Path = readonly PropertyKey[];

export function dotted(path: Path): string {
  return path.map(String).join(".");
}

/** The raw value at `path`, or undefined when any step is missing. */
export function valueAt(raw: unknown, path: Path): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function quoted(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

export function fromZodIssue(iss: z.core.$ZodIssue, raw: unknown): ScenarioIssue[] {
  const path = iss.path;
  if (iss.code === "unrecognized_keys") {
    const known: string[] = iss.message.startsWith(KNOWN_KEYS_MESSAGE) ? JSON.parse(iss.message.slice(KNOWN_KEYS_MESSAGE.length)) : [];
    const where = path.length === 0 ? "the scenario" : dotted(path);
    return iss.keys.map((key) => ({
      path: dotted([...path, key]),
      value: valueAt(raw, [...path, key]),
      problem: "unknown key",
      allowed: `a key of ${where} (${known.join(", ")})${didYouMean(key, known)}`,
    }));
  }
  const value = valueAt(raw, path);
  // A discriminated union names its discriminator and options (zod 4 adds them to the issue).
  const union = iss as { discriminator?: unknown; options?: unknown };
  if (iss.code === "invalid_union" && typeof union.discriminator === "string" && Array.isArray(union.options)) {
    const options = union.options.filter((o): o is string => typeof o === "string");
    return [{ path: dotted(path), value, allowed: `one of ${quoted(options)}${didYouMean(value, options)}` }];
  }
  if (iss.code === "invalid_value") {
    const options = iss.values.filter((o): o is string => typeof o === "string");
    return [{ path: dotted(path), value, allowed: `${iss.message}${didYouMean(value, options)}` }];
  }
  if (iss.message.startsWith(TOO_LARGE_MESSAGE)) return [{ path: dotted(path), value, problem: "too large", allowed: iss.message.slice(TOO_LARGE_MESSAGE.length) }];
  // Bounds say which side was crossed; the schema's own message says what is allowed.
  if (iss.code === "too_big" && typeof value === "number") return [{ path: dotted(path), value, problem: "too large", allowed: inWords(iss) }];
  if (iss.code === "too_small" && typeof value === "number") return [{ path: dotted(path), value, problem: "too small", allowed: inWords(iss) }];
  return [{ path: dotted(path), value, allowed: inWords(iss) }];
}

/** What a value is, for "found …". */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "true/false";
  return typeof value;
}

const EXPECTED_WORDS: Record<string, string> = { object: "an object", array: "a list", string: "a string", number: "a number", boolean: "true or false", int: "an integer" };

/**
 * The issue's message, unless it is zod's own wording ("Invalid input: expected object,
 * received string"): every schema of ours carries its own, but a shape we did not word
 * still gets a sentence for people.
 */
export function inWords(iss: z.core.$ZodIssue): string {
  if (!iss.message.startsWith("Invalid input") && !iss.message.startsWith("Invalid option") && !iss.message.startsWith("Too ")) return iss.message;
  if (iss.code === "invalid_type") return `${EXPECTED_WORDS[iss.expected] ?? iss.expected} (found ${kindOf(iss.input)})`;
  return iss.message.replace(/^Invalid input: /, "");
}
