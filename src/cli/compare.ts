// `tscsim compare`: run one scenario twice with the same seed — side A and side B, each
// with its own overrides — and print the metrics side by side (issue #4 §3).

import type { Command } from "commander";
import { setsWithSeed, warnUser } from "./options.js";
import { writeReport } from "./output.js";
import { InputRangeError, InputTypeError, KvmRefusedError } from "../errors.js";
import { ScenarioError } from "../scenario/errors.js";
import { buildScenario, resolveScenarioRef, type ResolvedScenario } from "../scenario/load.js";
import { parseSet } from "../scenario/set.js";
import type { ScenarioConfig } from "../scenario/types.js";
import { runScenario, type ScenarioRun } from "../sim/run.js";
import { compareReportHtml } from "../report/html/index.js";
import { writeHtml } from "./report.js";
import { renderCompareJson, renderCompareTable, type Comparison } from "../report/compare.js";

interface CompareCliOptions {
  a: string[];
  b: string[];
  set: string[];
  seed?: string;
  format: string;
  out?: string;
  histograms: boolean;
  report?: string;
}

type Side = "A" | "B";

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/**
 * The same user error with the side in front, so "which of my overrides?" is answered
 * by the one line main.ts prints: `side A (--a kvm.era=v9): invalid scenario …`.
 */
function onSide(side: Side, overrides: readonly string[], err: unknown): unknown {
  const flag = side === "A" ? "--a" : "--b";
  const where = overrides.length > 0 ? `side ${side} (${overrides.map((o) => `${flag} ${o}`).join(" ")})` : `side ${side}`;
  if (err instanceof ScenarioError) return new ScenarioError(err.issues, err.source, `${where}: ${err.message}`);
  if (err instanceof InputRangeError) return new InputRangeError(`${where}: ${err.field}`, err.value, err.allowed);
  if (err instanceof InputTypeError) return new InputTypeError(`${where}: ${err.field}`, err.value, err.allowed);
  if (err instanceof KvmRefusedError) return new KvmRefusedError(err.errno, `${where}: ${err.field}`, err.value, err.reason);
  return err;
}

function loadSide(side: Side, resolved: ResolvedScenario, sets: readonly string[], overrides: readonly string[]): ScenarioConfig {
  try {
    for (const o of overrides) {
      const { path, value } = parseSet(o);
      // The point of a comparison is one seed for both: a per-side seed would compare noise.
      if (path === "seed") throw new ScenarioError([{ path, value, problem: "not a per-side key (both sides run with one seed)", allowed: "--seed N for both sides" }]);
    }
    return buildScenario(resolved, [...sets, ...overrides]);
  } catch (err) {
    throw onSide(side, overrides, err);
  }
}

function runSide(side: Side, config: ScenarioConfig, overrides: readonly string[], histograms: boolean): ScenarioRun {
  try {
    return runScenario(config, { histograms });
  } catch (err) {
    throw onSide(side, overrides, err);
  }
}

export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description("run a scenario twice with the same seed, side A and side B with their own overrides, and print the metrics side by side with their differences")
    .argument("<scenario>", "a preset name (see `tscsim presets`) or a scenario JSON file")
    .option("--a <path=value>", "an override for side A only (like --set, applied after the shared --sets); repeatable", collect, [] as string[])
    .option("--b <path=value>", "an override for side B only; repeatable", collect, [] as string[])
    .option("--set <path=value>", "an override for both sides (dotted path; value parsed as JSON, else a string); repeatable", collect, [] as string[])
    .option("--seed <n>", "random seed (u32) for both sides; default: the scenario's")
    .option("--format <table|json>", "table for people, json for tools", "table")
    .option("--out <file>", "write the report to a file instead of stdout")
    .option("--histograms", "JSON: each side's result carries its latency histograms (see `tscsim run --histograms`)", false)
    .option("--report <file.html>", "also write an offline HTML report with A and B overlaid (see `tscsim report`)")
    .addHelpText(
      "after",
      [
        "",
        "At least one --a or --b is needed. Columns: A, B, B−A and (B−A)/|A| (\"=\" when the",
        "sides agree, \"—\" when A is 0 and B is not). JSON: {scenario, seed, sets,",
        "a: {overrides, result}, b: {overrides, result}, diff: {\"<dotted metric path>\":",
        "{a, b, abs, rel}}}; results as `tscsim run --format json --no-wall-time` writes",
        "them, so the same command gives the same bytes.",
        "",
        "Examples:",
        "  tscsim compare cyclictest --a kvm.era=v4.20 --b kvm.era=mainline",
        "  tscsim compare default --a kvm.hvTimer=false --b kvm.hvTimer=true --set duration=500ms",
        "  tscsim compare my-scenario.json --b kvm.timerAdvance=off --seed 7 --format json --out diff.json",
      ].join("\n"),
    )
    .action(function (this: Command, ref: string, opts: CompareCliOptions) {
      if (opts.a.length === 0 && opts.b.length === 0) {
        this.error("error: compare needs at least one --a or --b override, e.g. --a kvm.era=v4.20 --b kvm.era=mainline", { exitCode: 2, code: "tscsim.compare.noOverrides" });
      }
      const sets = setsWithSeed(opts);
      // The shared part first, unattributed: a mistake there is nobody's side. The
      // scenario is resolved (preset looked up, file read) once for the three loads.
      const resolved = resolveScenarioRef(ref);
      const base = buildScenario(resolved, sets, warnUser);
      // Both sides load before either runs, so a bad --b fails before A's run.
      const configA = loadSide("A", resolved, sets, opts.a);
      const configB = loadSide("B", resolved, sets, opts.b);
      const runA = runSide("A", configA, opts.a, opts.histograms);
      const runB = runSide("B", configB, opts.b, opts.histograms);
      const comparison: Comparison = {
        scenario: base.name,
        seed: base.seed,
        sets: opts.set,
        a: { overrides: opts.a, result: runA.result },
        b: { overrides: opts.b, result: runB.result },
      };
      if (opts.report !== undefined) writeHtml("--report", opts.report, compareReportHtml(comparison, { a: runA.histograms, b: runB.histograms }));
      const text = opts.format === "json" ? renderCompareJson(comparison) : renderCompareTable(comparison).trimEnd();
      writeReport(text, opts.out);
    });
}
