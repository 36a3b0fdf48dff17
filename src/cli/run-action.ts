// What `tscsim run` does once its options are parsed (src/cli/run.ts declares them): kept
// apart so that the simulator, the scenario schema (zod) and the histograms load only when
// a run starts, not for `tscsim --help` or another command (docs/performance.md).

import { setsWithSeed, warnUser } from "./options.js";
import { writeReportChunks } from "./output.js";
import { InputRangeError } from "../errors.js";
import { loadScenario, resolveScenarioRef, buildScenario } from "../scenario/load.js";
import { runScenarioStreamed } from "../sim/run.js";
import { ENGINE_CHOICES } from "../sim/engine.js";
import { engineFor } from "../sim/wasm-engine.js";
import { writeTableReport } from "../report/table.js";
import { writeJsonStream } from "../report/json.js";
import type { RunCliOptions } from "./run.js";
import { DEFAULT_RUN_COSTS, estimateLine, estimateRun, type RunCosts } from "./run-estimate.js";
import { createRunProgress, PROGRESS_EVERY_EVENTS, type ProgressStream } from "./run-progress.js";

/** What runAction reports to besides stdout: the estimate's costs and the progress stream (tests inject both). */
export interface RunActionDeps {
  costs: RunCosts;
  stderr: ProgressStream;
  progressEveryEvents: number;
}

const DEFAULT_DEPS: RunActionDeps = { costs: DEFAULT_RUN_COSTS, stderr: process.stderr, progressEveryEvents: PROGRESS_EVERY_EVENTS };

/** The scenario with a host profile laid over its host, before the --set overrides. */
export async function loadWithHost(ref: string, sets: readonly string[], hostFile: string) {
  const { applyHostProfile, readHostProfile } = await import("../calibrate/host-file.js");
  const resolved = resolveScenarioRef(ref);
  return buildScenario({ ...resolved, raw: applyHostProfile(resolved.raw, readHostProfile(hostFile)) }, sets);
}

/** Whether any side output (run-outputs.ts) is asked for, or --histogram-size needs checking. */
function wantsSideOutputs(opts: RunCliOptions): boolean {
  return opts.report !== undefined || opts.hgrm !== undefined || opts.histogram !== undefined || opts.cyclictestJson !== undefined || opts.histogramSize !== "1000";
}

export async function runAction(ref: string, opts: RunCliOptions, deps: RunActionDeps = DEFAULT_DEPS): Promise<void> {
  const sets = setsWithSeed(opts);
  const engine = ENGINE_CHOICES.find((e) => e === opts.engine);
  if (engine === undefined) throw new InputRangeError("--engine", opts.engine, '"auto", "ts" or "wasm"');
  const config = opts.host === undefined ? loadScenario(ref, sets, warnUser) : await loadWithHost(ref, sets, opts.host);
  // The trace writer, the host profile and the side outputs load only when asked for.
  const traced = opts.trace !== undefined || opts.traceVcpus !== undefined || opts.traceWindow !== undefined || opts.traceNs === true ? await import("../trace/cli-options.js") : null;
  const trace = traced === null ? null : traced.traceRequest(opts, config);
  // Before a long run, its estimate on stderr; during it, a progress line on a terminal.
  const engineUsed = engineFor(engine, config);
  const tty = deps.stderr.isTTY === true;
  const estimate = estimateLine(estimateRun(config, engineUsed, deps.costs), engineUsed, tty);
  if (estimate !== null) deps.stderr.write(`${estimate}\n`);
  const progress = estimate === null ? null : createRunProgress(config.durationNs, deps.stderr, deps.progressEveryEvents);
  const runOptions = { engine, histograms: opts.histograms, ...(progress?.simulation == null ? {} : { progress: progress.simulation }) };
  let run;
  try {
    // Per-vCPU results are built as they are written (issue #13: 10^6 vCPUs in ~1 kB each).
    run = trace === null ? runScenarioStreamed(config, runOptions) : traced!.runTraced(config, runOptions, trace, runScenarioStreamed);
  } finally {
    progress?.stop();
  }
  const { result, output } = run;
  if (wantsSideOutputs(opts)) (await import("./run-outputs.js")).writeRunOutputs(run, opts, process.argv.slice(2));
  if (opts.format === "json") {
    writeReportChunks((write) => writeJsonStream(result, { includeWallMs: opts.wallTime }, write), opts.out);
    return;
  }
  writeReportChunks((write) => writeTableReport(output, result, write), opts.out);
}
