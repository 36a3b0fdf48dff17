// What a real cyclictest measured, read from the two files rt-tests writes:
//
// `--json FILE` (rt-tests ≥ 1.10, rt_write_json + cyclictest's write_stats): an object with
// "file_version", the command line under the key "cmdline:" (with its colon), "sysinfo",
// "num_threads", "resolution_in_ns" (1 with --nsecs), and "thread": {"0": {"histogram":
// {"<bin>": count, ...} (only non-zero bins), "cycles", "min", "max", "avg", "cpu", "node"}}.
//
// `-h N` histogram output (stdout, or --histfile): "# Histogram", then one row per bin
// "%06d " followed by the threads' counts "%06lu" separated by tabs (and a last column with
// all threads' sum under --histofall), then "# Total:", "# Min Latencies:", "# Avg
// Latencies:", "# Max Latencies:", "# Histogram Overflows:" (samples past the last bin),
// "# Histogram Overflow at cycle number:" and "# Thread N: ..." lines. The summary lines
// ("T: 0 (...) P:... I:... C:... Min: ...") may surround it.
//
// Bins are µs (ns with --nsecs). Both readers return the combined histogram of all threads.

import { readFileSync } from "node:fs";
import { readErrorReason } from "../scenario/load.js";
import { TraceFormatError } from "./trace-reader.js";

export interface MeasuredLatency {
  /** Bin width in ns (1000: µs bins; 1: --nsecs). */
  binNs: number;
  /** Counts by bin, all threads together. */
  counts: number[];
  /** Samples beyond the histogram's range (their values are unknown; the max bounds them). */
  overflows: number;
  threads: number;
  /** Largest latency reported (in bin units), if the file says. */
  max: number | null;
  /** cyclictest's command line (JSON only), for -i / -t / -l. */
  cmdline: string | null;
}

function bad(file: string, line: number, reason: string): TraceFormatError {
  return new TraceFormatError(file, line, reason);
}

function read(file: string): string {
  try {
    return readFileSync(file, "latin1");
  } catch (err) {
    throw bad(file, 0, `cannot read it (${readErrorReason(err)})`);
  }
}

/** cyclictest --json output. */
export function parseCyclictestJson(file: string, text: string): MeasuredLatency {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad(file, 0, `not cyclictest --json output (not valid JSON: ${(err as Error).message})`);
  }
  const o = raw as Record<string, unknown>;
  const threads = o.thread as Record<string, Record<string, unknown>> | undefined;
  if (typeof o !== "object" || o === null || typeof threads !== "object" || threads === null) throw bad(file, 0, 'not cyclictest --json output (no "thread" object)');
  const counts: number[] = [];
  let max: number | null = null;
  let total = 0;
  let binned = 0;
  for (const [id, t] of Object.entries(threads)) {
    const hist = t.histogram as Record<string, unknown> | undefined;
    if (typeof hist !== "object" || hist === null) throw bad(file, 0, `thread ${id} has no "histogram" object (run cyclictest with -h N as well as --json)`);
    for (const [bin, c] of Object.entries(hist)) {
      const b = Number(bin);
      if (!Number.isInteger(b) || b < 0 || typeof c !== "number" || !Number.isInteger(c) || c < 0) throw bad(file, 0, `thread ${id}: histogram entry "${bin}": ${JSON.stringify(c)} is not a bin number with a count`);
      counts[b] = (counts[b] ?? 0) + c;
      binned += c;
    }
    if (typeof t.cycles === "number") total += t.cycles;
    if (typeof t.max === "number") max = Math.max(max ?? 0, t.max);
  }
  for (let i = 0; i < counts.length; i++) counts[i] ??= 0;
  const cmd = o["cmdline:"] ?? o.cmdline;
  return {
    binNs: o.resolution_in_ns === 1 ? 1 : 1000,
    counts,
    overflows: Math.max(0, total - binned),
    threads: Object.keys(threads).length,
    max,
    cmdline: typeof cmd === "string" ? cmd : null,
  };
}

/** cyclictest -h output (the "# Histogram" block, with or without the summary lines). */
export function parseCyclictestHistogram(file: string, text: string): MeasuredLatency {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === "# Histogram");
  if (start < 0) throw bad(file, 0, 'not cyclictest -h output (no "# Histogram" line)');
  const rows: number[][] = [];
  let overflows = 0;
  let max: number | null = null;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\d+\s/.test(line)) {
      const cells = line.trim().split(/\s+/);
      if (!cells.every((c) => /^\d+$/.test(c))) throw bad(file, i + 1, `a histogram row is a bin number and counts: ${JSON.stringify(line)}`);
      const nums = cells.map(Number);
      if (rows.length > 0 && nums.length !== rows[0]!.length) throw bad(file, i + 1, `this row has ${nums.length - 1} counts, the first had ${rows[0]!.length - 1}`);
      rows.push(nums);
      continue;
    }
    const overflow = /^# Histogram Overflows:\s*(.*)$/.exec(line);
    if (overflow !== null) {
      const values = overflow[1]!.trim().split(/\s+/).filter((x) => x !== "").map(Number);
      overflows = values.length > 1 && histofall(rows) ? values[values.length - 1]! : values.reduce((a, b) => a + b, 0);
      continue;
    }
    const maxLine = /^# Max Latencies:\s*(.*)$/.exec(line);
    if (maxLine !== null) {
      const values = maxLine[1]!.trim().split(/\s+/).filter((x) => x !== "").map(Number);
      if (values.length > 0) max = Math.max(...values);
    }
  }
  if (rows.length === 0) throw bad(file, start + 1, 'no histogram rows after "# Histogram"');
  const all = histofall(rows);
  const counts: number[] = [];
  for (const r of rows) {
    const bin = r[0]!;
    const cells = all ? [r[r.length - 1]!] : r.slice(1);
    counts[bin] = (counts[bin] ?? 0) + cells.reduce((a, b) => a + b, 0);
  }
  for (let i = 0; i < counts.length; i++) counts[i] ??= 0;
  return { binNs: 1000, counts, overflows, threads: all ? rows[0]!.length - 2 : rows[0]!.length - 1, max, cmdline: null };
}

/** --histofall: three or more columns whose last is the sum of the others in every row. */
function histofall(rows: number[][]): boolean {
  if (rows.length === 0 || rows[0]!.length < 4) return false;
  return rows.every((r) => r[r.length - 1] === r.slice(1, -1).reduce((a, b) => a + b, 0));
}

/** Either layout, told apart by its first non-blank character. */
export function readCyclictestFile(file: string): MeasuredLatency {
  const text = read(file);
  return text.trimStart().startsWith("{") ? parseCyclictestJson(file, text) : parseCyclictestHistogram(file, text);
}

/** cyclictest's -i (µs), -t, -l and -h from its command line, where given. */
export function cmdlineOptions(cmdline: string): { intervalUs?: number; threads?: number; loops?: number; histogramBins?: number } {
  const out: { intervalUs?: number; threads?: number; loops?: number; histogramBins?: number } = {};
  const opt = (short: string, long: string): number | undefined => {
    const m = new RegExp(`(?:^|\\s)(?:-${short}\\s*|--${long}[=\\s])(\\d+)`).exec(cmdline);
    return m === null ? undefined : Number(m[1]);
  };
  const i = opt("i", "interval");
  if (i !== undefined) out.intervalUs = i;
  const t = opt("t", "threads");
  if (t !== undefined) out.threads = t;
  const l = opt("l", "loops");
  if (l !== undefined) out.loops = l;
  const h = opt("h", "histogram");
  if (h !== undefined) out.histogramBins = h;
  return out;
}
