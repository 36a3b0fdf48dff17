// Figures quoted in docs/, generated (issue #14 §10): every figure between
// `<!--fig:NAME-->` and `<!--/fig:NAME-->` in a doc is computed here from the simulator
// itself, so a change of model or format cannot leave the docs behind.
//
//   npm run docs:figures            rewrite the figures in place
//   npm run docs:figures -- --check exit 1 listing the stale ones (the test suite runs this check)

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/sim/run.js";
import { parseSweep } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { compactResultJson, okLine } from "../src/sweep/line.js";
import { configOfRun } from "../src/sweep/scenario-of-run.js";
import { summarize } from "../src/sweep/summarize.js";
import { renderSummaryTable, type Spread } from "../src/sweep/summary-format.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The sweep docs/sweeps.md summarises (kept small: the check runs in the test suite). */
export const SUMMARIZE_SWEEP = {
  base: "cyclictest",
  set: { duration: "1s", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": ["off", "adaptive", "2us", "5us", "10us"], "kvm.era": ["v5.1", "v5.4"] },
  seeds: 3,
};

/** The sweep's results, computed in this process one run after the other (no worker pool: the figures do not depend on it). */
function sweepResults(file: string): void {
  const spec = parseSweep(SUMMARIZE_SWEEP, join(root, "docs", "advance.json"));
  const base = { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set };
  const lines: string[] = [];
  for (const run of new Grid(spec).runs()) {
    // As the sweep's workers run it (src/sweep/worker.ts): lines carry the histograms.
    const { result } = runScenario(configOfRun(base, run.params, run.seed), { histograms: true });
    lines.push(okLine(run.id, run.params, run.seed, compactResultJson(result), 0));
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}

function summarizeFigure(file: string, args: string, by: string[], metrics: string[] | undefined, spread: Spread): string {
  // As `tscsim summarize` does by default (--percentiles pooled).
  const s = summarize([file], { by, metrics, pool: true });
  const notes = `summarize: ${s.okRuns} ok runs in ${s.groups.length} group${s.groups.length === 1 ? "" : "s"}`;
  return [`$ tscsim summarize results.jsonl ${args}`, renderSummaryTable(s, spread), notes].join("\n");
}

/** S11 after the storm: the sw arms of the last simulated second, as the difference of two runs (a run's prefix does not depend on its duration). */
function s11Figures(): Record<string, string> {
  const full = runScenario(loadScenario("s11-stopped-vm")).result;
  const endNs = full.simulatedNs;
  const lessOneSecond = runScenario(loadScenario("s11-stopped-vm", [`duration=${endNs - 1_000_000_000}`])).result;
  return {
    "s11-peak": full.callbacksPerMsPeak.toLocaleString("en-US"),
    "s11-fallbacks": String(full.timers.hvFallbacks),
    "s11-sw-arms-after": (full.timers.swArms - lessOneSecond.timers.swArms).toLocaleString("en-US"),
  };
}

/** Every figure by name. */
export function computeFigures(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "tscsim-docs-figures-"));
  try {
    const results = join(dir, "results.jsonl");
    sweepResults(results);
    return {
      "sweeps-summarize-file": ["```json", JSON.stringify(SUMMARIZE_SWEEP, null, 2).replace(/\[\n\s+([^\]]*?)\n\s+\]/g, (_, inner: string) => `[${inner.replace(/\n\s+/g, " ")}]`), "```"].join("\n"),
      "sweeps-summarize": [
        "```",
        summarizeFigure(results, "--by kvm.timerAdvance,kvm.era", ["kvm.timerAdvance", "kvm.era"], undefined, "sd"),
        "",
        summarizeFigure(results, "--by kvm.era --metric latency.ns.p99 --spread both", ["kvm.era"], ["latency.ns.p99"], "both"),
        "```",
      ].join("\n"),
      ...s11Figures(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The docs that carry figures. */
export const DOCS = ["docs/sweeps.md", "docs/scenarios.md"];

const MARK = /<!--fig:([\w-]+)-->([\s\S]*?)<!--\/fig:\1-->/g;

/** Each doc with its figures replaced, and the names of figures that changed. */
export function refreshDocs(figures: Record<string, string>): { file: string; text: string; stale: string[] }[] {
  return DOCS.map((rel) => {
    const file = join(root, rel);
    const before = readFileSync(file, "utf8");
    const stale: string[] = [];
    const text = before.replace(MARK, (whole, name: string, body: string) => {
      const fig = figures[name];
      if (fig === undefined) throw new Error(`${rel}: no figure named ${name}`);
      // A block figure (several lines) sits on lines of its own.
      const want = fig.includes("\n") ? `\n${fig}\n` : fig;
      if (body !== want) stale.push(name);
      return `<!--fig:${name}-->${want}<!--/fig:${name}-->`;
    });
    return { file: rel, text, stale };
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const check = process.argv.includes("--check");
  const docs = refreshDocs(computeFigures());
  const stale = docs.filter((d) => d.stale.length > 0);
  for (const d of stale) process.stderr.write(`${d.file}: ${check ? "stale" : "updated"}: ${d.stale.join(", ")}\n`);
  if (check) process.exitCode = stale.length > 0 ? 1 : 0;
  else for (const d of stale) writeFileSync(join(root, d.file), d.text);
  if (stale.length === 0) process.stderr.write("docs figures are up to date\n");
}
