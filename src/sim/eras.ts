// Kernel eras as policies (spec §5.2, §4.5, §6; seed-history §3.4). Each flag names the
// commit that changed the behaviour.

import type { Era } from "../scenario/types.js";

export type PeriodicRearmPolicy = "drift" | "wrap" | "clamp";

export interface EraPolicy {
  era: Era;
  /** One line for `tscsim run --help`. */
  summary: string;
  /** wasm EraCode. */
  code: number;
  /** timer_advance_ns is one global value shared by every vCPU (3b8a5df6c4dc, v4.20). */
  globalAdvance: boolean;
  /** Adaptive tuning exists in this era. */
  adaptiveTuning: boolean;
  /** start_sw_tscdeadline expires at once when ns <= advance (Liran Alon, v5.1). */
  expireWithinAdvance: boolean;
  /** The VMX preemption timer backend exists (ce7a058a2117, 2016). */
  hvTimer: boolean;
  /**
   * apic_timer_expired records expired_tscdeadline whenever the hv timer is in use, not
   * only in TSC-deadline mode (ee66e453db13, v5.2): start_hv_timer's expiry of a one-shot
   * already within the advance then busy-waits.
   */
  hvLatchesDeadline: boolean;
  /**
   * kvm_lapic_expired_hv_timer expires before cancelling the hv timer, so the hv timer's
   * one-shot/periodic expiries busy-wait too (d981dd15498b).
   */
  hvBusyWaitEveryMode: boolean;
  /** How the periodic target moves on each expiry (d8f2f498d9ed, 18ab3fc8e880). */
  periodicRearm: PeriodicRearmPolicy;
  /** The sw periodic hrtimer is re-armed at target_expiration (mainline) or at its own expiry + period. */
  hrtimerFollowsTarget: boolean;
  /**
   * VM entry programs the preemption timer before the busy-wait (kvm_wait_lapic_expire
   * moved into vmx_vcpu_run after vmx_update_hv_timer, 010fd37fddf6, v5.10): the value
   * is computed before the spin and counts from entry after it.
   */
  hvTimerBeforeWait: boolean;
  /**
   * The LVTT and TDCR writes before Wanpeng Li's 2017 changes ("Keep timer running when
   * switching between one-shot and periodic mode", "Apply change to TDCR right away to
   * the timer", v4.15): any timer-mode change cancels the running hrtimer and clears
   * nothing else; a TDCR write only changes the divide used from then on.
   */
  legacyLvttTdcr: boolean;
  /**
   * Restoring a one-shot whose count reached 0 (a migration, KVM_SET_LAPIC) fires it at
   * once (8e6ed96cdd50, 2023); before, it restarted with a full period.
   */
  restoreExpiredOneshotNow: boolean;
}

const V5_1: EraPolicy = {
  era: "v5.1",
  summary: "2019 (57bf67e73ce9 and co.): per-vCPU advance, disabled above 5000 ns, host-time busy-wait, deadline <= advance expires at once",
  code: 2,
  globalAdvance: false,
  adaptiveTuning: true,
  expireWithinAdvance: true,
  hvTimer: true,
  hvLatchesDeadline: false,
  hvBusyWaitEveryMode: false,
  periodicRearm: "wrap",
  hrtimerFollowsTarget: false,
  hvTimerBeforeWait: false,
  legacyLvttTdcr: false,
  restoreExpiredOneshotNow: false,
};

export const ERAS: Record<Era, EraPolicy> = {
  "v4.0": {
    era: "v4.0",
    summary: "2014 (d0659d946be0): fixed advance (default off), sw TSC-deadline only, unbounded busy-wait in guest cycles",
    code: 0,
    globalAdvance: true,
    adaptiveTuning: false,
    expireWithinAdvance: false,
    hvTimer: false,
    hvLatchesDeadline: false,
    hvBusyWaitEveryMode: false,
    periodicRearm: "drift",
    hrtimerFollowsTarget: false,
    hvTimerBeforeWait: false,
    legacyLvttTdcr: true,
    restoreExpiredOneshotNow: false,
  },
  "v4.20": {
    era: "v4.20",
    summary: "2018 (3b8a5df6c4dc): one global auto-tuned advance, unbounded, tuning stops once |error| < 100 cycles",
    code: 1,
    globalAdvance: true,
    adaptiveTuning: true,
    expireWithinAdvance: false,
    hvTimer: true,
    hvLatchesDeadline: false,
    hvBusyWaitEveryMode: false,
    periodicRearm: "wrap",
    hrtimerFollowsTarget: false,
    hvTimerBeforeWait: false,
    legacyLvttTdcr: false,
    restoreExpiredOneshotNow: false,
  },
  "v5.1": V5_1,
  // The advance tuner differs (wasm picks it by code), and hv one-shots started within the advance busy-wait.
  "v5.4": {
    ...V5_1,
    era: "v5.4",
    summary: "2019: continuous tuning within 100..10000 guest cycles, reset to 1000 ns above 5000 ns",
    code: 3,
    // ee66e453db13 (v5.2) is in; d981dd15498b is not.
    hvLatchesDeadline: true,
  },
  mainline: {
    era: "mainline",
    summary: "default: v5.4 tuning, busy-wait for hv timers in every mode (d981dd15498b), periodic target clamped to now (18ab3fc8e880, 2025)",
    code: 4,
    globalAdvance: false,
    adaptiveTuning: true,
    expireWithinAdvance: true,
    hvTimer: true,
    hvLatchesDeadline: true,
    hvBusyWaitEveryMode: true,
    periodicRearm: "clamp",
    hrtimerFollowsTarget: true,
    hvTimerBeforeWait: true,
    legacyLvttTdcr: false,
    restoreExpiredOneshotNow: true,
  },
};
