// `tscsim report INPUT --out report.html`: one self-contained HTML page of a run, a
// compare or a sweep (src/report/html/), and the shared helper that writes the page
// for `run`, `compare` and `sweep --report`.

import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { InputRangeError } from "../errors.js";

interface ReportCliOptions {
  out?: string;
  metric?: string;
  x?: string;
  y?: string;
}

/** Writes an HTML page, naming the flag on failure (an unwritable path is the user's to fix). */
export function writeHtml(flag: string, path: string, html: string): void {
  writeText(flag, path, html);
}

/** Writes a side output (report, .hgrm, histogram…) named by a flag. */
export function writeText(flag: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new InputRangeError(flag, path, `a writable file path (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  process.stderr.write(`tscsim: wrote ${path}\n`);
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("an offline HTML page with charts of a run, a compare or a sweep's results")
    .argument("<input>", "a `run --format json` result, a `compare --format json` result or a sweep's results file (JSONL)")
    .option("--out <file>", "the HTML file to write", "report.html")
    .option("--metric <path>", "sweep: the metric for the heatmap and lines (a numeric result path)", "latency.ns.p99")
    .option("--x <axis>", "sweep: the axis along x (default: the sweep's first axis)")
    .option("--y <axis>", "sweep: the heatmap's y axis, one line per value (default: the second axis)")
    .addHelpText(
      "after",
      [
        "",
        "The page holds its data and its chart library (Apache ECharts, SVG): it opens offline and makes no network request.",
        "Run results carry latency histograms with `tscsim run --histograms`; sweep results lines carry them always.",
        "",
        "Examples:",
        "  tscsim run cyclictest --format json --histograms --out run.json && tscsim report run.json --out run.html",
        "  tscsim compare cyclictest --a kvm.era=v4.20 --b kvm.era=mainline --report compare.html",
        "  tscsim report results.jsonl --metric latency.ns.p999 --x kvm.timerAdvance --y kvm.era --out sweep.html",
      ].join("\n"),
    )
    .action(async (input: string, opts: ReportCliOptions) => {
      // The HTML report modules load when a report is written, not at start-up (docs/performance.md).
      const { reportFromFile } = await import("../report/html/index.js");
      const { html } = reportFromFile(input, { metric: opts.metric, x: opts.x, y: opts.y });
      writeHtml("--out", opts.out ?? "report.html", html);
    });
}
