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
  /** The event's name when tscsim uses it (the name's own constant), else "" (see KNOWN_EVENTS). */
  event: string;
  /** Index in the text where the event's fields start, and where the line ends. */
  fields: number;
  end: number;
  /** Why a malformed line is malformed. */
  error: string;
}

export function newEventLine(): EventLine {
  return { pid: 0, cpu: 0, tsNs: 0, resNs: 1, event: "", fields: 0, end: 0, error: "" };
}

const SPACE = 32;
const DIGIT0 = 48;
const DIGIT9 = 57;

function isDigit(c: number): boolean {
  return c >= DIGIT0 && c <= DIGIT9;
}

/** Where "[<digits>]" starts in line [start, end), or -1. */
function cpuBracket(line: string, start: number, end: number, out: EventLine): number {
  let i = line.indexOf("[", start);
  while (i >= 0 && i < end) {
    let j = i + 1;
    let cpu = 0;
    while (j < end && isDigit(line.charCodeAt(j))) cpu = cpu * 10 + line.charCodeAt(j++) - DIGIT0;
    if (j > i + 1 && j < end && line.charCodeAt(j) === 93 /* ] */) {
      out.cpu = cpu;
      return i;
    }
    i = line.indexOf("[", i + 1);
  }
  return -1;
}

function skipSpaces(line: string, i: number, end: number): number {
  while (i < end && line.charCodeAt(i) === SPACE) i++;
  return i;
}

/**
 * Parses a timestamp "<sec>.<frac>:" at i into out.tsNs / out.resNs; returns the index
 * after the colon, or -1 if there is none at i.
 */
function timestamp(line: string, i: number, end: number, out: EventLine): number {
  let sec = 0;
  const start = i;
  while (i < end && isDigit(line.charCodeAt(i))) sec = sec * 10 + line.charCodeAt(i++) - DIGIT0;
  if (i === start || i >= end || line.charCodeAt(i) !== 46 /* . */) return -1;
  i++;
  let frac = 0;
  let digits = 0;
  while (i < end && isDigit(line.charCodeAt(i))) {
    if (digits < 9) frac = frac * 10 + line.charCodeAt(i) - DIGIT0;
    digits++;
    i++;
  }
  if (digits === 0 || i >= end || line.charCodeAt(i) !== 58 /* : */) return -1;
  const used = Math.min(digits, 9);
  const scale = 10 ** (9 - used);
  out.tsNs = sec * 1e9 + frac * scale;
  out.resNs = scale;
  return i + 1;
}

/** The pid at the end of the task part [start, end) ("comm-pid", maybe followed by "(tgid)"). */
function taskPid(line: string, start: number, end: number): number {
  let e = end;
  while (e > start && line.charCodeAt(e - 1) === SPACE) e--;
  if (e > start && line.charCodeAt(e - 1) === 41 /* ) */) {
    const open = line.lastIndexOf("(", e);
    if (open < start) return -1;
    e = open;
    while (e > start && line.charCodeAt(e - 1) === SPACE) e--;
  }
  let s = e;
  let pid = 0;
  let scale = 1;
  while (s > start && isDigit(line.charCodeAt(s - 1))) {
    pid += (line.charCodeAt(s - 1) - DIGIT0) * scale;
    scale *= 10;
    s--;
  }
  if (s === e || s <= start || line.charCodeAt(s - 1) !== 45 /* - */) return -1;
  return pid;
}

const HEADER = /^(cpus=\d+|version\s*=|CPU \d+ is empty|trace-cmd:|\s*=>|\s*<stack trace>)/;
const LOST = /LOST\s+\d*\s*EVENTS|EVENTS DROPPED/;

/** The events the estimator reads, by name length: found without slicing the line. */
export const KNOWN_EVENTS = [
  "kvm_exit",
  "kvm_entry",
  "kvm_msr",
  "kvm_wait_lapic_expire",
  "kvm_vcpu_wakeup",
  "hrtimer_start",
  "hrtimer_cancel",
  "hrtimer_expire_entry",
  "sched_waking",
  "sched_wakeup",
  "sched_switch",
] as const;
const BY_LENGTH: string[][] = [];
for (const name of KNOWN_EVENTS) (BY_LENGTH[name.length] ??= []).push(name);

function knownEvent(text: string, at: number, length: number): string {
  const names = BY_LENGTH[length];
  if (names === undefined) return "";
  for (const name of names) if (text.startsWith(name, at)) return name;
  return "";
}

/** Classifies and parses the line text[start, end) (without its newline) into `out`. */
export function parseLine(text: string, out: EventLine, start = 0, end = text.length): LineKind {
  const first = skipSpaces(text, start, end);
  if (first === end || text.charCodeAt(first) === 35 /* # */) return LineKind.Skip;
  const br = cpuBracket(text, start, end, out);
  const pid = br < 0 ? -1 : taskPid(text, start, br);
  if (pid < 0) {
    const line = text.slice(start, end);
    if (LOST.test(line)) return LineKind.Lost;
    if (HEADER.test(line)) return LineKind.Skip;
    out.error = br < 0 ? "not a trace event line (no [cpu] column)" : "no task-pid before the [cpu] column";
    return LineKind.Malformed;
  }
  out.pid = pid;
  let i = skipSpaces(text, text.indexOf("]", br) + 1, end);
  let after = timestamp(text, i, end, out);
  if (after < 0) {
    // An irq-flag column (4 or 5 characters such as "d..1" or "d.h2.") comes first.
    const sp = text.indexOf(" ", i);
    const width = sp - i;
    if (sp < 0 || sp >= end || width < 4 || width > 5) {
      out.error = "expected a timestamp such as 1234.567890: or an irq-flags column after [cpu]";
      return LineKind.Malformed;
    }
    i = skipSpaces(text, sp, end);
    after = timestamp(text, i, end, out);
    if (after < 0) {
      out.error = "expected a timestamp such as 1234.567890: after the irq-flags column";
      return LineKind.Malformed;
    }
  }
  i = skipSpaces(text, after, end);
  const colon = text.indexOf(":", i);
  const space = text.indexOf(" ", i);
  if (colon <= i || colon >= end || (space >= 0 && space < colon)) {
    out.error = "expected an event name followed by ':' after the timestamp";
    return LineKind.Malformed;
  }
  out.event = knownEvent(text, i, colon - i);
  out.fields = skipSpaces(text, colon + 1, end);
  out.end = end;
  return LineKind.Event;
}

/** The unsigned decimal after `key` (e.g. "now=") in the line from `from`, or -1. */
export function decAfter(line: string, key: string, from: number, end = line.length): number {
  const k = line.indexOf(key, from);
  if (k < 0 || k >= end) return -1;
  let i = k + key.length;
  const start = i;
  let v = 0;
  while (i < line.length && isDigit(line.charCodeAt(i))) v = v * 10 + line.charCodeAt(i++) - DIGIT0;
  return i === start ? -1 : v;
}

/** The signed decimal after `key`, or NaN. */
export function signedAfter(line: string, key: string, from: number, end = line.length): number {
  const k = line.indexOf(key, from);
  if (k < 0 || k >= end) return Number.NaN;
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
export function tokenAfter(line: string, key: string, from: number, end = line.length): string {
  const k = line.indexOf(key, from);
  if (k < 0 || k >= end) return "";
  const s = k + key.length;
  const e = line.indexOf(" ", s);
  return line.slice(s, e < 0 || e > end ? end : e);
}
