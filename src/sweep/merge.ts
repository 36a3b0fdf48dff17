// Merging results files (issue #5 §4): shards of one sweep, or the same sweep run twice.
// Lines are keyed by run id. Two lines for one id that agree (everything but wallMs)
// are one run; an ok line supersedes a failed one (a retry that succeeded elsewhere);
// two failed lines keep the first; two ok lines that disagree mean the inputs do not
// come from the same simulator and scenario, and the merge refuses, naming the ids.
// Output is sorted by id, so the same set of runs gives the same file, however it was
// sharded.
//
// Streaming (issue #14 §8): the first pass reads every input one line at a time and
// keeps, per run id, only where its chosen line is (file, byte offset, length), its
// status and a digest of its content without wallMs; the second pass writes the chosen
// lines in id order, reading each back from its file. Memory is about a hundred bytes
// per run, whatever the lines' size (a 64-vCPU line is ~220 KB).

import { closeSync, openSync } from "node:fs";
import { createHash } from "node:crypto";
import { SweepError } from "./errors.js";
import type { SweepSpec } from "./file.js";
import { Grid, type RunSpec } from "./grid.js";
import { readLineAt, scanResults, type LineAt, type TornTail } from "./results-file.js";
import type { ResultLine } from "./line.js";

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
  /** Runs in the output. */
  runs: number;
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
  /** Writes the merged lines, sorted by id, each with its newline, chunk by chunk. */
  writeTo(write: (chunk: Buffer) => void): void;
}

interface Kept {
  file: number;
  lineNo: number;
  at: LineAt;
  ok: boolean;
  /** sha256 of the line without wallMs: equal digests, the same run outcome (sameRun). */
  digest: string;
}

/** At most this many conflicts are listed in the error message. */
const LISTED = 10;

function digestOf(line: ResultLine): string {
  return createHash("sha256").update(JSON.stringify({ ...line, wallMs: 0 })).digest("base64");
}

export function mergeResults(files: readonly string[], sweep?: SweepSpec): MergeResult {
  const byId = new Map<string, Kept>();
  const inputs: MergeInput[] = [];
  const conflicts: MergeConflict[] = [];
  let duplicates = 0;
  let supersededFailures = 0;
  files.forEach((file, f) => {
    let lines = 0;
    const read = scanResults(file, (line, _text, lineNo, at) => {
      lines++;
      const next: Kept = { file: f, lineNo, at, ok: line.status === "ok", digest: digestOf(line) };
      const kept = byId.get(line.id);
      if (kept === undefined) {
        byId.set(line.id, next);
      } else if (kept.digest === next.digest) {
        duplicates++;
      } else if (!kept.ok && next.ok) {
        byId.set(line.id, next);
        supersededFailures++;
      } else if (!next.ok) {
        // A failure never overrides anything: an ok line stays, the first failure stays.
        if (kept.ok) supersededFailures++;
        else duplicates++;
      } else {
        conflicts.push({ id: line.id, params: line.params, seed: line.seed, at: [`${files[kept.file]}:${kept.lineNo}`, `${file}:${lineNo}`] });
      }
    });
    inputs.push({ file, lines, torn: read.torn });
  });
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
  let failed = 0;
  for (const k of byId.values()) if (!k.ok) failed++;
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
  const writeTo = (write: (chunk: Buffer) => void): void => {
    const fds = files.map(() => -1);
    const newline = Buffer.from("\n");
    try {
      for (const id of ids) {
        const k = byId.get(id)!;
        if (fds[k.file] === -1) fds[k.file] = openSync(files[k.file]!, "r");
        let bytes = readLineAt(fds[k.file]!, k.at);
        if (bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1); // CRLF input
        write(bytes);
        write(newline);
      }
    } finally {
      for (const fd of fds) if (fd !== -1) closeSync(fd);
    }
  };
  return { runs: ids.length, inputs, duplicates, supersededFailures, failed, missing, extra, writeTo };
}
