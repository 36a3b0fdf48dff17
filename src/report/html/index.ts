// `tscsim report`: an HTML page of a run, a compare or a sweep (see docs/report.md).

import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { InputRangeError } from "../../errors.js";
import type { RunResult } from "../../metrics/types.js";
import type { Comparison } from "../compare.js";
import type { RunHistograms } from "../hdr.js";
import { renderPage } from "./page.js";
import { compareCharts, reportRun, runCharts, type ReportRun } from "./run-charts.js";
import { sweepCharts, type SweepReportOptions } from "./sweep-charts.js";

export type { SweepReportOptions } from "./sweep-charts.js";

const NO_HISTOGRAMS =
  "This result carries no latency histograms, so the histogram chart is left out and the percentile curve shows the summary percentiles only. Run with --histograms (or --report) to include them.";

function buildFacts(r: RunResult): [string, string][] {
  const facts: [string, string][] = [
    ["scenario", r.scenario],
    ["seed", String(r.seed)],
    ["kernel era", r.era],
    ["simulated", `${(r.simulatedNs / 1e9).toFixed(3)} s`],
    ["vCPUs", String(r.vcpus.length)],
    ["interrupts", r.interrupts.toLocaleString("en-US")],
  ];
  return [...facts, ...tscsimFacts(r)];
}

function tscsimFacts(r: { tscsim?: RunResult["tscsim"] }): [string, string][] {
  return r.tscsim === undefined ? [] : [["tscsim", `${r.tscsim.version} (${r.tscsim.wasm} wasm sha256 ${r.tscsim.wasmSha256.slice(0, 16)}…)`]];
}

/** A run from its result and, when the caller still has them, its in-memory histograms. */
function runOf(label: string, result: RunResult, histograms?: RunHistograms): ReportRun {
  if (histograms === undefined) return reportRun(label, result);
  return { label, result, all: histograms.all, vms: new Map((histograms.vms ?? []).map((v) => [v.vm, v.histogram])) };
}

export function runReportHtml(result: RunResult, histograms?: RunHistograms): string {
  const run = runOf("run", result, histograms);
  return renderPage({
    title: `tscsim run: ${result.scenario}`,
    facts: buildFacts(result),
    notes: run.all === null ? [NO_HISTOGRAMS] : [],
    charts: runCharts(run),
  });
}

export function compareReportHtml(c: Comparison, histograms?: { a: RunHistograms; b: RunHistograms }): string {
  const a = runOf("A", c.a.result, histograms?.a);
  const b = runOf("B", c.b.result, histograms?.b);
  return renderPage({
    title: `tscsim compare: ${c.scenario}`,
    facts: [
      ["scenario", c.scenario],
      ["seed", String(c.seed)],
      ["shared --set", c.sets.join(" ") || "(none)"],
      ["A", `${c.a.overrides.join(" ") || "(no overrides)"} · era ${c.a.result.era}`],
      ["B", `${c.b.overrides.join(" ") || "(no overrides)"} · era ${c.b.result.era}`],
      ["simulated", `${(c.a.result.simulatedNs / 1e9).toFixed(3)} s`],
      ...tscsimFacts(c.a.result),
    ],
    notes: a.all === null || b.all === null ? [NO_HISTOGRAMS] : [],
    charts: compareCharts(a, b),
  });
}

export function sweepReportHtml(files: readonly string[], options: SweepReportOptions = {}): string {
  const { charts, summary, x, y, metric } = sweepCharts(files, options);
  return renderPage({
    title: `tscsim sweep: ${metric}`,
    facts: [
      ["results", files.join(", ")],
      ["ok runs", String(summary.okRuns)],
      ["failed runs", String(summary.failedRuns)],
      ["metric", metric],
      ["x axis", x],
      ["y axis", y ?? "(none)"],
    ],
    notes: summary.failedRuns > 0 ? [`${summary.failedRuns} failed runs are left out.`] : [],
    charts,
  });
}

export type ReportInputKind = "run" | "compare" | "sweep";

/** The first line of a file (up to 64 KiB is enough to tell the kinds apart). */
function firstLine(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputRangeError("INPUT", file, `a readable file (${code === "ENOENT" ? "no such file" : (err as Error).message})`);
  }
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString("utf8");
    const nl = text.indexOf("\n");
    return nl === -1 ? text : text.slice(0, nl);
  } finally {
    closeSync(fd);
  }
}

const ALLOWED = "a `tscsim run --format json` result, a `tscsim compare --format json` result, or a sweep's results file (JSONL)";

/**
 * Which kind of input a file is: a pretty-printed JSON document (run or compare: its
 * first line is "{") or a results file (its first line a whole JSON object).
 */
export function reportFromFile(file: string, options: SweepReportOptions = {}): { kind: ReportInputKind; html: string } {
  const head = firstLine(file).trim();
  if (head === "{") {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new InputRangeError("INPUT", file, `${ALLOWED}; not JSON (${(err as Error).message})`);
    }
    const d = doc as Record<string, unknown>;
    const isRun = (v: unknown): v is RunResult => typeof v === "object" && v !== null && Array.isArray((v as RunResult).vcpus) && typeof (v as RunResult).interrupts === "number";
    if (isRun(d)) return { kind: "run", html: runReportHtml(d) };
    const side = (v: unknown): boolean => typeof v === "object" && v !== null && isRun((v as { result?: unknown }).result);
    if (side(d.a) && side(d.b)) return { kind: "compare", html: compareReportHtml(d as unknown as Comparison) };
    throw new InputRangeError("INPUT", file, `${ALLOWED}; this JSON is neither a run nor a compare result`);
  }
  if (head.startsWith("{") && head.includes('"status"')) return { kind: "sweep", html: sweepReportHtml([file], options) };
  throw new InputRangeError("INPUT", file, ALLOWED);
}
