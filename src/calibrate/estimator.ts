// From trace events to host-delay samples: each delay is the interval between two events
// of one vCPU thread or one hrtimer (keyed by pid and hrtimer address, so several VMs,
// vCPUs and CPU migrations do not mix). What each delay is measured from:
//
//   hrtimer   hrtimer_start expires= → hrtimer_expire_entry now= of the LAPIC timer
//             (function apic_timer_fn; kvm_timer_fn before 3.11), both CLOCK_MONOTONIC ns
//             (start_sw_tscdeadline → apic_timer_fn)
//   wakeup    sched_waking of a vCPU thread → sched_switch to it (kvm_vcpu_kick → the
//             thread runs again)
//   vmExit    kvm_exit HLT → the thread's sched_switch out (kvm_vcpu_halt → schedule),
//             only when the trace shows no halt polling (its window would be included)
//   vmEntry   sched_switch to the vCPU thread → its next kvm_entry (vcpu_enter_guest)
//   msrExit   kvm_exit MSR_WRITE → next kvm_entry (a kvm_msr line naming another MSR
//             than IA32_TSC_DEADLINE, 0x6e0, drops the sample)
//
// Exit handling per reason (kvm_exit → next kvm_entry) and kvm_wait_lapic_expire's delta
// are kept for the report. A lost-events marker forgets every open interval.

import { DEFAULT_RESERVOIR, Reservoir } from "./samples.js";
import { seededUniform } from "../seeded-uniform.js";
import { decAfter, signedAfter, tokenAfter, type EventLine } from "./line-parse.js";

export const FITTED_DELAYS = ["hrtimer", "wakeup", "vmExit", "vmEntry", "msrExit"] as const;
export type FittedDelay = (typeof FITTED_DELAYS)[number];

/** What is open for one thread (by pid): start times in ns (-1: none) and their timestamp resolution. */
interface ThreadState {
  exitNs: number;
  exitRes: number;
  exitReason: string;
  otherMsr: boolean;
  hltNs: number;
  hltRes: number;
  inNs: number;
  inRes: number;
  wakingNs: number;
  wakingRes: number;
  /** Seen in kvm_exit / kvm_entry: a vCPU thread. */
  vcpu: boolean;
}

function newThread(): ThreadState {
  return { exitNs: -1, exitRes: 1, exitReason: "", otherMsr: false, hltNs: -1, hltRes: 1, inNs: -1, inRes: 1, wakingNs: -1, wakingRes: 1, vcpu: false };
}

/** The exit reasons tscsim tells apart, checked in place (VMX upper case, SVM lower case). */
const REASONS: [token: string, name: string][] = [
  ["HLT", "HLT"],
  ["MSR_WRITE", "MSR_WRITE"],
  ["EXTERNAL_INTERRUPT", "EXTERNAL_INTERRUPT"],
  ["PREEMPTION_TIMER", "PREEMPTION_TIMER"],
  ["APIC_WRITE", "APIC_WRITE"],
  ["hlt", "HLT"],
  ["intr", "EXTERNAL_INTERRUPT"],
];

/** The reason's name as the report uses it (SVM's lower-case names mapped, others upper-cased). */
function exitReason(line: string, at: number, end: number): string {
  let e = line.indexOf(" ", at);
  if (e < 0 || e > end) e = end;
  for (const [token, name] of REASONS) if (e - at === token.length && line.startsWith(token, at)) return name;
  const t = line.slice(at, e).toUpperCase();
  return t === "MSR" ? "MSR" : t;
}

/** An hrtimer's address as a number (its last 13 hex digits: exact in a double). */
function hrtimerKey(line: string, from: number, end: number): number {
  const k = line.indexOf("hrtimer=", from);
  if (k < 0 || k >= end) return -1;
  let i = k + 8;
  if (line.charCodeAt(i) === 48 && line.charCodeAt(i + 1) === 120) i += 2; // 0x
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = line.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) break;
    v = (v % 2 ** 48) * 16 + d;
    digits++;
  }
  return digits === 0 ? -1 : v;
}

export class DelayEstimator {
  readonly samples: Record<FittedDelay, Reservoir>;
  /** Timestamp resolution (ns) of the samples taken from timestamps, worst seen. */
  readonly resNs: Record<FittedDelay, number>;
  readonly exitHandling = new Map<string, Reservoir>();
  readonly waitDeltaCycles: Reservoir;
  lostMarkers = 0;
  haltPollSeen = 0;
  events = 0;
  private readonly threads = new Map<number, ThreadState>();
  private readonly hrtimers = new Map<number, number>();
  private readonly dither = seededUniform(7);

  constructor(capacity = DEFAULT_RESERVOIR) {
    this.samples = Object.fromEntries(FITTED_DELAYS.map((d, i) => [d, new Reservoir(capacity, i + 1)])) as Record<FittedDelay, Reservoir>;
    this.resNs = Object.fromEntries(FITTED_DELAYS.map((d) => [d, 0])) as Record<FittedDelay, number>;
    this.waitDeltaCycles = new Reservoir(capacity, 99);
  }

  /** The pids of the vCPU threads seen. */
  get vcpuThreads(): Set<number> {
    return new Set([...this.threads.entries()].filter(([, t]) => t.vcpu).map(([pid]) => pid));
  }

  private thread(pid: number): ThreadState {
    let t = this.threads.get(pid);
    if (t === undefined) this.threads.set(pid, (t = newThread()));
    return t;
  }

  /**
   * A sample from two timestamps. With µs timestamps the difference of two truncated
   * times is the delay plus an error in (−1, 1) µs whose mean is 0 when the phase is
   * uniform; a uniform dither of ±half the resolution makes the kept value continuous
   * (an unbiased mean, quantiles off by well under the resolution).
   */
  private interval(name: FittedDelay, startNs: number, startRes: number, e: EventLine): void {
    const res = startRes > e.resNs ? startRes : e.resNs;
    let d = e.tsNs - startNs;
    if (res > 1) d += (this.dither() - 0.5) * res;
    if (d < 0) d = 0;
    this.samples[name].add(d);
    if (res > this.resNs[name]) this.resNs[name] = res;
  }

  /** Forgets every open interval (after lost events). */
  lost(): void {
    this.lostMarkers++;
    this.hrtimers.clear();
    for (const t of this.threads.values()) t.exitNs = t.hltNs = t.inNs = t.wakingNs = -1;
  }

  /** One event line; unknown events are ignored. Returns an error text for a known event whose fields do not parse. */
  event(line: string, e: EventLine): string | null {
    this.events++;
    if (e.event === "") return null;
    const f = e.fields;
    const end = e.end;
    switch (e.event) {
      case "kvm_exit": {
        const r = line.indexOf("reason ", f);
        if (r < 0 || r >= end) return "kvm_exit without 'reason <name>'";
        const t = this.thread(e.pid);
        t.vcpu = true;
        let reason = exitReason(line, r + 7, end);
        // SVM's "msr" exit: info1 1 is a write; without info1 the trace cannot tell.
        if (reason === "MSR") reason = decAfter(line, "info1 0x", f, end) === 0 ? "MSR_READ" : "MSR_WRITE";
        t.exitNs = e.tsNs;
        t.exitRes = e.resNs;
        t.exitReason = reason;
        t.otherMsr = false;
        if (reason === "HLT") {
          t.hltNs = e.tsNs;
          t.hltRes = e.resNs;
        }
        return null;
      }
      case "kvm_entry": {
        const t = this.thread(e.pid);
        t.vcpu = true;
        if (t.exitNs >= 0) {
          let r = this.exitHandling.get(t.exitReason);
          if (r === undefined) this.exitHandling.set(t.exitReason, (r = new Reservoir(20_000, 50 + this.exitHandling.size)));
          r.add(e.tsNs - t.exitNs);
          if (t.exitReason === "MSR_WRITE" && !t.otherMsr) this.interval("msrExit", t.exitNs, t.exitRes, e);
          t.exitNs = -1;
        }
        if (t.inNs >= 0) {
          this.interval("vmEntry", t.inNs, t.inRes, e);
          t.inNs = -1;
        }
        t.hltNs = -1;
        return null;
      }
      case "kvm_msr": {
        // "msr_write 6e0 = 0x..." (IA32_TSC_DEADLINE is 0x6e0)
        const t = this.threads.get(e.pid);
        if (t !== undefined && t.exitNs >= 0 && line.startsWith("msr_write", f) && tokenAfter(line, "msr_write ", f, end) !== "6e0") t.otherMsr = true;
        return null;
      }
      case "hrtimer_start": {
        const key = hrtimerKey(line, f, end);
        const expires = decAfter(line, "expires=", f, end);
        if (key < 0 || expires < 0) return "hrtimer_start without hrtimer=<address> and expires=<ns>";
        const fn = line.indexOf("function=", f);
        const lapic = fn >= 0 && fn < end && (line.startsWith("apic_timer_fn", fn + 9) || line.startsWith("kvm_timer_fn", fn + 9));
        if (lapic) this.hrtimers.set(key, expires);
        else this.hrtimers.delete(key);
        return null;
      }
      case "hrtimer_cancel": {
        const key = hrtimerKey(line, f, end);
        if (key < 0) return "hrtimer_cancel without hrtimer=<address>";
        this.hrtimers.delete(key);
        return null;
      }
      case "hrtimer_expire_entry": {
        const key = hrtimerKey(line, f, end);
        const now = decAfter(line, "now=", f, end);
        if (key < 0 || now < 0) return "hrtimer_expire_entry without hrtimer=<address> and now=<ns>";
        const expires = this.hrtimers.get(key);
        if (expires !== undefined) {
          this.hrtimers.delete(key);
          this.samples.hrtimer.add(Math.max(0, now - expires));
          if (this.resNs.hrtimer === 0) this.resNs.hrtimer = 1;
        }
        return null;
      }
      case "sched_waking":
      case "sched_wakeup": {
        const pid = decAfter(line, " pid=", f - 1, end);
        // libtraceevent's sched plugin: "comm:pid [prio] CPU:002"
        const p = pid >= 0 ? pid : pluginPid(line, f, end);
        if (p < 0) return `${e.event} without pid=<n>`;
        const t = this.threads.get(p);
        // sched_wakeup follows sched_waking in traces that record both: keep the first.
        if (t !== undefined && t.vcpu && !(e.event === "sched_wakeup" && t.wakingNs >= 0)) {
          t.wakingNs = e.tsNs;
          t.wakingRes = e.resNs;
        }
        return null;
      }
      case "sched_switch": {
        const arrow = line.indexOf("==>", f);
        if (arrow < 0 || arrow >= end) return "sched_switch without '==>'";
        let prev = decAfter(line, "prev_pid=", f, arrow);
        let next = decAfter(line, "next_pid=", arrow, end);
        if (prev < 0) prev = pluginPid(line, f, arrow);
        if (next < 0) next = pluginPid(line, arrow + 3, end);
        if (prev < 0 || next < 0) return "sched_switch without prev_pid=/next_pid=";
        const out = this.threads.get(prev);
        if (out !== undefined && out.hltNs >= 0) {
          this.interval("vmExit", out.hltNs, out.hltRes, e);
          out.hltNs = -1;
        }
        const into = this.threads.get(next);
        if (into !== undefined && into.vcpu) {
          if (into.wakingNs >= 0) {
            this.interval("wakeup", into.wakingNs, into.wakingRes, e);
            into.wakingNs = -1;
          }
          into.inNs = e.tsNs;
          into.inRes = e.resNs;
        }
        return null;
      }
      case "kvm_vcpu_wakeup":
        if (line.startsWith("poll", f)) this.haltPollSeen++;
        return null;
      case "kvm_wait_lapic_expire": {
        const delta = signedAfter(line, "delta ", f, end);
        if (Number.isNaN(delta)) return "kvm_wait_lapic_expire without 'delta <cycles>'";
        this.waitDeltaCycles.add(delta);
        return null;
      }
      default:
        return null;
    }
  }
}

/** The pid in libtraceevent's "comm:pid [prio]" form between from and to, or -1. */
function pluginPid(line: string, from: number, to: number): number {
  const br = line.indexOf(" [", from);
  const end = br >= 0 && br < to ? br : to;
  const colon = line.lastIndexOf(":", end);
  if (colon < from) return -1;
  const digits = line.slice(colon + 1, end).trim();
  return /^\d+$/.test(digits) ? Number(digits) : -1;
}
