// What a results file already holds when a sweep starts (runner.ts): each run's status by
// id, with --resume; an existing file without --resume is refused; unreadable lines are
// refused or, with --repair, moved aside; a torn last line (a process killed mid-write)
// is cut off. Read before the first run, under the results file's lock.

import { existsSync, statSync } from "node:fs";
import { InputUnusableError } from "../errors.js";
import { moveLinesAside, scanResults, repairTornTail, STDOUT, type BadLine, type ScanResults, type TornTail } from "./results-file.js";

/** Where --repair moves the unreadable lines of `out`. */
export function rejectedFileOf(out: string): string {
  return `${out}.rejected`;
}

/** Existing lines: id -> status ("ok" wins over "failed" when both are there). */
export function existingRuns(out: string, resume: boolean, repair: boolean, notice: (m: string) => void): { status: Map<string, "ok" | "failed">; torn: TornTail | null } {
  const status = new Map<string, "ok" | "failed">();
  if (out === STDOUT || !existsSync(out)) return { status, torn: null };
  const stat = statSync(out);
  if (!stat.isFile() || stat.size === 0) return { status, torn: null };
  if (!resume) {
    throw new InputUnusableError("--out", out, `already has results (${stat.size.toLocaleString("en-US")} bytes)`, "a new results file, or --resume to continue this one");
  }
  const bad: BadLine[] = [];
  const read = scanResults(
    out,
    (line) => {
      if (status.get(line.id) !== "ok") status.set(line.id, line.status);
    },
    (b) => {
      bad.push(b);
    },
    "--out",
  );
  if (bad.length > 0) {
    const first = bad[0]!;
    const which = bad.length === 1 ? `line ${first.lineNo} (at byte ${first.offset}) is ${first.reason}` : `${bad.length} lines are unreadable (the first, line ${first.lineNo} at byte ${first.offset}, is ${first.reason})`;
    const side = rejectedFileOf(out);
    if (!repair) {
      throw new InputUnusableError("--out", out, which, `complete result lines, one per run: add --repair to move unreadable lines to ${side} (kept as they are) and run their runs again`);
    }
    moveLinesAside(out, bad, side);
    notice(`${out}: ${which}; moved ${bad.length === 1 ? "it" : "them"} to ${side} (line${bad.length === 1 ? "" : "s"} ${bad.slice(0, 10).map((b) => b.lineNo).join(", ")}${bad.length > 10 ? ", …" : ""}); ${bad.length === 1 ? "its run is" : "their runs are"} run again`);
    // Offsets moved: the torn tail (if any) is found again in the repaired file.
    return finishRead(out, status, notice);
  }
  return finishTail(out, read, status, notice);
}

function finishRead(out: string, status: Map<string, "ok" | "failed">, notice: (m: string) => void): { status: Map<string, "ok" | "failed">; torn: TornTail | null } {
  status.clear();
  const read = scanResults(
    out,
    (line) => {
      if (status.get(line.id) !== "ok") status.set(line.id, line.status);
    },
    undefined,
    "--out",
  );
  return finishTail(out, read, status, notice);
}

function finishTail(out: string, read: ScanResults, status: Map<string, "ok" | "failed">, notice: (m: string) => void): { status: Map<string, "ok" | "failed">; torn: TornTail | null } {
  if (read.torn !== null) {
    notice(`${out}: ignored a torn last line (${read.torn.bytes} bytes at byte ${read.torn.offset}: ${read.torn.reason}), left by a process that was killed mid-write; cut it off`);
  }
  repairTornTail(out, read);
  return { status, torn: read.torn };
}
