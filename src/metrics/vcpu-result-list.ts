// A run's per-vCPU results, made one at a time as they are read (issue #13 target 3).
//
// At 10^6 vCPUs the VcpuResult objects of a whole run take ~1.4 kB each (nested objects,
// boxed doubles), more than the simulation itself; the JSON writer and the table only
// ever need one at a time. So `tscsim run` keeps the collectors and builds each vCPU's
// result when it is written, and the garbage of one is gone before the next thousand.
// toArray() gives the array a RunResult carries (the library API, sweeps, tests).

import type { RunResult, VcpuResult } from "./types.js";
import type { HostMetrics } from "./host-metrics.js";
import type { VcpuMetrics } from "./vcpu-metrics.js";

const summaryOf = (m: VcpuMetrics): VcpuResult => m.summary();

export class VcpuResultList implements Iterable<VcpuResult> {
  /** The results of `host`'s collectors (those the wasm engine keeps are read from it: HostMetrics.readVcpu). */
  constructor(private readonly host: HostMetrics) {}

  get length(): number {
    return this.host.vcpuCount;
  }

  /** vCPU i's result (index order of the run), a new object on each call. */
  at(i: number): VcpuResult {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`vCPU result ${i} of ${this.length}`);
    return this.host.withVcpu(i, summaryOf);
  }

  *[Symbol.iterator](): Iterator<VcpuResult> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** Every result at once. */
  toArray(): VcpuResult[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i));
  }
}

/** What readers of per-vCPU results take: the array of a RunResult or a list made as read. */
export type VcpuResults = readonly VcpuResult[] | VcpuResultList;

/** A run's result whose per-vCPU results are made as they are read. */
export type StreamedRunResult = Omit<RunResult, "vcpus"> & { vcpus: VcpuResultList };
