// Renderings of a Summary: a text table to paste into a mailing-list reply (each metric
// as "mean ± sd", or min..max, over the runs of a group), CSV for spreadsheets and JSON
// for tools (both with every statistic, numbers unrounded).

import type { MetricStats, Summary } from "./summarize.js";

export type Spread = "sd" | "range" | "both";

/** Figures for people: integers with thousands separators from 100 up, else 3 significant digits. */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  if (x === 0) return "0";
  return String(Number(x.toPrecision(3)));
}

/**
 * A duration for people: "42s", "3m07s", "2h05m"; "?" when unknown. Here rather than in
 * progress.ts so that `tscsim sweep`'s closing line needs no progress bar loaded.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function showAxisValue(v: unknown): string {
  if (v === undefined || v === null) return "—";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function cell(s: MetricStats, spread: Spread): string {
  // A pooled percentile is one figure of all the group's interrupts: no spread to show.
  if (s.pooled !== undefined) return s.pooled === null ? "—" : formatNumber(s.pooled);
  if (s.mean === null) return "—";
  const sd = s.sd === null ? "" : ` ± ${formatNumber(s.sd)}`;
  const range = s.min === s.max ? "" : ` [${formatNumber(s.min!)}..${formatNumber(s.max!)}]`;
  if (spread === "sd") return `${formatNumber(s.mean)}${sd}`;
  if (spread === "range") return `${formatNumber(s.mean)}${range}`;
  return `${formatNumber(s.mean)}${sd}${range}`;
}

export function renderSummaryTable(summary: Summary, spread: Spread = "sd"): string {
  const isPooled = (m: string): boolean => summary.groups.some((g) => g.metrics[m]?.pooled !== undefined);
  const header = [...summary.by, "runs", ...summary.metrics.map((m) => (isPooled(m) ? `${m} (pooled)` : m))];
  const rows = summary.groups.map((g) => [...summary.by.map((p) => showAxisValue(g.params[p])), String(g.runs), ...summary.metrics.map((m) => cell(g.metrics[m]!, spread))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Axis values left-aligned (they are labels), figures right-aligned.
  const isFigure = (i: number): boolean => i >= summary.by.length;
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => (isFigure(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
}

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const STATS = ["n", "mean", "sd", "min", "max"] as const;

/** The statistics of a metric: a pooled percentile adds its `pooled` column. */
function statsOf(summary: Summary, m: string): readonly (keyof MetricStats)[] {
  return summary.groups.some((g) => g.metrics[m]?.pooled !== undefined) ? [...STATS, "pooled"] : STATS;
}

export function renderSummaryCsv(summary: Summary): string {
  const header = [...summary.by, "runs", ...summary.metrics.flatMap((m) => statsOf(summary, m).map((s) => `${m}.${s}`))];
  const rows = summary.groups.map((g) => [...summary.by.map((p) => g.params[p]), g.runs, ...summary.metrics.flatMap((m) => statsOf(summary, m).map((s) => g.metrics[m]![s]))]);
  return [header, ...rows].map((r) => r.map(csvField).join(",")).join("\n");
}

export function renderSummaryJson(summary: Summary): string {
  return JSON.stringify(
    {
      by: summary.by,
      metrics: summary.metrics,
      okRuns: summary.okRuns,
      failedRuns: summary.failedRuns,
      pooled: summary.pooled,
      groups: summary.groups,
    },
    null,
    2,
  );
}
