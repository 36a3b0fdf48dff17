// The host's CPUs and the fair-share scheduler that shares them (scenario host.cpus,
// host.load, host.sched, host.outer, vms.<i>.pin; docs/host-model.md). The decisions —
// placement of a wake-up, wake-up preemption, the tick's slice check, which task runs
// next, vruntime, the steal average — are wasm functions over state in linear memory
// (assembly/sim/host_sched.ts); this module orders them in events and tells the vCPU
// threads, the background tasks and (nested) the inner host's CPUs what happened to them.
//
// Tasks: the vCPU threads (0 .. vCPUs-1, their own index), then one background task per
// CPU of each host.load entry, then (with host.outer) one task per inner host CPU, run
// by the outer level, then the outer tenants. CPUs: the host's, then the outer level's.

import { wasm } from "../wasm.js";
import type { ScenarioConfig, SchedParams } from "../scenario/types.js";
import type { DelaySampler } from "./distributions.js";
import { rngStream, type Rng } from "./rng.js";
import { EventKind, payload } from "./events.js";
import { applySchedPlan, type SchedPlan } from "./sched-plan.js";
import type { HostSchedResult } from "../metrics/sched-types.js";
import { SchedTally, schedResult } from "./host-sched-result.js";

export { tickNsOf } from "./sched-plan.js";

const { Activity } = wasm;

/** What the scheduler asks of a vCPU thread (implemented by Vcpu). */
export interface SchedThread {
  /** Picked to run on its CPU: continue what waited. */
  schedRun(): void;
  /** Asked to leave the CPU: true if it left at once (guest mode), false if it will at its next step (need_resched). */
  schedPreempt(): boolean;
  /** It is halt-polling and another task became runnable on its CPU (single_task_running() is false). */
  schedPollYield(): void;
  /** Its CPU is not run by the outer level from now / runs again. */
  schedFreeze(): void;
  schedThaw(): void;
  /** Its CPU's activity while it runs. */
  schedActivity(): number;
  /** A deferred hrtimer callback runs (its CPU runs again). */
  schedHrtimerThaw(): void;
}

/** Purpose of the background tasks' random streams (rng.ts Purpose continues; appended). */
export const LOAD_PURPOSE = 8;
/** The "VM" number of background tasks' streams: above any real VM index. */
export const LOAD_STREAM_VM = 0x7fff_0000;

interface LoadTask {
  task: number;
  cpu: number;
  periodNs: number;
  sampler: DelaySampler;
  rng: Rng;
  /** CPU time the task still wants. */
  remainingNs: number;
  /** When it last started running (valid while it runs and is not frozen). */
  runStartNs: number;
  /** Seq of its live LoadDone event, or -1. */
  doneSeq: number;
  runnable: boolean;
  /** It has been runnable before (its first wake-up is a new task's). */
  started: boolean;
}

export class HostScheduler {
  readonly innerCpus: number;
  readonly outerCpus: number;
  private readonly nVcpus: number;
  private readonly loads: LoadTask[] = [];
  /** Load tasks by task index (offset by nVcpus). */
  private readonly loadOf: (LoadTask | undefined)[] = [];
  /** First task index of the inner CPUs' tasks on the outer level (-1 without one). */
  private readonly innerTaskBase: number;
  private readonly tickPending: Uint8Array;
  private readonly stolen: Uint8Array;
  private readonly stolenSinceNs: Float64Array;
  /** vCPUs whose hrtimer callback waits for its CPU to run again, per inner CPU. */
  private readonly frozenHrtimers: number[][];
  readonly params: SchedParams;
  readonly nested: boolean;
  /** Per vCPU: run-queue waits, steal, halts not polled for steal. */
  private readonly tally: SchedTally;
  private threads: readonly SchedThread[] = [];

  /** `plan` is planHostSched(config), which the Simulation has made already. */
  constructor(
    plan: SchedPlan,
    config: ScenarioConfig,
    startNs: number,
    perVcpuHistograms: boolean,
  ) {
    this.params = plan.params;
    const total = plan.nVcpus;
    this.nVcpus = total;
    this.innerCpus = plan.innerCpus;
    this.nested = plan.nested;
    this.outerCpus = plan.outerCpus;
    const outer = config.host.outer ?? null;
    this.innerTaskBase = plan.innerTaskBase;
    const nCpus = plan.nCpus;
    applySchedPlan(plan, config, startNs);
    for (const { task, cpu, periodNs, sampler } of plan.loads) {
      const t: LoadTask = {
        task,
        cpu,
        periodNs,
        sampler,
        rng: rngStream(config.seed, LOAD_STREAM_VM, task, LOAD_PURPOSE),
        remainingNs: 0,
        runStartNs: 0,
        doneSeq: -1,
        runnable: false,
        started: false,
      };
      this.loads.push(t);
      this.loadOf[task - total] = t;
    }
    this.tickPending = new Uint8Array(nCpus);
    this.stolen = new Uint8Array(this.innerCpus);
    this.stolenSinceNs = new Float64Array(this.innerCpus);
    this.frozenHrtimers = outer === null ? [] : Array.from({ length: this.innerCpus }, () => []);
    this.tally = new SchedTally(total, perVcpuHistograms);
  }

  /** The vCPU threads, in index order (before start). */
  attach(threads: readonly SchedThread[]): void {
    this.threads = threads;
  }

  /**
   * Start: every vCPU thread is running guest code, so each wakes on its CPU in index
   * order (the first on a CPU runs, the others queue), and the background tasks' first
   * periods begin at a random phase.
   */
  start(): void {
    for (let v = 0; v < this.nVcpus; v++) this.wake(v);
    for (const l of this.loads) wasm.queuePushIn(Math.floor(l.rng.nextFloat() * l.periodNs), payload(EventKind.LoadWake, l.task));
  }

  /** Whether vCPU v's CPU is taken by the outer level (its thread and hrtimers wait). */
  frozen(v: number): boolean {
    return this.nested && this.stolen[wasm.schedTaskCpu(v)] === 1;
  }

  /** A vCPU's hrtimer fired while its CPU is not running: it runs when the CPU does. */
  deferHrtimer(v: number): void {
    this.frozenHrtimers[wasm.schedTaskCpu(v)]!.push(v);
  }

  /** single_task_running() on vCPU v's CPU is false: another task is runnable there. */
  othersRunnable(v: number): boolean {
    return wasm.schedQueued(wasm.schedTaskCpu(v)) > 0;
  }

  /** kvm_arch_no_poll by steal (s390): the steal average of v's CPU is at least the limit (nested hosts only). */
  noPollForSteal(v: number, maxStealPercent: number | null): boolean {
    if (!this.nested || maxStealPercent === null) return false;
    const no = wasm.schedStealPercent(wasm.schedTaskCpu(v), wasm.nowF64()) >= maxStealPercent;
    if (no) this.tally.noPollSteal[v]!++;
    return no;
  }

  /** The running vCPU v's activity changed. */
  activity(v: number, activity: number): void {
    const c = wasm.schedTaskCpu(v);
    if (wasm.schedCurr(c) !== v || (this.nested && this.stolen[c] === 1)) return;
    wasm.schedSetActivity(c, activity, wasm.nowF64());
  }

  /** Busy-wait time inside the entry path just begun by running vCPU v. */
  busyWait(v: number, spinNs: number): void {
    wasm.schedMoveCpuNs(wasm.schedTaskCpu(v), Activity.Host, Activity.BusyWait, spinNs);
  }

  // ---- the scheduler's transitions ----

  /** try_to_wake_up (or, `initial`, wake_up_new_task): task t becomes runnable on its CPU. */
  wake(t: number, initial = false): void {
    const c = wasm.schedTaskCpu(t);
    const now = wasm.nowF64();
    wasm.schedEnqueue(t, now, initial ? wasm.Placement.Initial : wasm.Placement.Wakeup);
    const curr = wasm.schedCurr(c);
    if (curr < 0) {
      this.switchCpu(c, false);
      return;
    }
    // A poll loop ends as soon as another task is runnable, whatever the vruntimes.
    if (curr < this.nVcpus && this.threads[curr]!.schedActivity() === Activity.HaltPoll) {
      this.threads[curr]!.schedPollYield();
      return;
    }
    if (wasm.schedWakeupPreempts(t)) this.preemptCurr(c);
    else this.armTick(c);
  }

  /** vCPU v stops being runnable (it blocked, or its program ended): its CPU runs the next task. */
  sleep(v: number): void {
    const c = wasm.schedTaskCpu(v);
    if (wasm.schedCurr(c) === v) this.switchCpu(c, false);
  }

  /** vCPU v, asked to leave its CPU, reached a point where it can: it stays runnable. */
  yieldCpu(v: number): void {
    const c = wasm.schedTaskCpu(v);
    if (wasm.schedCurr(c) === v) this.switchCpu(c, true);
  }

  private preemptCurr(c: number): void {
    const curr = wasm.schedCurr(c);
    if (curr < 0) return;
    if (curr < this.nVcpus) {
      const thread = this.threads[curr]!;
      if (thread.schedActivity() === Activity.HaltPoll) thread.schedPollYield();
      else if (thread.schedPreempt()) this.switchCpu(c, true);
      return;
    }
    const load = this.loadOf[curr - this.nVcpus];
    if (load !== undefined) this.stopLoad(load);
    this.switchCpu(c, true);
  }

  /** put_prev + pick_next on CPU c, and what follows for the task that runs. */
  private switchCpu(c: number, prevRunnable: boolean): void {
    const now = wasm.nowF64();
    const prev = wasm.schedCurr(c);
    const next = wasm.schedSwitch(c, now, prevRunnable);
    const frozen = c < this.innerCpus && this.nested && this.stolen[c] === 1;
    let activity: number = Activity.Idle;
    if (next >= 0 && next < this.nVcpus) {
      this.tally.recordWait(next, wasm.schedLastWaitNs());
      this.threads[next]!.schedRun();
      activity = this.threads[next]!.schedActivity();
    } else if (next >= 0) {
      const load = this.loadOf[next - this.nVcpus];
      if (load !== undefined) {
        if (!frozen) this.runLoad(load);
        activity = Activity.Load;
      } else {
        // An inner host CPU runs on this outer CPU.
        this.thaw(next - this.innerTaskBase);
        activity = Activity.InnerCpu;
      }
    }
    if (prev >= this.nVcpus && prev !== next && this.innerTaskBase >= 0 && prev >= this.innerTaskBase && prev < this.innerTaskBase + this.innerCpus && prevRunnable) {
      this.freeze(prev - this.innerTaskBase);
    }
    wasm.schedSetActivity(c, frozen ? Activity.Steal : activity, now);
    this.armTick(c);
    // Nested: an inner CPU with work is a runnable task of the outer level; an idle one sleeps.
    if (this.nested && c < this.innerCpus) {
      const innerTask = this.innerTaskBase + c;
      const state = wasm.schedTaskState(innerTask);
      if (next >= 0 && state === wasm.TaskState.Sleeping) {
        this.wake(innerTask);
        if (wasm.schedTaskState(innerTask) !== wasm.TaskState.Running) this.freeze(c);
      } else if (next < 0 && state === wasm.TaskState.Running) {
        this.switchCpu(wasm.schedTaskCpu(innerTask), false);
      }
    }
  }

  /** A scheduler tick on CPU c is due while others wait there. */
  private armTick(c: number): void {
    if (this.tickPending[c] === 1 || wasm.schedQueued(c) === 0 || wasm.schedCurr(c) < 0) return;
    this.tickPending[c] = 1;
    const nowNs = wasm.nowF64();
    wasm.queuePushIn(wasm.schedNextTickNs(nowNs) - nowNs, payload(EventKind.SchedTick, c));
  }

  // ---- background tasks ----

  private runLoad(l: LoadTask): void {
    l.runStartNs = wasm.nowF64();
    l.doneSeq = wasm.queuePushIn(l.remainingNs, payload(EventKind.LoadDone, l.task));
  }

  private stopLoad(l: LoadTask): void {
    if (l.doneSeq < 0) return;
    l.remainingNs = Math.max(0, l.remainingNs - (wasm.nowF64() - l.runStartNs));
    l.doneSeq = -1;
  }

  // ---- the outer level ----

  /** Inner CPU c stops running (its outer task was preempted or has not been picked). */
  private freeze(c: number): void {
    if (this.stolen[c] === 1) return;
    const now = wasm.nowF64();
    this.stolen[c] = 1;
    this.stolenSinceNs[c] = now;
    wasm.schedSetStolen(c, true, now);
    wasm.schedSetActivity(c, Activity.Steal, now);
    const curr = wasm.schedCurr(c);
    if (curr >= 0 && curr < this.nVcpus) this.threads[curr]!.schedFreeze();
    else if (curr >= 0) {
      const load = this.loadOf[curr - this.nVcpus];
      if (load !== undefined) this.stopLoad(load);
    }
  }

  /** Inner CPU c runs again. */
  private thaw(c: number): void {
    if (this.stolen[c] === 0) return;
    const now = wasm.nowF64();
    this.stolen[c] = 0;
    wasm.schedSetStolen(c, false, now);
    const curr = wasm.schedCurr(c);
    let activity: number = Activity.Idle;
    if (curr >= 0 && curr < this.nVcpus) {
      this.tally.vcpuStealNs[curr] = this.tally.vcpuStealNs[curr]! + now - this.stolenSinceNs[c]!;
      this.threads[curr]!.schedThaw();
      activity = this.threads[curr]!.schedActivity();
    } else if (curr >= 0) {
      const load = this.loadOf[curr - this.nVcpus];
      if (load !== undefined) this.runLoad(load);
      activity = Activity.Load;
    }
    wasm.schedSetActivity(c, activity, now);
    const waiting = this.frozenHrtimers[c]!;
    for (const v of waiting) this.threads[v]!.schedHrtimerThaw();
    waiting.length = 0;
  }

  // ---- events ----

  onEvent(kind: EventKind, index: number, seq: number): void {
    switch (kind) {
      case EventKind.SchedTick: {
        this.tickPending[index] = 0;
        const frozen = index < this.innerCpus && this.nested && this.stolen[index] === 1;
        if (!frozen && wasm.schedTickPreempts(index, wasm.nowF64())) this.preemptCurr(index);
        this.armTick(index);
        return;
      }
      case EventKind.LoadWake: {
        const l = this.loadOf[index - this.nVcpus]!;
        wasm.queuePushIn(l.periodNs, payload(EventKind.LoadWake, l.task));
        const runNs = l.sampler.sampleNs(l.rng);
        if (runNs <= 0) return;
        l.remainingNs += runNs;
        if (!l.runnable) {
          l.runnable = true;
          // Its first run is a new task's (START_DEBIT); later ones are wake-ups.
          this.wake(l.task, !l.started);
          l.started = true;
        } else if (l.doneSeq >= 0) {
          // Running: the backlog extends its run.
          this.stopLoad(l);
          this.runLoad(l);
        }
        return;
      }
      case EventKind.LoadDone: {
        const l = this.loadOf[index - this.nVcpus]!;
        if (seq !== l.doneSeq) return;
        l.doneSeq = -1;
        l.remainingNs = 0;
        l.runnable = false;
        this.switchCpu(l.cpu, false);
        return;
      }
    }
  }

  // ---- results ----

  /** The scheduler's metrics at endNs (the end of the simulated run): host-sched-result.ts. */
  result(endNs: number, ids: { vm: number; vcpu: number }[]): HostSchedResult {
    for (let c = 0; c < this.innerCpus; c++) {
      if (this.stolen[c] !== 1) continue;
      // The steal in progress counts for the vCPU on the stolen CPU.
      const curr = wasm.schedCurr(c);
      if (curr >= 0 && curr < this.nVcpus) this.tally.vcpuStealNs[curr] = this.tally.vcpuStealNs[curr]! + endNs - this.stolenSinceNs[c]!;
      this.stolenSinceNs[c] = endNs;
    }
    return schedResult(this.tally, this.innerCpus, this.outerCpus, this.loads, endNs, ids);
  }
}
