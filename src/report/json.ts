// A run's result as JSON (issue #3 §8: the field names are a contract).
//
// Byte-stable: keys come out in one fixed order whatever order the object was built
// in (result-schema order below, then any other key alphabetically); NaN and ±Infinity,
// which JSON cannot carry, become null ("undefined statistic", e.g. the mean of no
// interrupts); 2-space indent, with arrays of plain numbers on one line so that the
// advance series stays readable. No trailing newline.

import type { RunResult } from "../metrics/types.js";

const KEY_ORDER = [
  "scenario",
  "seed",
  "era",
  "simulatedNs",
  "wallMs",
  "events",
  "vm",
  "vcpu",
  "interrupts",
  "latency",
  "ns",
  "cycles",
  "initial",
  "final",
  "min",
  "mean",
  "p50",
  "p90",
  "p99",
  "p999",
  "max",
  "series",
  "early",
  "count",
  "worstNs",
  "exits",
  "msrWrite",
  "apicWrite",
  "preemptionTimer",
  "externalInterrupt",
  "hlt",
  "spinNs",
  "advanceNs",
  "timers",
  "swArms",
  "hvArms",
  "hvFallbacks",
  "hvToSw",
  "swToHv",
  "coalesced",
  "haltPollNs",
  "haltPolls",
  "successful",
  "failed",
  "callbacksPerMsPeak",
  "vcpus",
];
const RANK = new Map(KEY_ORDER.map((k, i) => [k, i]));

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a) ?? Infinity;
  const rb = RANK.get(b) ?? Infinity;
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function scalar(v: unknown): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "string":
    case "boolean":
      return JSON.stringify(v);
    case "bigint":
      return v.toString();
    default:
      return undefined;
  }
}

/** `indent` null: compact (no whitespace), as JSON.stringify without a space argument. */
function write(v: unknown, indent: string | null): string | undefined {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return undefined;
  const inner = indent === null ? null : indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    if (inner === null) return "[" + v.map((x) => write(x, null) ?? "null").join(",") + "]";
    if (v.every((x) => x === null || typeof x === "number")) return "[" + v.map((x) => scalar(x)).join(", ") + "]";
    return "[\n" + v.map((x) => inner + (write(x, inner) ?? "null")).join(",\n") + "\n" + indent + "]";
  }
  const entries = Object.keys(v as object)
    .sort(compareKeys)
    .flatMap((k) => {
      const w = write((v as Record<string, unknown>)[k], inner);
      return w === undefined ? [] : inner === null ? [`${JSON.stringify(k)}:${w}`] : [`${inner}${JSON.stringify(k)}: ${w}`];
    });
  if (entries.length === 0) return "{}";
  return inner === null ? "{" + entries.join(",") + "}" : "{\n" + entries.join(",\n") + "\n" + indent + "}";
}

export interface JsonOptions {
  /**
   * Include wallMs (default true). The only field that differs between two runs of the
   * same scenario and seed: leave it out to compare results byte for byte.
   */
  includeWallMs?: boolean;
}

/** The result as stable, pretty-printed JSON. */
export function renderJson(result: RunResult, options: JsonOptions = {}): string {
  const value = options.includeWallMs === false ? { ...result, wallMs: undefined } : result;
  return write(value, "")!;
}

/**
 * The result on one line: renderJson's document without its whitespace (the same keys,
 * order and values), as a results-file line carries it.
 */
export function renderCompactJson(result: RunResult, options: JsonOptions = {}): string {
  const value = options.includeWallMs === false ? { ...result, wallMs: undefined } : result;
  return write(value, null)!;
}

/** Any value with the same rules (key order, NaN -> null, layout). */
export function stableJson(value: unknown): string {
  return write(value, "") ?? "null";
}
