// Streams trace files line by line into a DelayEstimator, in fixed-size chunks: memory
// stays constant however long the trace is (the estimator's samples are bounded too).

import { closeSync, openSync, readSync } from "node:fs";
import { LineKind, newEventLine, parseLine } from "./line-parse.js";
import { DelayEstimator } from "./estimator.js";
import { readErrorReason } from "../scenario/load.js";

const CHUNK = 1 << 22;

/** A trace that cannot be read: names the file and line (exit 2 at the command line). */
export class TraceFormatError extends Error {
  override name = "TraceFormatError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

export interface ReadStats {
  files: number;
  lines: number;
  /** Event lines of events the estimator does not use. */
  events: number;
  /** A last line without its newline that did not parse (a trace cut off while written). */
  truncatedLastLines: number;
}

/** Feeds every line of `files` to `est`; a malformed line throws TraceFormatError. */
export function readTraces(files: readonly string[], est: DelayEstimator): ReadStats {
  const stats: ReadStats = { files: files.length, lines: 0, events: 0, truncatedLastLines: 0 };
  const e = newEventLine();
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const file of files) {
    let fd: number;
    try {
      fd = openSync(file, "r");
    } catch (err) {
      throw new TraceFormatError(file, 0, `cannot read it (${readErrorReason(err)})`);
    }
    let lineNo = 0;
    let carry = "";
    const handle = (line: string, last: boolean): void => {
      lineNo++;
      const kind = parseLine(line, e);
      if (kind === LineKind.Event) {
        const err = est.event(line, e);
        if (err === null) return;
        if (last) {
          stats.truncatedLastLines++;
          return;
        }
        throw new TraceFormatError(file, lineNo, `${err}: ${JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)}`);
      }
      if (kind === LineKind.Lost) est.lost();
      else if (kind === LineKind.Malformed) {
        if (last) {
          stats.truncatedLastLines++;
          return;
        }
        throw new TraceFormatError(file, lineNo, `${e.error}: ${JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)}`);
      }
    };
    try {
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, CHUNK, null);
        } catch (err) {
          throw new TraceFormatError(file, lineNo, `cannot read it (${readErrorReason(err)})`);
        }
        if (n === 0) break;
        // latin1: one char per byte, and the fastest decoder; trace text is ASCII.
        const text = carry + buf.toString("latin1", 0, n);
        let start = 0;
        for (;;) {
          const nl = text.indexOf("\n", start);
          if (nl < 0) break;
          const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
          handle(text.slice(start, end), false);
          start = nl + 1;
        }
        carry = text.slice(start);
      }
      if (carry.length > 0) handle(carry, true);
    } finally {
      closeSync(fd);
    }
    stats.lines += lineNo;
  }
  stats.events = est.events;
  return stats;
}
