// `tscsim fit`: traces → samples per host delay → a fitted distribution per delay that
// the trace identifies → the `host` object of a scenario, and the report that says what
// was measured, how well each form fits, and what was left at the scenario's values.

import type { DelayDistFile } from "../scenario/delays.js";
import { DELAY_NAMES } from "../scenario/delays.js";
import { DelayEstimator, FITTED_DELAYS, type FittedDelay } from "./estimator.js";
import { fitDelay, type DelayFit } from "./fit-dist.js";
import { quantile } from "./samples.js";
import { readTraces, type ReadStats } from "./trace-reader.js";

/** Fewer samples than this and a delay is not fitted. */
export const MIN_SAMPLES = 30;
/** A delay measured between two timestamps needs a median at least this many timestamp steps. */
export const MIN_MEDIAN_STEPS = 2;

export interface DelayOutcome {
  name: string;
  /** Fitted, or why not (then the scenario's own value stays). */
  fit: DelayFit | null;
  reason: string | null;
  /** Timestamp resolution the samples were taken at (1: ns fields or ns timestamps). */
  resNs: number;
  samples: number;
}

export interface FitResult {
  stats: ReadStats;
  wallMs: number;
  vcpuThreads: number;
  lostMarkers: number;
  haltPollSeen: number;
  delays: DelayOutcome[];
  exitHandling: { reason: string; n: number; p50Ns: number; p99Ns: number }[];
  waitLapicExpire: { n: number; earlyShare: number; p50Cycles: number; p99Cycles: number } | null;
  /** The scenario `host` object: only the delays the trace identified. */
  host: { delays: Record<string, DelayDistFile> };
}

const NOT_IN_TRACE: Record<string, string> = {
  irqDispatch: "guest-side (VM entry → the guest handler's first instruction): a host trace does not show it",
};

function outcome(name: FittedDelay, est: DelayEstimator): DelayOutcome {
  const res = est.samples[name];
  const resNs = est.resNs[name];
  const base = { name, resNs, samples: res.seen };
  if (name === "vmExit" && est.haltPollSeen > 0) {
    return { ...base, fit: null, reason: `halt polling is on in this trace (${est.haltPollSeen} polled wake-ups): kvm_exit HLT → sched_switch includes the poll window; record with halt_poll_ns=0 to measure it` };
  }
  if (res.seen < MIN_SAMPLES) return { ...base, fit: null, reason: res.seen === 0 ? `no samples (${sourceOf(name)})` : `only ${res.seen} samples (at least ${MIN_SAMPLES} needed)` };
  const sorted = res.sorted();
  const median = quantile(sorted, 0.5);
  if (resNs > 1 && median < MIN_MEDIAN_STEPS * resNs) {
    return { ...base, fit: null, reason: `median ${Math.round(median)} ns is below ${MIN_MEDIAN_STEPS} timestamp steps (${resNs} ns): not identifiable at this resolution; use \`trace-cmd report -t\` (ns timestamps)` };
  }
  return { ...base, fit: fitDelay(sorted), reason: null };
}

function sourceOf(name: FittedDelay): string {
  switch (name) {
    case "hrtimer":
      return "needs hrtimer_start and hrtimer_expire_entry of apic_timer_fn: -e timer:hrtimer_start -e timer:hrtimer_expire_entry";
    case "wakeup":
      return "needs sched_waking and sched_switch of the vCPU threads: -e sched:sched_waking -e sched:sched_switch";
    case "vmExit":
      return "needs kvm_exit HLT followed by sched_switch of the vCPU thread";
    case "vmEntry":
      return "needs sched_switch to a vCPU thread followed by its kvm_entry";
    case "msrExit":
      return "needs kvm_exit MSR_WRITE followed by kvm_entry";
  }
}

export function fitTraces(files: readonly string[], now: () => number = () => performance.now()): FitResult {
  const est = new DelayEstimator();
  const started = now();
  const stats = readTraces(files, est);
  const wallMs = now() - started;
  const delays: DelayOutcome[] = FITTED_DELAYS.map((d) => outcome(d, est));
  for (const name of DELAY_NAMES) {
    if (!(FITTED_DELAYS as readonly string[]).includes(name)) delays.push({ name, fit: null, reason: NOT_IN_TRACE[name] ?? "not measured from a host trace", resNs: 0, samples: 0 });
  }
  const host: FitResult["host"] = { delays: {} };
  for (const d of delays) if (d.fit !== null) host.delays[d.name] = d.fit.chosen.dist;
  const exitHandling = [...est.exitHandling.entries()]
    .map(([reason, r]) => {
      const s = r.sorted();
      return { reason, n: r.seen, p50Ns: quantile(s, 0.5), p99Ns: quantile(s, 0.99) };
    })
    .sort((a, b) => b.n - a.n);
  const w = est.waitDeltaCycles;
  let waitLapicExpire: FitResult["waitLapicExpire"] = null;
  if (w.seen > 0) {
    const s = w.sorted();
    let early = 0;
    for (const x of s) if (x < 0) early++;
    waitLapicExpire = { n: w.seen, earlyShare: early / s.length, p50Cycles: quantile(s, 0.5), p99Cycles: quantile(s, 0.99) };
  }
  return { stats, wallMs, vcpuThreads: est.vcpuThreads.size, lostMarkers: est.lostMarkers, haltPollSeen: est.haltPollSeen, delays, exitHandling, waitLapicExpire, host };
}
