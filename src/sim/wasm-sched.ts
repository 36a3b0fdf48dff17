// The host scheduler on the wasm engine, host side: sets up assembly/sim/engine_sched.ts
// from the same plan as the TypeScript engine's HostScheduler (host-sched.ts), drains
// the run-queue waits it logs into the same tally, and builds the same result
// (host-sched-result.ts). The scheduling itself runs in wasm.

import { wasm } from "../wasm.js";
import type { ScenarioConfig } from "../scenario/types.js";
import type { HostSchedResult } from "../metrics/sched-types.js";
import { LOAD_PURPOSE, LOAD_STREAM_VM } from "./host-sched.js";
import { applySchedPlan, type SchedPlan } from "./sched-plan.js";
import { SchedTally, schedResult } from "./host-sched-result.js";
import { emit, type DelayProgram } from "./host-delays.js";

/** The random-stream keys of the plan's background tasks (HostScheduler's rngStream tuples), in task order. */
export function loadStreamKeys(plan: SchedPlan): { vm: number; vcpu: number; purpose: number }[] {
  return plan.loads.map((l) => ({ vm: LOAD_STREAM_VM, vcpu: l.task, purpose: LOAD_PURPOSE }));
}

/** Appends the background tasks' run distributions to the delay program; returns each one's node. */
export function emitLoadPrograms(plan: SchedPlan, program: DelayProgram): number[] {
  return plan.loads.map((l) => emit(l.run, program.cells));
}

/** Sizes the scheduler's wasm state for simMemoryReserve (null: none this run). */
export function planSchedMemory(plan: SchedPlan | null, onWasmEngine: boolean): void {
  if (plan === null) wasm.schedEnginePlan(0, 0, 0, 0, false);
  else wasm.schedEnginePlan(plan.nVcpus, plan.nCpus, plan.nTasks, plan.loads.length, onWasmEngine);
}

export class WasmSched {
  private readonly tally: SchedTally;

  /**
   * After the engine's records exist: the decisions' state (host_sched.ts) and the
   * orchestration's (engine_sched.ts). `roots` are the background tasks' nodes in the
   * delay program, their streams follow the vCPUs' (from `streamBase`).
   */
  constructor(
    private readonly plan: SchedPlan,
    config: ScenarioConfig,
    startNs: number,
    roots: readonly number[],
    streamBase: number,
    perVcpuHistograms: boolean,
  ) {
    applySchedPlan(plan, config, startNs);
    const maxSteal = config.kvm.haltPoll.maxStealPercent;
    wasm.schedEngineInit(plan.nVcpus, plan.innerCpus, plan.outerCpus, plan.innerTaskBase, plan.loads.length, plan.params.pollYieldNs, maxSteal ?? -1, plan.nested);
    plan.loads.forEach((l, k) => wasm.schedEngineSetLoad(k, l.task, l.cpu, l.periodNs, roots[k]!, streamBase + k));
    this.tally = new SchedTally(plan.nVcpus, perVcpuHistograms);
  }

  /** The run-queue waits logged since the last drain, into the tally (in the order they happened). */
  drain(): void {
    const n = wasm.schedWaitLogCount();
    if (n === 0) return;
    const log = new Float64Array(wasm.memory.buffer, wasm.schedWaitLogPtr(), n * 2);
    for (let i = 0; i < n; i++) this.tally.recordWait(log[2 * i]!, log[2 * i + 1]!);
    wasm.schedWaitLogClear();
  }

  /** The scheduler's metrics at endNs (HostScheduler.result). */
  result(endNs: number, ids: readonly { vm: number; vcpu: number }[]): HostSchedResult {
    this.drain();
    wasm.schedEngineFinish(endNs);
    for (let v = 0; v < this.plan.nVcpus; v++) {
      this.tally.vcpuStealNs[v] = wasm.schedEngineVcpuStealNs(v);
      this.tally.noPollSteal[v] = wasm.schedEngineNoPollSteal(v);
    }
    return schedResult(this.tally, this.plan.innerCpus, this.plan.outerCpus, this.plan.loads, endNs, ids);
  }
}
