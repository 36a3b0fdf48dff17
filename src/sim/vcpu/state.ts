// What one simulated vCPU is, before anything it does: the VM-wide environment it runs
// in, its run state (in guest, exiting, halt-polling, blocked, waking, entering, done —
// the discriminant of the state machine), the one valid event of its thread and of each
// timer, and its place on a shared host CPU. Everything time-stamped goes through the
// event queue in wasm. The vCPU's behaviour is built on this in layers, each a file:
// guest-run.ts (the guest program), exit-entry.ts (exits, halt polling, VM entry),
// timer-host.ts (the LAPIC timer's backends) and ../vcpu.ts (event dispatch, the host
// scheduler's view, pauses and migrations); each layer calls only those below it.

import { wasm } from "../../wasm.js";
import { payload, type EventKind } from "../events.js";
import type { LapicTimer } from "../lapic.js";
import type { LapicTimerOptions } from "../lapic/timer.js";
import type { AnyGuestProgram } from "../guest.js";
import type { HostDelaySamplers } from "../host-delays.js";
import type { MetricsSink } from "../metrics-sink.js";
import type { HaltPollConfig, HostStalls } from "../../scenario/types.js";
import type { GuestExitPolicy } from "../exits-in-guest.js";
import type { HostScheduler } from "../host-sched.js";

/** Run states of a vCPU (the discriminant of the state machine). */
export type RunState = "guest" | "exit" | "polling" | "blocked" | "waking" | "entering" | "done";

/** The host CPU's activity while a vCPU thread in each run state runs on it (assembly/sim/host_sched.ts Activity). */
export const ACTIVITY_OF: Record<RunState, number> = {
  guest: wasm.Activity.Guest,
  exit: wasm.Activity.Host,
  polling: wasm.Activity.HaltPoll,
  blocked: wasm.Activity.Idle,
  waking: wasm.Activity.Host,
  entering: wasm.Activity.Host,
  done: wasm.Activity.Idle,
};

/** Guest register the built-in paths use as scratch (programs should use r0..r5). */
export const SCRATCH_REG = 7;

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

/**
 * The vCPU's identity, run state and pending-event bookkeeping. Abstract: the concrete
 * Vcpu (../vcpu.ts) sets the members below in its constructor, after every layer's
 * fields, in the order the single class had them.
 */
export abstract class VcpuCore {
  abstract readonly index: number;
  abstract readonly vcpu: number;
  abstract readonly env: VcpuEnv;
  abstract readonly metrics: MetricsSink;
  abstract readonly lapic: LapicTimer;
  /** The host scheduler, or null (a host CPU of its own). */
  protected abstract readonly sched: HostScheduler | null;

  protected runState: RunState = "guest";
  get state(): RunState {
    return this.runState;
  }
  set state(s: RunState) {
    this.runState = s;
    if (this.sched !== null) this.sched.activity(this.index, ACTIVITY_OF[s]);
  }
  /** Runnable but not running: waiting in its CPU's run queue (thread events wait in `deferred`). */
  protected offCpu = false;
  /** Asked to leave its CPU outside guest mode: it does at its next thread event (need_resched). */
  protected needResched = false;
  /** When the current poll ends (its PollEnd event), for a yield that must not postpone it. */
  protected pollEndNs = 0;
  /** Seq of an hrtimer callback held while the CPU is taken by the outer level. */
  protected frozenHrtimerSeq = -1;
  /** Woken and queued: when picked, the wake-up's own cost (host.delays.wakeup) is still to come. */
  protected wakeQueued = false;
  /** Seq of the one valid vCPU-thread event (resume, wake, entry, block, kick). */
  protected threadSeq = -1;
  protected hrtimerSeq = -1;
  protected hvSeq = -1;
  /** The VM is stopped: thread events wait here (the latest one) until it resumes. */
  protected paused = false;
  protected deferred: EventKind | 0 = 0;

  get vm(): number {
    return this.env.vm;
  }

  /** Trace records (`tscsim run --trace`): the same points as the wasm engine's (assembly/sim/trace_log.ts), written only when the VM's env asks for them. */
  protected trace(kind: number, arg: number): void {
    if (this.env.trace === true) wasm.traceEvent(kind, this.index, arg);
  }
  get tscKhz(): number {
    return this.env.tscKhz;
  }

  /** The vCPU thread's next event, `inNs` from now; it replaces any earlier one (threadSeq). */
  protected schedule(kind: EventKind, inNs: number): void {
    this.threadSeq = wasm.queuePushIn(inNs, payload(kind, this.index));
  }

  /** The thread stops being runnable (schedule() from kvm_vcpu_block, or its program ended): a pending need_resched is spent. */
  protected schedSleep(): void {
    if (this.sched === null) return;
    this.needResched = false;
    this.sched.sleep(this.index);
  }
}
