// Streams trace files line by line into a DelayEstimator, in fixed-size chunks: memory
// stays constant however long the trace is (the estimator's samples are bounded too).

import { closeSync, openSync, readSync } from "node:fs";
import { LineKind, newEventLine, parseLine } from "./line-parse.js";
import { DelayEstimator } from "./estimator.js";
import { readErrorReason } from "../scenario/load.js";

const CHUNK = 1 << 20;

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
    const quote = (text: string, start: number, end: number) => JSON.stringify(end - start > 120 ? `${text.slice(start, start + 120)}…` : text.slice(start, end));
    /** Line text[start, end); `last`: the file's last line, without a newline. */
    const handle = (text: string, start: number, end: number, last: boolean): void => {
      lineNo++;
      const kind = parseLine(text, e, start, end);
      if (kind === LineKind.Event) {
        const err = est.event(text, e);
        if (err === null) return;
        if (last) {
          stats.truncatedLastLines++;
          return;
        }
        throw new TraceFormatError(file, lineNo, `${err}: ${quote(text, start, end)}`);
      }
      if (kind === LineKind.Lost) est.lost();
      else if (kind === LineKind.Malformed) {
        if (last) {
          stats.truncatedLastLines++;
          return;
        }
        throw new TraceFormatError(file, lineNo, `${e.error}: ${quote(text, start, end)}`);
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
        // A flat string per chunk (a concatenation would make charCodeAt slow); the line
        // split across two chunks is joined on its own.
        const text = buf.toString("latin1", 0, n);
        let start = 0;
        if (carry.length > 0) {
          const nl = text.indexOf("\n");
          if (nl < 0) {
            carry += text;
            continue;
          }
          const line = carry + text.slice(0, nl);
          handle(line, 0, line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length, false);
          start = nl + 1;
        }
        for (;;) {
          const nl = text.indexOf("\n", start);
          if (nl < 0) break;
          handle(text, start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl, false);
          start = nl + 1;
        }
        carry = text.slice(start);
      }
      if (carry.length > 0) handle(carry, 0, carry.length, true);
    } finally {
      closeSync(fd);
    }
    stats.lines += lineNo;
  }
  stats.events = est.events;
  return stats;
}
