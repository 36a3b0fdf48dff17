// The two backends of one vCPU's LAPIC timer as the host runs them: the hrtimer
// (its callback, apic_timer_fn, on a host CPU after host.delays.hrtimer; re-armed in
// place when periodic) and the VMX preemption timer (an exit in guest mode,
// kvm_lapic_expired_hv_timer; it only counts in guest mode). Also what an expiry does
// to the vCPU (kvm_vcpu_kick: wake a blocked or polling thread, IPI a running guest)
// and the posted-interrupt path that needs no exit (kvm_use_posted_timer_interrupt,
// with its busy-wait on the housekeeping CPU). This is the TimerHost the LAPIC model
// (../lapic.ts) calls; the state it drives is in wasm memory.

import { wasm } from "../../wasm.js";
import { EventKind, payload } from "../events.js";
import type { TimerHost } from "../lapic/timer.js";
import { ExitReason, TimerBackend } from "../metrics-sink.js";
import { VcpuHostPaths } from "./exit-entry.js";

const { TraceKind: TK, TraceExit: TX } = wasm;

/** The LAPIC timer's backends and expiry on this vCPU, over the exit/entry paths (exit-entry.ts). */
export abstract class VcpuTimers extends VcpuHostPaths implements TimerHost {
  /** Busy-wait of the posted path, spent on the housekeeping CPU (ns). */
  protected postedSpinNs = 0;

  /** The preemption timer fired in guest mode (handle_preemption_timer): exit, expire (kvm_lapic_expired_hv_timer), re-enter. */
  protected preemptionExit(): void {
    this.metrics.recordExit(ExitReason.preemptionTimer);
    const idleNs = this.idleExitNs();
    this.trace(TK.Exit, TX.PreemptionTimer);
    this.leaveGuest();
    this.lapic.hvTimerFired();
    const d = this.env.delays;
    this.beginEntry(idleNs + d.vmExit(this.index) + d.vmEntry(this.index));
  }

  /** apic_timer_fn on the host: the hrtimer callback expires the timer; a periodic one re-arms (HRTIMER_RESTART). */
  protected hrtimerCallback(): void {
    this.hrtimerSeq = -1;
    this.trace(TK.HrtimerExpire, this.state === "guest" ? 1 : 0);
    this.metrics.hrtimerCallback(wasm.nowF64() - this.env.startNs);
    if (!this.lapic.hrtimerFired()) return;
    const p = payload(EventKind.HrtimerCallback, this.index);
    const delay = this.env.delays.hrtimer(this.index);
    this.hrtimerSeq = this.env.lapic.era.hrtimerFollowsTarget
      ? wasm.pushAtTarget(this.index, p, delay, 0)
      : wasm.pushAtExpiryPlusPeriod(this.index, p, delay);
    // The callback's HRTIMER_RESTART re-enqueues the timer: hrtimer_start is traced again.
    if (this.env.trace === true) this.trace(TK.HrtimerStart, wasm.nowF64() + wasm.swExpiryInNs(this.index));
    this.metrics.timerArm(TimerBackend.sw);
  }

  // ---- TimerHost: what the LAPIC timer (lapic.ts, lapic/timer.ts) asks of its vCPU ----

  /** hrtimer_start of the LAPIC timer's hrtimer (start_sw_tscdeadline, start_sw_period); the callback runs host.delays.hrtimer late. */
  armHrtimer(atTarget: boolean, advanceEarly = false): void {
    const p = payload(EventKind.HrtimerCallback, this.index);
    const delay = this.env.delays.hrtimer(this.index);
    const earlyNs = advanceEarly ? wasm.vcpuAdvance(this.index, this.env.lapic.era.globalAdvance) : 0;
    if (this.hrtimerSeq >= 0) this.trace(TK.HrtimerCancel, 0);
    this.hrtimerSeq = atTarget ? wasm.pushAtTarget(this.index, p, delay, earlyNs) : wasm.pushAtSwExpiry(this.index, p, delay);
    if (this.env.trace === true) this.trace(TK.HrtimerStart, wasm.nowF64() + wasm.swExpiryInNs(this.index));
    this.trace(TK.HvTimerState, 0);
    this.metrics.timerArm(TimerBackend.sw);
  }
  /** hrtimer_cancel: the pending callback becomes stale. */
  cancelHrtimer(): void {
    if (this.hrtimerSeq >= 0) this.trace(TK.HrtimerCancel, 0);
    this.hrtimerSeq = -1;
  }
  hvArmed(ok: boolean): void {
    if (ok) {
      this.metrics.timerArm(TimerBackend.hv);
      this.trace(TK.HvTimerState, 1);
    } else this.metrics.hvFallback();
  }
  hvCancelled(): void {
    this.hvSeq = -1;
  }
  /** kvm_vcpu_kick from apic_timer_expired: wake a blocked or polling thread, or IPI a vCPU in guest mode or entering. */
  kick(): void {
    if (this.state === "blocked" && this.sched !== null) {
      // try_to_wake_up: the thread runs when its CPU picks it, `wakeup` after that.
      this.trace(TK.Waking, 0);
      this.state = "waking";
      this.offCpu = true;
      this.deferred = EventKind.VcpuWake;
      this.wakeQueued = true;
      this.sched.wake(this.index);
    } else if (this.state === "blocked") {
      this.trace(TK.Waking, 0);
      this.state = "waking";
      this.schedule(EventKind.VcpuWake, this.env.delays.wakeup(this.index));
    } else if (this.state === "polling") {
      // The poll loop sees the wake-up at once: no scheduler wake-up latency.
      this.state = "waking";
      this.schedule(EventKind.VcpuWake, 0);
    } else if (this.state === "entering") {
      // IN_GUEST_MODE already (the busy-wait and the entry itself): kvm_vcpu_kick's IPI.
      this.kickedAtEntry = true;
    } else if (this.state === "guest") {
      const idleNs = this.idleExitNs();
      this.trace(TK.Exit, TX.ExternalInterrupt);
      this.leaveGuest();
      this.state = "exit";
      this.schedule(EventKind.KickExit, idleNs + this.env.delays.vmExit(this.index));
    }
  }
  usePostedTimerInterrupt(): boolean {
    // kvm_use_posted_timer_interrupt: posting possible and the vCPU IN_GUEST_MODE.
    return this.env.exits.canPostTimer && this.state === "guest";
  }
  postedWait(): void {
    // apic_timer_expired's posted path: __kvm_wait_lapic_expire when timer_advance_ns is
    // non-zero, on the housekeeping CPU that runs the hrtimer (not the vCPU's).
    const global = this.env.lapic.era.globalAdvance;
    this.postedSpinNs = 0;
    if (!wasm.expiredTdIsSet(this.index) || wasm.vcpuAdvance(this.index, global) === 0) return;
    this.postedSpinNs = wasm.waitLapicExpire(this.index, this.env.lapic.era.code, this.env.tune, global, this.env.hz);
    this.metrics.addSpinNs(this.postedSpinNs);
    this.metrics.recordAdvance(wasm.nowF64() - this.env.startNs, wasm.vcpuAdvance(this.index, global));
  }
  posted(): void {
    // The posted-interrupt notification reaches the running guest: no exit on its CPU.
    this.metrics.timerPosted();
    const spinNs = this.postedSpinNs;
    if (this.threadSeq >= 0) {
      // Work in progress goes on during the other CPU's busy-wait; the handler interrupts the rest.
      this.computeLeftNs = Math.max(0, this.computeEndNs - wasm.nowF64() - spinNs);
      this.threadSeq = -1;
    }
    const idleNs = this.idleExitNs();
    this.state = "entering";
    this.schedule(EventKind.EntryDone, spinNs + idleNs + this.env.delays.irqDispatch(this.index));
  }
  unblock(): void {
    if (this.state === "blocked" || this.state === "polling") this.kick();
  }
  coalesced(): void {
    this.metrics.coalesced();
  }
}
