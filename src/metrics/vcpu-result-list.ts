// A run's per-vCPU results, made one at a time as they are read (issue #13 target 3).
//
// At 10^6 vCPUs the VcpuResult objects of a whole run take ~1.4 kB each (nested objects,
// boxed doubles), more than the simulation itself; the JSON writer and the table only
// ever need one at a time. So `tscsim run` keeps the collectors and builds each vCPU's
// result when it is written, and the garbage of one is gone before the next thousand.
// toArray() gives the array a RunResult carries (the library API, sweeps, tests).

import type { AdvanceSummary, ExitCounts, LatencyMoments, LatencySummary, RunResult, TimerCounts, VcpuResult } from "./types.js";
import type { HostMetrics } from "./host-metrics.js";
import type { VcpuMetrics } from "./vcpu-metrics.js";

const summaryOf = (m: VcpuMetrics): VcpuResult => m.summary();

/**
 * x, as a small integer (a Smi, kept inside the object) when it is one: a count read from
 * a Float64Array is a heap-allocated number otherwise (16 bytes each, ~40 per result).
 * -0 stays -0 (a Smi cannot hold it).
 */
function small(x: number): number {
  return x === (x | 0) && (x !== 0 || 1 / x > 0) ? x | 0 : x;
}

// The parts of a compact result: plain objects (Object.prototype, own enumerable data
// properties in summary()'s order), each kind with a V8 map of its own. An object literal
// shares its map with every literal of the same keys (summary()'s own parts, aggregate's
// running sums), and the fractional values stored there make those fields boxed doubles
// for every object of the map; with a map of their own, small integers stay inside.
function Moments(this: LatencyMoments, l: LatencyMoments): void {
  this.min = small(l.min);
  this.mean = small(l.mean);
  this.max = small(l.max);
}
function Summary(this: LatencySummary, l: LatencySummary): void {
  this.min = small(l.min);
  this.mean = small(l.mean);
  this.p50 = small(l.p50);
  this.p90 = small(l.p90);
  this.p99 = small(l.p99);
  this.p999 = small(l.p999);
  this.max = small(l.max);
}
function Early(this: VcpuResult["early"], e: VcpuResult["early"]): void {
  this.count = small(e.count);
  this.worstNs = small(e.worstNs);
}
function Exits(this: ExitCounts, e: ExitCounts): void {
  this.msrWrite = small(e.msrWrite);
  this.apicWrite = small(e.apicWrite);
  this.preemptionTimer = small(e.preemptionTimer);
  this.externalInterrupt = small(e.externalInterrupt);
  this.hlt = small(e.hlt);
  this.apicRead = small(e.apicRead);
}
function Advance(this: AdvanceSummary, a: AdvanceSummary): void {
  this.initial = small(a.initial);
  this.final = small(a.final);
  this.min = small(a.min);
  this.max = small(a.max);
  this.series = a.series;
}
function Timers(this: TimerCounts, t: TimerCounts): void {
  this.swArms = small(t.swArms);
  this.hvArms = small(t.hvArms);
  this.hvFallbacks = small(t.hvFallbacks);
  this.hvToSw = small(t.hvToSw);
  this.swToHv = small(t.swToHv);
  this.posted = small(t.posted);
}
function HaltPolls(this: VcpuResult["haltPolls"], h: VcpuResult["haltPolls"]): void {
  this.successful = small(h.successful);
  this.failed = small(h.failed);
}
for (const f of [Moments, Summary, Early, Exits, Advance, Timers, HaltPolls]) f.prototype = Object.prototype;

/** A plain object made by one of the part functions above. */
function part<T, A>(f: (this: T, a: A) => void, a: A): T {
  return new (f as unknown as new (a: A) => T)(a);
}

function compactLatency(l: LatencyMoments | LatencySummary): LatencyMoments | LatencySummary {
  return "p50" in l ? part(Summary, l) : part(Moments, l);
}

/**
 * A summary() result again, the same keys in the same order with the same values, in
 * about half the memory (at 10^5 vCPUs, 1,144 bytes a vCPU as summary() made it, ~620
 * compacted): summary() assembles its result from parts (a spread after vm and vcpu,
 * keys added one by one), and its numbers, read from Float64Arrays, are each a 16-byte
 * heap number. For a result kept for the whole run (toArray: the library's runScenario).
 */
export function compactVcpuResult(r: VcpuResult): VcpuResult {
  const compact: VcpuResult = {
    vm: small(r.vm),
    vcpu: small(r.vcpu),
    interrupts: small(r.interrupts),
    latency: { ns: compactLatency(r.latency.ns), cycles: compactLatency(r.latency.cycles) },
    early: part(Early, r.early),
    exits: part(Exits, r.exits),
    spinNs: small(r.spinNs),
    advanceNs: part(Advance, r.advanceNs),
    timers: part(Timers, r.timers),
    coalesced: small(r.coalesced),
    haltPollNs: small(r.haltPollNs),
    haltPolls: part(HaltPolls, r.haltPolls),
    callbacksPerMsPeak: small(r.callbacksPerMsPeak),
  };
  // Last, as summary() adds it (periodic timers only).
  if (r.periodLatenessNs !== undefined) compact.periodLatenessNs = r.periodLatenessNs;
  return compact;
}

export class VcpuResultList implements Iterable<VcpuResult> {
  /** The results of `host`'s collectors (those the wasm engine keeps are read from it: HostMetrics.withVcpu). */
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

  /** Every result at once (each compacted: compactVcpuResult). */
  toArray(): VcpuResult[] {
    const all = new Array<VcpuResult>(this.length);
    for (let i = 0; i < all.length; i++) all[i] = compactVcpuResult(this.at(i));
    return all;
  }
}

/** What readers of per-vCPU results take: the array of a RunResult or a list made as read. */
export type VcpuResults = readonly VcpuResult[] | VcpuResultList;

/** A run's result whose per-vCPU results are made as they are read. */
export type StreamedRunResult = Omit<RunResult, "vcpus"> & { vcpus: VcpuResultList };
