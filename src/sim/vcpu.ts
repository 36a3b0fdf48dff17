// One simulated vCPU, the TypeScript reference state machine: its run state (in guest,
// exiting, halt-polling, blocked, waking, entering), the guest program it runs, and the
// host paths between a timer expiry and the guest's handler — kick or wake-up,
// injection, kvm_wait_lapic_expire's busy-wait, VM entry (spec §4.5, §5.4, §6.4). This
// file is the whole vCPU as the engine sees it: the dispatch of its events, its start
// and end, the VM-level events that take it out of guest mode (pauses, migrations to a
// host with another TSC rate, host stalls) and what the host scheduler does to its
// thread. The behaviour lives in layers under vcpu/ (state.ts names them); the wasm
// engine (assembly/sim/) must give byte-identical results (engine-differential test).

import { wasm } from "../wasm.js";
import { EventKind, payload } from "./events.js";
import { LapicTimer } from "./lapic.js";
import type { GuestCtx, GuestMachine } from "./guest.js";
import type { MetricsSink } from "./metrics-sink.js";
import type { HostScheduler, SchedThread } from "./host-sched.js";
import type { TimerHost } from "./lapic/timer.js";
import { ACTIVITY_OF, SCRATCH_REG, type VcpuEnv } from "./vcpu/state.js";
import { VcpuTimers } from "./vcpu/timer-host.js";

const { TraceKind: TK, TraceExit: TX } = wasm;

export class Vcpu extends VcpuTimers implements GuestCtx, TimerHost, SchedThread {
  readonly lapic: LapicTimer;
  /** The host scheduler, or null (a host CPU of its own). */
  protected readonly sched: HostScheduler | null;
  /** The machine program, if the program is one. */
  protected readonly machine: GuestMachine | null;
  /** Lines the program printed (when the scenario keeps output). */
  readonly output: string[] | null;
  /** Migrations done so far (the next one is env.migrations[migrations]). */
  private migrations = 0;

  constructor(
    readonly index: number,
    readonly vcpu: number,
    readonly env: VcpuEnv,
    readonly metrics: MetricsSink,
  ) {
    super();
    this.lapic = new LapicTimer(index, env.lapic, this);
    this.machine = "machine" in env.program ? env.program : null;
    this.main = "machine" in env.program ? null : env.program.main(this);
    this.output = env.keepOutput ? [] : null;
    this.sched = env.sched ?? null;
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
        this.entryDone();
        return;
      case EventKind.Block:
        this.block();
        return;
      case EventKind.PollEnd:
        this.pollEnd();
        return;
      case EventKind.VcpuWake:
        this.wake();
        return;
      case EventKind.KickExit:
        this.kickExit();
        return;
      case EventKind.EntryWait:
        this.reenter();
        return;
    }
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
}
