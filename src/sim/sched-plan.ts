// Where the host scheduler's tasks run and what the background tasks are (scenario
// host.cpus, host.load, host.outer, vms.<i>.pin): the plan both engines' schedulers start
// from (host-sched.ts on the TypeScript engine, wasm-sched.ts on the wasm engine), and
// the decisions' state in wasm (assembly/sim/host_sched.ts) it sets up.

import { wasm } from "../wasm.js";
import type { DelayDist, HostLoad, ScenarioConfig, SchedParams } from "../scenario/types.js";
import { compileDelay, type DelaySampler } from "./distributions.js";
import { placeThreads } from "./placement.js";

/** TICK_NSEC: the kernel's tick in whole ns, (NSEC_PER_SEC + HZ/2) / HZ (3,333,333 at HZ=300). */
export function tickNsOf(hz: number): number {
  return Math.floor((1e9 + Math.floor(hz / 2)) / hz);
}

function loadCpus(l: HostLoad, cpus: number): number[] {
  return l.cpus === "all" ? Array.from({ length: cpus }, (_, c) => c) : [...new Set(l.cpus)].sort((a, b) => a - b);
}

/** A background task of the plan: its task index, CPU, period, run distribution and the field it came from. */
export interface PlannedLoad {
  task: number;
  cpu: number;
  periodNs: number;
  run: DelayDist;
  field: string;
  /** `run` compiled once per load of the scenario (a load on several CPUs shares it: samplers keep no state). */
  sampler: DelaySampler;
}

/** Where every task runs and what the background tasks are: both engines' schedulers start from it. */
export interface SchedPlan {
  params: SchedParams;
  nVcpus: number;
  innerCpus: number;
  outerCpus: number;
  nested: boolean;
  /** First task index of the inner CPUs' tasks on the outer level (-1 without one). */
  innerTaskBase: number;
  nTasks: number;
  nCpus: number;
  /** CPU of each task (vCPU threads, inner loads, inner CPUs on the outer level, outer loads). */
  taskCpu: Int32Array;
  /** The background tasks in task order (inner, then outer). */
  loads: PlannedLoad[];
}

/** The scheduler's layout for a scenario (no wasm state touched); bad load distributions throw InputRangeError. */
export function planHostSched(config: ScenarioConfig): SchedPlan {
  const { host } = config;
  const params = host.sched ?? { latencyNs: 6_000_000, minGranularityNs: 750_000, wakeupGranularityNs: 1_000_000, pollYieldNs: 100 };
  const total = config.vms.reduce((n, vm) => n + vm.vcpus, 0);
  const innerCpus = host.cpus ?? total;
  const outer = host.outer ?? null;
  const outerCpus = outer?.cpus ?? 0;
  const vcpuCpu = placeThreads(
    innerCpus,
    config.vms.map((vm) => ({ count: vm.vcpus, pin: vm.pin ?? "spread" })),
  );
  const innerLoads = (host.load ?? []).flatMap((l) => loadCpus(l, innerCpus).map((cpu) => ({ l, cpu })));
  const outerLoads = (outer?.load ?? []).flatMap((l) => loadCpus(l, outerCpus).map((cpu) => ({ l, cpu: innerCpus + cpu })));
  const innerTaskBase = outer === null ? -1 : total + innerLoads.length;
  const nTasks = total + innerLoads.length + (outer === null ? 0 : innerCpus) + outerLoads.length;
  const taskCpu = new Int32Array(nTasks);
  taskCpu.set(vcpuCpu);
  const loads: PlannedLoad[] = [];
  let task = total;
  const samplers = new Map<HostLoad, DelaySampler>();
  const addLoads = (list: { l: HostLoad; cpu: number }[], field: string): void =>
    list.forEach(({ l, cpu }) => {
      // Compiled (so validated, with the field's name) here once, for both engines.
      let sampler = samplers.get(l);
      if (sampler === undefined) samplers.set(l, (sampler = compileDelay(l.run as DelayDist, `${field}.run`)));
      loads.push({ task, cpu, periodNs: l.periodNs, run: l.run as DelayDist, field: `${field}.run`, sampler });
      taskCpu[task++] = cpu;
    });
  addLoads(innerLoads, "host.load");
  if (outer !== null) {
    const innerCpuOuter = placeThreads(outerCpus, [{ count: innerCpus, pin: outer.pin }]);
    for (let c = 0; c < innerCpus; c++, task++) taskCpu[task] = innerCpus + innerCpuOuter[c]!;
  }
  addLoads(outerLoads, "host.outer.load");
  return { params, nVcpus: total, innerCpus, outerCpus, nested: outer !== null, innerTaskBase, nTasks, nCpus: innerCpus + outerCpus, taskCpu, loads };
}

/** Puts the plan's tasks on their CPUs in wasm (host_sched.ts), the decisions' state both engines use. */
export function applySchedPlan(plan: SchedPlan, config: ScenarioConfig, startNs: number): void {
  const p = plan.params;
  // s390's steal average: the mean form since 367c50f78451 (2024), mainline here.
  wasm.schedInit(plan.nCpus, plan.nTasks, p.latencyNs, p.minGranularityNs, p.wakeupGranularityNs, tickNsOf(config.host.hz), startNs, config.kvm.era === "mainline");
  for (let t = 0; t < plan.nTasks; t++) wasm.schedSetTaskCpu(t, plan.taskCpu[t]!);
  wasm.schedLayout();
}
