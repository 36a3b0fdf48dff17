// The host scheduler's metrics (RunResult.hostSched, metrics/sched-types.ts): what the
// scheduler tallies while it runs (src/sim/host-sched.ts) and the result built from it
// and from the per-CPU, per-task figures kept in wasm (assembly/sim/host_sched.ts).

import { wasm } from "../wasm.js";
import { newAggregateHistogram, newVcpuHistogram, type LatencyHistogram } from "../metrics/histogram.js";
import type { HostSchedResult, SchedCpuResult, SchedOuterCpuResult, SchedVcpuResult } from "../metrics/sched-types.js";

const { Activity } = wasm;

/** Per vCPU: run-queue waits (a histogram when kept per vCPU), steal while running, halts not polled for steal. */
export class SchedTally {
  readonly waitHist: (LatencyHistogram | null)[];
  readonly waitMaxNs: Float64Array;
  readonly allWaits: LatencyHistogram = newAggregateHistogram();
  readonly vcpuStealNs: Float64Array;
  readonly noPollSteal: Float64Array;

  constructor(vcpus: number, perVcpuHistograms: boolean) {
    this.waitHist = Array.from({ length: vcpus }, () => (perVcpuHistograms ? newVcpuHistogram() : null));
    this.waitMaxNs = new Float64Array(vcpus);
    this.vcpuStealNs = new Float64Array(vcpus);
    this.noPollSteal = new Float64Array(vcpus);
  }

  /** vCPU v was picked after waiting waitNs in its run queue. */
  recordWait(v: number, waitNs: number): void {
    const rounded = Math.round(waitNs);
    this.allWaits.recordValue(rounded);
    this.waitHist[v]?.recordValue(rounded);
    if (waitNs > this.waitMaxNs[v]!) this.waitMaxNs[v] = waitNs;
  }
}

/**
 * The result at endNs: every CPU's time accounted up to it, split by activity; the
 * background tasks' waits per CPU; each vCPU's waits and steal; the totals.
 */
export function schedResult(
  t: SchedTally,
  nInner: number,
  nOuter: number,
  loads: readonly { task: number; cpu: number }[],
  endNs: number,
  ids: readonly { vm: number; vcpu: number }[],
): HostSchedResult {
  const nCpus = nInner + nOuter;
  for (let c = 0; c < nCpus; c++) wasm.schedAccount(c, endNs);
  const ns = (c: number, a: number): number => Math.round(wasm.schedCpuNs(c, a));
  // What the background tasks waited for their CPU, per CPU: the cost of the vCPUs to their neighbours.
  const loadWaitNs = new Float64Array(nCpus);
  for (const l of loads) loadWaitNs[l.cpu] = loadWaitNs[l.cpu]! + wasm.schedTaskWaitSumNs(l.task);
  const cpus: SchedCpuResult[] = [];
  for (let c = 0; c < nInner; c++) {
    cpus.push({
      cpu: c,
      guestNs: ns(c, Activity.Guest),
      busyWaitNs: ns(c, Activity.BusyWait),
      haltPollNs: ns(c, Activity.HaltPoll),
      hostNs: ns(c, Activity.Host),
      loadNs: ns(c, Activity.Load),
      idleNs: ns(c, Activity.Idle),
      stealNs: ns(c, Activity.Steal),
      loadWaitNs: Math.round(loadWaitNs[c]!),
    });
  }
  const outerCpus: SchedOuterCpuResult[] = [];
  for (let c = nInner; c < nCpus; c++) {
    outerCpus.push({ cpu: c - nInner, innerNs: ns(c, Activity.InnerCpu), loadNs: ns(c, Activity.Load), idleNs: ns(c, Activity.Idle), loadWaitNs: Math.round(loadWaitNs[c]!) });
  }
  const vcpus: SchedVcpuResult[] = ids.map((id, v) => {
    const h = t.waitHist[v] ?? null;
    const waits = wasm.schedTaskWaits(v);
    return {
      vm: id.vm,
      vcpu: id.vcpu,
      cpu: wasm.schedTaskCpu(v),
      runQueueWaitNs: {
        count: waits,
        sum: Math.round(wasm.schedTaskWaitSumNs(v)),
        p99: h === null || waits === 0 ? null : Math.min(h.getValueAtPercentile(99), Math.round(t.waitMaxNs[v]!)),
        max: Math.round(t.waitMaxNs[v]!),
      },
      stealNs: Math.round(wasm.schedTaskWaitSumNs(v) + t.vcpuStealNs[v]!),
      noPollForSteal: t.noPollSteal[v]!,
    };
  });
  let maxWait = 0;
  let sumWait = 0;
  let count = 0;
  let steal = 0;
  for (const v of vcpus) {
    maxWait = Math.max(maxWait, v.runQueueWaitNs.max);
    sumWait += v.runQueueWaitNs.sum;
    count += v.runQueueWaitNs.count;
    steal += v.stealNs;
  }
  const cap = (p: number): number | null => (count === 0 ? null : Math.min(t.allWaits.getValueAtPercentile(p), maxWait));
  const sum = <T extends { cpu: number }>(list: T[], keys: readonly (keyof T)[]): Omit<T, "cpu"> =>
    Object.fromEntries(keys.map((k) => [k, list.reduce((a, c) => a + (c[k] as number), 0)])) as Omit<T, "cpu">;
  return {
    cpuTotals: sum(cpus, ["guestNs", "busyWaitNs", "haltPollNs", "hostNs", "loadNs", "idleNs", "stealNs", "loadWaitNs"]),
    outerTotals: sum(outerCpus, ["innerNs", "loadNs", "idleNs", "loadWaitNs"]),
    cpus,
    outerCpus,
    runQueueWaitNs: { count, sum: sumWait, p50: cap(50), p99: cap(99), max: maxWait },
    stealNs: steal,
    vcpus,
  };
}
