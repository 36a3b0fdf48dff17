import { describe, expect, test } from "vitest";
import { InputRangeError } from "../src/errors.js";
import { aggregate, AGGREGATE_SERIES_POINTS, defaultMetricsOptions, ExitReason, EXIT_REASON_NAMES, HostMetrics, PER_VCPU_HISTOGRAMS_MAX_VCPUS, TimerBackend, VCPU_SLOTS } from "../src/metrics/index.js";
import type { ExitCounts, LatencySummary } from "../src/metrics/types.js";

function one(options: ConstructorParameters<typeof HostMetrics>[0] = {}) {
  const host = new HostMetrics(options);
  return { host, m: host.addVcpu(0, 0) };
}

describe("VcpuMetrics.recordLatency", () => {
  test("min/mean/max exact, percentiles from the histogram", () => {
    const { m } = one();
    for (let ns = 1; ns <= 1000; ns++) m.recordLatency(ns * 3, ns);
    const s = m.summary();
    expect(s.interrupts).toBe(1000);
    const ns = s.latency.ns as LatencySummary;
    expect(ns).toEqual({ min: 1, mean: 500.5, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
    const cycles = s.latency.cycles as LatencySummary;
    expect([cycles.min, cycles.mean, cycles.max]).toEqual([3, 1501.5, 3000]);
    expect(cycles.p50).toBeCloseTo(1500, -1);
    expect(m.lastLatencyNs).toBe(1000);
  });

  test("the mean comes from the exact sum, not from histogram buckets", () => {
    const { m } = one();
    m.recordLatency(1_000_001, 1_000_001);
    m.recordLatency(1_000_002, 1_000_002);
    expect(m.summary().latency.ns.mean).toBe(1_000_001.5);
  });

  test("early interrupts: counted, worst earliness in positive ns, 0 in the histogram, negative in min/mean", () => {
    const { m } = one();
    m.recordLatency(-210, -100);
    m.recordLatency(-630, -300);
    m.recordLatency(2100, 1000);
    m.recordLatency(2100, 1000);
    const s = m.summary();
    expect(s.early).toEqual({ count: 2, worstNs: 300 });
    const ns = s.latency.ns as LatencySummary;
    expect(ns.min).toBe(-300);
    expect(ns.mean).toBe((-100 - 300 + 1000 + 1000) / 4);
    // Half the samples sit at 0 in the histogram.
    expect(ns.p50).toBe(0);
    expect(ns.p90).toBe(1000);
    expect(m.histograms.ns.totalCount).toBe(4);
    expect((s.latency.cycles as LatencySummary).min).toBe(-630);
  });

  test("all early: percentiles cap at the (negative) max", () => {
    const { m } = one();
    m.recordLatency(-50, -20);
    m.recordLatency(-70, -30);
    const ns = m.summary().latency.ns as LatencySummary;
    expect([ns.p50, ns.p99, ns.max]).toEqual([-20, -20, -20]);
  });

  test("early is decided on cycles (the guest's TSC), even if ns rounds to 0", () => {
    const { m } = one();
    m.recordLatency(-1, 0);
    expect(m.summary().early).toEqual({ count: 1, worstNs: 0 });
  });

  test("no interrupts: statistics are NaN (undefined), counts 0", () => {
    const { m } = one();
    const s = m.summary();
    expect(s.interrupts).toBe(0);
    expect(Object.values(s.latency.ns).every(Number.isNaN)).toBe(true);
    expect(s.early).toEqual({ count: 0, worstNs: 0 });
    expect(m.lastLatencyNs).toBeNaN();
  });

  test("large latencies (beyond 2^32 ns and the initial histogram range) are recorded", () => {
    const { m } = one();
    m.recordLatency(2 ** 40, 2 ** 35);
    m.recordLatency(5, 2);
    const ns = m.summary().latency.ns as LatencySummary;
    expect(ns.max).toBe(2 ** 35);
    expect(ns.p99).toBe(2 ** 35);
  });
});

describe("VcpuMetrics counters", () => {
  test("exits by reason, in ExitCounts' keys", () => {
    const { m } = one();
    m.recordExit(ExitReason.msrWrite);
    m.recordExit(ExitReason.msrWrite);
    m.recordExit(ExitReason.hlt);
    m.recordExit(ExitReason.preemptionTimer);
    m.recordExit(ExitReason.externalInterrupt);
    m.recordExit(ExitReason.apicWrite);
    m.recordExit(ExitReason.apicRead);
    m.recordExit(ExitReason.apicRead);
    m.addSpinNs(7);
    // apicRead has a slot of its own after the others: it does not count into spinNs.
    expect(m.summary().exits).toEqual({ msrWrite: 2, apicWrite: 1, preemptionTimer: 1, externalInterrupt: 1, hlt: 1, apicRead: 2 });
    expect(m.summary().spinNs).toBe(7);
    const keys: (keyof ExitCounts)[] = ["msrWrite", "apicWrite", "preemptionTimer", "externalInterrupt", "hlt", "apicRead"];
    expect(EXIT_REASON_NAMES).toEqual(keys);
    keys.forEach((k, i) => expect(ExitReason[k]).toBe(i));
  });

  test.each([6, -1, 1.5, NaN])("an unknown exit reason (%d) throws instead of counting into a neighbour", (bad) => {
    const { m } = one();
    expect(() => m.recordExit(bad as ExitReason)).toThrow(RangeError);
    expect(() => m.timerArm(2 as TimerBackend)).toThrow(RangeError);
  });

  test("spin, timer backends, fallbacks, switches, coalesced", () => {
    const { m } = one();
    m.addSpinNs(1500);
    m.addSpinNs(500);
    m.timerArm(TimerBackend.sw);
    m.timerArm(TimerBackend.hv);
    m.timerArm(TimerBackend.hv);
    m.hvFallback();
    m.hvToSw();
    m.hvToSw();
    m.swToHv();
    m.timerPosted();
    m.coalesced();
    m.coalesced();
    m.coalesced();
    const s = m.summary();
    expect(s.spinNs).toBe(2000);
    expect(s.timers).toEqual({ swArms: 1, hvArms: 2, hvFallbacks: 1, hvToSw: 2, swToHv: 1, posted: 1 });
    expect(s.coalesced).toBe(3);
  });

  test("vCPU blocks share a chunk without touching each other", () => {
    const host = new HostMetrics();
    const ms = Array.from({ length: 600 }, (_, i) => host.addVcpu(i >> 4, i & 15));
    ms.forEach((m, i) => {
      for (let k = 0; k <= i % 7; k++) m.recordExit(ExitReason.hlt);
      m.recordLatency(i, i);
    });
    ms.forEach((m, i) => {
      const s = m.summary();
      expect(s.exits.hlt).toBe((i % 7) + 1);
      expect([s.vm, s.vcpu, s.latency.ns.min, s.latency.ns.max]).toEqual([i >> 4, i & 15, i, i]);
    });
  });

  test("a vCPU block is 296 bytes of counters", () => {
    expect(VCPU_SLOTS * 8).toBe(296);
  });

  test("halt polls: host CPU and successful/failed counts, summed in the aggregate", () => {
    const host = new HostMetrics();
    const a = host.addVcpu(0, 0);
    const b = host.addVcpu(0, 1);
    a.haltPoll(10_000, false);
    a.haltPoll(150_000, true);
    b.haltPoll(200_000, false);
    expect(a.summary().haltPollNs).toBe(160_000);
    expect(a.summary().haltPolls).toEqual({ successful: 1, failed: 1 });
    const all = aggregate([a, b], host);
    expect(all.haltPollNs).toBe(360_000);
    expect(all.haltPolls).toEqual({ successful: 1, failed: 2 });
  });
});

describe("VcpuMetrics.recordAdvance", () => {
  test("initial, final, min, max", () => {
    const { m } = one();
    for (const [t, a] of [[0, 1000], [1e6, 800], [2e6, 1200], [3e6, 900]] as const) m.recordAdvance(t, a);
    const a = m.summary().advanceNs;
    expect([a.initial, a.final, a.min, a.max]).toEqual([1000, 900, 800, 1200]);
    expect(a.series).toEqual([[0, 1000], [1e6, 800], [2e6, 1200], [3e6, 900]]);
  });

  test("never recorded: no advance (all 0, empty series)", () => {
    const { m } = one();
    expect(m.summary().advanceNs).toEqual({ initial: 0, final: 0, min: 0, max: 0, series: [] });
  });

  test("decimation: calls 0, k, 2k, ... with k doubling each time the series fills", () => {
    const host = new HostMetrics({ advanceSeriesPoints: 8 });
    host.addVcpu(0, 0); // the first vCPU always keeps AGGREGATE_SERIES_POINTS
    const m = host.addVcpu(0, 1);
    const calls = 100;
    for (let k = 0; k < calls; k++) m.recordAdvance(k * 10, k);
    const series = m.summary().advanceNs.series;
    // 100 calls into 8 points: stride 16 → calls 0, 16, 32, 48, 64, 80, 96.
    expect(series.map(([, a]) => a)).toEqual([0, 16, 32, 48, 64, 80, 96]);
    expect(series.map(([t]) => t)).toEqual([0, 160, 320, 480, 640, 800, 960]);
    expect(m.summary().advanceNs.final).toBe(99);
  });

  test("decimation keeps every point while there is room, and at most the capacity", () => {
    const host = new HostMetrics({ advanceSeriesPoints: 4 });
    host.addVcpu(9, 9);
    const m = host.addVcpu(0, 0);
    const lengths: number[] = [];
    for (let k = 0; k < 40; k++) {
      m.recordAdvance(k, k);
      lengths.push(m.summary().advanceNs.series.length);
    }
    expect(Math.max(...lengths)).toBe(4);
    expect(lengths.slice(0, 4)).toEqual([1, 2, 3, 4]);
    const points = m.summary().advanceNs.series.map(([, a]) => a);
    // Evenly spaced from call 0.
    const step = points[1]! - points[0]!;
    expect(points[0]).toBe(0);
    points.forEach((p, i) => expect(p).toBe(i * step));
  });

  test("advanceSeriesPoints 0: no series, except the first vCPU's", () => {
    const host = new HostMetrics({ advanceSeriesPoints: 0 });
    const first = host.addVcpu(0, 0);
    const second = host.addVcpu(0, 1);
    for (let k = 0; k < 1000; k++) {
      first.recordAdvance(k, k);
      second.recordAdvance(k, k);
    }
    expect(first.summary().advanceNs.series.length).toBeGreaterThan(AGGREGATE_SERIES_POINTS / 2);
    expect(first.summary().advanceNs.series.length).toBeLessThanOrEqual(AGGREGATE_SERIES_POINTS);
    expect(second.summary().advanceNs.series).toEqual([]);
    expect(second.summary().advanceNs.final).toBe(999);
  });

  test.each([3, -2, 1.5])("rejects advanceSeriesPoints %d", (bad) => {
    expect(() => new HostMetrics({ advanceSeriesPoints: bad })).toThrow(InputRangeError);
  });
});

describe("VcpuMetrics.hrtimerCallback", () => {
  test("peak per aligned ms, not per sliding window", () => {
    const { m } = one();
    // 3 callbacks in [1 ms, 2 ms), then 2 in [2 ms, 3 ms): a sliding 1-ms window
    // would see 5 between 1.5 and 2.5 ms; aligned buckets see 3.
    for (const t of [1.5e6, 1.6e6, 1.9e6, 2.1e6, 2.2e6]) m.hrtimerCallback(t);
    expect(m.summary().callbacksPerMsPeak).toBe(3);
  });

  test("the bucket boundary is exact: 999_999 ns and 1_000_000 ns are different ms", () => {
    const { m } = one();
    m.hrtimerCallback(999_999);
    m.hrtimerCallback(1_000_000);
    expect(m.summary().callbacksPerMsPeak).toBe(1);
  });

  test("a callback before the previous one's ms is a broken invariant", () => {
    const { m } = one();
    m.hrtimerCallback(5e6);
    expect(() => m.hrtimerCallback(4e6)).toThrow(RangeError);
  });
});

describe("per-vCPU histograms off", () => {
  test("summaries carry min/mean/max only: percentile keys are absent", () => {
    const { m, host } = one({ perVcpuHistograms: false });
    for (let i = 1; i <= 10; i++) m.recordLatency(i * 2, i);
    const ns = m.summary().latency.ns;
    expect(ns).toEqual({ min: 1, mean: 5.5, max: 10 });
    expect("p50" in ns).toBe(false);
    expect(m.ownHistograms).toBe(false);
    // Samples went into the host's shared histogram.
    expect(host.sharedLatencyNs!.totalCount).toBe(10);
    expect(host.options.advanceSeriesPoints).toBe(0);
  });

  test("defaultMetricsOptions: per-vCPU histograms and series only for small runs", () => {
    expect(defaultMetricsOptions(4)).toEqual({ perVcpuHistograms: true, advanceSeriesPoints: AGGREGATE_SERIES_POINTS });
    expect(defaultMetricsOptions(PER_VCPU_HISTOGRAMS_MAX_VCPUS + 1)).toEqual({ perVcpuHistograms: false, advanceSeriesPoints: 0 });
  });

  test("with them on, there are no shared histograms", () => {
    const { host } = one();
    expect(host.sharedLatencyNs).toBeNull();
    expect(host.options).toEqual({ perVcpuHistograms: true, advanceSeriesPoints: AGGREGATE_SERIES_POINTS });
  });
});

describe("HostMetrics.addVcpu", () => {
  test("rejects bad ids; keeps creation order", () => {
    const host = new HostMetrics();
    host.addVcpu(1, 2);
    host.addVcpu(0, 0);
    expect(() => host.addVcpu(-1, 0)).toThrow(InputRangeError);
    expect(() => host.addVcpu(0, 2 ** 32)).toThrow(InputRangeError);
    expect(host.vcpus.map((m) => [m.vm, m.vcpu])).toEqual([[1, 2], [0, 0]]);
  });
});
