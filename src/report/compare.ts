// `tscsim compare`: two runs of one scenario, side by side (issue #4 §3).
//
// The diff walks every numeric leaf of the results generically, so a metric added to
// RunResult later (haltPollNs, a new exit reason) is compared without touching this
// file; the table shows the known metrics in a curated order with units and puts any
// other numeric leaf at the end under its dotted path.

import type { RunResult } from "../metrics/types.js";
import { EXIT_REASON_NAMES } from "../metrics/vcpu-metrics.js";
import { columns, duration, MISSING, num } from "./format.js";
import { renderJson, stableJson } from "./json.js";
import { isRecord } from "../is-record.js";

/** One side of a comparison: its `path=value` overrides (applied after the shared --sets) and its result. */
export interface CompareSide {
  overrides: readonly string[];
  result: RunResult;
}

export interface Comparison {
  /** The scenario's name (shared --sets applied). */
  scenario: string;
  /** The seed both sides ran with. */
  seed: number;
  /** The --set overrides both sides share. */
  sets: readonly string[];
  a: CompareSide;
  b: CompareSide;
}

/** One metric on both sides. NaN where a value is undefined (e.g. a percentile of no interrupts). */
export interface MetricDiff {
  a: number;
  b: number;
  /** b − a. */
  abs: number;
  /** (b − a) / |a|; 0 when a = b (0 and 0 included); NaN when a = 0 ≠ b or a value is undefined. */
  rel: number;
}

/** Run-level fields that are not metrics to compare: the seed is shared and wallMs is not deterministic. */
const NOT_METRICS = new Set(["seed", "wallMs"]);

/**
 * (b − a) / |a|, with a = b ⇒ 0 (so 0 vs 0 is "unchanged") and a = 0 ≠ b ⇒ NaN (no
 * relative change exists). Divided by |a| so that the sign always says which way B
 * moved, also for the metrics that can be negative (latency min and mean of early
 * interrupts).
 */
export function relativeDiff(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === b) return 0;
  if (a === 0) return NaN;
  return (b - a) / Math.abs(a);
}

export function metricDiff(a: number, b: number): MetricDiff {
  return { a, b, abs: b - a, rel: relativeDiff(a, b) };
}

/** The value at a dotted path, or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split(".")) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * Dotted paths of the numeric leaves of a result, in the order `renderJson` writes them
 * (one key order for the result file and the diff). Arrays (vcpus, the advance series)
 * are not metrics to subtract and are skipped; so are seed and wallMs.
 */
export function metricPaths(result: RunResult): string[] {
  // stableJson orders the keys; JSON.parse keeps that order for non-index keys. A NaN
  // leaf comes back as null: the original value decides whether the leaf is a number.
  const ordered: unknown = JSON.parse(stableJson(result));
  const paths: string[] = [];
  const walk = (node: unknown, prefix: string): void => {
    if (!isRecord(node)) return;
    for (const key of Object.keys(node)) {
      const path = prefix === "" ? key : `${prefix}.${key}`;
      if (prefix === "" && NOT_METRICS.has(key)) continue;
      const child = node[key];
      if (isRecord(child)) walk(child, path);
      else if (typeof valueAt(result, path) === "number") paths.push(path);
    }
  };
  walk(ordered, "");
  return paths;
}

function numberAt(result: RunResult, path: string): number {
  const v = valueAt(result, path);
  return typeof v === "number" ? v : NaN;
}

/** Every numeric metric of both results (a's order, then any only b has), with b − a and (b − a)/|a|. */
export function diffResults(a: RunResult, b: RunResult): Map<string, MetricDiff> {
  const paths = metricPaths(a);
  const seen = new Set(paths);
  for (const p of metricPaths(b)) if (!seen.has(p)) paths.push(p);
  return new Map(paths.map((p) => [p, metricDiff(numberAt(a, p), numberAt(b, p))]));
}

/** "A: kvm.era=v4.20 kvm.apicv=false", or "A: (scenario as is)". */
export function sideLabel(side: "A" | "B", overrides: readonly string[]): string {
  return `${side}: ${overrides.length > 0 ? overrides.join(" ") : "(scenario as is)"}`;
}

// ---- JSON ----

function jsonNumber(x: number): string {
  return Number.isFinite(x) ? JSON.stringify(x) : "null";
}

/** Pre-rendered JSON text re-indented to sit at `indent`. */
function nest(text: string, indent: string): string {
  return text.replace(/\n/g, `\n${indent}`);
}

function sideJson(side: CompareSide): string {
  return [
    "{",
    `    "overrides": ${JSON.stringify(side.overrides)},`,
    `    "result": ${nest(renderJson(side.result, { includeWallMs: false }), "    ")}`,
    "  }",
  ].join("\n");
}

/**
 * `{scenario, seed, sets, a: {overrides, result}, b: {overrides, result}, diff}` —
 * keys in that order, results as `tscsim run --format json --no-wall-time` writes them
 * (so the output is byte-identical across runs), diff keyed by dotted metric path in the
 * result's key order, one metric per line as `{a, b, abs, rel}` (rel = abs/|a|, a fraction;
 * undefined values null). No trailing newline.
 */
export function renderCompareJson(c: Comparison): string {
  const diff = [...diffResults(c.a.result, c.b.result)].map(
    ([path, d]) => `    ${JSON.stringify(path)}: {"a": ${jsonNumber(d.a)}, "b": ${jsonNumber(d.b)}, "abs": ${jsonNumber(d.abs)}, "rel": ${jsonNumber(d.rel)}}`,
  );
  return [
    "{",
    `  "scenario": ${JSON.stringify(c.scenario)},`,
    `  "seed": ${jsonNumber(c.seed)},`,
    `  "sets": ${JSON.stringify(c.sets)},`,
    `  "a": ${sideJson(c.a)},`,
    `  "b": ${sideJson(c.b)},`,
    diff.length === 0 ? `  "diff": {}` : `  "diff": {\n${diff.join(",\n")}\n  }`,
    "}",
  ].join("\n");
}

// ---- table ----

/** A metric row: its label and how to read it from a result; `decimals` fixes the places shown. */
interface MetricRow {
  label: string;
  read: (r: RunResult) => number;
  decimals?: number;
}
type Row = MetricRow | { heading: string };

/** Leaves the table leaves to the JSON: guest-cycle latencies repeat the ns ones; the rest is in the header or configured. */
const TABLE_OMITS = [/^latency\.cycles\./, /^advanceNs\.initial$/, /^simulatedNs$/, /^events$/];

const LATENCY_LABELS: Record<string, string> = { min: "min", p50: "p50", p90: "p90", p99: "p99", p999: "p99.9", max: "max", mean: "mean" };
const EARLY_LABELS: Record<string, string> = { count: "count", worstNs: "worst (ns early)" };
const TIMER_LABELS: Record<string, string> = { swArms: "sw arms", hvArms: "hv arms", hvFallbacks: "hv fallbacks (-ERANGE)", hvToSw: "hv→sw switches", swToHv: "sw→hv switches", posted: "posted timer interrupts" };
const HALT_POLL_LABELS: Record<string, string> = { successful: "successful (woken while polling)", failed: "failed (scheduled out)" };
const ADVANCE_LABELS: Record<string, string> = { final: "final", min: "min", max: "max" };
const SCHED_CPU_LABELS: Record<string, string> = {
  guestNs: "guest",
  busyWaitNs: "busy-wait",
  haltPollNs: "halt polling",
  hostNs: "host handling",
  loadNs: "other load",
  idleNs: "idle",
  stealNs: "steal (outer level)",
  loadWaitNs: "other load's run-queue wait",
};
const SCHED_OUTER_LABELS: Record<string, string> = { innerNs: "the inner host", loadNs: "other tenants", idleNs: "idle", loadWaitNs: "tenants' run-queue wait" };
const SCHED_WAIT_LABELS: Record<string, string> = { count: "count", sum: "sum", p50: "p50", p99: "p99", max: "max" };

/** Curated keys first in their order, then any other numeric key of the group (a field added later). */
function groupKeys(paths: readonly string[], prefix: string, curated: readonly string[]): string[] {
  const present = paths.filter((p) => p.startsWith(`${prefix}.`) && !p.slice(prefix.length + 1).includes(".")).map((p) => p.slice(prefix.length + 1));
  return [...curated.filter((k) => present.includes(k)), ...present.filter((k) => !curated.includes(k))];
}

function seconds(r: RunResult): number {
  return r.simulatedNs / 1e9;
}

function tableRows(paths: readonly string[]): Row[] {
  const covered = new Set<string>();
  const rows: Row[] = [];
  const at = (path: string) => (r: RunResult) => numberAt(r, path);
  const metric = (path: string, label: string, decimals?: number): void => {
    if (!paths.includes(path)) return;
    covered.add(path);
    rows.push({ label, read: at(path), decimals });
  };
  const group = (heading: string, prefix: string, labels: Record<string, string>, decimals: Record<string, number> = {}): void => {
    const keys = groupKeys(paths, prefix, Object.keys(labels)).filter((k) => !TABLE_OMITS.some((re) => re.test(`${prefix}.${k}`)));
    if (keys.length === 0) return;
    rows.push({ heading });
    for (const k of keys) metric(`${prefix}.${k}`, `  ${labels[k] ?? k}`, decimals[k]);
  };

  metric("interrupts", "interrupts");
  group("latency (ns)", "latency.ns", LATENCY_LABELS, { mean: 1 });
  group("early interrupts", "early", EARLY_LABELS);
  group("per-period lateness (ns; periodic timers)", "periodLatenessNs", { ...LATENCY_LABELS, count: "periods" }, { mean: 1 });

  const exitKeys = groupKeys(paths, "exits", EXIT_REASON_NAMES);
  if (exitKeys.length > 0) {
    const total = (r: RunResult): number => exitKeys.reduce((n, k) => n + numberAt(r, `exits.${k}`), 0);
    rows.push({ heading: "VM exits (count)" });
    for (const k of exitKeys) metric(`exits.${k}`, `  ${k}`);
    rows.push({ label: "  total", read: total });
    rows.push({ heading: "VM exits (per simulated s)" });
    const rate = (read: (r: RunResult) => number) => (r: RunResult) => (seconds(r) > 0 ? read(r) / seconds(r) : NaN);
    for (const k of exitKeys) rows.push({ label: `  ${k}`, read: rate(at(`exits.${k}`)), decimals: 1 });
    rows.push({ label: "  total", read: rate(total), decimals: 1 });
  }

  // Host CPU burned waiting: the busy-wait before VM entry and, where the results carry
  // it (issue #4 §1), halt polling — in ns and as a share of vCPU time, as `tscsim run` shows it.
  const share = (path: string) => (r: RunResult): number => {
    const vcpuNs = r.simulatedNs * r.vcpus.length;
    return vcpuNs > 0 ? (numberAt(r, path) / vcpuNs) * 100 : NaN;
  };
  const cpu = ([["spinNs", "busy-wait"], ["haltPollNs", "halt polling"]] as const).filter(([path]) => paths.includes(path));
  if (cpu.length > 0) {
    rows.push({ heading: "host CPU" });
    for (const [path, what] of cpu) {
      metric(path, `  ${what} (ns)`);
      rows.push({ label: `  ${what}, share of vCPU time (%)`, read: share(path), decimals: 4 });
    }
  }
  group("halt polls", "haltPolls", HALT_POLL_LABELS);
  group("timers", "timers", TIMER_LABELS);
  group("advance (ns)", "advanceNs", ADVANCE_LABELS);
  metric("coalesced", "coalesced expiries");
  metric("callbacksPerMsPeak", "hrtimer callbacks/ms peak");
  // The host scheduler (host.cpus, host.load, host.outer): CPU time by activity, all CPUs together.
  group("host CPUs (ns, all CPUs)", "hostSched.cpuTotals", SCHED_CPU_LABELS);
  group("outer CPUs (ns, all CPUs)", "hostSched.outerTotals", SCHED_OUTER_LABELS);
  group("vCPU run-queue wait (ns)", "hostSched.runQueueWaitNs", SCHED_WAIT_LABELS);
  metric("hostSched.stealNs", "vCPU steal (ns, all vCPUs)");

  // Whatever else the results carry (a metric added after this table was written).
  const rest = paths.filter((p) => !covered.has(p) && !TABLE_OMITS.some((re) => re.test(p)));
  if (rest.length > 0) {
    rows.push({ heading: "other" });
    for (const p of rest) metric(p, `  ${p}`);
  }
  return rows;
}

function value(x: number, decimals: number | undefined): string {
  if (Number.isNaN(x)) return MISSING;
  return num(x, decimals ?? (Number.isInteger(x) ? 0 : 1));
}

function signedValue(x: number, decimals: number | undefined): string {
  if (Number.isNaN(x)) return MISSING;
  if (x === 0) return "0";
  const s = value(x, decimals);
  return x > 0 ? `+${s}` : s;
}

/** "+12.3 %", "-0.042 %", "+1,234 %"; "=" when unchanged; "—" when there is no relative change (A = 0 ≠ B). */
export function relativeText(a: number, b: number): string {
  if (Number.isNaN(a) || Number.isNaN(b)) return MISSING;
  if (a === b) return "=";
  const rel = relativeDiff(a, b);
  if (Number.isNaN(rel)) return "—";
  const pct = rel * 100;
  const mag = Math.abs(pct);
  const text = mag >= 1000 ? num(mag) : mag >= 1 ? mag.toFixed(1) : String(Number(mag.toPrecision(2)));
  return `${pct > 0 ? "+" : "-"}${text} %`;
}

function sameOrBoth(a: string, b: string): string {
  return a === b ? a : `A ${a} / B ${b}`;
}

/**
 * A table for people: a header naming the scenario, seed, simulated time and each side's
 * overrides, then one row per metric — A, B, B − A and (B − A)/|A| — grouped with units in
 * the names. Rows in which the sides agree read "=" in the last column.
 */
export function renderCompareTable(c: Comparison): string {
  const a = c.a.result;
  const b = c.b.result;
  const paths = [...diffResults(a, b).keys()];
  const rows = tableRows(paths);

  const lines: string[] = [];
  lines.push(
    `tscsim compare: scenario ${c.scenario} · seed ${c.seed} · simulated ${sameOrBoth(duration(a.simulatedNs), duration(b.simulatedNs))} · ` +
      `${sameOrBoth(num(a.vcpus.length), num(b.vcpus.length))} vCPUs`,
  );
  const legend: string[][] = [
    [sideLabel("A", c.a.overrides), `era ${a.era}`],
    [sideLabel("B", c.b.overrides), `era ${b.era}`],
  ];
  lines.push(...columns(legend, 2, "   ").map((l) => `  ${l}`));
  if (c.sets.length > 0) lines.push(`  both: ${c.sets.join(" ")}`);
  lines.push("");

  const cells: string[][] = [["metric", "A", "B", "B−A", "(B−A)/|A|"]];
  for (const row of rows) {
    if ("heading" in row) {
      cells.push([row.heading]);
      continue;
    }
    const x = row.read(a);
    const y = row.read(b);
    cells.push([row.label, value(x, row.decimals), value(y, row.decimals), signedValue(y - x, row.decimals), relativeText(x, y)]);
  }
  lines.push(...columns(cells, 1));
  return lines.join("\n") + "\n";
}
