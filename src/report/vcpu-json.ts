// One vCPU's result as renderJson writes it, written directly (issue #13 target 3).
//
// The generic writer (json.ts) sorts every object's keys and writes a piece per key:
// ~80 µs per vCPU, most of a 10^5-vCPU run's results. A VcpuResult made by
// VcpuMetrics.summary() has one known shape, so its text is fixed fragments between its
// numbers, in the result-schema key order json.ts uses, encoded once per indent and
// written as bytes (json-bytes.ts); any other shape (a key more or less) goes to the
// generic writer. test/report-streamed.test.ts holds the two to the same bytes.

import type { AdvanceSummary, LatencyMoments, LatencySummary, VcpuResult } from "../metrics/types.js";
import { template, type JsonBytes, type Template } from "./json-bytes.js";
import { EXIT_REASON_NAMES } from "../metrics/vcpu-slots.js";

/** Where a number goes in a template's text. */
const SLOT = "\u0000";

function compile(text: string): Template {
  return template(text, SLOT);
}

/** A `{ "key": value, ... }` object's text at `i` (its keys' indent), values as SLOTs, from its opening brace to its closing one. */
function object(keys: readonly string[], i: string): string {
  return `{\n${keys.map((k) => `${i}"${k}": ${SLOT}`).join(",\n")}\n${i.slice(2)}}`;
}

const MOMENTS = ["min", "mean", "max"];
const SUMMARY = ["min", "mean", "p50", "p90", "p99", "p999", "max"];
const EXITS = EXIT_REASON_NAMES;
const TIMERS = ["swArms", "hvArms", "hvFallbacks", "hvToSw", "swToHv", "posted"];

/** The fixed text of summary()'s shape at one indent. */
interface Templates {
  /** `{` through `"latency": {` and `"ns": `. */
  head: Template;
  moments: Template;
  summary: Template;
  /** Between the ns and cycles summaries. */
  cycles: Template;
  /** The end of latency, and early. */
  early: Template;
  /** Before the per-period lateness (written by the generic writer). */
  periods: Template;
  /** exits, spinNs, and advanceNs up to its series. */
  exitsToAdvance: Template;
  emptySeries: Template;
  seriesOpen: Template;
  /** A series point, the first and the others (after a comma). */
  firstPoint: Template;
  point: Template;
  seriesClose: Template;
  /** The end of advanceNs, timers, and everything after. */
  tail: Template;
}

function templates(indent: string): Templates {
  const i = indent + "  ";
  const i2 = i + "  ";
  const i3 = i2 + "  ";
  return {
    head: compile(`{\n${i}"vm": ${SLOT},\n${i}"vcpu": ${SLOT},\n${i}"interrupts": ${SLOT},\n${i}"latency": {\n${i2}"ns": `),
    moments: compile(object(MOMENTS, i3)),
    summary: compile(object(SUMMARY, i3)),
    cycles: compile(`,\n${i2}"cycles": `),
    early: compile(`\n${i}},\n${i}"early": ${object(["count", "worstNs"], i2)}`),
    periods: compile(`,\n${i}"periodLatenessNs": `),
    exitsToAdvance: compile(
      `,\n${i}"exits": ${object(EXITS, i2)},\n${i}"spinNs": ${SLOT},\n${i}"advanceNs": {\n` +
        `${i2}"initial": ${SLOT},\n${i2}"final": ${SLOT},\n${i2}"min": ${SLOT},\n${i2}"max": ${SLOT},\n${i2}"series": `,
    ),
    emptySeries: compile("[]"),
    seriesOpen: compile("[\n"),
    firstPoint: compile(`${i3}[${SLOT}, ${SLOT}]`),
    point: compile(`,\n${i3}[${SLOT}, ${SLOT}]`),
    seriesClose: compile(`\n${i2}]`),
    tail: compile(
      `\n${i}},\n${i}"timers": ${object(TIMERS, i2)},\n${i}"coalesced": ${SLOT},\n${i}"haltPollNs": ${SLOT},\n` +
        `${i}"haltPolls": ${object(["successful", "failed"], i2)},\n${i}"callbacksPerMsPeak": ${SLOT}\n${indent}}`,
    ),
  };
}

const NONE: readonly number[] = [];

/** Templates by indent (a run's vCPUs all sit at one). */
const byIndent = new Map<string, Templates>();

function latency(out: JsonBytes, t: Templates, l: LatencyMoments | LatencySummary): void {
  if ("p50" in l) out.fill(t.summary, [l.min, l.mean, l.p50, l.p90, l.p99, l.p999, l.max]);
  else out.fill(t.moments, [l.min, l.mean, l.max]);
}

function series(out: JsonBytes, t: Templates, a: AdvanceSummary): void {
  const s = a.series;
  if (s.length === 0) {
    out.fill(t.emptySeries, NONE);
    return;
  }
  out.fill(t.seriesOpen, NONE);
  for (let k = 0; k < s.length; k++) out.fill(k === 0 ? t.firstPoint : t.point, s[k]!);
  out.fill(t.seriesClose, NONE);
}

/** Keys of a summary() result without periodLatenessNs. */
const KEYS = 13;

/**
 * Writes the pretty text of `v` at `indent` (the indent of the line it starts on) and
 * returns true, or writes nothing and returns false when `v` is not of summary()'s shape.
 * `other` writes a value the template does not cover (the per-period lateness, present
 * for periodic timers only) at an indent.
 */
export function writeVcpuResult(out: JsonBytes, v: VcpuResult, indent: string, other: (value: unknown, indent: string) => void): boolean {
  const keys = Object.keys(v).length;
  const periods = v.periodLatenessNs;
  if (keys !== (periods === undefined ? KEYS : KEYS + 1)) return false;
  if (typeof v.vm !== "number" || typeof v.vcpu !== "number" || typeof v.interrupts !== "number") return false;
  let t = byIndent.get(indent);
  if (t === undefined) byIndent.set(indent, (t = templates(indent)));
  out.fill(t.head, [v.vm, v.vcpu, v.interrupts]);
  latency(out, t, v.latency.ns);
  out.fill(t.cycles, NONE);
  latency(out, t, v.latency.cycles);
  out.fill(t.early, [v.early.count, v.early.worstNs]);
  if (periods !== undefined) {
    out.fill(t.periods, NONE);
    other(periods, indent + "  ");
  }
  const e = v.exits;
  const a = v.advanceNs;
  out.fill(t.exitsToAdvance, [e.msrWrite, e.apicWrite, e.preemptionTimer, e.externalInterrupt, e.hlt, e.apicRead, v.spinNs, a.initial, a.final, a.min, a.max]);
  series(out, t, a);
  const m = v.timers;
  out.fill(t.tail, [m.swArms, m.hvArms, m.hvFallbacks, m.hvToSw, m.swToHv, m.posted, v.coalesced, v.haltPollNs, v.haltPolls.successful, v.haltPolls.failed, v.callbacksPerMsPeak]);
  return true;
}
