// The results file on disk: reading it back (resume, merge, summarize) with torn-line
// detection, and appending to it.
//
// Durability (issue #5 §3): each line is written with one write(2) (or a group of lines
// with one writev(2): hold()) on an O_APPEND descriptor as soon as the main thread has
// it (batch.ts: within ~50 ms of its run's end), so once written it survives the death of the
// process (SIGKILL, OOM killer, a node drained by the scheduler): only runs in flight
// are lost. fsync(2) runs at most once a second and on close, so a crash of the machine
// itself can lose about the last second of lines, or leave a partial last line; an
// fsync per line would cost a disk flush per run (thousands a second on small runs) to
// save a second of recomputation. A partial ("torn") last line is recognised on the
// next read — the file does not end in a newline and its last line is not a complete
// result line — reported and ignored; `repairTornTail` truncates it away before
// appending, so the file never holds a line glued onto a torn one.

import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, statSync, writeSync, writevSync } from "node:fs";
import { InputUnusableError } from "../errors.js";
import { readErrorReason, writeErrorReason } from "../scenario/load.js";
import { parseLine, type ResultLine } from "./line.js";

export interface TornTail {
  /** Byte offset where the torn line starts (the file's good length). */
  offset: number;
  bytes: number;
  /** Why it is not a line. */
  reason: string;
}

export interface ScanResults {
  torn: TornTail | null;
  /** The last line is complete but has no newline (written by another tool): fixed by repairTornTail. */
  missingNewline: boolean;
}

export interface ReadResults extends ScanResults {
  /** Complete lines in file order. */
  lines: { line: ResultLine; text: string; lineNo: number }[];
}

const CHUNK = 1 << 20;

/**
 * Visits every complete line of a results file in order, streaming, so a file of any
 * size costs one line at a time. A line in the middle of the file that is not a result
 * line is corruption, not a torn tail: that throws, naming the file and line number.
 */
export function scanResults(file: string, visit: (line: ResultLine, text: string, lineNo: number, at: LineAt) => void, onBad?: (bad: BadLine) => void, field = "results file"): ScanResults {
  const fd = openResults(file, field);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let pending: Buffer[] = [];
    let pendingStart = 0;
    let pos = 0;
    let lineNo = 0;
    const take = (bytes: Buffer, start: number): void => {
      lineNo++;
      const text = bytes.toString("utf8").replace(/\r$/, "");
      if (text.trim() === "") return;
      const parsed = parseLine(text);
      if (typeof parsed === "string") {
        if (onBad !== undefined) return onBad({ lineNo, offset: start, bytes: bytes.length + 1, reason: parsed });
        throw new InputUnusableError(field, file, `line ${lineNo} (at byte ${start}) is ${parsed}`, "complete result lines, one per run; only a torn last line is tolerated (tscsim sweep --resume --repair moves unreadable lines to a side file)");
      }
      visit(parsed, text, lineNo, { offset: start, bytes: bytes.length });
    };
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) break;
      let from = 0;
      for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < n; nl = buf.indexOf(10, nl + 1)) {
        const piece = Buffer.from(buf.subarray(from, nl));
        take(pending.length === 0 ? piece : Buffer.concat([...pending, piece]), pendingStart);
        pending = [];
        from = nl + 1;
        pendingStart = pos + from;
      }
      if (from < n) pending.push(Buffer.from(buf.subarray(from, n)));
      pos += n;
    }
    let torn: TornTail | null = null;
    let missingNewline = false;
    if (pending.length > 0) {
      const tail = Buffer.concat(pending);
      const text = tail.toString("utf8");
      const parsed = text.trim() === "" ? "blank" : parseLine(text);
      if (typeof parsed === "string") {
        torn = { offset: pendingStart, bytes: tail.length, reason: parsed };
      } else {
        visit(parsed, text, ++lineNo, { offset: pendingStart, bytes: tail.length });
        missingNewline = true;
      }
    }
    return { torn, missingNewline };
  } finally {
    closeSync(fd);
  }
}

/** Where a line is in its file: its first byte and its length without the newline. */
export interface LineAt {
  offset: number;
  bytes: number;
}

/** The bytes of one line, read back from its file (merge's second pass). */
export function readLineAt(fd: number, at: LineAt): Buffer {
  const buf = Buffer.alloc(at.bytes);
  let got = 0;
  while (got < at.bytes) {
    const n = readSync(fd, buf, got, at.bytes - got, at.offset + got);
    if (n === 0) throw new Error(`results file shrank while being merged (wanted ${at.bytes} bytes at ${at.offset})`);
    got += n;
  }
  return buf;
}

/** An unreadable line in the middle of a results file. */
export interface BadLine {
  lineNo: number;
  /** Byte offset of its first byte. */
  offset: number;
  /** Its length with the newline. */
  bytes: number;
  reason: string;
}

/** What a results file path is when it cannot be read as one, in words for a message. */
function openResults(file: string, field: string): number {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new InputUnusableError(field, file, `cannot be read (${readErrorReason(err)})`, "a readable JSONL results file written by tscsim sweep or tscsim merge");
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new InputUnusableError(field, file, "is a directory", "a JSONL results file written by tscsim sweep or tscsim merge (for a directory of shards, give its files: DIR/*.jsonl)");
  }
  return fd;
}

/**
 * Moves `bad` lines (in file order) out of `file` into `side` (appended, fsynced first),
 * then replaces `file` by a copy without them (written beside it and renamed): at every
 * moment each line is in `file` or in `side`, never in neither.
 */
export function moveLinesAside(file: string, bad: readonly BadLine[], side: string): void {
  if (bad.length === 0) return;
  const src = openSync(file, "r");
  const tmp = `${file}.repair-${process.pid}`;
  try {
    const sideFd = openSync(side, "a");
    try {
      for (const b of bad) {
        const buf = Buffer.alloc(b.bytes);
        readSync(src, buf, 0, b.bytes, b.offset);
        writeSync(sideFd, buf[buf.length - 1] === 10 ? buf : Buffer.concat([buf, Buffer.from("\n")]));
      }
      fsyncSync(sideFd);
    } finally {
      closeSync(sideFd);
    }
    const out = openSync(tmp, "w");
    try {
      const size = fstatSync(src).size;
      const buf = Buffer.allocUnsafe(CHUNK);
      let pos = 0;
      const copy = (end: number): void => {
        while (pos < end) {
          const n = readSync(src, buf, 0, Math.min(CHUNK, end - pos), pos);
          if (n === 0) break;
          writeSync(out, buf, 0, n);
          pos += n;
        }
      };
      for (const b of bad) {
        copy(b.offset);
        pos = b.offset + b.bytes;
      }
      copy(size);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
  } finally {
    closeSync(src);
  }
  renameSync(tmp, file);
}

/** Every line of a results file, in memory. */
export function readResults(file: string): ReadResults {
  const lines: ReadResults["lines"] = [];
  const scan = scanResults(file, (line, text, lineNo) => lines.push({ line, text, lineNo }));
  return { ...scan, lines };
}

/** Makes the file end in a complete line: cuts a torn tail, adds a missing newline. */
export function repairTornTail(file: string, read: ScanResults): void {
  if (read.torn === null && !read.missingNewline) return;
  const fd = openSync(file, "r+");
  try {
    if (read.torn !== null) ftruncateSync(fd, read.torn.offset);
    else writeSync(fd, "\n", fstatSync(fd).size);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `--out -`: the results go to standard output. */
export const STDOUT = "-";
const DEV_STDOUT = ["/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"];

/**
 * Appends lines, one write each (or one writev for a group: hold()); fsync at most every `fsyncEveryMs` and on close — for a
 * regular file only: a pipe, a terminal or /dev/stdout has nothing to flush (fsync fails
 * there with EINVAL), and `-` is standard output.
 */
export class ResultsAppender {
  private fd: number;
  private lastSyncMs = performance.now();
  private dirty = false;
  /** Whether fsync applies (a regular file). */
  readonly regular: boolean;
  private toStdout = false;
  /** Lines held for one writev(2) (hold()). */
  private held: Uint8Array[] | undefined;

  constructor(
    readonly file: string,
    private readonly fsyncEveryMs = 1000,
  ) {
    this.fd = -1;
    this.regular = false;
    if (file === STDOUT) {
      this.toStdout = true;
      return;
    }
    try {
      this.fd = openSync(file, "a");
      this.regular = fstatSync(this.fd).isFile();
    } catch (err) {
      // /dev/stdout that is a socket (a parent process's pipe in Node, systemd) cannot be
      // opened (ENXIO): it is standard output all the same.
      if ((err as NodeJS.ErrnoException).code === "ENXIO" && DEV_STDOUT.includes(file)) {
        this.toStdout = true;
        return;
      }
      throw new InputUnusableError("--out", file, `cannot be written (${writeErrorReason(err)})`, "a results file path in a writable directory, or - for standard output");
    }
  }

  append(line: string): void {
    this.appendBytes(Buffer.from(`${line}\n`, "utf8"));
  }

  /**
   * Lines appended from now until flushHeld() go out in one writev(2) then (the sweep's
   * main thread holds the lines of each group of outcomes it reads from a worker's
   * outbox: batch.ts). The caller keeps their bytes unchanged until flushHeld() returns.
   */
  hold(): void {
    this.held ??= [];
  }

  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Writes the lines held since hold(), in order, and stops holding. */
  flushHeld(): void {
    const lines = this.held;
    this.held = undefined;
    if (lines === undefined || lines.length === 0) return;
    if (lines.length === 1 || this.toStdout) {
      for (const line of lines) this.appendBytes(line);
      return;
    }
    // One writev(2) on the O_APPEND descriptor; what a short write left, line by line.
    let written = writevSync(this.fd, lines);
    for (const line of lines) {
      if (written >= line.length) {
        written -= line.length;
        continue;
      }
      let off = written;
      written = 0;
      while (off < line.length) off += writeSync(this.fd, line, off);
    }
    this.wrote();
  }

  /** A line already encoded as UTF-8, its newline included (a worker's line: run-task.ts). */
  appendBytes(bytes: Uint8Array): void {
    if (this.held !== undefined) {
      this.held.push(bytes);
      return;
    }
    if (this.toStdout) {
      // Standard output as a stream: synchronous for files, pipes and terminals on Linux;
      // a reader that goes away (EPIPE) ends the process quietly (cli/main.ts). A line
      // read in place from a worker's outbox (shared memory, reused once this returns)
      // is copied: a pipe's write may complete later.
      process.stdout.write(bytes.buffer instanceof SharedArrayBuffer ? Buffer.from(bytes) : bytes);
      return;
    }
    // One write(2) per line on an O_APPEND descriptor: the line lands whole or not at all
    // as far as another reader of a local file is concerned.
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off);
    this.wrote();
  }

  /** After a write: fsync at most every fsyncEveryMs (a regular file). */
  private wrote(): void {
    if (!this.regular) return;
    this.dirty = true;
    const now = performance.now();
    if (now - this.lastSyncMs >= this.fsyncEveryMs) {
      fsyncSync(this.fd);
      this.lastSyncMs = now;
      this.dirty = false;
    }
  }

  close(): void {
    this.flushHeld();
    if (this.fd < 0) return;
    if (this.dirty) fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** A path to a regular file, or to nothing yet: a results file that can be locked and resumed. */
export function isRegularOrNew(out: string): boolean {
  if (out === STDOUT) return false;
  let st;
  try {
    st = statSync(out);
  } catch {
    return true;
  }
  if (st.isDirectory()) throw new InputUnusableError("--out", out, "is a directory", "a results file path (JSONL), e.g. --out results.jsonl or --out DIR/results.jsonl");
  return st.isFile();
}
