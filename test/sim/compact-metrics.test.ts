// The wasm cyclictest engine's compact per-vCPU metric blocks (assembly/sim/engine_metrics.ts)
// and the collectors a HostMetrics gets only at the end of a run (Simulation, "deferred"):
// issue #3 §9's memory per vCPU. The engine-differential properties hold every mode to the
// TypeScript engine; these pin what those cannot reach — counts past 2^32, when the
// collectors come into being, and the paths a host can choose between.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { wasm } from "../../src/wasm.js";
import { Simulation, type EngineChoice } from "../../src/sim/engine.js";
import { HostMetrics, aggregate, type VcpuMetrics } from "../../src/metrics/index.js";
import type { ScenarioConfig } from "../../src/scenario/types.js";
import { scenario } from "./harness.js";

const delays = {
  hrtimer: { dist: "lognormal" as const, medianNs: 1500, p99Ns: 6000 },
  wakeup: { dist: "lognormal" as const, medianNs: 4000, p99Ns: 20000 },
  vmExit: { dist: "uniform" as const, minNs: 100, maxNs: 900 },
  vmEntry: { dist: "normal" as const, meanNs: 300, sdNs: 80 },
  irqDispatch: { dist: "fixed" as const, valueNs: 150 },
  msrExit: { dist: "lognormal" as const, medianNs: 800, p99Ns: 2500 },
};

/** cyclictest with random host delays and halt polling on (every count of the block moves). */
function cyclictest(vcpus: number, seed: number, era: ScenarioConfig["kvm"]["era"] = "mainline"): ScenarioConfig {
  const haltPoll = { maxNs: 200_000, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null };
  return scenario({ seed, durationNs: 30_000_000, vm: { vcpus, tscKhz: 2_100_000 }, delays, kvm: { era, haltPoll } }, { kind: "cyclictest", intervalNs: 250_000, loops: 0, printSummary: false, deadlineMsr: "tsc", workNs: 0, idle: "halt" });
}

/** Everything a run reports, as JSON. */
function report(host: HostMetrics, sim: Simulation): string {
  return JSON.stringify({ events: sim.events, ...aggregate(host.vcpus, host), vcpus: host.vcpus.map((m) => m.summary()) });
}

/** A run whose HostMetrics the simulation is given, or whose collectors a factory adds up front. */
function run(c: ScenarioConfig, engine: EngineChoice, how: "host" | "factory", options: ConstructorParameters<typeof HostMetrics>[0]): { host: HostMetrics; sim: Simulation } {
  const host = new HostMetrics(options);
  const sim = new Simulation(c, how === "host" ? host : (id) => host.addVcpu(id.vm, id.vcpu), [], { engine });
  sim.run();
  return { host, sim };
}

describe("deferred collectors", () => {
  test("given a HostMetrics with shared histograms, the wasm engine adds only the first vCPU's collector before the run, the rest in order at its end", () => {
    const c = cyclictest(5, 3);
    const host = new HostMetrics({ perVcpuHistograms: false });
    const sim = new Simulation(c, host, [], { engine: "wasm" });
    sim.start();
    expect(host.vcpus.length).toBe(1);
    sim.run();
    expect(host.vcpus.map((m) => [m.vm, m.vcpu])).toEqual([0, 1, 2, 3, 4].map((i) => [0, i]));
    expect(host.vcpus.every((m) => m.interrupts > 100)).toBe(true);
  });

  test("per-vCPU histograms, a per-vCPU advance series, the TypeScript engine, or a host that has collectors already: every collector up front", () => {
    const c = cyclictest(3, 1);
    for (const [options, engine] of [
      [{ perVcpuHistograms: true }, "wasm"],
      [{ perVcpuHistograms: false, advanceSeriesPoints: 16 }, "wasm"],
      [{ perVcpuHistograms: false }, "ts"],
    ] as const) {
      const host = new HostMetrics(options);
      new Simulation(c, host, [], { engine }).start();
      expect(host.vcpus.length).toBe(3);
    }
    const reused = new HostMetrics({ perVcpuHistograms: false });
    reused.addVcpu(9, 0);
    new Simulation(c, reused, [], { engine: "wasm" }).start();
    expect(reused.vcpus.length).toBe(4);
  });

  test("property: deferred collectors, collectors up front (a factory), and the TypeScript engine report the same, with shared histograms and with a per-vCPU series", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom("v4.20", "v5.1", "mainline" as const),
        fc.constantFrom(0, 16),
        (vcpus, seed, era, series) => {
          const c = cyclictest(vcpus, seed, era);
          const options = { perVcpuHistograms: false, advanceSeriesPoints: series };
          const t = run(c, "ts", "host", options);
          const ts = report(t.host, t.sim);
          const deferred = run(c, "wasm", "host", options);
          const upFront = run(c, "wasm", "factory", options);
          expect(report(deferred.host, deferred.sim)).toBe(ts);
          expect(report(upFront.host, upFront.sim)).toBe(ts);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe("counts past 2^32", () => {
  // 2^32 real events would take minutes; the engine's count is set just below the wrap
  // instead, after start() and before run(), and the run carries it over.
  const below = 2 ** 32 - 3;

  test.each([
    ["complete mode (deferred collectors)", "host"],
    ["log mode (foreign sinks)", "forward"],
  ] as const)("a u32 count that wraps carries into the exact total: %s", (_name, how) => {
    const c = cyclictest(2, 7);
    const plain = run(c, "wasm", "host", { perVcpuHistograms: false }).host.vcpus.map((m) => m.totals());
    const host = new HostMetrics({ perVcpuHistograms: false });
    const collectors: VcpuMetrics[] = [];
    const sim =
      how === "host"
        ? new Simulation(c, host, [], { engine: "wasm" })
        : new Simulation(
            c,
            (id) => {
              const m = host.addVcpu(id.vm, id.vcpu);
              collectors.push(m);
              // Not a VcpuMetrics: the engine logs and hands over counts only.
              return { ...bound(m) };
            },
            [],
            { engine: "wasm" },
          );
    sim.start();
    wasm.engineSetCount(1, wasm.Count.ExitMsrWrite, below);
    wasm.engineSetCount(1, wasm.Count.SwArms, 2 ** 33 + 5);
    sim.run();
    const got = host.vcpus.map((m) => m.totals());
    expect(plain[1]!.exits.msrWrite).toBeGreaterThan(3);
    expect(got[1]!.exits.msrWrite).toBe(plain[1]!.exits.msrWrite + below);
    expect(got[1]!.timers.swArms).toBe(plain[1]!.timers.swArms + 2 ** 33 + 5);
    // The other vCPU and the other counts are untouched.
    expect(got[0]).toEqual(plain[0]);
    expect({ ...got[1]!, exits: { ...got[1]!.exits, msrWrite: 0 }, timers: { ...got[1]!.timers, swArms: 0 } }).toEqual({
      ...plain[1]!,
      exits: { ...plain[1]!.exits, msrWrite: 0 },
      timers: { ...plain[1]!.timers, swArms: 0 },
    });
  });
});

/** A MetricsSink that forwards to m (so the engine does not recognise the host's collector). */
function bound(m: VcpuMetrics) {
  return {
    recordLatency: (a: number, b: number) => m.recordLatency(a, b),
    recordExit: (r: Parameters<VcpuMetrics["recordExit"]>[0]) => m.recordExit(r),
    addSpinNs: (ns: number) => m.addSpinNs(ns),
    timerArm: (b: Parameters<VcpuMetrics["timerArm"]>[0]) => m.timerArm(b),
    hvFallback: () => m.hvFallback(),
    hvToSw: () => m.hvToSw(),
    swToHv: () => m.swToHv(),
    timerPosted: () => m.timerPosted(),
    coalesced: () => m.coalesced(),
    haltPoll: (ns: number, ok: boolean) => m.haltPoll(ns, ok),
    recordAdvance: (t: number, a: number) => m.recordAdvance(t, a),
    hrtimerCallback: (t: number) => m.hrtimerCallback(t),
    addCounts: (block: Float64Array) => m.addCounts(block),
  };
}
