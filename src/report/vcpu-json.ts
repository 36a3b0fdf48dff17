// One vCPU's result as renderJson writes it, built directly (issue #13 target 3).
//
// The generic writer (json.ts) sorts every object's keys and pushes a piece per key:
// ~80 µs per vCPU, most of a 10^5-vCPU run's results. A VcpuResult made by
// VcpuMetrics.summary() has one known shape, so its text is one template here, in the
// result-schema key order json.ts uses; any other shape (a key more or less) goes to
// the generic writer. test/report-vcpu-json.test.ts holds the two to the same bytes.

import type { AdvanceSummary, ExitCounts, LatencyMoments, LatencySummary, TimerCounts, VcpuResult } from "../metrics/types.js";

/** json.ts's scalar rule for numbers: NaN and ±Infinity become null. */
function n(x: number): string {
  return Number.isFinite(x) ? String(x) : "null";
}

function latency(l: LatencyMoments | LatencySummary, i: string): string {
  const p = "p50" in l ? `,\n${i}"p50": ${n(l.p50)},\n${i}"p90": ${n(l.p90)},\n${i}"p99": ${n(l.p99)},\n${i}"p999": ${n(l.p999)}` : "";
  return `{\n${i}"min": ${n(l.min)},\n${i}"mean": ${n(l.mean)}${p},\n${i}"max": ${n(l.max)}\n${i.slice(2)}}`;
}

function exits(e: ExitCounts, i: string): string {
  return `{\n${i}"msrWrite": ${n(e.msrWrite)},\n${i}"apicWrite": ${n(e.apicWrite)},\n${i}"preemptionTimer": ${n(e.preemptionTimer)},\n${i}"externalInterrupt": ${n(e.externalInterrupt)},\n${i}"hlt": ${n(e.hlt)},\n${i}"apicRead": ${n(e.apicRead)}\n${i.slice(2)}}`;
}

function advance(a: AdvanceSummary, i: string): string {
  let series = "[]";
  if (a.series.length > 0) {
    const inner = i + "  ";
    series = `[\n${a.series.map(([t, v]) => `${inner}[${n(t)}, ${n(v)}]`).join(",\n")}\n${i}]`;
  }
  return `{\n${i}"initial": ${n(a.initial)},\n${i}"final": ${n(a.final)},\n${i}"min": ${n(a.min)},\n${i}"max": ${n(a.max)},\n${i}"series": ${series}\n${i.slice(2)}}`;
}

function timers(t: TimerCounts, i: string): string {
  return `{\n${i}"swArms": ${n(t.swArms)},\n${i}"hvArms": ${n(t.hvArms)},\n${i}"hvFallbacks": ${n(t.hvFallbacks)},\n${i}"hvToSw": ${n(t.hvToSw)},\n${i}"swToHv": ${n(t.swToHv)},\n${i}"posted": ${n(t.posted)}\n${i.slice(2)}}`;
}

/** Keys of a summary() result without and with periodLatenessNs. */
const KEYS = 13;

/**
 * The pretty text of `v` at `indent` (the indent of the line it starts on), or undefined
 * when `v` is not of summary()'s shape. `other` writes a value the template does not
 * cover (the per-period lateness, present for periodic timers only) at an indent.
 */
export function vcpuResultJson(v: VcpuResult, indent: string, other: (value: unknown, indent: string) => string): string | undefined {
  const keys = Object.keys(v).length;
  const periods = v.periodLatenessNs;
  if (keys !== (periods === undefined ? KEYS : KEYS + 1)) return undefined;
  if (typeof v.vm !== "number" || typeof v.vcpu !== "number" || typeof v.interrupts !== "number") return undefined;
  const i = indent + "  ";
  const i2 = i + "  ";
  const i3 = i2 + "  ";
  const l = v.latency;
  const p = periods === undefined ? "" : `,\n${i}"periodLatenessNs": ${other(periods, i)}`;
  return (
    `{\n${i}"vm": ${n(v.vm)},\n${i}"vcpu": ${n(v.vcpu)},\n${i}"interrupts": ${n(v.interrupts)},\n` +
    `${i}"latency": {\n${i2}"ns": ${latency(l.ns, i3)},\n${i2}"cycles": ${latency(l.cycles, i3)}\n${i}},\n` +
    `${i}"early": {\n${i2}"count": ${n(v.early.count)},\n${i2}"worstNs": ${n(v.early.worstNs)}\n${i}}${p},\n` +
    `${i}"exits": ${exits(v.exits, i2)},\n${i}"spinNs": ${n(v.spinNs)},\n${i}"advanceNs": ${advance(v.advanceNs, i2)},\n` +
    `${i}"timers": ${timers(v.timers, i2)},\n${i}"coalesced": ${n(v.coalesced)},\n${i}"haltPollNs": ${n(v.haltPollNs)},\n` +
    `${i}"haltPolls": {\n${i2}"successful": ${n(v.haltPolls.successful)},\n${i2}"failed": ${n(v.haltPolls.failed)}\n${i}},\n` +
    `${i}"callbacksPerMsPeak": ${n(v.callbacksPerMsPeak)}\n${indent}}`
  );
}
