// The two backends of the simulator (architecture.md, "One factory, two backends"): the
// TypeScript vCPU/LAPIC state machine and the wasm engine must give the same
// result, byte for byte, for every scenario the wasm engine covers. fast-check feeds both
// the same random scenarios: eras, backends, vendors, advance modes, host delays of every
// distribution form, halt polling, stalls, several VMs at different TSC rates, guests
// that poll instead of halting, exits disabled in the guest, posted timer interrupts,
// every TSC-deadline workload, both deadline MSRs, the lazy and PV deadline proposals.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { runScenario } from "../../src/sim/run.js";
import { Simulation } from "../../src/sim/engine.js";
import { wasmEngineExclusion } from "../../src/sim/wasm-engine.js";
import { InputRangeError } from "../../src/errors.js";
import type { ScenarioConfig } from "../../src/scenario/types.js";
import { NULL_SINK, scenario } from "./harness.js";
import { PRESETS } from "../../src/scenario/presets.js";
import { validateScenario } from "../../src/scenario/schema.js";
import { withScheduler } from "./sched-arbitraries.js";
import { config, delay, noPauses, resultOf, viaForwarders } from "./differential-scenarios.js";

// The fixed cases, one per mechanism, are in engine-differential-cases.test.ts; the
// metrics block layout both engines share in engine-metrics-layout.test.ts.

describe("wasm engine = TypeScript state machine", () => {
  test("property: identical results (metrics, events, per-vCPU series, cyclictest lines) for random scenarios, per-vCPU histograms", () => {
    fc.assert(
      fc.property(config, (c) => {
        expect(wasmEngineExclusion(c)).toBeNull();
        expect(resultOf(c, "wasm")).toBe(resultOf(c, "ts"));
      }),
      { numRuns: 60 },
    );
  });

  // With a CPU per vCPU and no load the host scheduler must change nothing: on either
  // engine, the scheduler on gives the result without it, plus its own block.
  test("property: a host scheduler with one CPU per vCPU (either engine) = the wasm engine without one", () => {
    fc.assert(
      fc.property(config, fc.constantFrom("ts", "wasm" as const), (c, engine) => {
        if (c.host.stalls !== null) return; // stalls do not combine with the scheduler
        if (c.vms.some((vm) => vm.pauses.length > 0)) return; // nor do pauses (the scenario layer refuses them)
        const total = c.vms.reduce((n, vm) => n + vm.vcpus, 0);
        const shared: ScenarioConfig = { ...c, host: { ...c.host, cpus: total } };
        expect(wasmEngineExclusion(shared)).toBeNull();
        const { result, output } = runScenario(shared, { engine, perVcpuHistograms: true });
        const { wallMs: _wall, hostSched, ...rest } = result;
        expect(hostSched!.runQueueWaitNs.max).toBe(0);
        expect(JSON.stringify({ rest, output })).toBe(resultOf(c, "wasm"));
      }),
      { numRuns: 30 },
    );
  });

  // Shared CPUs (fewer than vCPUs, pins), background load, an outer level with tenants,
  // polling on and off, kvm_arch_no_poll by steal: the wasm engine's scheduler
  // (assembly/sim/engine_sched.ts) against host-sched.ts, byte for byte.
  test("property: identical results with a host scheduler (overcommit, pins, load, outer level, steal)", () => {
    let contended = 0;
    fc.assert(
      // Pauses do not combine with a host scheduler (the scenario layer refuses them).
      fc.property(withScheduler(noPauses, delay), fc.boolean(), (c, perVcpu) => {
        const wasmResult = resultOf(c, "wasm", perVcpu);
        expect(wasmResult).toBe(resultOf(c, "ts", perVcpu));
        if ((JSON.parse(wasmResult).rest.hostSched.runQueueWaitNs.sum as number) > 0) contended++;
      }),
      { numRuns: 60 },
    );
    // The property is about contention: most runs must have had some.
    expect(contended).toBeGreaterThan(20);
  });

  test.each(["overcommit-poll", "overcommit-no-poll", "nested-poll", "nested-no-poll", "nested-steal-no-poll", "rt-pinned"])("preset %s (100 ms): identical on both engines, and auto picks the wasm engine", async (name) => {
    const { loadScenario } = await import("../../src/scenario/load.js");
    const c = loadScenario(name, ["duration=100ms"]);
    expect(wasmEngineExclusion(c)).toBeNull();
    expect(resultOf(c, "wasm", false)).toBe(resultOf(c, "ts", false));
  });

  // The host's own collectors put the wasm engine in its complete mode: it keeps latency
  // moments, advance statistics and callbacks per ms itself; per-vCPU histograms (the
  // test above) get every latency logged, a shared pair (this test) it counts in wasm.
  test("property: identical results with shared histograms (the wasm engine's complete mode)", () => {
    fc.assert(
      fc.property(config, (c) => {
        expect(resultOf(c, "wasm", false)).toBe(resultOf(c, "ts", false));
      }),
      { numRuns: 60 },
    );
  });

  // Sinks that are not the host's own collectors (here: forwarders to them) put the wasm
  // engine in its log mode: every metric call is logged and replayed on the host.
  test("property: identical results through foreign sinks (the wasm engine's log mode)", () => {
    fc.assert(
      fc.property(config, fc.boolean(), (c, perVcpu) => {
        expect(viaForwarders(c, "wasm", perVcpu)).toBe(viaForwarders(c, "ts", perVcpu));
      }),
      { numRuns: 30 },
    );
  });

  test("the default and cyclictest presets' shapes: identical, and auto picks the wasm engine", () => {
    const c = scenario({ durationNs: 200_000_000, vm: { vcpus: 4 } });
    const sim = new Simulation(c, () => NULL_SINK);
    expect(sim.engine).toBe("wasm");
    expect(resultOf(c, "wasm")).toBe(resultOf(c, "ts"));
  });

  // Every preset with a periodic or oneshot workload, pauses or migrations: on the wasm
  // engine unless something else keeps it on the TypeScript one, with the same result.
  test("the presets with these workloads, pauses or migrations run on the wasm engine, identical to the TypeScript one", () => {
    let covered = 0;
    for (const p of PRESETS) {
      const c = validateScenario(p.scenario, p.name);
      if (!c.vms.some((vm) => vm.workload.kind === "periodic" || vm.workload.kind === "oneshot" || vm.pauses.length > 0 || vm.migrations.length > 0)) continue;
      const why = wasmEngineExclusion(c);
      if (why !== null) {
        expect(why).not.toMatch(/periodic|oneshot|pauses|migrations|tmict|tdcr/);
        continue;
      }
      covered++;
      // S11 needs its 10 s pause and the resume; the others are shortened.
      const short = { ...c, durationNs: Math.min(c.durationNs, p.name === "s11-stopped-vm" ? c.durationNs : 300_000_000) };
      expect(resultOf(short, "wasm", false), p.name).toBe(resultOf(short, "ts", false));
    }
    expect(covered).toBeGreaterThanOrEqual(7);
  });

  test.each([
    ["no TSC-deadline CPUID", scenario({ vm: { tscDeadline: false } }), /tscDeadline/],
  ])("out of scope (%s): auto runs the TypeScript engine, engine=wasm is refused with the reason", (_name, c, reason) => {
    const sinks = () => NULL_SINK;
    expect(new Simulation(c, sinks).engine).toBe("ts");
    expect(() => new Simulation(c, sinks, [], { engine: "wasm" })).toThrow(InputRangeError);
    expect(() => new Simulation(c, sinks, [], { engine: "wasm" })).toThrow(reason);
  });
});
