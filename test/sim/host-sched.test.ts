// The host scheduler (host.cpus, host.load, host.sched, host.outer, vms.<i>.pin;
// docs/host-model.md): byte-identical without it, run-queue waits that come from the
// load, halt polling that yields to a runnable neighbour, steal on a nested host and
// kvm_arch_no_poll by it; and the wasm run queue against a reference.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { validateScenario } from "../../src/scenario/schema.js";
import { ScenarioError } from "../../src/scenario/errors.js";
import { runScenario } from "../../src/sim/run.js";
import { Simulation } from "../../src/sim/engine.js";
import { HostMetrics } from "../../src/metrics/host-metrics.js";
import { placeThreads } from "../../src/sim/placement.js";
import { wasmEngineExclusion } from "../../src/sim/wasm-engine.js";
import type { RunResult } from "../../src/metrics/types.js";
import { wasm } from "../../src/wasm.js";

const cyclic = (interval: string, work = "0ns") => ({ kind: "cyclictest", interval, work });

function runFile(file: object): RunResult {
  return runScenario(validateScenario(file)).result;
}

/** The mean latency (ns) of one VM's vCPUs. */
function vmMeanNs(r: RunResult, vm: number): number {
  const vs = r.vcpus.filter((v) => v.vm === vm);
  const n = vs.reduce((a, v) => a + v.interrupts, 0);
  return vs.reduce((a, v) => a + v.latency.ns.mean * v.interrupts, 0) / n;
}

describe("with a CPU per vCPU", () => {
  const base = {
    duration: "60ms",
    kvm: { haltPoll: { max: "200us" } },
    vms: [
      { vcpus: 2, workload: cyclic("200us", "20us") },
      { vcpus: 1, workload: cyclic("1ms") },
    ],
  };
  test("host.cpus = the vCPU count changes no vCPU result (the scheduler never has two tasks on a CPU)", () => {
    const without = runFile(base);
    const withCpus = runFile({ ...base, host: { cpus: 3 } });
    expect(without.hostSched).toBeUndefined();
    const { hostSched, ...rest } = withCpus;
    expect(hostSched).toBeDefined();
    expect({ ...rest, wallMs: 0 }).toEqual({ ...without, wallMs: 0 });
    expect(hostSched!.runQueueWaitNs.max).toBe(0);
  });
  test("every CPU's time adds up to the simulated time", () => {
    const r = runFile({ ...base, host: { cpus: 2, load: [{ cpus: [1], busy: 0.4, period: "3ms" }] } });
    for (const c of r.hostSched!.cpus) {
      expect(c.guestNs + c.busyWaitNs + c.haltPollNs + c.hostNs + c.loadNs + c.idleNs + c.stealNs).toBe(r.simulatedNs);
    }
  });
});

describe("shared CPUs", () => {
  test("two vCPUs on one CPU wait for each other; on two CPUs they never wait", () => {
    const vm = { vcpus: 2, workload: cyclic("200us", "100us") };
    const shared = runFile({ duration: "40ms", host: { cpus: 1 }, kvm: { haltPoll: { max: 0 } }, vms: [vm] });
    const own = runFile({ duration: "40ms", host: { cpus: 2 }, kvm: { haltPoll: { max: 0 } }, vms: [vm] });
    expect(shared.hostSched!.runQueueWaitNs.sum).toBeGreaterThan(0);
    expect(own.hostSched!.runQueueWaitNs.sum).toBe(0);
    expect(shared.latency.ns.mean).toBeGreaterThan(own.latency.ns.mean);
    // stealNs is what KVM reports to the guest: the thread's run-queue waits (one level).
    for (const v of shared.hostSched!.vcpus) expect(v.stealNs).toBe(v.runQueueWaitNs.sum);
  });

  test("the cyclictest VM's latency rises with its neighbour VM's work on the same CPUs", () => {
    const at = (work: string) =>
      runFile({
        duration: "60ms",
        host: { cpus: 2 },
        kvm: { haltPoll: { max: 0 } },
        vms: [
          { vcpus: 2, workload: cyclic("1ms") },
          { vcpus: 2, workload: cyclic("200us", work) },
        ],
      });
    // Not monotonic all the way: a neighbour busy 90 % of the time has so much vruntime
    // that every wake-up preempts it at once (docs/host-model.md, figures).
    const means = ["10us", "100us"].map((w) => vmMeanNs(at(w), 0));
    expect(means[1]).toBeGreaterThan(means[0]!);
  });

  test("with a coarse wake-up granularity, run-queue waits rise with the background load", () => {
    const at = (busy: number) =>
      runFile({
        duration: "100ms",
        host: { cpus: 1, sched: { wakeupGranularity: "20ms" }, load: [{ cpus: [0], busy, period: "4ms" }] },
        kvm: { haltPoll: { max: 0 } },
        vms: [{ vcpus: 1, workload: cyclic("1ms") }],
      });
    const sums = [0.1, 0.3, 0.6].map((b) => at(b).hostSched!.runQueueWaitNs.sum);
    expect(sums[1]).toBeGreaterThan(sums[0]!);
    expect(sums[2]).toBeGreaterThan(sums[1]!);
  });

  test("pins and spread place threads as asked", () => {
    expect([...placeThreads(4, [{ count: 4, pin: "spread" }, { count: 4, pin: "spread" }])]).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect([...placeThreads(3, [{ count: 2, pin: [0, 0] }, { count: 3, pin: "spread" }])]).toEqual([0, 0, 1, 2, 1]);
  });
});

describe("halt polling meets a runnable neighbour (single_task_running)", () => {
  // The vCPU would poll 2 ms after every halt (fixed window): without the yield it would
  // keep the CPU from the background task for whole windows.
  const scenarioWith = (pollYield: string, max: string) => ({
    duration: "100ms",
    host: { cpus: 1, sched: { pollYield }, load: [{ cpus: [0], busy: 0.3, period: "4ms" }] },
    kvm: { haltPoll: { max, dynamic: false } },
    vms: [{ vcpus: 1, workload: cyclic("1ms") }],
  });

  test("the poll loop ends within pollYield of a wake-up: the neighbour gets its CPU time, and its wait is measured", () => {
    const polling = runFile(scenarioWith("100ns", "2ms")).hostSched!;
    const none = runFile(scenarioWith("100ns", "0")).hostSched!;
    const cpu = polling.cpus[0]!;
    // The load asked for 30 % of 100 ms; it gets it whether or not the vCPU polls.
    expect(Math.abs(cpu.loadNs - none.cpus[0]!.loadNs)).toBeLessThan(1e6);
    expect(cpu.haltPollNs).toBeGreaterThan(10e6);
    // What polling still costs the neighbour: reported, bounded by a yield per period.
    expect(cpu.loadWaitNs).toBeGreaterThan(0);
    expect(cpu.loadWaitNs).toBeLessThan(25 * 1_000 + none.cpus[0]!.loadWaitNs + 2e6);
  });

  test("a slower poll loop costs the neighbour more (the yield time is what it waits)", () => {
    const fast = runFile(scenarioWith("100ns", "2ms")).hostSched!.cpus[0]!.loadWaitNs;
    const slow = runFile(scenarioWith("50us", "2ms")).hostSched!.cpus[0]!.loadWaitNs;
    expect(slow).toBeGreaterThan(fast);
  });
});

describe("a nested host (host.outer) with busy outer tenants", () => {
  const nested = (haltPoll: object) => ({
    duration: "200ms",
    host: { cpus: 2, outer: { cpus: 2, load: [{ cpus: "all", busy: 0.5, period: "10ms" }] } },
    kvm: { haltPoll },
    vms: [{ vcpus: 2, workload: cyclic("200us", "20us") }],
  });
  test("inner polling shows as outer CPU and steal; kvm_arch_no_poll by steal takes it back", () => {
    const poll = runFile(nested({ max: "200us" })).hostSched!;
    const noPoll = runFile(nested({ max: 0 })).hostSched!;
    const bySteal = runFile(nested({ max: "200us", maxStealPercent: 10 })).hostSched!;
    const outerInner = (h: typeof poll) => h.outerCpus.reduce((a, c) => a + c.innerNs, 0);
    const steal = (h: typeof poll) => h.cpus.reduce((a, c) => a + c.stealNs, 0);
    expect(outerInner(poll)).toBeGreaterThan(2 * outerInner(noPoll));
    expect(steal(poll)).toBeGreaterThan(steal(noPoll));
    expect(bySteal.vcpus.reduce((a, v) => a + v.noPollForSteal, 0)).toBeGreaterThan(0);
    expect(outerInner(bySteal)).toBeLessThan(outerInner(poll));
    expect(steal(bySteal)).toBeLessThan(steal(poll));
    // The tenants wait for CPU behind the polling inner host.
    const tenantWait = (h: typeof poll) => h.outerCpus.reduce((a, c) => a + c.loadWaitNs, 0);
    expect(tenantWait(poll)).toBeGreaterThan(tenantWait(noPoll));
    // The vCPUs' steal includes the outer level's.
    expect(poll.stealNs).toBeGreaterThan(poll.runQueueWaitNs.sum);
  });
});

describe("scenario checks and engine choice", () => {
  test.each([
    [{ host: { cpus: 2 }, vms: [{ vcpus: 2, pin: [0, 2] }] }, "vms.0.pin.1"],
    [{ host: { cpus: 2 }, vms: [{ vcpus: 2, pin: [0] }] }, "vms.0.pin"],
    [{ host: { cpus: 2, load: [{ cpus: [5], busy: 0.1, period: "1ms" }] } }, "host.load.0.cpus.0"],
    [{ host: { load: [{ cpus: [0], period: "1ms" }] } }, "host.load.0.busy"],
    [{ host: { cpus: 1, stalls: { every: "1ms", length: "10us" } } }, "host.stalls"],
    [{ host: { cpus: 1, outer: { cpus: 1, pin: [3] } } }, "host.outer.pin.0"],
    [{ host: { cpus: 2, outer: { cpus: 1, pin: [0] } } }, "host.outer.pin"],
  ])("%j is refused naming %s", (file, field) => {
    let err: unknown;
    try {
      validateScenario(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).issues.map((i) => i.path)).toContain(field);
  });

  test("auto runs a shared host on the wasm engine (assembly/sim/engine_sched.ts), with the TypeScript engine's result", () => {
    const config = validateScenario({ duration: "5ms", host: { cpus: 1 }, vms: [{ vcpus: 2 }] });
    expect(wasmEngineExclusion(config)).toBeNull();
    expect(new Simulation(config, new HostMetrics({ perVcpuHistograms: true })).engine).toBe("wasm");
    const run = (engine: "ts" | "wasm") => ({ ...runScenario(config, { engine }).result, wallMs: 0 });
    const wasmResult = run("wasm");
    expect(wasmResult.hostSched!.runQueueWaitNs.count).toBeGreaterThan(0);
    expect(wasmResult).toEqual(run("ts"));
  });

  // At the start every vCPU wakes at once: one logged wait per CPU, more than the wait
  // log's base room (4096) here; it must neither overflow nor lose a wait.
  test("4,160 host CPUs, some shared: the wasm engine's result is the TypeScript engine's", () => {
    const config = validateScenario({ duration: "150us", host: { cpus: 4160 }, vms: [{ vcpus: 4200, workload: { kind: "cyclictest", interval: "50us", work: "20us" } }] });
    const run = (engine: "ts" | "wasm") => ({ ...runScenario(config, { engine }).result, wallMs: 0 });
    const wasmResult = run("wasm");
    expect(wasmResult.hostSched!.runQueueWaitNs.count).toBeGreaterThan(4200);
    // As strings: a deep comparison of 4,200 vCPUs' entries takes seconds.
    expect(JSON.stringify(wasmResult)).toBe(JSON.stringify(run("ts")));
  });

  test("same scenario and seed: identical results", () => {
    const file = { duration: "30ms", host: { cpus: 1, load: [{ cpus: "all", run: { dist: "lognormal", median: "200us", p99: "1ms" }, period: "2ms" }] }, vms: [{ vcpus: 2 }] };
    const a = runFile(file);
    const b = runFile(file);
    expect({ ...a, wallMs: 0 }).toEqual({ ...b, wallMs: 0 });
  });
});

describe("the wasm run queue (assembly/sim/host_sched_queue.ts) against a sorted reference", () => {
  test("picks the least (vruntime, task) and conserves tasks", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 80 }), (ops) => {
        const tasks = 8;
        // 2 CPUs: tasks 0..3 on CPU 0, 4..7 on CPU 1.
        wasm.schedInit(2, tasks, 6e6, 75e4, 1e6, 1e6, 0, true);
        for (let t = 0; t < tasks; t++) wasm.schedSetTaskCpu(t, t < 4 ? 0 : 1);
        wasm.schedLayout();
        const queued = [new Set<number>(), new Set<number>()];
        const curr = [-1, -1];
        let now = 0;
        for (const [t, dt] of ops) {
          now += dt * 1000;
          const c = t < 4 ? 0 : 1;
          if (wasm.schedTaskState(t) === wasm.TaskState.Sleeping) {
            wasm.schedEnqueue(t, now, wasm.Placement.Wakeup);
            queued[c]!.add(t);
          } else {
            // Switch the CPU: the current task sleeps; the reference picks the least.
            const expected = [...queued[c]!].sort((a, b) => wasm.schedTaskVruntime(a) - wasm.schedTaskVruntime(b) || a - b)[0] ?? -1;
            wasm.schedAccount(c, now);
            const expectedAfter = expected;
            const next = wasm.schedSwitch(c, now, false);
            expect(next).toBe(expectedAfter);
            if (next >= 0) queued[c]!.delete(next);
            curr[c] = next;
          }
          for (const cc of [0, 1]) expect(wasm.schedQueued(cc)).toBe(queued[cc]!.size);
        }
        wasm.schedRelease();
      }),
      { numRuns: 200 },
    );
  });

  test("before 367c50f78451 the steal average halves per tick and adds the tick's steal (s390 avg_steal_timer)", () => {
    wasm.schedInit(1, 1, 6e6, 75e4, 1e6, 1e6, 0, false);
    wasm.schedSetStolen(0, true, 0);
    // Stolen for 3 whole ticks: avg = ((0/2 + 1)/2 + 1)/2 + 1 = 1.75 ticks = 175 %.
    expect(wasm.schedStealPercent(0, 3e6)).toBeCloseTo(175, 6);
    wasm.schedSetStolen(0, false, 3.5e6);
    // Tick 4 had 0.5 ms of steal: 1.75/2 + 0.5 = 1.375.
    expect(wasm.schedStealPercent(0, 4e6)).toBeCloseTo(137.5, 6);
    wasm.schedRelease();
  });

  test("since 367c50f78451 it is the mean of the average and the tick's steal", () => {
    wasm.schedInit(1, 1, 6e6, 75e4, 1e6, 1e6, 0, true);
    wasm.schedSetStolen(0, true, 0);
    // ((0 + 1)/2 + 1)/2 = 0.75, then (0.75 + 1)/2 = 0.875 ticks.
    expect(wasm.schedStealPercent(0, 3e6)).toBeCloseTo(87.5, 6);
    // Stolen for ever: one tick (100 %), where the old form tends to two.
    expect(wasm.schedStealPercent(0, 1e9)).toBeCloseTo(100, 6);
    wasm.schedRelease();
  });
});

describe("the scheduler tick", () => {
  test("TICK_NSEC in whole ns for every allowed HZ, so HZ=300's 3,333,333.3 ns tick is a whole-ns event time", async () => {
    const { tickNsOf } = await import("../../src/sim/host-sched.js");
    expect([100, 250, 300, 1000].map(tickNsOf)).toEqual([10_000_000, 4_000_000, 3_333_333, 1_000_000]);
    const { loadScenario } = await import("../../src/scenario/load.js");
    const r = runScenario(loadScenario("overcommit-poll", ["host.hz=300", "duration=50ms"])).result;
    expect(r.interrupts).toBeGreaterThan(0);
  });
});
