// A run's result as JSON (issue #3 §8: the field names are a contract).
//
// Byte-stable: keys come out in one fixed order whatever order the object was built
// in (result-schema order below, then any other key alphabetically); NaN and ±Infinity,
// which JSON cannot carry, become null ("undefined statistic", e.g. the mean of no
// interrupts); 2-space indent, with arrays of plain numbers on one line so that the
// advance series stays readable. No trailing newline.

import type { RunResult } from "../metrics/types.js";
import { VcpuResultList, type StreamedRunResult } from "../metrics/vcpu-result-list.js";
import { writeVcpuResult } from "./vcpu-json.js";
import { fragment, JsonBytes, jsonBytesText } from "./json-bytes.js";

const KEY_ORDER = [
  "tscsim",
  "version",
  "wasm",
  "wasmSha256",
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
  "periodLatenessNs",
  "exits",
  "msrWrite",
  "apicWrite",
  "preemptionTimer",
  "externalInterrupt",
  "hlt",
  "apicRead",
  "spinNs",
  "advanceNs",
  "timers",
  "swArms",
  "hvArms",
  "hvFallbacks",
  "hvToSw",
  "swToHv",
  "posted",
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
  "histograms",
  "encoding",
  "unit",
  "all",
  "vms",
  "encoded",
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

/** undefined, functions and symbols are left out of objects (as JSON.stringify does). */
function writable(v: unknown): boolean {
  return v !== undefined && typeof v !== "function" && typeof v !== "symbol";
}

/**
 * The pretty document written into `out` as it goes: a result at 10^6 vCPUs is larger
 * than the longest string V8 can build, so it is written in chunks, never as one string.
 * Returns false, writing nothing, for an unwritable value.
 */
function writePretty(v: unknown, indent: string, out: JsonBytes): boolean {
  if (typeof v === "number") {
    out.num(v);
    return true;
  }
  const s = scalar(v);
  if (s !== undefined) {
    out.text(s);
    return true;
  }
  if (!writable(v)) return false;
  const inner = indent + "  ";
  if (v instanceof VcpuResultList) {
    // As the array of its results, each built only now (never all at once).
    if (v.length === 0) {
      out.text("[]");
      return true;
    }
    out.text("[\n");
    const comma = fragment(",\n" + inner);
    const other = (value: unknown, at: string): void => {
      if (!writePretty(value, at, out)) out.text("null");
    };
    for (let i = 0; i < v.length; i++) {
      if (i === 0) out.text(inner);
      else out.frag(comma);
      const r = v.at(i);
      if (!writeVcpuResult(out, r, inner, other)) writePretty(r, inner, out);
    }
    out.text("\n" + indent + "]");
    return true;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.text("[]");
    } else if (v.every((x) => x === null || typeof x === "number")) {
      out.text("[");
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out.text(", ");
        writePretty(v[i], inner, out);
      }
      out.text("]");
    } else {
      out.text("[\n");
      for (let i = 0; i < v.length; i++) {
        out.text(i === 0 ? inner : ",\n" + inner);
        if (!writePretty(v[i], inner, out)) out.text("null");
      }
      out.text("\n" + indent + "]");
    }
    return true;
  }
  const record = v as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => writable(record[k]))
    .sort(compareKeys);
  if (keys.length === 0) {
    out.text("{}");
    return true;
  }
  out.text("{\n");
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out.text(`${i === 0 ? "" : ",\n"}${inner}${JSON.stringify(k)}: `);
    writePretty(record[k], inner, out);
  }
  out.text("\n" + indent + "}");
  return true;
}

/** The pretty text of a value starting on a line indented by `indent` ("null" for an unwritable one). */
export function prettyText(v: unknown, indent: string): string {
  return jsonBytesText((out) => {
    if (!writePretty(v, indent, out)) out.text("null");
  });
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
function withWallMsOption(result: RunResult | StreamedRunResult, options: JsonOptions): unknown {
  return options.includeWallMs === false ? { ...result, wallMs: undefined } : result;
}

/** The result as stable, pretty-printed JSON. */
export function renderJson(result: RunResult, options: JsonOptions = {}): string {
  return jsonBytesText((out) => writePretty(withWallMsOption(result, options), "", out));
}

/**
 * renderJson's document, written to `write` as UTF-8 in chunks of about a megabyte
 * (json-bytes.ts) instead of built as one string (the same bytes): what `tscsim run
 * --format json` uses, so a result of any size can be written. `write` may keep each
 * chunk: none is reused.
 */
export function writeJsonStream(result: RunResult | StreamedRunResult, options: JsonOptions, write: (chunk: Uint8Array) => void): void {
  const out = new JsonBytes(write);
  writePretty(withWallMsOption(result, options), "", out);
  out.end();
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
  return prettyText(value, "");
}
