// Result format of a simulation run (issue #3 §7; contract names in issue #3 §8).

import type { HostSchedResult } from "./sched-types.js";
import type { LatencyMoments, LatencySummary, PeriodLatenessSummary } from "./latency-summary.js";

// The latency summary shapes live in a leaf (latency-summary.ts) so that histogram.ts and
// period-lateness.ts need not import this file; they are part of the result format, so
// readers of it get them here too.
export type { LatencyMoments, LatencySummary } from "./latency-summary.js";

export interface ExitCounts {
  /** WRMSR IA32_TSC_DEADLINE. */
  msrWrite: number;
  /** APIC register writes (LVTT, TMICT, TDCR, ...). */
  apicWrite: number;
  /** VMX-preemption-timer exits. */
  preemptionTimer: number;
  /** External interrupt / kick of a running vCPU. */
  externalInterrupt: number;
  hlt: number;
  /** Trapped APIC register reads: TMCCT always, every register without APICv. */
  apicRead: number;
}

export interface TimerCounts {
  swArms: number;
  hvArms: number;
  /** vmx_set_hv_timer returned -ERANGE and the hrtimer was used instead. */
  hvFallbacks: number;
  /** hv -> sw switches (blocking) and sw -> hv switches (wake). */
  hvToSw: number;
  swToHv: number;
  /** Timer interrupts posted to the running vCPU from a housekeeping CPU (kvm.postedTimerInterrupts): no exit. */
  posted: number;
}

/** timer_advance_ns over the run. A vCPU whose advance was never recorded had none: all 0, empty series. */
export interface AdvanceSummary {
  initial: number;
  final: number;
  min: number;
  max: number;
  /**
   * Sampled (simulated ns, advance ns) pairs, decimated evenly over the run (at most
   * MetricsOptions.advanceSeriesPoints). A run's aggregate carries the first vCPU's.
   */
  series: [number, number][];
}

/** The metrics of a run or of one vCPU, generic in what the latency summary holds. */
export interface MetricsOf<L extends LatencyMoments> {
  interrupts: number;
  /**
   * Guest TSC when the handler reads it − the deadline. Early interrupts (negative
   * latency) count in min and mean as they are, and as 0 in the percentiles.
   */
  latency: { ns: L; cycles: L };
  /** Interrupts whose handler read a guest TSC below the deadline; worstNs is the largest earliness, as a positive ns (0 if none). */
  early: { count: number; worstNs: number };
  /**
   * Periodic LAPIC timers only (absent otherwise): each interrupt against the previous
   * one plus the period, ns (src/metrics/period-lateness.ts); early ticks count as 0 in
   * the percentiles, as in `latency`.
   */
  periodLatenessNs?: PeriodLatenessSummary;
  exits: ExitCounts;
  /** Host time burned in the busy-wait before VM entry. */
  spinNs: number;
  advanceNs: AdvanceSummary;
  timers: TimerCounts;
  /** Periodic expiries dropped because one was already pending. */
  coalesced: number;
  /** Host CPU spent halt-polling (kvm_vcpu_halt's poll loop), ns. */
  haltPollNs: number;
  /** Halts that polled: successful = woken while polling (never scheduled out). */
  haltPolls: { successful: number; failed: number };
  /**
   * Peak number of hrtimer callbacks within one aligned simulated ms, [k·1 ms, (k+1)·1 ms)
   * (storm detector). In a run's aggregate this is host-wide: callbacks of all vCPUs in
   * the same ms add up.
   */
  callbacksPerMsPeak: number;
}

export interface RunMetrics extends MetricsOf<LatencySummary> {}

/**
 * One vCPU's metrics. Its latency summary carries percentiles only when the run kept a
 * histogram per vCPU (MetricsOptions.perVcpuHistograms); otherwise just min/mean/max.
 */
export interface VcpuResult extends MetricsOf<LatencySummary | LatencyMoments> {
  vm: number;
  vcpu: number;
}

export interface RunResult extends RunMetrics {
  /** The tscsim version and wasm build that computed the result (src/build-info.ts): runScenario always sets it; optional so hand-made results in tests need not. */
  tscsim?: { version: string; wasm: "debug" | "release"; wasmSha256: string };
  scenario: string;
  seed: number;
  era: string;
  simulatedNs: number;
  wallMs: number;
  events: number;
  vcpus: VcpuResult[];
  /** The host scheduler's metrics, when the scenario shares host CPUs (host.cpus, host.load, host.outer, pins). */
  hostSched?: HostSchedResult;
  /** The latency histograms, when asked for (RunOptions.histograms; src/report/hdr.ts). */
  histograms?: { encoding: string; unit: "ns"; all: string; vms: { vm: number; encoded: string }[] };
}
