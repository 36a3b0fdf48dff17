// One line of `trace-cmd report` or raw ftrace (/sys/kernel/tracing/trace) text, split
// into its prefix (task-pid, [cpu], optional irq-flag column, timestamp) and event.
//
// The layouts it reads:
//   trace-cmd report:      "       CPU 0/KVM-4242  [002]  1234.567890: kvm_exit: vcpu 0 ..."
//   trace-cmd 3.x / -l:    "       CPU 0/KVM-4242  [002] d..1. 1234.567890: kvm_exit: ..."
//   raw ftrace:            "       CPU 0/KVM-4242  [002] d..1  1234.567890: kvm_exit: ..." (4 flag chars before 5.19, 5 after)
//   ftrace record-tgid:    "       CPU 0/KVM-4242  (   4240) [002] d..1. 1234.567890: ..."
//   timestamps in µs (6 digits) or ns (9 digits, trace-cmd report -t); a task name may
//   hold spaces and dashes ("CPU 0/KVM"): the pid is the digits after its last dash.
// Lines that are not events: blank, "#" comments, trace-cmd's headers ("cpus=8",
// "version = 6", "CPU 3 is empty"), stack lines (" => ..."), and lost-events markers
// ("CPU:2 [LOST 17 EVENTS]", "CPU 2: [... EVENTS DROPPED]").

/** What a line is. */
export const enum LineKind {
  Skip = 0,
  Event = 1,
  Lost = 2,
  Malformed = 3,
}

/** A parsed event line, reused from line to line (no allocation per line). */
export interface EventLine {
  pid: number;
  cpu: number;
  tsNs: number;
  /** Timestamp resolution in ns: 1000 for µs timestamps, 1 for ns. */
  resNs: number;
  event: string;
  /** Index in the line where the event's fields start. */
  fields: number;
  /** Why a malformed line is malformed. */
  error: string;
}

export function newEventLine(): EventLine {
  return { pid: 0, cpu: 0, tsNs: 0, resNs: 1, event: "", fields: 0, error: "" };
}

const SPACE = 32;
const DIGIT0 = 48;
const DIGIT9 = 57;

function isDigit(c: number): boolean {
  return c >= DIGIT0 && c <= DIGIT9;
}

/** Where "[<digits>]" starts in the line, or -1. */
function cpuBracket(line: string, out: EventLine): number {
  let i = line.indexOf("[");
  while (i >= 0) {
    let j = i + 1;
    let cpu = 0;
    while (j < line.length && isDigit(line.charCodeAt(j))) cpu = cpu * 10 + line.charCodeAt(j++) - DIGIT0;
    if (j > i + 1 && line.charCodeAt(j) === 93 /* ] */) {
      out.cpu = cpu;
      return i;
    }
    i = line.indexOf("[", i + 1);
  }
  return -1;
}

function skipSpaces(line: string, i: number): number {
  while (i < line.length && line.charCodeAt(i) === SPACE) i++;
  return i;
}

/**
 * Parses a timestamp "<sec>.<frac>:" at i into out.tsNs / out.resNs; returns the index
 * after the colon, or -1 if there is none at i.
 */
function timestamp(line: string, i: number, out: EventLine): number {
  let sec = 0;
  const start = i;
  while (i < line.length && isDigit(line.charCodeAt(i))) sec = sec * 10 + line.charCodeAt(i++) - DIGIT0;
  if (i === start || line.charCodeAt(i) !== 46 /* . */) return -1;
  i++;
  let frac = 0;
  let digits = 0;
  while (i < line.length && isDigit(line.charCodeAt(i))) {
    if (digits < 9) frac = frac * 10 + line.charCodeAt(i) - DIGIT0;
    digits++;
    i++;
  }
  if (digits === 0 || line.charCodeAt(i) !== 58 /* : */) return -1;
  const used = Math.min(digits, 9);
  const scale = 10 ** (9 - used);
  out.tsNs = sec * 1e9 + frac * scale;
  out.resNs = scale;
  return i + 1;
}

/** The pid at the end of the task part ("comm-pid", maybe followed by "(tgid)"). */
function taskPid(line: string, end: number): number {
  let e = end;
  while (e > 0 && line.charCodeAt(e - 1) === SPACE) e--;
  if (line.charCodeAt(e - 1) === 41 /* ) */) {
    const open = line.lastIndexOf("(", e);
    if (open < 0) return -1;
    e = open;
    while (e > 0 && line.charCodeAt(e - 1) === SPACE) e--;
  }
  let s = e;
  while (s > 0 && isDigit(line.charCodeAt(s - 1))) s--;
  if (s === e || line.charCodeAt(s - 1) !== 45 /* - */) return -1;
  return Number(line.slice(s, e));
}

const HEADER = /^(cpus=\d+|version\s*=|CPU \d+ is empty|trace-cmd:|\s*=>|\s*<stack trace>)/;
const LOST = /LOST\s+\d*\s*EVENTS|EVENTS DROPPED/;

/** Classifies and parses one line (without its newline) into `out`. */
export function parseLine(line: string, out: EventLine): LineKind {
  const first = skipSpaces(line, 0);
  if (first === line.length || line.charCodeAt(first) === 35 /* # */) return LineKind.Skip;
  const br = cpuBracket(line, out);
  if (br < 0 || taskPid(line, br) < 0) {
    if (LOST.test(line)) return LineKind.Lost;
    if (HEADER.test(line)) return LineKind.Skip;
    out.error = br < 0 ? "not a trace event line (no [cpu] column)" : "no task-pid before the [cpu] column";
    return LineKind.Malformed;
  }
  out.pid = taskPid(line, br);
  let i = skipSpaces(line, line.indexOf("]", br) + 1);
  let after = timestamp(line, i, out);
  if (after < 0) {
    // An irq-flag column (4 or 5 characters such as "d..1" or "d.h2.") comes first.
    const sp = line.indexOf(" ", i);
    const width = sp - i;
    if (sp < 0 || width < 4 || width > 5) {
      out.error = "expected a timestamp such as 1234.567890: or an irq-flags column after [cpu]";
      return LineKind.Malformed;
    }
    i = skipSpaces(line, sp);
    after = timestamp(line, i, out);
    if (after < 0) {
      out.error = "expected a timestamp such as 1234.567890: after the irq-flags column";
      return LineKind.Malformed;
    }
  }
  i = skipSpaces(line, after);
  const colon = line.indexOf(":", i);
  if (colon <= i || line.indexOf(" ", i) < colon && line.indexOf(" ", i) >= 0) {
    out.error = "expected an event name followed by ':' after the timestamp";
    return LineKind.Malformed;
  }
  out.event = line.slice(i, colon);
  out.fields = skipSpaces(line, colon + 1);
  return LineKind.Event;
}

/** The unsigned decimal after `key` (e.g. "now=") in the line from `from`, or -1. */
export function decAfter(line: string, key: string, from: number): number {
  const k = line.indexOf(key, from);
  if (k < 0) return -1;
  let i = k + key.length;
  const start = i;
  let v = 0;
  while (i < line.length && isDigit(line.charCodeAt(i))) v = v * 10 + line.charCodeAt(i++) - DIGIT0;
  return i === start ? -1 : v;
}

/** The signed decimal after `key`, or NaN. */
export function signedAfter(line: string, key: string, from: number): number {
  const k = line.indexOf(key, from);
  if (k < 0) return Number.NaN;
  let i = k + key.length;
  const neg = line.charCodeAt(i) === 45;
  if (neg) i++;
  const start = i;
  let v = 0;
  while (i < line.length && isDigit(line.charCodeAt(i))) v = v * 10 + line.charCodeAt(i++) - DIGIT0;
  if (i === start) return Number.NaN;
  return neg ? -v : v;
}

/** The token after `key` up to the next space (or the end), or "". */
export function tokenAfter(line: string, key: string, from: number): string {
  const k = line.indexOf(key, from);
  if (k < 0) return "";
  const s = k + key.length;
  const e = line.indexOf(" ", s);
  return line.slice(s, e < 0 ? line.length : e);
}
