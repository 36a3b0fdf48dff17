import { describe, expect, test } from "vitest";
import { InputRangeError } from "../src/errors.js";
import { aggregate, ExitReason, HostMetrics, TimerBackend, type MetricsOptions } from "../src/metrics/index.js";
import { stableJson } from "../src/report/json.js";
import { compileDelay } from "../src/sim/distributions.js";
import { Purpose, rngStream } from "../src/sim/rng.js";

/** A stand-in for the engine: seeded latencies, exits and callbacks on each vCPU. */
function simulate(options: Partial<MetricsOptions>, vcpus: number, seed = 1, interrupts = 500): HostMetrics {
  const host = new HostMetrics(options);
  const delay = compileDelay({ dist: "lognormal", medianNs: 2000, p99Ns: 20_000 });
  for (let i = 0; i < vcpus; i++) {
    const vm = i >> 3;
    const vcpu = i & 7;
    const m = host.addVcpu(vm, vcpu);
    const rng = rngStream(seed, vm, vcpu, Purpose.irqDispatch);
    let advanceNs = 1000;
    for (let k = 0; k < interrupts; k++) {
      const nowNs = k * 1_000_000 + i * 997;
      // Some interrupts land early: latency can be negative.
      const latencyNs = delay.sampleNs(rng) - 1500;
      m.recordLatency(Math.round(latencyNs * 2.1), latencyNs);
      m.recordExit(k % 3 === 0 ? ExitReason.msrWrite : ExitReason.hlt);
      m.timerArm(k % 5 === 0 ? TimerBackend.hv : TimerBackend.sw);
      m.hrtimerCallback(nowNs);
      m.addSpinNs(k % 7);
      advanceNs += latencyNs < 0 ? -Math.floor(-latencyNs / 8) : Math.floor(latencyNs / 8);
      m.recordAdvance(nowNs, advanceNs);
    }
  }
  return host;
}

describe("aggregate", () => {
  test("sums, extremes and the exact mean over vCPUs", () => {
    const host = simulate({}, 5);
    const run = aggregate(host.vcpus, host);
    const per = host.vcpus.map((m) => m.summary());
    const sum = (f: (v: (typeof per)[number]) => number) => per.reduce((a, v) => a + f(v), 0);
    expect(run.interrupts).toBe(2500);
    expect(run.exits.msrWrite).toBe(sum((v) => v.exits.msrWrite));
    expect(run.exits.hlt).toBe(sum((v) => v.exits.hlt));
    expect(run.timers.hvArms).toBe(sum((v) => v.timers.hvArms));
    expect(run.spinNs).toBe(sum((v) => v.spinNs));
    expect(run.early.count).toBe(sum((v) => v.early.count));
    expect(run.early.count).toBeGreaterThan(0);
    expect(run.early.worstNs).toBe(Math.max(...per.map((v) => v.early.worstNs)));
    expect(run.latency.ns.min).toBe(Math.min(...per.map((v) => v.latency.ns.min)));
    expect(run.latency.ns.max).toBe(Math.max(...per.map((v) => v.latency.ns.max)));
    expect(run.latency.ns.mean).toBeCloseTo(sum((v) => v.latency.ns.mean * v.interrupts) / 2500, 9);
    expect(run.latency.ns.p50).toBeLessThanOrEqual(run.latency.ns.p99);
    expect(run.latency.ns.p999).toBeLessThanOrEqual(run.latency.ns.max);
  });

  test("per-vCPU histograms on or off: the aggregate is byte-identical", () => {
    const on = simulate({ perVcpuHistograms: true }, 12);
    const off = simulate({ perVcpuHistograms: false }, 12);
    expect(stableJson(aggregate(off.vcpus, off))).toBe(stableJson(aggregate(on.vcpus, on)));
  });

  test("deterministic: the same inputs give byte-identical results, a different seed does not", () => {
    const render = (seed: number) => {
      const host = simulate({}, 6, seed);
      return stableJson({ run: aggregate(host.vcpus, host), vcpus: host.vcpus.map((m) => m.summary()) });
    };
    expect(render(7)).toBe(render(7));
    expect(render(7)).not.toBe(render(8));
  });

  test("adding a vCPU leaves the others' results unchanged (independent streams)", () => {
    const small = simulate({}, 3);
    const big = simulate({}, 4);
    for (let i = 0; i < 3; i++) expect(stableJson(big.vcpus[i]!.summary())).toBe(stableJson(small.vcpus[i]!.summary()));
  });

  test("callbacks per ms: host-wide, not the max of per-vCPU peaks", () => {
    const host = new HostMetrics();
    const ms = Array.from({ length: 100 }, (_, i) => host.addVcpu(0, i));
    // Every vCPU fires once within the same ms: a storm of 100.
    ms.forEach((m, i) => m.hrtimerCallback(5_000_000 + i * 1000));
    ms[0]!.hrtimerCallback(9_000_000);
    expect(ms.every((m) => m.summary().callbacksPerMsPeak === 1)).toBe(true);
    expect(aggregate(host.vcpus, host).callbacksPerMsPeak).toBe(100);
  });

  // CallbacksPerMs itself (window, order, merging, bounded memory): test/metrics-callback-rate.test.ts.

  test("advance: initial/final/series from the first vCPU that recorded one, min/max over all", () => {
    const host = new HostMetrics();
    const a = host.addVcpu(0, 0);
    const b = host.addVcpu(0, 1);
    const c = host.addVcpu(0, 2);
    b.recordAdvance(0, 1000);
    b.recordAdvance(1e6, 700);
    c.recordAdvance(0, 1000);
    c.recordAdvance(1e6, 1500);
    c.recordAdvance(2e6, 400);
    const adv = aggregate([a, b, c], host).advanceNs;
    expect(adv).toEqual({ initial: 1000, final: 700, min: 400, max: 1500, series: [[0, 1000], [1e6, 700]] });
    expect(a.summary().advanceNs.final).toBe(0);
  });

  test("no interrupts anywhere: NaN statistics, zero counts", () => {
    const host = new HostMetrics({ perVcpuHistograms: false });
    host.addVcpu(0, 0);
    const run = aggregate(host.vcpus, host);
    expect(run.interrupts).toBe(0);
    expect(Object.values(run.latency.ns).every(Number.isNaN)).toBe(true);
    expect(stableJson(run.latency.ns)).toContain('"p99": null');
  });

  test("perVcpu must be exactly the host's collectors", () => {
    const host = simulate({ perVcpuHistograms: false }, 3);
    const other = simulate({}, 1);
    expect(() => aggregate(host.vcpus.slice(1), host)).toThrow(InputRangeError);
    expect(() => aggregate([...host.vcpus, host.vcpus[0]!], host)).toThrow(InputRangeError);
    expect(() => aggregate([...host.vcpus.slice(1), other.vcpus[0]!], host)).toThrow(InputRangeError);
    const dup = new HostMetrics();
    dup.addVcpu(3, 4);
    dup.addVcpu(3, 4);
    expect(() => aggregate(dup.vcpus, dup)).toThrow(/vcpus = "3\/4"/);
    // Any order is fine.
    expect(aggregate([...host.vcpus].reverse(), host).interrupts).toBe(1500);
  });
});
