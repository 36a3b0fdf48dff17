// Typed errors of the sweep layer. A SweepError is a ScenarioError (so the CLI prints it
// in one go and exits 2, like any unusable scenario): its issues name the place in the
// sweep file (`axes[kvm.era]`, `seeds`, …), the value found and what is allowed. When
// runs of a valid grid have invalid scenarios, `runs` says which parameter combinations
// and why, so a user can fix the axis rather than guess.

import { ScenarioError, formatIssue, showValue, type ScenarioIssue } from "../scenario/errors.js";

/** A parameter combination of the grid whose scenario does not validate. */
export interface InvalidRun {
  /** Axis path -> value, in the sweep file's axis order. */
  params: Record<string, unknown>;
  /** The seeds this combination would have run with (all of them fail alike). */
  seeds: readonly number[];
  /** What the scenario validation said, path/value/allowed in the scenario's file form. */
  issues: readonly ScenarioIssue[];
}

/** At most this many invalid combinations are listed in the message (all are in `runs`). */
const LISTED_RUNS = 12;

export function describeParams(params: Record<string, unknown>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${showValue(v)}`);
  return parts.length === 0 ? "(no axes)" : parts.join(" ");
}

function describeSeeds(seeds: readonly number[]): string {
  if (seeds.length <= 4) return `seed${seeds.length === 1 ? "" : "s"} ${seeds.join(", ")}`;
  return `${seeds.length} seeds`;
}

function describeSweepIssues(issues: readonly ScenarioIssue[], source: string | undefined): string {
  const head = source === undefined ? "invalid sweep" : `invalid sweep (${source})`;
  if (issues.length === 1) return `${head}: ${formatIssue(issues[0]!)}`;
  return [`${head}: ${issues.length} problems`, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n");
}

export class SweepError extends ScenarioError {
  override name = "SweepError";
  constructor(
    issues: readonly ScenarioIssue[],
    /** The sweep file. */
    source?: string,
    message?: string,
    /** Invalid parameter combinations (empty for a malformed sweep file). */
    readonly runs: readonly InvalidRun[] = [],
  ) {
    super(issues, source, message ?? describeSweepIssues(issues, source));
  }

  /** The error for a grid some of whose runs would not validate. */
  static invalidRuns(runs: readonly InvalidRun[], totalCombinations: number, totalRuns: number, source?: string): SweepError {
    const failingRuns = runs.reduce((n, r) => n + r.seeds.length, 0);
    const head = `invalid sweep${source === undefined ? "" : ` (${source})`}: ${failingRuns} of ${totalRuns} runs (${runs.length} of ${totalCombinations} parameter combinations) have invalid scenarios; nothing was run`;
    const lines = runs.slice(0, LISTED_RUNS).flatMap((r) => {
      const who = `${describeParams(r.params)} (${describeSeeds(r.seeds)})`;
      if (r.issues.length === 1) return [`  ${who}: ${formatIssue(r.issues[0]!)}`];
      return [`  ${who}:`, ...r.issues.map((i) => `    ${formatIssue(i)}`)];
    });
    if (runs.length > LISTED_RUNS) lines.push(`  … and ${runs.length - LISTED_RUNS} more parameter combinations`);
    const issues = runs.flatMap((r) => r.issues.map((i) => ({ ...i, allowed: `${i.allowed} (run ${describeParams(r.params)})` })));
    return new SweepError(issues, source, [head, ...lines].join("\n"), runs);
  }
}

/**
 * The pool's worker threads cannot start (no wasm build, a module that fails to load, a
 * thread the system will not create): nothing was run; or, when one worker failed to load
 * after another had started the runs (`stoppedWith`), the sweep stopped with the lines
 * written so far kept. Not a mistake in the sweep, so the CLI exits 1 rather than 2, with
 * this one line (the cause's first line) rather than a stack trace.
 */
export class WorkerStartError extends Error {
  override name = "WorkerStartError";
  constructor(
    readonly reason: unknown,
    stoppedWith?: { done: number; total: number; out: string },
  ) {
    const first = (reason instanceof Error ? reason.message : String(reason)).split("\n")[0]!.trim();
    const outcome = stoppedWith === undefined ? "nothing was run" : `the sweep stopped with ${stoppedWith.done} of ${stoppedWith.total} runs in ${stoppedWith.out} (--resume goes on)`;
    super(`the sweep's worker threads cannot start: ${first}; ${outcome}`);
  }
}
