// The host side of one vCPU between a VM exit and the next VM entry: HLT reaching
// kvm_vcpu_halt — halt polling (grown and shrunk per halt, kvm_vcpu_can_poll's
// need_resched and single_task_running checks) or blocking (kvm_vcpu_block; the
// preemption timer handed to the hrtimer, kvm_lapic_switch_to_sw_timer), the wake-up
// that kvm_vcpu_check_block decides — and vcpu_enter_guest: injection of what became
// pending, kvm_wait_lapic_expire's busy-wait before entry (spec §5.4), the preemption
// timer loaded for the guest, and the interrupt dispatched as the guest resumes.

import { wasm } from "../../wasm.js";
import { EventKind, payload } from "../events.js";
import { ExitReason } from "../metrics-sink.js";
import { nextHaltPollNs } from "../halt-poll.js";
import { VcpuGuest } from "./guest-run.js";

const { TraceKind: TK } = wasm;

/** Exits, halt polling, blocking, wake-up and VM entry, over the guest's execution (guest-run.ts). */
export abstract class VcpuHostPaths extends VcpuGuest {
  /** The hv timer was in use when the vCPU blocked (switch back on wake, spec §6.4). */
  protected hvBeforeBlock = false;
  /** Kicked after kvm_vcpu_exit_request's check, while entering: it exits right after entry. */
  protected kickedAtEntry = false;
  /** vcpu->halt_poll_ns: the current polling window (grown and shrunk per halt). */
  protected haltPollNs = 0;
  /** When kvm_vcpu_halt started (host ns), and whether this halt polls. */
  protected haltStartNs = -1;
  protected polling = false;

  /** The EntryDone event: VM entry is done and the guest runs (vcpu_enter_guest's end). */
  protected entryDone(): void {
    if (this.kickedAtEntry) {
      // The kick's IPI is pending at VM entry: the injected vector is delivered (the
      // handler is entered), then an external-interrupt exit before the guest runs on;
      // the next entry injects what became pending.
      this.kickedAtEntry = false;
      this.takeInterrupt();
      this.state = "exit";
      this.schedule(EventKind.KickExit, this.env.delays.vmExit(this.index));
      return;
    }
    this.state = "guest";
    this.runProgram();
  }

  /** The PollEnd event: the halt-polling window ran out. */
  protected pollEnd(): void {
    // Nothing woke the vCPU while it polled (or another task became runnable on its
    // CPU): it schedules out (kvm_vcpu_block).
    this.metrics.haltPoll(this.sched === null ? this.haltPollNs : wasm.nowF64() - this.haltStartNs, false);
    this.polling = false;
    this.state = "blocked";
    this.trace(TK.SwitchOut, 0);
    this.schedSleep();
  }

  /** The KickExit event: the external-interrupt exit of a kick is handled; re-enter (vcpu_enter_guest). */
  protected kickExit(): void {
    this.metrics.recordExit(ExitReason.externalInterrupt);
    this.beginEntry(this.env.delays.vmEntry(this.index));
  }

  /** HLT reached kvm_vcpu_block: stay awake if an interrupt is pending, else block. */
  protected block(): void {
    if (this.hasWakeReason()) {
      this.beginEntry(this.env.delays.vmEntry(this.index));
      return;
    }
    this.hvBeforeBlock = this.lapic.switchToSw();
    if (this.hvBeforeBlock) this.metrics.hvToSw();
    // kvm_vcpu_halt: clamp the window, poll if allowed, else block.
    const hp = this.env.haltPoll;
    // Before dynamic polling (aca6ff29c406) every halt polled the full window.
    if (!hp.dynamic || this.haltPollNs > hp.maxNs) this.haltPollNs = hp.maxNs;
    this.haltStartNs = wasm.nowF64();
    const sched = this.sched;
    this.polling = this.env.pollAllowed && this.haltPollNs > 0 && (sched === null || !sched.noPollForSteal(this.index, hp.maxStealPercent));
    this.state = this.polling ? "polling" : "blocked";
    if (this.polling) {
      // The poll loop checks need_resched itself (kvm_vcpu_can_poll): it ends with it.
      this.needResched = false;
      // kvm_vcpu_can_poll: the loop runs once, then only while single_task_running().
      const pollNs = sched !== null && sched.othersRunnable(this.index) ? Math.min(this.haltPollNs, sched.params.pollYieldNs) : this.haltPollNs;
      this.pollEndNs = this.haltStartNs + pollNs;
      this.schedule(EventKind.PollEnd, pollNs);
    } else if (!this.hasWakeReason()) {
      this.trace(TK.SwitchOut, 0);
      this.schedSleep();
    }
    // kvm_vcpu_check_block runs after the switch: restarting the hrtimer may have found
    // the deadline already passed and made the interrupt pending. kvm_vcpu_block checks
    // before schedule(), so the vCPU never sleeps: no scheduler wake-up delay.
    if (this.hasWakeReason()) {
      this.state = "waking";
      this.schedule(EventKind.VcpuWake, 0);
    }
  }

  /** An interrupt that ends HLT: an unmasked pending timer or a vector waiting in IRR. */
  protected hasWakeReason(): boolean {
    return (this.lapic.pending && !this.lapic.masked) || this.lapic.vectorToDeliver >= 0;
  }

  /** The vCPU thread runs again after a wake-up (kvm_vcpu_check_block decides). */
  protected wake(): void {
    if (this.halted && !this.hasWakeReason()) {
      this.state = "blocked";
      this.schedSleep();
      return;
    }
    if (this.env.trace === true) {
      const haltNs = this.haltStartNs < 0 ? 0 : wasm.nowF64() - this.haltStartNs;
      this.trace(TK.SwitchIn, this.polling ? -haltNs : haltNs);
    }
    if (this.haltStartNs >= 0) this.endHalt();
    if (this.hvBeforeBlock) {
      this.hvBeforeBlock = false;
      this.lapic.restartApicTimer();
      if (this.lapic.hvInUse) this.metrics.swToHv();
    }
    this.beginEntry(this.env.delays.vmEntry(this.index));
  }

  /** End of kvm_vcpu_halt: poll statistics and the next window (seed-history §6). */
  protected endHalt(): void {
    const haltNs = wasm.nowF64() - this.haltStartNs;
    this.haltStartNs = -1;
    if (this.polling) {
      // Woken while polling: never scheduled out, a successful poll.
      this.metrics.haltPoll(haltNs, true);
      this.polling = false;
    }
    if (this.env.pollAllowed && this.env.haltPoll.dynamic) this.haltPollNs = nextHaltPollNs(this.haltPollNs, haltNs, this.env.haltPoll);
  }

  /** vcpu_enter_guest: inject now, reach kvm_wait_lapic_expire after `inNs`. */
  protected beginEntry(inNs: number): void {
    this.lapic.injectPending();
    this.state = "entering";
    this.schedule(EventKind.EntryWait, inNs);
  }

  /** Just before VM entry: inject, busy-wait (spec §5.4), enter; the guest runs after dispatch. */
  protected reenter(): void {
    // kvm_vcpu_exit_request is checked here: what became pending so far is injected now.
    this.kickedAtEntry = false;
    this.trace(TK.Entry, 0);
    this.lapic.injectPending();
    const spinNs = this.waitLapicExpire();
    const deliver = this.lapic.vectorToDeliver >= 0;
    const era = this.env.lapic.era;
    if (this.lapic.hvInUse) {
      this.hvSeq = wasm.pushAtPreemption(this.index, payload(EventKind.PreemptionTimer, this.index), this.env.lapic.preemptionTimerRate, spinNs, era.hvTimerBeforeWait);
    }
    if (spinNs > 0 || deliver) {
      // Busy-waiting (host) and dispatching the interrupt: the guest runs after both.
      const dispatch = deliver ? this.env.delays.irqDispatch(this.index) : 0;
      this.state = "entering";
      this.schedule(EventKind.EntryDone, spinNs + dispatch);
      return;
    }
    if (this.lapic.hvInUse && wasm.lastPreemptionAtNs() <= wasm.nowF64()) {
      // A preemption timer loaded with 0 exits on VM entry, before the guest's first
      // instruction: the guest runs only after that exit (queued first, same time).
      this.state = "entering";
      this.schedule(EventKind.EntryDone, 0);
      return;
    }
    this.state = "guest";
    this.runProgram();
  }

  /** kvm_wait_lapic_expire's precondition, then __kvm_wait_lapic_expire in wasm. */
  protected waitLapicExpire(): number {
    const lapic = this.lapic;
    const global = this.env.lapic.era.globalAdvance;
    if (!wasm.expiredTdIsSet(this.index) || wasm.vcpuAdvance(this.index, global) === 0) return 0;
    // lapic_timer_int_injected: the vector in IRR with APICv (delivered by the CPU at
    // entry), in ISR without it (acknowledged at injection, or still in service).
    const inIrr = lapic.vectorToDeliver === lapic.vector;
    const injected = this.env.lapic.apicv ? inIrr : inIrr || lapic.vectorInService;
    if (!injected) return 0;
    const spinNs = wasm.waitLapicExpire(this.index, this.env.lapic.era.code, this.env.tune, global, this.env.hz);
    if (this.env.trace === true) this.trace(TK.WaitLapicExpire, wasm.lastWaitDelta(this.index));
    this.metrics.addSpinNs(spinNs);
    if (this.sched !== null && spinNs > 0) this.sched.busyWait(this.index, spinNs);
    this.metrics.recordAdvance(wasm.nowF64() - this.env.startNs, wasm.vcpuAdvance(this.index, global));
    return spinNs;
  }
}
