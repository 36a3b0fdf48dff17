// `tscsim summarize`: a results file as a table of mean ± spread per group of runs
// (issue #5 §5) — the table a user pastes into a mailing-list reply — or CSV/JSON.

import type { Command } from "commander";
import { InputRangeError } from "../errors.js";
import { DEFAULT_METRICS } from "../sweep/default-metrics.js";
import { renderSummaryCsv, renderSummaryJson, renderSummaryTable, type Spread } from "../sweep/summary-format.js";

interface SummarizeCliOptions {
  by?: string;
  metric?: string;
  format: string;
  spread: string;
  percentiles: string;
}

function list(flag: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) throw new InputRangeError(flag, text, "a comma-separated list of dotted paths, without empty items");
  return items;
}

export function registerSummarize(program: Command): void {
  program
    .command("summarize")
    .description("aggregate a sweep's results across seeds: mean and spread of each metric per group of runs")
    .argument("<files...>", "results files (JSONL) from tscsim sweep or tscsim merge")
    .option("--by <paths>", "axis paths to group by, comma-separated (default: every axis, i.e. one row per parameter combination)")
    .option("--metric <paths>", `result paths to aggregate, comma-separated (default: ${DEFAULT_METRICS.join(",")})`)
    .option("--format <table|csv|json>", "table for people; csv and json carry n, mean, sd, min, max", "table")
    .option("--spread <sd|range|both>", "table cells: mean ± sample sd, mean [min..max], or both", "sd")
    .option("--percentiles <pooled|per-seed>", "latency percentiles: pooled from the runs' histograms (the percentile of all the group's interrupts), or mean ± spread of each run's own", "pooled")
    .addHelpText("after", "\nExamples:\n  tscsim summarize results.jsonl --by kvm.timerAdvance,kvm.era\n  tscsim summarize results.jsonl --by kvm.era --metric latency.ns.p999,spinNs --format csv")
    .action(async (files: string[], opts: SummarizeCliOptions) => {
      if (opts.format !== "table" && opts.format !== "csv" && opts.format !== "json") throw new InputRangeError("--format", opts.format, '"table", "csv" or "json"');
      if (opts.spread !== "sd" && opts.spread !== "range" && opts.spread !== "both") throw new InputRangeError("--spread", opts.spread, '"sd", "range" or "both"');
      if (opts.percentiles !== "pooled" && opts.percentiles !== "per-seed") throw new InputRangeError("--percentiles", opts.percentiles, '"pooled" or "per-seed"');
      // Loaded when the command runs, not at start-up (docs/performance.md).
      const { summarize } = await import("../sweep/summarize.js");
      const summary = summarize(files, { by: list("--by", opts.by), metrics: list("--metric", opts.metric), pool: opts.percentiles === "pooled" });
      if (summary.okRuns === 0) {
        throw new InputRangeError("results", files.join(" "), `files with at least one ok run (found none${summary.failedRuns > 0 ? `; ${summary.failedRuns} failed` : ""})`);
      }
      const text = opts.format === "table" ? renderSummaryTable(summary, opts.spread as Spread) : opts.format === "csv" ? renderSummaryCsv(summary) : renderSummaryJson(summary);
      process.stdout.write(`${text}\n`);
      const notes = [`${summary.okRuns} ok runs in ${summary.groups.length} group${summary.groups.length === 1 ? "" : "s"}`];
      if (summary.failedRuns > 0) notes.push(`${summary.failedRuns} failed run${summary.failedRuns === 1 ? "" : "s"} left out`);
      const askedPooled = opts.percentiles === "pooled" && summary.groups[0] !== undefined && Object.keys(summary.groups[0].metrics).some((m) => /^latency\.ns\.p\d+$/.test(m));
      if (askedPooled && !summary.pooled) notes.push("latency percentiles are means of per-run values: these results lines carry no histograms");
      if (summary.duplicates > 0) notes.push(`${summary.duplicates} repeated line${summary.duplicates === 1 ? "" : "s"} counted once`);
      process.stderr.write(`summarize: ${notes.join("; ")}\n`);
    });
}
