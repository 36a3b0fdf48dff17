// Small test helpers: a cheap strict comparison for 100k-run properties, outcome
// capture for functions that throw where the reference returns a marker.

import { DivideErrorTrap, InputRangeError, KvmRefusedError } from "../src/index.js";
import { RUNS } from "./arbitraries.js";

export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x)) ?? String(v);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Throws (so fast-check shrinks and reports) unless actual and expected are strictly equal. */
export function same(actual: unknown, expected: unknown, what = "value"): void {
  if (!equal(actual, expected)) {
    throw new Error(`${what} mismatch: wasm API gave ${show(actual)}, reference expects ${show(expected)}`);
  }
}

/** fast-check parameters of every differential property: RUNS (100k) runs. */
export const runs = { numRuns: RUNS } as const;

/** The wasm API's outcome with its documented throws turned into the reference's markers. */
export function outcome<T>(fn: () => T): T | "divide-by-zero" | "overflow" | "refused" {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KvmRefusedError) return "refused";
    if (e instanceof DivideErrorTrap) return "overflow";
    if (e instanceof InputRangeError && e.field === "d" && (e.value === 0n || e.value === 0)) return "divide-by-zero";
    throw e;
  }
}
