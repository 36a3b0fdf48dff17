// Axis ranges: {"from", "to", "step"}, inclusive of `to` when a step lands on it. Plain
// numbers give numbers (`{"from": 0, "to": 5000, "step": 250}` → 0, 250, …, 5000).
// Strings with units give strings in the base unit of their kind, so the scenario reads
// them unambiguously whichever key the axis sets: durations → "<n>ns", frequencies →
// "<n>kHz" (`{"from": "0ns", "to": "5us", "step": "250ns"}` → "0ns", "250ns", …,
// "5000ns"). Duration/frequency arithmetic is exact (integers); plain-number ranges with
// fractions are rounded to 12 significant digits so 0.1 steps do not print as
// 0.30000000000000004.

import { InputRangeError } from "../errors.js";
import { parseDurationNs, parseFrequencyKhz } from "../units.js";
import type { ScenarioIssue } from "../scenario/errors.js";

export interface AxisRange {
  from: number | string;
  to: number | string;
  step: number | string;
}

/** One axis may expand to at most this many values. */
export const MAX_AXIS_VALUES = 100_000;

type Kind = { kind: "number" } | { kind: "duration" } | { kind: "frequency" };

const HAS_UNIT = /[a-zA-Zµ]\s*$/;

function tryParse(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (err) {
    if (err instanceof InputRangeError) return false;
    throw err;
  }
}

/** Which kind of quantity the range is written in, or an issue. */
function rangeKind(range: AxisRange, where: string): Kind | ScenarioIssue {
  const parts = [range.from, range.to, range.step];
  const strings = parts.filter((p): p is string => typeof p === "string");
  if (strings.length === 0) return { kind: "number" };
  const withUnits = strings.filter((s) => HAS_UNIT.test(s));
  const allowed = 'numbers, or durations ("250ns", "5us", bare numbers of ns) or frequencies ("2.1GHz", "100MHz", bare numbers of kHz) — one kind for from, to and step';
  if (withUnits.length === 0) return { path: where, value: range, allowed };
  if (parts.every((p) => tryParse(() => parseDurationNs("range", p)))) return { kind: "duration" };
  if (parts.every((p) => tryParse(() => parseFrequencyKhz("range", p === 0 ? 1 : p)))) return { kind: "frequency" };
  return { path: where, value: range, allowed };
}

function round12(x: number): number {
  return Number(x.toPrecision(12));
}

/**
 * The values of a range, or issues naming `where` (e.g. `axes[kvm.timerAdvance]`).
 * Integer-valued kinds step exactly; plain numbers step as from + i·step.
 */
export function expandRange(range: AxisRange, where: string): { values: unknown[] } | { issues: ScenarioIssue[] } {
  const kind = rangeKind(range, where);
  if ("path" in kind) return { issues: [kind] };
  let from: number;
  let to: number;
  let step: number;
  let show: (x: number) => unknown;
  if (kind.kind === "number") {
    const bad = (["from", "to", "step"] as const).filter((k) => typeof range[k] !== "number" || !Number.isFinite(range[k]));
    if (bad.length > 0) return { issues: bad.map((k) => ({ path: `${where}.${k}`, value: range[k], allowed: "a finite number" })) };
    [from, to, step] = [range.from as number, range.to as number, range.step as number];
    show = round12;
  } else {
    const parse = kind.kind === "duration" ? (v: number | string) => Number(parseDurationNs("range", v)) : (v: number | string) => parseFrequencyKhz("range", v);
    // A frequency range may start at 0 kHz only as a bare 0; parseFrequencyKhz rejects 0.
    const value = (v: number | string): number => (v === 0 ? 0 : parse(v));
    [from, to, step] = [value(range.from), value(range.to), value(range.step)];
    const unit = kind.kind === "duration" ? "ns" : "kHz";
    show = (x) => `${x}${unit}`;
    if (![from, to, step].every(Number.isSafeInteger)) return { issues: [{ path: where, value: range, allowed: `from, to and step within 2^53-1 ${unit}` }] };
  }
  if (!(step > 0)) return { issues: [{ path: `${where}.step`, value: range.step, allowed: "a step above 0" }] };
  if (to < from) return { issues: [{ path: `${where}.to`, value: range.to, allowed: `a value at or above from (${JSON.stringify(range.from)})` }] };
  // The tolerance lets a fractional step land on `to` despite binary rounding.
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  if (count > MAX_AXIS_VALUES) return { issues: [{ path: where, value: range, allowed: `at most ${MAX_AXIS_VALUES.toLocaleString("en-US")} values per axis (this range has ${count.toLocaleString("en-US")})` }] };
  const values: unknown[] = [];
  for (let i = 0; i < count; i++) values.push(show(from + i * step));
  return { values };
}
