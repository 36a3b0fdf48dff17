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

import { DEFAULT_RESERVOIR, Reservoir, seededUniform } from "./samples.js";
import { decAfter, signedAfter, tokenAfter, type EventLine } from "./line-parse.js";

export const FITTED_DELAYS = ["hrtimer", "wakeup", "vmExit", "vmEntry", "msrExit"] as const;
export type FittedDelay = (typeof FITTED_DELAYS)[number];

/** An open interval: its start (ns) and the coarser resolution of its timestamps. */
interface Open {
  ns: number;
  resNs: number;
}

/** SVM exit names (lower case) and VMX ones, to the names the report uses. */
function exitReason(token: string): string {
  const t = token.toUpperCase();
  switch (t) {
    case "MSR":
      return "MSR";
    case "INTR":
      return "EXTERNAL_INTERRUPT";
    default:
      return t;
  }
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
  readonly vcpuThreads = new Set<number>();
  private readonly hrtimers = new Map<string, number>();
  private readonly exits = new Map<number, Open & { reason: string; otherMsr: boolean }>();
  private readonly hlts = new Map<number, Open>();
  private readonly switchedIn = new Map<number, Open>();
  private readonly wakings = new Map<number, Open>();
  private readonly dither = seededUniform(7);

  constructor(capacity = DEFAULT_RESERVOIR) {
    this.samples = Object.fromEntries(FITTED_DELAYS.map((d, i) => [d, new Reservoir(capacity, i + 1)])) as Record<FittedDelay, Reservoir>;
    this.resNs = Object.fromEntries(FITTED_DELAYS.map((d) => [d, 0])) as Record<FittedDelay, number>;
    this.waitDeltaCycles = new Reservoir(capacity, 99);
  }

  /**
   * A sample from two timestamps. With µs timestamps the difference of two truncated
   * times is the delay plus an error in (−1, 1) µs whose mean is 0 when the phase is
   * uniform; a uniform dither of ±half the resolution makes the kept value continuous
   * (an unbiased mean, quantiles off by well under the resolution).
   */
  private interval(name: FittedDelay, open: Open, line: EventLine): void {
    const res = Math.max(open.resNs, line.resNs);
    let d = line.tsNs - open.ns;
    if (res > 1) d += (this.dither() - 0.5) * res;
    if (d < 0) d = 0;
    this.samples[name].add(d);
    if (res > this.resNs[name]) this.resNs[name] = res;
  }

  /** Forgets every open interval (after lost events). */
  lost(): void {
    this.lostMarkers++;
    this.hrtimers.clear();
    this.exits.clear();
    this.hlts.clear();
    this.switchedIn.clear();
    this.wakings.clear();
  }

  /** One event line; unknown events are ignored. Returns an error text for a known event whose fields do not parse. */
  event(line: string, e: EventLine): string | null {
    this.events++;
    const f = e.fields;
    const end = e.end;
    switch (e.event) {
      case "kvm_exit": {
        const reasonToken = tokenAfter(line, "reason ", f, end);
        if (reasonToken === "") return "kvm_exit without 'reason <name>'";
        this.vcpuThreads.add(e.pid);
        let reason = exitReason(reasonToken);
        // SVM's "msr" exit: info1 1 is a write; without info1 the trace cannot tell.
        if (reason === "MSR") reason = decAfter(line, "info1 0x", f, end) === 0 ? "MSR_READ" : "MSR_WRITE";
        this.exits.set(e.pid, { ns: e.tsNs, resNs: e.resNs, reason, otherMsr: false });
        if (reason === "HLT") this.hlts.set(e.pid, { ns: e.tsNs, resNs: e.resNs });
        return null;
      }
      case "kvm_entry": {
        this.vcpuThreads.add(e.pid);
        const exit = this.exits.get(e.pid);
        if (exit !== undefined) {
          this.exits.delete(e.pid);
          let r = this.exitHandling.get(exit.reason);
          if (r === undefined) this.exitHandling.set(exit.reason, (r = new Reservoir(20_000, 50 + this.exitHandling.size)));
          r.add(e.tsNs - exit.ns);
          if (exit.reason === "MSR_WRITE" && !exit.otherMsr) this.interval("msrExit", exit, e);
        }
        const sw = this.switchedIn.get(e.pid);
        if (sw !== undefined) {
          this.switchedIn.delete(e.pid);
          this.interval("vmEntry", sw, e);
        }
        this.hlts.delete(e.pid);
        return null;
      }
      case "kvm_msr": {
        // "msr_write 6e0 = 0x..." (IA32_TSC_DEADLINE is 0x6e0)
        const exit = this.exits.get(e.pid);
        if (exit !== undefined && line.startsWith("msr_write", f) && tokenAfter(line, "msr_write ", f, end) !== "6e0") exit.otherMsr = true;
        return null;
      }
      case "hrtimer_start": {
        const ptr = tokenAfter(line, "hrtimer=", f, end);
        const fn = tokenAfter(line, "function=", f, end);
        const expires = decAfter(line, "expires=", f, end);
        if (ptr === "" || expires < 0) return "hrtimer_start without hrtimer=<address> and expires=<ns>";
        if (fn === "apic_timer_fn" || fn === "kvm_timer_fn") this.hrtimers.set(ptr, expires);
        else this.hrtimers.delete(ptr);
        return null;
      }
      case "hrtimer_cancel": {
        const ptr = tokenAfter(line, "hrtimer=", f, end);
        if (ptr === "") return "hrtimer_cancel without hrtimer=<address>";
        this.hrtimers.delete(ptr);
        return null;
      }
      case "hrtimer_expire_entry": {
        const ptr = tokenAfter(line, "hrtimer=", f, end);
        const now = decAfter(line, "now=", f, end);
        if (ptr === "" || now < 0) return "hrtimer_expire_entry without hrtimer=<address> and now=<ns>";
        const expires = this.hrtimers.get(ptr);
        if (expires !== undefined) {
          this.hrtimers.delete(ptr);
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
        // sched_wakeup follows sched_waking in traces that record both: keep the first.
        if (this.vcpuThreads.has(p) && !(e.event === "sched_wakeup" && this.wakings.has(p))) this.wakings.set(p, { ns: e.tsNs, resNs: e.resNs });
        return null;
      }
      case "sched_switch": {
        const arrow = line.indexOf("==>", f);
        if (arrow < 0 || arrow >= end) return "sched_switch without '==>'";
        let prev = decAfter(line, "prev_pid=", f, end);
        let next = decAfter(line, "next_pid=", arrow, end);
        if (prev < 0) prev = pluginPid(line, f, arrow);
        if (next < 0) next = pluginPid(line, arrow + 3, end);
        if (prev < 0 || next < 0) return "sched_switch without prev_pid=/next_pid=";
        const hlt = this.hlts.get(prev);
        if (hlt !== undefined) {
          this.hlts.delete(prev);
          this.interval("vmExit", hlt, e);
        }
        const waking = this.wakings.get(next);
        if (waking !== undefined) {
          this.wakings.delete(next);
          this.interval("wakeup", waking, e);
        }
        if (this.vcpuThreads.has(next)) this.switchedIn.set(next, { ns: e.tsNs, resNs: e.resNs });
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
