// The LAPIC timer of one vCPU once armed: starting and stopping it in each mode
// (one-shot, periodic, TSC-deadline) on either backend — the VMX preemption timer ("hv")
// when it can be used, else the host hrtimer ("sw") — and what happens when it expires:
// the latch of expired_tscdeadline, injection or a posted interrupt, the periodic
// re-arm. lapic.c's start_apic_timer, restart_apic_timer, start_sw_timer,
// apic_timer_expired, apic_timer_fn and kvm_lapic_expired_hv_timer (spec §4.4, §4.5,
// §6.3). The guest's register accesses that lead here are ../lapic.ts. 64-bit state
// (tscdeadline, target, period, hv deadline) lives in wasm memory at the vCPU's index.

import { wasm } from "../../wasm.js";
import { APIC_LVT_MASKED, APIC_SPIV_APIC_ENABLED, APIC_VECTOR_MASK, TIMER_MODE_ONESHOT, TIMER_MODE_PERIODIC, TIMER_MODE_TSCDEADLINE, timerModeMask } from "../apic-regs.js";
import type { EraPolicy } from "../eras.js";

/** What the timer needs from its vCPU and host: time-stamped side effects. */
export interface TimerHost {
  /** Arm the hrtimer at the expiry wasm computed (sw TSC-deadline) or at target (early by the advance). */
  armHrtimer(atTarget: boolean, advanceEarly?: boolean): void;
  cancelHrtimer(): void;
  /** The hv timer was armed (Ok) or refused (-ERANGE). */
  hvArmed(ok: boolean): void;
  hvCancelled(): void;
  /** apic_timer_expired from the hrtimer callback: kick the vCPU. */
  kick(): void;
  /** An interrupt was made pending while not from the timer function, or injected directly. */
  unblock(): void;
  coalesced(): void;
  /** kvm_use_posted_timer_interrupt: the timer interrupt can be posted to the running vCPU now. */
  usePostedTimerInterrupt(): boolean;
  /** The posted path's busy-wait (__kvm_wait_lapic_expire) where the hrtimer runs, before injection. */
  postedWait(): void;
  /** The interrupt was posted: the guest takes it without an exit. */
  posted(): void;
}

export interface LapicTimerOptions {
  era: EraPolicy;
  tscDeadlineCpuid: boolean;
  /** The hv timer may be used (VMX, kvm.hvTimer, era has it). */
  hvTimer: boolean;
  apicv: boolean;
  minTimerPeriodUs: number;
  apicBusCycleNs: number;
  preemptionTimerRate: number;
  periodicRearmVariant: number;
  /** Before d8f2f498d9ed: tscdeadline advanced by nsec_to_cycles(period) on its own. */
  legacyPeriodicDrift: boolean;
  /** kvm.advanceOneshot: the sw one-shot hrtimer fires early by the advance and the entry busy-waits. */
  advanceOneshot: boolean;
  /** kvm.lazyTscDeadline: the shared {armed, pending} page of the lazy TSC-deadline RFC. */
  lazyTscDeadline: boolean;
  /**
   * RFC v3 patch 5: clear `armed` when the deadline has already expired at arm time.
   * Always true in scenarios; tests turn it off to show the guest hang it prevents (S16).
   */
  lazyClearExpiredAtArm: boolean;
  /** kvm.pvDeadline: the PV nanosecond deadline MSR exists. */
  pvDeadline: boolean;
}

/** Which MSR armed the TSC-deadline timer (only one can be armed, seed 003). */
export const enum ArmedBy {
  None = 0,
  TscMsr = 1,
  PvMsr = 2,
}

/** The VMX-preemption timer counts in 32 bits: a longer delta is vmx_set_hv_timer's -ERANGE. */
const HV_MAX_VALUE = 0xffffffffn;

/** The timer's state and its arming and expiry; LapicTimer (../lapic.ts) adds the register accesses. */
export abstract class LapicTimerCore {
  lvtt = APIC_LVT_MASKED;
  tmict = 0;
  tdcr = 0;
  divide = 2;
  spiv = APIC_SPIV_APIC_ENABLED | 0xff;
  mode = TIMER_MODE_ONESHOT;
  readonly modeMask: number;
  /** lapic_timer.pending (0/1: at most one outstanding timer interrupt). */
  pending = false;
  hvInUse = false;
  /** The LVTT vector was delivered and not yet EOIed (ISR, or IRR with APICv). */
  vectorInService = false;
  /** A vector waits in IRR for delivery at the next guest instruction boundary. */
  vectorToDeliver = -1;
  /** Which MSR armed the deadline; kept across migration to re-arm the same way. */
  armedBy: ArmedBy = ArmedBy.None;

  constructor(
    readonly index: number,
    readonly opts: LapicTimerOptions,
    readonly host: TimerHost,
  ) {
    this.modeMask = timerModeMask(opts.tscDeadlineCpuid);
  }

  get swEnabled(): boolean {
    return (this.spiv & APIC_SPIV_APIC_ENABLED) !== 0;
  }

  get masked(): boolean {
    return (this.lvtt & APIC_LVT_MASKED) !== 0;
  }

  /** The guest's clockevent uses the TSC-deadline MSR (LVTT in deadline mode). */
  get deadlineModeActive(): boolean {
    return this.mode === TIMER_MODE_TSCDEADLINE;
  }

  get vector(): number {
    return this.lvtt & APIC_VECTOR_MASK;
  }

  /** Lazy TSC-deadline: forget the armed deadline (mode change, mask, expired at arm, disable). */
  protected lazyClear(): void {
    if (this.opts.lazyTscDeadline) wasm.lazyClearArmed(this.index);
  }

  // ---- starting and stopping (spec §4.4) ----

  /** cancel_apic_timer: hrtimer and hv timer off, pending cleared. */
  cancelTimer(): void {
    this.host.cancelHrtimer();
    if (this.hvInUse) this.cancelHvTimer();
    this.pending = false;
  }

  /** start_apic_timer: pending dropped; one-shot/periodic compute their target first (set_target_expiration). */
  protected startApicTimer(): void {
    this.pending = false;
    if (this.mode !== TIMER_MODE_TSCDEADLINE) {
      const periodic = this.mode === TIMER_MODE_PERIODIC;
      const ok = wasm.setTargetExpiration(this.index, this.tmict, this.tdcr, this.opts.apicBusCycleNs, periodic, this.opts.minTimerPeriodUs);
      if (!ok) return;
    }
    this.restartApicTimer();
  }

  /** restart_apic_timer: hv timer if it can be used, else the hrtimer. */
  restartApicTimer(): void {
    if (this.mode !== TIMER_MODE_PERIODIC && this.pending) return;
    if (!this.startHvTimer()) this.startSwTimer();
  }

  private startHvTimer(): boolean {
    if (!this.opts.hvTimer || wasm.tdIsZero(this.index)) return false;
    const st = wasm.hvArm(this.index, this.opts.preemptionTimerRate, HV_MAX_VALUE, this.opts.era.globalAdvance);
    if (st !== wasm.Status.Ok) {
      this.host.hvArmed(false);
      return false;
    }
    this.hvInUse = true;
    this.host.hvArmed(true);
    this.host.cancelHrtimer();
    if (this.mode !== TIMER_MODE_PERIODIC) {
      if (this.pending) {
        this.cancelHvTimer();
      } else if (wasm.getHvExpired()) {
        if (this.opts.lazyClearExpiredAtArm) this.lazyClear();
        this.expired(false);
        this.cancelHvTimer();
      }
    }
    return true;
  }

  cancelHvTimer(): void {
    wasm.hvCancel(this.index);
    this.hvInUse = false;
    this.host.hvCancelled();
  }

  /** start_sw_timer. */
  startSwTimer(): void {
    if (this.hvInUse) this.cancelHvTimer();
    if (this.mode !== TIMER_MODE_PERIODIC && this.pending) return;
    if (this.mode === TIMER_MODE_TSCDEADLINE) {
      const st = wasm.swTscdeadlineArm(this.index, this.opts.era.expireWithinAdvance, this.opts.era.globalAdvance);
      if (st === wasm.SwDeadline.Armed) this.host.armHrtimer(false, false);
      else if (st === wasm.SwDeadline.ExpireNow) {
        if (this.opts.lazyClearExpiredAtArm) this.lazyClear();
        this.expired(false);
      }
      return;
    }
    // start_sw_period: no advance for one-shot/periodic on the hrtimer (spec §5.3), unless
    // kvm.advanceOneshot applies the proposal for one-shot.
    if (wasm.periodIsZero(this.index)) return;
    if (wasm.targetPassed(this.index)) {
      this.expired(false);
      if (this.mode === TIMER_MODE_ONESHOT) return;
      this.advancePeriodicTarget();
    }
    this.host.armHrtimer(true, this.opts.advanceOneshot && this.mode === TIMER_MODE_ONESHOT);
  }

  advancePeriodicTarget(): void {
    if (this.opts.legacyPeriodicDrift) wasm.periodicRearmLegacyDrift(this.index);
    else wasm.periodicRearm(this.index, this.opts.periodicRearmVariant);
  }

  // ---- expiry (spec §4.5) ----

  /** apic_timer_expired. */
  expired(fromTimerFn: boolean): void {
    if (this.pending) {
      this.host.coalesced();
      return;
    }
    const latch =
      this.mode === TIMER_MODE_TSCDEADLINE ||
      (this.hvInUse && this.opts.era.hvLatchesDeadline) ||
      (this.opts.advanceOneshot && this.mode === TIMER_MODE_ONESHOT);
    if (latch) wasm.expiredTdLatch(this.index);
    if (!fromTimerFn && this.opts.apicv) {
      // Case 3: on the vCPU thread with APICv, inject right away.
      this.injectTimerIrq();
      this.host.unblock();
      return;
    }
    if (this.host.usePostedTimerInterrupt()) {
      this.host.postedWait();
      this.injectTimerIrq();
      this.host.posted();
      return;
    }
    this.pending = true;
    this.host.unblock();
    if (fromTimerFn) this.host.kick();
  }

  /**
   * Lazy TSC-deadline, when the armed deadline fires: if the guest has since moved its
   * deadline later, re-arm to it without injecting (true); else the caller injects and
   * `armed` is cleared.
   */
  private lazyRearm(onHv: boolean): boolean {
    if (!this.opts.lazyTscDeadline || this.mode !== TIMER_MODE_TSCDEADLINE) return false;
    if (!wasm.lazyRearmIfLater(this.index)) {
      wasm.lazyClearArmed(this.index);
      return false;
    }
    if (onHv) this.restartApicTimer();
    else this.startSwTimer();
    return true;
  }

  /** apic_timer_fn: the hrtimer callback. Returns whether the hrtimer restarts (periodic). */
  hrtimerFired(): boolean {
    if (this.lazyRearm(false)) return false;
    this.expired(true);
    if (this.mode === TIMER_MODE_PERIODIC && !wasm.periodIsZero(this.index)) {
      this.advancePeriodicTarget();
      return true;
    }
    return false;
  }

  /** kvm_lapic_expired_hv_timer: the preemption timer fired in guest mode. */
  hvTimerFired(): void {
    if (!this.hvInUse) return;
    if (this.lazyRearm(true)) return;
    if (this.opts.era.hvBusyWaitEveryMode) {
      this.expired(false);
      this.cancelHvTimer();
    } else {
      // Before d981dd15498b the hv timer was cancelled first, so one-shot/periodic
      // expiries did not record expired_tscdeadline (no busy-wait).
      this.cancelHvTimer();
      this.expired(false);
    }
    if (this.mode === TIMER_MODE_PERIODIC && !wasm.periodIsZero(this.index)) {
      this.advancePeriodicTarget();
      this.restartApicTimer();
    }
  }

  /** Injection (kvm_apic_inject_pending_timer_irqs) when pending, before VM entry. */
  injectPending(): void {
    if (!this.pending) return;
    this.injectTimerIrq();
    this.pending = false;
  }

  /** Deliver LVTT (if unmasked), then clear tscdeadline (deadline/one-shot) and target (one-shot). */
  private injectTimerIrq(): void {
    if (!this.masked) this.vectorToDeliver = this.vector;
    if (this.mode === TIMER_MODE_TSCDEADLINE) {
      wasm.tdClear(this.index);
      wasm.pvDeadlineClear(this.index);
      this.armedBy = ArmedBy.None;
    } else if (this.mode === TIMER_MODE_ONESHOT) {
      wasm.tdClear(this.index);
      wasm.targetClear(this.index);
    }
  }

  /** kvm_lapic_switch_to_sw_timer before blocking; returns whether the hv timer was in use. */
  switchToSw(): boolean {
    if (!this.hvInUse) return false;
    this.startSwTimer();
    return true;
  }
}
