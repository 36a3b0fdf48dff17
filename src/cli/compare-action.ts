// What `tscsim compare` does once its options are parsed (src/cli/compare.ts declares
// them): kept apart so that the simulator and the reports load only when it runs.

import { setsWithSeed, warnUser } from "./options.js";
import { writeReport } from "./output.js";
import { InputRangeError, InputTypeError, KvmRefusedError } from "../errors.js";
import { ScenarioError } from "../scenario/errors.js";
import { buildScenario, resolveScenarioRef, type ResolvedScenario } from "../scenario/load.js";
import { parseSet } from "../scenario/set.js";
import type { ScenarioConfig } from "../scenario/types.js";
import { runScenario, type ScenarioRun } from "../sim/run.js";
import { renderCompareJson, renderCompareTable, type Comparison } from "../report/compare.js";
import { engineFor } from "../sim/wasm-engine.js";
import { compareEstimateLine, DEFAULT_RUN_COSTS, estimateRun, type RunCosts, type SideEstimate } from "./run-estimate.js";

export interface CompareCliOptions {
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

/** Where compareAction reports besides stdout: the estimate's costs and stderr (tests inject both). */
export interface CompareActionDeps {
  costs: RunCosts;
  stderr: { write(chunk: string): boolean };
}

const DEFAULT_DEPS: CompareActionDeps = { costs: DEFAULT_RUN_COSTS, stderr: process.stderr };

/** A side's estimate, on the engine runScenario's "auto" picks for it. */
function sideEstimate(config: ScenarioConfig, costs: RunCosts): SideEstimate {
  const engine = engineFor("auto", config);
  return { estimate: estimateRun(config, engine, costs), engine };
}

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

export async function compareAction(ref: string, opts: CompareCliOptions, deps: CompareActionDeps = DEFAULT_DEPS): Promise<void> {
  const sets = setsWithSeed(opts);
  // The shared part first, unattributed: a mistake there is nobody's side. The
  // scenario is resolved (preset looked up, file read) once for the three loads.
  const resolved = resolveScenarioRef(ref);
  const base = buildScenario(resolved, sets, warnUser);
  // Both sides load before either runs, so a bad --b fails before A's run.
  const configA = loadSide("A", resolved, sets, opts.a);
  const configB = loadSide("B", resolved, sets, opts.b);
  // Before a long comparison, as before a long run, one line on stderr with the estimate.
  const estimate = compareEstimateLine(sideEstimate(configA, deps.costs), sideEstimate(configB, deps.costs));
  if (estimate !== null) deps.stderr.write(`${estimate}\n`);
  const runA = runSide("A", configA, opts.a, opts.histograms);
  const runB = runSide("B", configB, opts.b, opts.histograms);
  const comparison: Comparison = {
    scenario: base.name,
    seed: base.seed,
    sets: opts.set,
    a: { overrides: opts.a, result: runA.result },
    b: { overrides: opts.b, result: runB.result },
  };
  if (opts.report !== undefined) {
    // The HTML report modules load only for --report.
    const [{ compareReportHtml }, { writeHtml }] = await Promise.all([import("../report/html/index.js"), import("./report.js")]);
    writeHtml("--report", opts.report, compareReportHtml(comparison, { a: runA.histograms, b: runB.histograms }));
  }
  const text = opts.format === "json" ? renderCompareJson(comparison) : renderCompareTable(comparison).trimEnd();
  writeReport(text, opts.out);
}
