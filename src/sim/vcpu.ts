// One simulated vCPU: its run state (in guest, exiting, blocked, waking, entering), the
// guest program it runs, and the host paths between a timer expiry and the guest's
// handler: kick or wake-up, injection, kvm_wait_lapic_expire's busy-wait, VM entry
// (spec §4.5, §5.4, §6.4). Time-stamped effects go through the event queue in wasm.

import { wasm } from "../wasm.js";
import { EventKind, payload } from "./events.js";
import { LapicTimer, type LapicTimerOptions, type TimerHost } from "./lapic.js";
import { Exit, type AnyGuestProgram, type GuestCtx, type GuestGenerator, type GuestMachine, type GuestProgram } from "./guest.js";
import {
  APIC_EOI,
  APIC_LVR,
  APIC_LVTT,
  APIC_SPIV,
  APIC_TDCR,
  APIC_TMCCT,
  APIC_TMICT,
  APIC_VERSION,
} from "./apic-regs.js";
import type { HostDelaySamplers } from "./host-delays.js";
import { ExitReason, TimerBackend, type MetricsSink } from "./metrics-sink.js";
import type { HaltPollConfig, HostStalls } from "../scenario/types.js";
import { nextHaltPollNs } from "./halt-poll.js";
import type { GuestExitPolicy } from "./exits-in-guest.js";
import type { HostScheduler, SchedThread } from "./host-sched.js";

/** The host CPU's activity while a vCPU thread in each run state runs on it (assembly/sim/host_sched.ts Activity). */
const ACTIVITY_OF: Record<RunState, number> = {
  guest: wasm.Activity.Guest,
  exit: wasm.Activity.Host,
  polling: wasm.Activity.HaltPoll,
  blocked: wasm.Activity.Idle,
  waking: wasm.Activity.Host,
  entering: wasm.Activity.Host,
  done: wasm.Activity.Idle,
};

// Trace records (`tscsim run --trace`): the same points as the wasm engine's
// (assembly/sim/trace_log.ts), written only when the VM's env asks for them.
const { TraceKind: TK, TraceExit: TX } = wasm;

/** Run states of a vCPU (the discriminant of the state machine). */
export type RunState = "guest" | "exit" | "polling" | "blocked" | "waking" | "entering" | "done";

/**
 * How a vCPU in guest mode waits for an interrupt: not at all (it runs), its idle loop
 * polls (idle=poll), or its HLT/MWAIT idles the physical CPU in guest mode (disableExits).
 */
const enum GuestWait {
  None = 0,
  Poll = 1,
  CpuIdle = 2,
}

/** Guest register the built-in paths use as scratch (programs should use r0..r5). */
const SCRATCH_REG = 7;

/** What the vCPUs of one VM share. */
export interface VcpuEnv {
  vm: number;
  tscKhz: number;
  lapic: LapicTimerOptions;
  delays: HostDelaySamplers;
  program: AnyGuestProgram;
  /** Advance tuning is on (kvm.timerAdvance adaptive). */
  tune: boolean;
  hz: number;
  startNs: number;
  /** Keep the lines programs print. */
  keepOutput: boolean;
  stalls: HostStalls | null;
  haltPoll: HaltPollConfig;
  /** Halt polling allowed for this VM's vCPUs (kvm_arch_no_poll is false). */
  pollAllowed: boolean;
  pauses: { atNs: number; lengthNs: number }[];
  /** Destination TSC rates in time order (vms.<i>.migrations), with the TSC ratio for each. */
  migrations: { atNs: number; tscKhz: number; ratio: bigint }[];
  /** What disableExits and posted timer interrupts decide for this VM (exits-in-guest.ts). */
  exits: GuestExitPolicy;
  /** The host scheduler when vCPU threads share CPUs (host.cpus, host.load, host.outer); null: a CPU each. */
  sched?: HostScheduler | null;
  /** Write trace records (src/trace/session.ts). */
  trace?: boolean;
}

export class Vcpu implements GuestCtx, TimerHost, SchedThread {
  readonly lapic: LapicTimer;
  private runState: RunState = "guest";
  get state(): RunState {
    return this.runState;
  }
  set state(s: RunState) {
    this.runState = s;
    if (this.sched !== null) this.sched.activity(this.index, ACTIVITY_OF[s]);
  }
  /** The host scheduler, or null (a host CPU of its own). */
  private readonly sched: HostScheduler | null;
  /** Runnable but not running: waiting in its CPU's run queue (thread events wait in `deferred`). */
  private offCpu = false;
  /** Asked to leave its CPU outside guest mode: it does at its next thread event (need_resched). */
  private needResched = false;
  /** When the current poll ends (its PollEnd event), for a yield that must not postpone it. */
  private pollEndNs = 0;
  /** Seq of an hrtimer callback held while the CPU is taken by the outer level. */
  private frozenHrtimerSeq = -1;
  /** Woken and queued: when picked, the wake-up's own cost (host.delays.wakeup) is still to come. */
  private wakeQueued = false;
  /** Seq of the one valid vCPU-thread event (resume, wake, entry, block, kick). */
  private threadSeq = -1;
  private hrtimerSeq = -1;
  private hvSeq = -1;
  /** The generator program's main flow (null for a GuestMachine). */
  private main: GuestGenerator | null;
  private handler: GuestGenerator | null = null;
  /** The machine program, if the program is one. */
  private readonly machine: GuestMachine | null;
  /** An interrupt handler is running (vector), else -1. */
  private handlerVector = -1;
  /** The hv timer was in use when the vCPU blocked (switch back on wake, spec §6.4). */
  private hvBeforeBlock = false;
  /** A Compute exit in progress: when it ends, and what is left after an interruption. */
  private computeEndNs = 0;
  private computeLeftNs = 0;
  /** The program's current yield is a Halt waiting for an interrupt. */
  private halted = false;
  /** The guest waits for an interrupt without leaving guest mode (idle=poll, HLT in guest). */
  private guestWait = GuestWait.None;
  /** Kicked after kvm_vcpu_exit_request's check, while entering: it exits right after entry. */
  private kickedAtEntry = false;
  /** Round trips of trapped APIC register reads not yet taken (ns), and the exit they hold back. */
  private readExitNs = 0;
  private heldExit = -1;
  /** vcpu->halt_poll_ns: the current polling window (grown and shrunk per halt). */
  private haltPollNs = 0;
  /** When kvm_vcpu_halt started (host ns), and whether this halt polls. */
  private haltStartNs = -1;
  private polling = false;
  /** The VM is stopped: thread events wait here (the latest one) until it resumes. */
  private paused = false;
  private deferred: EventKind | 0 = 0;

  /** Lines the program printed (when the scenario keeps output). */
  readonly output: string[] | null;

  constructor(
    readonly index: number,
    readonly vcpu: number,
    readonly env: VcpuEnv,
    readonly metrics: MetricsSink,
  ) {
    this.lapic = new LapicTimer(index, env.lapic, this);
    this.machine = "machine" in env.program ? env.program : null;
    this.main = "machine" in env.program ? null : env.program.main(this);
    this.output = env.keepOutput ? [] : null;
    this.sched = env.sched ?? null;
  }

  get vm(): number {
    return this.env.vm;
  }

  private trace(kind: number, arg: number): void {
    if (this.env.trace === true) wasm.traceEvent(kind, this.index, arg);
  }
  get tscKhz(): number {
    return this.env.tscKhz;
  }

  // ---- event dispatch ----

  /** Handles one event of this vCPU; `seq` identifies it for staleness checks. */
  onEvent(kind: EventKind, seq: number): void {
    if (this.state === "done") return;
    switch (kind) {
      case EventKind.HrtimerCallback:
        if (seq !== this.hrtimerSeq) return;
        if (this.sched !== null && this.sched.frozen(this.index)) {
          // The interrupt waits for the CPU to run again (nested host, host.outer).
          this.frozenHrtimerSeq = seq;
          this.sched.deferHrtimer(this.index);
          return;
        }
        this.hrtimerCallback();
        return;
      case EventKind.PreemptionTimer:
        if (seq === this.hvSeq) this.preemptionExit();
        return;
      case EventKind.Stall:
        this.stall();
        return;
      case EventKind.Pause:
        this.pause();
        return;
      case EventKind.Resume:
        this.resume();
        return;
      case EventKind.Migrate:
        this.migrate();
        return;
      default:
        if (seq !== this.threadSeq) return;
        this.threadSeq = -1;
        if (this.paused) this.deferred = kind;
        else if (this.sched === null || !this.holdForCpu(kind)) this.onThreadEvent(kind);
    }
  }

  private onThreadEvent(kind: EventKind): void {
    switch (kind) {
      case EventKind.GuestResume:
        if (this.state === "guest") this.runProgram();
        else this.reenter();
        return;
      case EventKind.EntryDone:
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
        return;
      case EventKind.Block:
        this.block();
        return;
      case EventKind.PollEnd:
        // Nothing woke the vCPU while it polled (or another task became runnable on its
        // CPU): it schedules out (kvm_vcpu_block).
        this.metrics.haltPoll(this.sched === null ? this.haltPollNs : wasm.nowF64() - this.haltStartNs, false);
        this.polling = false;
        this.state = "blocked";
        this.trace(TK.SwitchOut, 0);
        this.schedSleep();
        return;
      case EventKind.VcpuWake:
        this.wake();
        return;
      case EventKind.KickExit:
        this.metrics.recordExit(ExitReason.externalInterrupt);
        this.beginEntry(this.env.delays.vmEntry(this.index));
        return;
      case EventKind.EntryWait:
        this.reenter();
        return;
    }
  }

  private schedule(kind: EventKind, inNs: number): void {
    this.threadSeq = wasm.queuePushIn(inNs, payload(kind, this.index));
  }

  /** End of the simulation: the program's finish hook. */
  finish(): void {
    this.env.program.finish?.(this);
  }

  /** Start of the simulation: the program begins in guest mode. */
  start(): void {
    this.state = "guest";
    if (this.sched !== null) {
      // The thread starts when its CPU picks it (HostScheduler.start).
      this.offCpu = true;
      this.deferred = EventKind.GuestResume;
    } else this.schedule(EventKind.GuestResume, 0);
    if (this.env.stalls !== null) wasm.queuePushIn(this.env.stalls.everyNs, payload(EventKind.Stall, this.index));
    for (const m of this.env.migrations) wasm.queuePushIn(m.atNs, payload(EventKind.Migrate, this.index));
    for (const p of this.env.pauses) {
      wasm.queuePushIn(p.atNs, payload(EventKind.Pause, this.index));
      wasm.queuePushIn(p.atNs + p.lengthNs, payload(EventKind.Resume, this.index));
    }
  }

  /**
   * The VM stops: a vCPU in guest mode leaves it (its preemption timer stops counting)
   * and will re-enter on resume; the host's hrtimers go on firing meanwhile.
   */
  private pause(): void {
    this.paused = true;
    if (this.state === "guest") {
      this.leaveGuest();
      this.state = "exit";
      this.deferred = EventKind.GuestResume;
    }
  }

  private migrations = 0;

  /**
   * The VM lands on a host whose TSC runs at another rate, without TSC scaling for it:
   * the guest TSC continues at the new rate and virtual_tsc_khz follows, while the guest
   * keeps the calibration it booted with. The deadline is re-armed the way it was armed.
   */
  private migrate(): void {
    const m = this.env.migrations[this.migrations++];
    if (m === undefined) return;
    const inGuest = this.state === "guest";
    if (inGuest) this.leaveGuest();
    wasm.vcpuMigrateTsc(this.index, m.ratio, m.tscKhz);
    this.lapic.rearmAfterMigration(SCRATCH_REG);
    if (inGuest) {
      this.state = "exit";
      this.schedule(EventKind.GuestResume, 0);
    }
  }

  private resume(): void {
    this.paused = false;
    const kind = this.deferred;
    this.deferred = 0;
    if (kind !== 0) this.schedule(kind, 0);
  }

  // ---- guest side ----

  /** Runs the guest program until it leaves guest mode. */
  private runProgram(): void {
    for (;;) {
      this.takeInterrupt();
      // Still waiting in guest mode: nothing happens until an interrupt arrives.
      if (this.guestWait !== GuestWait.None) return;
      if (this.handlerVector < 0 && this.computeLeftNs > 0) {
        const left = this.computeLeftNs;
        this.computeLeftNs = 0;
        this.enterCompute(left);
        return;
      }
      let exit: Exit;
      if (this.heldExit >= 0) {
        exit = this.heldExit as Exit;
        this.heldExit = -1;
      } else {
        exit = this.step();
        if (this.readExitNs > 0 && exit !== Exit.Done) {
          // The step's trapped APIC reads exited: the guest goes on after their round trips.
          this.heldExit = exit;
          const ns = this.readExitNs;
          this.readExitNs = 0;
          this.leaveGuest();
          this.state = "exit";
          this.schedule(EventKind.GuestResume, ns);
          return;
        }
      }
      if (exit === Exit.Iret) {
        this.handlerVector = -1;
        this.handler = null;
        continue;
      }
      if (exit === Exit.Done) {
        this.state = "done";
        this.schedSleep();
        return;
      }
      if (!this.onExit(exit)) return;
    }
  }

  /** Interrupts are delivered at an instruction boundary when none is in progress; HLT returns after one. */
  private takeInterrupt(): void {
    if (this.lapic.vectorToDeliver < 0 || this.handlerVector >= 0) return;
    this.halted = false;
    this.guestWait = GuestWait.None;
    this.deliverInterrupt();
  }

  /** One step of the running flow (the handler if one runs): the Exit it ends with. */
  private step(): Exit {
    const m = this.machine;
    if (m !== null) return this.handlerVector >= 0 ? m.interruptStep(this, this.handlerVector) : m.step(this);
    if (this.handler !== null) {
      const r = this.handler.next();
      return r.done ? Exit.Iret : r.value;
    }
    const r = this.main!.next();
    return r.done ? Exit.Done : r.value;
  }

  private deliverInterrupt(): void {
    const vector = this.lapic.vectorToDeliver;
    this.lapic.vectorToDeliver = -1;
    this.lapic.vectorInService = true;
    this.handlerVector = vector;
    if (this.machine === null) this.handler = (this.env.program as GuestProgram).interrupt(this, vector);
  }

  /** Handles a yielded Exit; returns true when the program continues at once. */
  private onExit(exit: Exit): boolean {
    const d = this.env.delays;
    switch (exit) {
      case Exit.None:
        return true;
      case Exit.MsrWrite:
      case Exit.ApicWrite:
      case Exit.Cpuid:
        this.leaveGuest();
        this.state = "exit";
        this.schedule(EventKind.GuestResume, d.msrExit(this.index));
        return false;
      case Exit.Compute:
        this.enterCompute(this.computeLeftNs);
        this.computeLeftNs = 0;
        return false;
      case Exit.IdlePoll:
        return this.waitInGuest(GuestWait.Poll);
      case Exit.Halt:
        // HLT (or MWAIT) in the guest: no exit, the physical CPU idles (kvm_hlt_in_guest).
        if (this.env.exits.idleInGuest) return this.waitInGuest(GuestWait.CpuIdle);
        this.trace(TK.Exit, TX.Hlt);
        this.metrics.recordExit(ExitReason.hlt);
        this.leaveGuest();
        this.halted = true;
        this.state = "exit";
        this.schedule(EventKind.Block, d.vmExit(this.index));
        return false;
    }
    // Exit.Done and Exit.Iret never get here: runProgram handles them first.
    return true;
  }

  /** The guest waits in guest mode; an interrupt already waiting ends the wait at once. */
  private waitInGuest(wait: GuestWait): boolean {
    if (this.lapic.vectorToDeliver >= 0) return true;
    this.guestWait = wait;
    return false;
  }

  /** The C-state exit a CPU idling in the guest's HLT/MWAIT pays before anything runs on it. */
  private idleExitNs(): number {
    return this.guestWait === GuestWait.CpuIdle ? this.env.delays.cpuIdleExit(this.index) : 0;
  }

  private enterCompute(ns: number): void {
    this.state = "guest";
    this.computeEndNs = wasm.nowF64() + ns;
    this.schedule(EventKind.GuestResume, ns);
  }

  /** Leaving guest mode stops the preemption timer (it only counts in guest mode). */
  private leaveGuest(): void {
    this.hvSeq = -1;
    if (this.state === "guest" && this.threadSeq >= 0) {
      // An exit interrupted a Compute: keep what is left of it.
      this.computeLeftNs = Math.max(0, this.computeEndNs - wasm.nowF64());
      this.threadSeq = -1;
    }
  }

  // ---- host side: exits, blocking, entry ----

  /** HLT reached kvm_vcpu_block: stay awake if an interrupt is pending, else block. */
  private block(): void {
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
  private hasWakeReason(): boolean {
    return (this.lapic.pending && !this.lapic.masked) || this.lapic.vectorToDeliver >= 0;
  }

  /** The vCPU thread runs again after a wake-up (kvm_vcpu_check_block decides). */
  private wake(): void {
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
  private endHalt(): void {
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
  private beginEntry(inNs: number): void {
    this.lapic.injectPending();
    this.state = "entering";
    this.schedule(EventKind.EntryWait, inNs);
  }

  /** Just before VM entry: inject, busy-wait (spec §5.4), enter; the guest runs after dispatch. */
  private reenter(): void {
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
  private waitLapicExpire(): number {
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

  /** The preemption timer fired in guest mode: exit, expire, re-enter. */
  private preemptionExit(): void {
    this.metrics.recordExit(ExitReason.preemptionTimer);
    const idleNs = this.idleExitNs();
    this.trace(TK.Exit, TX.PreemptionTimer);
    this.leaveGuest();
    this.lapic.hvTimerFired();
    const d = this.env.delays;
    this.beginEntry(idleNs + d.vmExit(this.index) + d.vmEntry(this.index));
  }

  /**
   * A host stall (scenario host.stalls): a vCPU in guest mode is descheduled for the
   * stall's length and re-enters after it; the preemption timer does not count meanwhile.
   * A vCPU outside guest mode is not affected (its host work is not modelled as preemptible).
   */
  private stall(): void {
    const stalls = this.env.stalls;
    if (stalls === null) return;
    wasm.queuePushIn(stalls.everyNs, payload(EventKind.Stall, this.index));
    if (this.state !== "guest") return;
    this.trace(TK.Exit, TX.ExternalInterrupt);
    this.leaveGuest();
    this.beginEntry(stalls.lengthNs);
  }

  private hrtimerCallback(): void {
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

  // ---- TimerHost ----

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
  /** Busy-wait of the posted path, spent on the housekeeping CPU (ns). */
  private postedSpinNs = 0;
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

  // ---- SchedThread: what the host scheduler does to this thread (src/sim/host-sched.ts) ----

  /**
   * A thread event while the thread may not run: waiting in the run queue, its CPU taken
   * by the outer level, or asked to give up its CPU (it does so now, at a point where
   * the kernel would: a host path ends). Returns true when the event waits.
   */
  private holdForCpu(kind: EventKind): boolean {
    const sched = this.sched!;
    if (this.offCpu || sched.frozen(this.index)) {
      this.deferred = kind;
      return true;
    }
    if (this.needResched) {
      this.needResched = false;
      this.deferred = kind;
      this.offCpu = true;
      sched.yieldCpu(this.index);
      return true;
    }
    return false;
  }

  /** The thread stops being runnable (schedule() from kvm_vcpu_block, or its program ended): a pending need_resched is spent. */
  private schedSleep(): void {
    if (this.sched === null) return;
    this.needResched = false;
    this.sched.sleep(this.index);
  }

  schedRun(): void {
    this.offCpu = false;
    const kind = this.deferred;
    this.deferred = 0;
    // The wake-up's own cost (host.delays.wakeup) starts when the CPU picks the thread;
    // a thread preempted later on its way back to the guest pays it once.
    if (kind === EventKind.VcpuWake && this.wakeQueued) this.schedule(kind, this.env.delays.wakeup(this.index));
    else if (kind !== 0) this.schedule(kind, 0);
    this.wakeQueued = false;
  }

  schedPreempt(): boolean {
    if (this.state === "guest" && !this.offCpu) {
      // A reschedule IPI takes the vCPU out of guest mode; it re-enters when picked again.
      this.leaveGuest();
      this.state = "exit";
      this.deferred = EventKind.GuestResume;
      this.offCpu = true;
      return true;
    }
    if (this.state !== "blocked" && this.state !== "done") this.needResched = true;
    return false;
  }

  schedPollYield(): void {
    if (this.state !== "polling") return;
    const endNs = wasm.nowF64() + this.sched!.params.pollYieldNs;
    if (endNs >= this.pollEndNs) return;
    this.pollEndNs = endNs;
    this.schedule(EventKind.PollEnd, this.sched!.params.pollYieldNs);
  }

  schedFreeze(): void {
    if (this.state !== "guest") return;
    this.leaveGuest();
    this.state = "exit";
    this.deferred = EventKind.GuestResume;
  }

  schedThaw(): void {
    if (this.offCpu) return;
    const kind = this.deferred;
    this.deferred = 0;
    if (kind !== 0) this.schedule(kind, 0);
  }

  schedActivity(): number {
    return ACTIVITY_OF[this.runState];
  }

  schedHrtimerThaw(): void {
    if (this.frozenHrtimerSeq < 0 || this.frozenHrtimerSeq !== this.hrtimerSeq) return;
    this.frozenHrtimerSeq = -1;
    this.hrtimerSeq = wasm.queuePushIn(0, payload(EventKind.HrtimerCallback, this.index));
  }

  // ---- GuestCtx ----

  rdtscTo(r: number): void {
    wasm.gRdtsc(this.index, r);
  }
  regAdd(dst: number, src: number, imm: number): void {
    wasm.gAddImm(this.index, dst, src, imm);
  }
  regSet(r: number, imm: number): void {
    wasm.gSetImm(this.index, r, imm);
  }
  regDiff(a: number, b: number): number {
    return wasm.gDiff(this.index, a, b);
  }
  reg(r: number): bigint {
    return wasm.gGet(this.index, r);
  }
  rdtsc(): bigint {
    wasm.gRdtsc(this.index, SCRATCH_REG);
    return wasm.gGet(this.index, SCRATCH_REG);
  }
  readApic(offset: number): number {
    // TMCCT is never virtualized (KVM intercepts its read); the others only with APICv.
    // The host answers at once; the round trip is taken before the guest's next step.
    if (offset === APIC_TMCCT || !this.env.lapic.apicv) {
      this.metrics.recordExit(ExitReason.apicRead);
      this.readExitNs += this.env.delays.msrExit(this.index);
    }
    const l = this.lapic;
    switch (offset) {
      case APIC_LVR:
        return APIC_VERSION;
      case APIC_SPIV:
        return l.spiv;
      case APIC_LVTT:
        return l.lvtt;
      case APIC_TMICT:
        return l.tmict;
      case APIC_TMCCT:
        return l.readTmcct();
      case APIC_TDCR:
        return l.tdcr;
      default:
        return 0;
    }
  }
  rdmsrTscDeadlineTo(r: number): void {
    this.lapic.readTscDeadline(r);
  }
  nowNs(): number {
    return wasm.nowF64() - this.env.startNs;
  }
  kvmclockTo(r: number): void {
    wasm.gKvmclock(this.index, r);
  }
  rdmsrPvDeadlineTo(r: number): void {
    this.lapic.readPvDeadline(r);
  }
  wrmsrPvDeadline(r: number): Exit {
    this.metrics.recordExit(ExitReason.msrWrite);
    this.trace(TK.Exit, TX.MsrWrite);
    this.lapic.writePvDeadline(r);
    return Exit.MsrWrite;
  }
  wrmsrTscDeadline(r: number): Exit {
    // Lazy TSC-deadline: the guest updates the shared page and traps only when needed.
    if (this.env.lapic.lazyTscDeadline && this.lapic.deadlineModeActive && !wasm.lazyGuestWrite(this.index, r)) return Exit.None;
    this.metrics.recordExit(ExitReason.msrWrite);
    this.trace(TK.Exit, TX.MsrWrite);
    this.lapic.writeTscDeadline(r);
    return Exit.MsrWrite;
  }
  writeApic(offset: number, value: number): Exit {
    this.metrics.recordExit(ExitReason.apicWrite);
    this.trace(TK.Exit, TX.ApicWrite);
    const l = this.lapic;
    switch (offset) {
      case APIC_LVTT:
        l.writeLvtt(value);
        break;
      case APIC_TMICT:
        l.writeTmict(value);
        break;
      case APIC_TDCR:
        l.writeTdcr(value);
        break;
      case APIC_SPIV:
        l.writeSpiv(value);
        break;
      case APIC_EOI:
        l.vectorInService = false;
        break;
    }
    return Exit.ApicWrite;
  }
  eoi(): Exit {
    if (this.env.lapic.apicv) {
      // APICv virtualizes EOI: no exit.
      this.lapic.vectorInService = false;
      return Exit.None;
    }
    return this.writeApic(APIC_EOI, 0);
  }
  hlt(): Exit {
    return Exit.Halt;
  }
  idlePoll(): Exit {
    return Exit.IdlePoll;
  }
  cpuid(): Exit {
    this.trace(TK.Exit, TX.Cpuid);
    return Exit.Cpuid;
  }
  compute(ns: number): Exit {
    this.computeLeftNs = ns;
    return Exit.Compute;
  }
  done(): Exit {
    return Exit.Done;
  }
  recordLatency(cycles: number): void {
    this.metrics.recordLatency(cycles, wasm.cyclesToNsSigned(this.index, cycles));
  }
  recordLatencyNs(ns: number): void {
    this.metrics.recordLatency(wasm.nsToCyclesSigned(this.index, ns), ns);
  }
  recordPeriodLateness(cycles: number): void {
    this.metrics.recordPeriodLateness?.(wasm.cyclesToNsSigned(this.index, cycles));
  }
  print(line: string): void {
    this.output?.push(line);
  }
}
