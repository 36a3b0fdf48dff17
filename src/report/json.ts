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
  // The host scheduler's block (RunResult.hostSched; metrics/sched-types.ts).
  "hostSched",
  "cpuTotals",
  "outerTotals",
  "cpus",
  "outerCpus",
  "runQueueWaitNs",
  "stealNs",
  "vcpus",
  "cpu",
  "guestNs",
  "busyWaitNs",
  "hostNs",
  "loadNs",
  "idleNs",
  "innerNs",
  "loadWaitNs",
  "sum",
  "noPollForSteal",
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

function write(v: unknown, indent: string): string | undefined {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return undefined;
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    if (v.every((x) => x === null || typeof x === "number")) return "[" + v.map((x) => scalar(x)).join(", ") + "]";
    return "[\n" + v.map((x) => inner + (write(x, inner) ?? "null")).join(",\n") + "\n" + indent + "]";
  }
  const entries = Object.keys(v as object)
    .sort(compareKeys)
    .flatMap((k) => {
      const w = write((v as Record<string, unknown>)[k], inner);
      return w === undefined ? [] : [`${inner}${JSON.stringify(k)}: ${w}`];
    });
  return entries.length === 0 ? "{}" : "{\n" + entries.join(",\n") + "\n" + indent + "}";
}

/**
 * The same document without whitespace, as pieces pushed onto `out` (joined once at the
 * end: a results line is thousands of numbers, and nested joins would build each level's
 * string again). Returns false, pushing nothing, where `write` returns undefined.
 */
function writeCompact(v: unknown, out: string[]): boolean {
  const s = scalar(v);
  if (s !== undefined) {
    out.push(s);
    return true;
  }
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return false;
  if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(",");
      if (!writeCompact(v[i], out)) out.push("null");
    }
    out.push("]");
    return true;
  }
  out.push("{");
  let first = true;
  for (const k of Object.keys(v as object).sort(compareKeys)) {
    const mark = out.length;
    out.push(first ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
    if (writeCompact((v as Record<string, unknown>)[k], out)) first = false;
    else out.length = mark;
  }
  out.push("}");
  return true;
}

export interface JsonOptions {
  /**
   * Include wallMs (default true). The only field that differs between two runs of the
   * same scenario and seed: leave it out to compare results byte for byte.
   */
  includeWallMs?: boolean;
}

/** The result to write: without wallMs when the options leave it out (an undefined field is not written). */
function withWallMsOption(result: RunResult, options: JsonOptions): unknown {
  return options.includeWallMs === false ? { ...result, wallMs: undefined } : result;
}

/** The result as stable, pretty-printed JSON. */
export function renderJson(result: RunResult, options: JsonOptions = {}): string {
  return write(withWallMsOption(result, options), "")!;
}

/**
 * The result on one line: renderJson's document without its whitespace (the same keys,
 * order and values), as a results-file line carries it.
 */
export function renderCompactJson(result: RunResult, options: JsonOptions = {}): string {
  const out: string[] = [];
  writeCompact(withWallMsOption(result, options), out);
  return out.join("");
}

/** Any value with the same rules (key order, NaN -> null, layout). */
export function stableJson(value: unknown): string {
  return write(value, "") ?? "null";
}
