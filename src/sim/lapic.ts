// The emulated LAPIC timer of one vCPU: register semantics and the choice of backend
// (hrtimer or VMX preemption timer), as lapic.c does it (spec §4, §6.3). 64-bit state
// (tscdeadline, target, period, hv deadline) lives in wasm memory at the vCPU's index.

import { wasm } from "../wasm.js";
import {
  APIC_LVT_BITS,
  APIC_LVT_MASKED,
  APIC_SPIV_APIC_ENABLED,
  APIC_VECTOR_MASK,
  TIMER_MODE_ONESHOT,
  TIMER_MODE_PERIODIC,
  TIMER_MODE_SHIFT,
  TIMER_MODE_TSCDEADLINE,
  timerModeMask,
} from "./apic-regs.js";
import type { EraPolicy } from "./eras.js";

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

const HV_MAX_VALUE = 0xffffffffn;
/** SPIV bits a write keeps without directed EOI (APIC_LVR_DIRECTED_EOI clear). */
const SPIV_WRITABLE = 0x3ff;

export class LapicTimer {
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

  // ---- register writes (spec §4.3) ----

  /** LVTT write: keep the LVT bits and the mode bits the CPUID allows; masked while sw-disabled. */
  writeLvtt(value: number): void {
    let v = value & (APIC_LVT_BITS | this.modeMask);
    if (!this.swEnabled) v |= APIC_LVT_MASKED;
    this.lvtt = v >>> 0;
    if (this.masked) this.lazyClear();
    this.updateLvtt();
  }

  /** Lazy TSC-deadline: forget the armed deadline (mode change, mask, expired at arm, disable). */
  private lazyClear(): void {
    if (this.opts.lazyTscDeadline) wasm.lazyClearArmed(this.index);
  }

  /** apic_update_lvtt: into/out of TSC-deadline mode stops the timer and clears its state. */
  private updateLvtt(): void {
    const mode = (this.lvtt & this.modeMask) >>> TIMER_MODE_SHIFT;
    if (mode === this.mode) return;
    if (this.opts.era.legacyLvttTdcr) {
      // apic_reg_write's LVTT case before v4.15: hrtimer_cancel on any mode change, no more.
      this.host.cancelHrtimer();
      this.mode = mode;
      wasm.reapplyPeriodicFloor(this.index, mode === TIMER_MODE_PERIODIC ? this.opts.minTimerPeriodUs : 0);
      return;
    }
    const wasDeadline = this.mode === TIMER_MODE_TSCDEADLINE;
    if (wasDeadline !== (mode === TIMER_MODE_TSCDEADLINE)) {
      this.lazyClear();
      this.cancelTimer();
      this.tmict = 0;
      wasm.clearPeriod(this.index);
      wasm.tdClear(this.index);
      wasm.pvDeadlineClear(this.index);
      this.armedBy = ArmedBy.None;
    }
    this.mode = mode;
    wasm.reapplyPeriodicFloor(this.index, mode === TIMER_MODE_PERIODIC ? this.opts.minTimerPeriodUs : 0);
  }

  /** TMICT write: ignored in TSC-deadline mode; else stop and start with the new count. */
  writeTmict(value: number): void {
    if (this.mode === TIMER_MODE_TSCDEADLINE) return;
    this.cancelTimer();
    this.tmict = value >>> 0;
    this.startApicTimer();
  }

  /** TDCR write: stored as val & 0xb; a divide change while running rescales the remaining time. */
  writeTdcr(value: number): void {
    this.tdcr = value & 0xb;
    const oldDivide = this.divide;
    this.divide = wasm.tdcrDivide(this.tdcr);
    // Before v4.15 (update_divide_count only) the running count keeps its expiry.
    if (this.opts.era.legacyLvttTdcr) return;
    if (this.divide === oldDivide || wasm.periodIsZero(this.index)) return;
    this.host.cancelHrtimer();
    wasm.updateTargetExpiration(
      this.index,
      this.tmict,
      this.tdcr,
      oldDivide,
      this.divide,
      this.opts.apicBusCycleNs,
      this.mode === TIMER_MODE_PERIODIC,
      this.opts.minTimerPeriodUs,
    );
    this.restartApicTimer();
  }

  /**
   * SPIV write (apic_reg_write): stored as val & 0x3ff (the LVR has no directed-EOI
   * support, so bit 12 is not writable); every write with the enable bit clear masks
   * LVTT and drops a pending expiry, not only the one that disables.
   */
  writeSpiv(value: number): void {
    this.spiv = value & SPIV_WRITABLE;
    if (!this.swEnabled) {
      this.lazyClear();
      this.lvtt = (this.lvtt | APIC_LVT_MASKED) >>> 0;
      this.updateLvtt();
      this.pending = false;
    }
  }

  /** WRMSR IA32_TSC_DEADLINE (kvm_set_lapic_tscdeadline_msr) from guest register r. */
  writeTscDeadline(reg: number): void {
    if (this.mode !== TIMER_MODE_TSCDEADLINE) return;
    this.host.cancelHrtimer();
    wasm.tdFromReg(this.index, reg);
    if (this.opts.lazyTscDeadline) wasm.lazyArm(this.index);
    // A non-zero write to one deadline MSR disarms the other (seed 003).
    wasm.pvDeadlineClear(this.index);
    this.armedBy = wasm.tdIsZero(this.index) ? ArmedBy.None : ArmedBy.TscMsr;
    this.startApicTimer();
  }

  /**
   * WRMSR of the PV nanosecond deadline (kvmclock ns) from register r: the semantics of
   * IA32_TSC_DEADLINE (ignored outside TSC-deadline mode, 0 disarms), converted to the
   * TSC form with the vCPU's current rate.
   */
  writePvDeadline(reg: number): void {
    if (!this.opts.pvDeadline || this.mode !== TIMER_MODE_TSCDEADLINE) return;
    this.host.cancelHrtimer();
    wasm.pvDeadlineFromReg(this.index, reg);
    this.armedBy = wasm.tdIsZero(this.index) ? ArmedBy.None : ArmedBy.PvMsr;
    this.startApicTimer();
  }

  /**
   * RDMSR of the PV deadline into register r. Cross-reads follow Paolo Bonzini's option
   * (a): the MSR that did not arm the timer reads 0, as both do once it fired.
   */
  readPvDeadline(reg: number): void {
    if (this.opts.pvDeadline && this.mode === TIMER_MODE_TSCDEADLINE && this.armedBy === ArmedBy.PvMsr) wasm.pvDeadlineToReg(this.index, reg);
    else wasm.gSetImm(this.index, reg, 0);
  }

  /**
   * After a migration changed the guest TSC rate: re-arm the deadline the way it was
   * armed (seed 003: "preserving which MSR was written to arm the timer, and redoing
   * the same on the destination"). A TSC deadline keeps its TSC value; a PV one is
   * converted again from its ns value.
   */
  rearmAfterMigration(scratchReg: number): void {
    if (this.mode !== TIMER_MODE_TSCDEADLINE) {
      this.restartFromTmcct();
      return;
    }
    if (this.armedBy === ArmedBy.None) return;
    this.host.cancelHrtimer();
    if (this.hvInUse) this.cancelHvTimer();
    if (this.armedBy === ArmedBy.PvMsr) {
      wasm.pvDeadlineToReg(this.index, scratchReg);
      wasm.pvDeadlineFromReg(this.index, scratchReg);
    }
    if (!this.pending) this.restartApicTimer();
  }

  /**
   * One-shot and periodic timers on the destination: kvm_apic_set_state →
   * __start_apic_timer(apic, APIC_TMCCT) — pending dropped, the first deadline from the
   * saved TMCCT, converted with the vCPU's new TSC rate.
   */
  private restartFromTmcct(): void {
    const count = this.readTmcct();
    this.host.cancelHrtimer();
    if (this.hvInUse) this.cancelHvTimer();
    this.pending = false;
    const periodic = this.mode === TIMER_MODE_PERIODIC;
    const o = this.opts;
    if (!wasm.setTargetExpirationFromCount(this.index, this.tmict, count, this.tdcr, o.apicBusCycleNs, periodic, o.minTimerPeriodUs, o.era.restoreExpiredOneshotNow)) return;
    this.restartApicTimer();
  }

  /** TMCCT read (apic_get_tmcct): 0 in TSC-deadline mode. */
  readTmcct(): number {
    if (this.mode === TIMER_MODE_TSCDEADLINE) return 0;
    return wasm.readTmcct(this.index, this.tmict, this.opts.apicBusCycleNs, this.divide);
  }

  /** RDMSR IA32_TSC_DEADLINE into register r: 0 outside TSC-deadline mode. */
  readTscDeadline(reg: number): void {
    if (this.mode === TIMER_MODE_TSCDEADLINE && this.armedBy !== ArmedBy.PvMsr) wasm.tdToReg(this.index, reg);
    else wasm.gSetImm(this.index, reg, 0);
  }

  // ---- starting and stopping (spec §4.4) ----

  /** cancel_apic_timer: hrtimer and hv timer off, pending cleared. */
  cancelTimer(): void {
    this.host.cancelHrtimer();
    if (this.hvInUse) this.cancelHvTimer();
    this.pending = false;
  }

  private startApicTimer(): void {
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
