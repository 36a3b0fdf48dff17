// Leaf schemas of the scenario file form (zod). Each carries, as its error message,
// the one-line description of what is allowed, so every issue can name it; durations
// and frequencies go through src/units.ts and come out as whole ns / kHz numbers
// (architecture.md, "Units and names").

import { z } from "zod";
import { parseDurationNs, parseFrequencyKhz } from "../units.js";
import { InputRangeError } from "../errors.js";
import { registerDuration } from "./bare-durations.js";
import { groupDigits } from "../group-digits.js";

/** Marks the message of an unrecognized_keys issue so the mapper can list the known keys. */
export const KNOWN_KEYS_MESSAGE = "\u0000known-keys:";
/** Marks a custom issue's message that names its problem: `${TOO_LARGE_MESSAGE}${allowed}`. */
export const TOO_LARGE_MESSAGE = "\u0000too-large:";

const DURATION_ALLOWED = 'a duration such as "200us", "1.5ms", "10s", or a whole number of ns';
const FREQUENCY_ALLOWED = 'a frequency such as "2.1GHz", "2994MHz", "2100000kHz", or a whole number of kHz';

/** A strict object: unknown keys are issues that list the known ones. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S, what: string): z.ZodObject<S, z.core.$strict> {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "unrecognized_keys") return `${KNOWN_KEYS_MESSAGE}${JSON.stringify(known)}`;
      if (iss.code === "invalid_type") return what;
      return undefined;
    },
  });
}

export interface DurationBounds {
  /** Smallest allowed ns (default 0). */
  minNs?: number;
  /** Largest allowed ns (default Number.MAX_SAFE_INTEGER, about 104 days). */
  maxNs?: number;
}

function describeNs(ns: number): string {
  return `${groupDigits(ns)} ns`;
}

/** A duration (string with units or integer ns) -> whole ns as a number. */
export function duration(bounds: DurationBounds = {}) {
  const minNs = bounds.minNs ?? 0;
  const maxNs = bounds.maxNs ?? Number.MAX_SAFE_INTEGER;
  const range = maxNs === Number.MAX_SAFE_INTEGER ? `at least ${describeNs(minNs)}` : `${describeNs(minNs)} .. ${describeNs(maxNs)}`;
  const allowed = `${DURATION_ALLOWED}, ${range}`;
  return registerDuration(z.union([z.string(), z.number()], { error: allowed }).transform((input, ctx): number => {
    let ns: bigint;
    try {
      ns = parseDurationNs("duration", input);
    } catch (err) {
      if (!(err instanceof InputRangeError)) throw err;
      ctx.addIssue({ code: "custom", message: `${err.allowed}, ${range}`, input });
      return z.NEVER;
    }
    if (ns < BigInt(minNs) || ns > BigInt(maxNs)) {
      // Say which side it is on: "at least 1 ns" for a value that is too large misleads.
      const side = ns > BigInt(maxNs) ? `at most ${describeNs(maxNs)}${maxNs === Number.MAX_SAFE_INTEGER ? " (about 104 days)" : ""}` : `at least ${describeNs(minNs)}`;
      ctx.addIssue({ code: "custom", message: `${ns > BigInt(maxNs) ? TOO_LARGE_MESSAGE : ""}${side} (${DURATION_ALLOWED.replace("a duration such as ", "written as ")})`, input });
      return z.NEVER;
    }
    return Number(ns);
  }));
}

/** A frequency (string with units or integer kHz) -> kHz as a number (1..2^32-1). */
export function frequency() {
  return z.union([z.string(), z.number()], { error: FREQUENCY_ALLOWED }).transform((input, ctx): number => {
    try {
      return parseFrequencyKhz("frequency", input);
    } catch (err) {
      if (!(err instanceof InputRangeError)) throw err;
      ctx.addIssue({ code: "custom", message: err.allowed, input });
      return z.NEVER;
    }
  });
}

/** An integer in [lo, hi]. */
export function intIn(lo: number, hi: number, note = "") {
  const fmt = (n: number): string => (n >= 100_000 ? groupDigits(n) : String(n));
  return z.number({ error: `an integer ${fmt(lo)}..${fmt(hi)}${note}` }).int().min(lo).max(hi);
}

/** A finite number > 0. */
export function positive(what: string) {
  return z.number({ error: what }).positive().finite();
}

export function bool() {
  return z.boolean({ error: "true or false" });
}

export function text(what = "a string") {
  return z.string({ error: what });
}

/**
 * One of a fixed set of strings, in any letter case ("SVM" is "svm", as "3ghz" is
 * "3GHz": units and names are read alike); the mapper adds "did you mean".
 */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const canonical = (v: unknown): unknown => (typeof v === "string" ? (values.find((x) => x.toLowerCase() === v.toLowerCase()) ?? v) : v);
  return z.preprocess(canonical, z.enum(values, { error: `one of ${values.map((v) => JSON.stringify(v)).join(", ")}` }));
}
