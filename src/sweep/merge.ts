// Merging results files (issue #5 §4): shards of one sweep, or the same sweep run twice.
// Lines are keyed by run id. Two lines for one id that agree (everything but wallMs)
// are one run; an ok line supersedes a failed one (a retry that succeeded elsewhere);
// two failed lines keep the first; two ok lines that disagree mean the inputs do not
// come from the same simulator and scenario, and the merge refuses, naming the ids.
// Output is sorted by id, so the same set of runs gives the same file, however it was
// sharded. Inputs are held in memory (about the size of the files).

import { SweepError } from "./errors.js";
import type { SweepSpec } from "./file.js";
import { Grid, type RunSpec } from "./grid.js";
import { readResults, type TornTail } from "./results-file.js";
import { sameRun, type ResultLine } from "./line.js";

export interface MergeInput {
  file: string;
  lines: number;
  torn: TornTail | null;
}

export interface MergeConflict {
  id: string;
  params: Record<string, unknown>;
  seed: number;
  /** "file:line" of the two disagreeing lines. */
  at: [string, string];
}

export interface MergeResult {
  /** Output lines, sorted by id, without newlines. */
  lines: string[];
  inputs: MergeInput[];
  /** Identical duplicates dropped. */
  duplicates: number;
  /** Failed lines dropped because an ok line for the same run exists. */
  supersededFailures: number;
  failed: number;
  /** With a sweep: runs of the grid with no line. */
  missing: RunSpec[];
  /** With a sweep: ids that are not runs of the grid. */
  extra: string[];
}

interface Kept {
  line: ResultLine;
  text: string;
  at: string;
}

/** At most this many conflicts are listed in the error message. */
const LISTED = 10;

export function mergeResults(files: readonly string[], sweep?: SweepSpec): MergeResult {
  const byId = new Map<string, Kept>();
  const inputs: MergeInput[] = [];
  const conflicts: MergeConflict[] = [];
  let duplicates = 0;
  let supersededFailures = 0;
  for (const file of files) {
    const read = readResults(file);
    inputs.push({ file, lines: read.lines.length, torn: read.torn });
    for (const { line, text, lineNo } of read.lines) {
      const at = `${file}:${lineNo}`;
      const kept = byId.get(line.id);
      if (kept === undefined) {
        byId.set(line.id, { line, text, at });
      } else if (sameRun(kept.line, line)) {
        duplicates++;
      } else if (kept.line.status === "failed" && line.status === "ok") {
        byId.set(line.id, { line, text, at });
        supersededFailures++;
      } else if (line.status === "failed") {
        // A failure never overrides anything: an ok line stays, the first failure stays.
        if (kept.line.status === "ok") supersededFailures++;
        else duplicates++;
      } else {
        conflicts.push({ id: line.id, params: line.params, seed: line.seed, at: [kept.at, at] });
      }
    }
  }
  if (conflicts.length > 0) {
    const list = conflicts.slice(0, LISTED).map((c) => `  ${c.id} (${JSON.stringify(c.params)} seed ${c.seed}): ${c.at[0]} vs ${c.at[1]}`);
    if (conflicts.length > LISTED) list.push(`  … and ${conflicts.length - LISTED} more`);
    throw new SweepError(
      conflicts.map((c) => ({ path: `run ${c.id}`, value: c.at.join(" vs "), allowed: "one result per run id: lines for the same run must agree (same simulator version and scenario)" })),
      undefined,
      [`merge: ${conflicts.length} run${conflicts.length === 1 ? "" : "s"} with disagreeing results (same id, different result); nothing written`, ...list].join("\n"),
    );
  }
  const ids = [...byId.keys()].sort();
  const lines = ids.map((id) => byId.get(id)!.text);
  const failed = ids.filter((id) => byId.get(id)!.line.status === "failed").length;
  const missing: RunSpec[] = [];
  let extra: string[] = [];
  if (sweep !== undefined) {
    const grid = new Grid(sweep);
    const inGrid = new Set<string>();
    for (const run of grid.runs()) {
      inGrid.add(run.id);
      if (!byId.has(run.id)) missing.push(run);
    }
    extra = ids.filter((id) => !inGrid.has(id));
  }
  return { lines, inputs, duplicates, supersededFailures, failed, missing, extra };
}
