// What the vCPU state machine reports, as it happens. src/metrics/VcpuMetrics
// implements it; tests use a counting implementation.

import type { ExitReason, TimerBackend } from "../metrics/vcpu-slots.js";

export { ExitReason, TimerBackend } from "../metrics/vcpu-slots.js";

export interface MetricsSink {
  recordLatency(latencyCycles: number, latencyNs: number): void;
  /** A periodic interrupt against the previous one plus the period, ns (sinks that keep it: VcpuMetrics). */
  recordPeriodLateness?(latenessNs: number): void;
  recordExit(reason: ExitReason): void;
  addSpinNs(ns: number): void;
  timerArm(backend: TimerBackend): void;
  hvFallback(): void;
  hvToSw(): void;
  swToHv(): void;
  /** A timer interrupt posted to the running vCPU (kvm_use_posted_timer_interrupt). */
  timerPosted(): void;
  coalesced(): void;
  /** One halt that polled for pollNs; successful when woken before scheduling out. */
  haltPoll(pollNs: number, successful: boolean): void;
  /** nowNs is simulated time since the start. */
  recordAdvance(nowNs: number, advanceNs: number): void;
  hrtimerCallback(nowNs: number): void;
  /**
   * Adds the counts the wasm cyclictest engine kept for this vCPU, in a block laid out as
   * VcpuMetrics' slots (exits, spin, arms, fallbacks, switches, coalesced: slots 10..21;
   * halt-poll ns, successes, failures: 32..34; apic reads, posted: 35..36): the same as that many recordExit/
   * addSpinNs/timerArm/... calls.
   */
  addCounts(block: Float64Array): void;
}
