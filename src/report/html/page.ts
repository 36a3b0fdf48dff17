// One self-contained HTML file: the data, ECharts (the subset bundled at build time into
// build/echarts-report.min.js) and the drawing script all inline. A Content-Security-
// Policy of default-src 'none' makes the browser refuse any request the page might try
// (no fonts, images, scripts or connections from anywhere), so it works offline and
// leaks nothing.

import { readFileSync } from "node:fs";
import type { ChartSpec } from "./run-charts.js";
import { drawReportCharts } from "./client.js";

const ECHARTS_BUNDLE = new URL("../../../build/echarts-report.min.js", import.meta.url);

let bundle: string | undefined;

function echartsBundle(): string {
  if (bundle === undefined) {
    try {
      bundle = readFileSync(ECHARTS_BUNDLE, "utf8");
    } catch (err) {
      throw new Error(`tscsim: the chart library bundle ${ECHARTS_BUNDLE.pathname} is missing (run \`npm run build\`): ${(err as Error).message}`);
    }
  }
  return bundle;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON that cannot end the <script> element it sits in, nor open a comment. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** A scripted text as inline <script> content (it cannot close the element). */
function scriptText(js: string): string {
  return js.replace(/<\/script/gi, "<\\/script");
}

export interface PageInput {
  title: string;
  /** Lines of facts under the title (scenario, seed, version…), as [label, value]. */
  facts: [string, string][];
  charts: ChartSpec[];
  /** Notes shown above the charts (e.g. what is missing and how to get it). */
  notes?: string[];
}

const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 8px 0; }
h2 { font-size: 17px; margin: 24px 0 2px; }
p.note { margin: 0 0 6px; color: #555; }
table.facts { border-collapse: collapse; margin: 6px 0 10px; }
table.facts td { padding: 1px 12px 1px 0; vertical-align: top; }
table.facts td:first-child { color: #666; }
.chart { width: 100%; height: 380px; }
.notice { background: #fff7e0; border: 1px solid #e8d08a; padding: 6px 10px; margin: 8px 0; }
footer { color: #888; font-size: 12px; margin-top: 28px; }
`;

export function renderPage(input: PageInput): string {
  const facts = input.facts.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join("\n");
  const notes = (input.notes ?? []).map((n) => `<div class="notice">${escapeHtml(n)}</div>`).join("\n");
  const charts = input.charts
    .map((c) => `<section>\n<h2>${escapeHtml(c.title)}</h2>\n<p class="note">${escapeHtml(c.note)}</p>\n<div class="chart" id="chart-${escapeHtml(c.id)}" data-chart="${escapeHtml(c.id)}"></div>\n</section>`)
    .join("\n");
  const data = { charts: input.charts.map((c) => ({ id: c.id, option: c.option })) };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<table class="facts">
${facts}
</table>
${notes}
${charts}
<footer>Made by tscsim report. Charts: Apache ECharts (Apache License 2.0), embedded; this file makes no network request.</footer>
<script id="tscsim-report-data" type="application/json">${scriptJson(data)}</script>
<script>${scriptText(echartsBundle())}</script>
<script>(${scriptText(drawReportCharts.toString())})();</script>
</body>
</html>
`;
}
