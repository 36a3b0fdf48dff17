// What the vCPU state machine reports, as it happens. src/metrics/VcpuMetrics
// implements it; tests use a counting implementation.

import type { ExitReason, TimerBackend } from "../metrics/vcpu-metrics.js";

export { ExitReason, TimerBackend } from "../metrics/vcpu-metrics.js";

export interface MetricsSink {
  recordLatency(latencyCycles: number, latencyNs: number): void;
  recordExit(reason: ExitReason): void;
  addSpinNs(ns: number): void;
  timerArm(backend: TimerBackend): void;
  hvFallback(): void;
  hvToSw(): void;
  swToHv(): void;
  coalesced(): void;
  /** One halt that polled for pollNs; successful when woken before scheduling out. */
  haltPoll(pollNs: number, successful: boolean): void;
  /** nowNs is simulated time since the start. */
  recordAdvance(nowNs: number, advanceNs: number): void;
  hrtimerCallback(nowNs: number): void;
  /**
   * Adds the totals the wasm cyclictest engine kept for this vCPU, indexed by
   * EngineCounter: the same as that many recordExit/addSpinNs/timerArm/... calls.
   */
  addCounts(counts: Float64Array): void;
}

/** Slots of the wasm engine's per-vCPU counters (assembly/sim/engine_metrics.ts Counter). */
export const EngineCounter = {
  exitMsrWrite: 0,
  exitApicWrite: 1,
  exitPreemptionTimer: 2,
  exitExternalInterrupt: 3,
  exitHlt: 4,
  spinNs: 5,
  swArms: 6,
  hvArms: 7,
  hvFallbacks: 8,
  hvToSw: 9,
  swToHv: 10,
  coalesced: 11,
  haltPollNs: 12,
  pollOk: 13,
  pollFailed: 14,
} as const;
export const ENGINE_COUNTERS = 15;
