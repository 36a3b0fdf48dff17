// The emulated LAPIC timer of one vCPU as the guest reaches it: its registers (LVTT,
// TMICT, TMCCT, TDCR, SPIV) and the TSC-deadline and PV deadline MSRs, with lapic.c's
// semantics for each access (apic_reg_write, apic_update_lvtt, apic_get_tmcct,
// kvm_set_lapic_tscdeadline_msr; spec §4.3), and the re-arm after a migration
// (kvm_apic_set_state). What an access starts or stops — the timer in its mode, on the
// hrtimer or the VMX preemption timer, and its expiry — is lapic/timer.ts.

import { wasm } from "../wasm.js";
import { APIC_LVT_BITS, APIC_LVT_MASKED, TIMER_MODE_PERIODIC, TIMER_MODE_SHIFT, TIMER_MODE_TSCDEADLINE } from "./apic-regs.js";
import { ArmedBy, LapicTimerCore } from "./lapic/timer.js";

/** SPIV bits a write keeps without directed EOI (APIC_LVR_DIRECTED_EOI clear). */
const SPIV_WRITABLE = 0x3ff;

export class LapicTimer extends LapicTimerCore {
  // ---- register writes (spec §4.3) ----

  /** LVTT write: keep the LVT bits and the mode bits the CPUID allows; masked while sw-disabled. */
  writeLvtt(value: number): void {
    let v = value & (APIC_LVT_BITS | this.modeMask);
    if (!this.swEnabled) v |= APIC_LVT_MASKED;
    this.lvtt = v >>> 0;
    if (this.masked) this.lazyClear();
    this.updateLvtt();
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
}
