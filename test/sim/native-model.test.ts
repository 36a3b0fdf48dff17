// The native C model the simulation benches compare the wasm engine with
// (bench/native/cyclictest_model.c) runs the same simulation: from the inputs copied out
// of wasm, the same events, interrupts, latency sums, histograms and callback counts as
// the wasm engine, for cyclictest (cyclictest_model.c: the engine's cyclictest copies) and
// for rearm-storm (rearm_storm_model.c: its general path, with held-back and parked
// events). Skipped without gcc (the benches then skip the models too).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { Simulation } from "../../src/sim/engine.js";
import { HostMetrics } from "../../src/metrics/index.js";
import { buildModelAsync, firstDifference, runModel, runWasmLoop, snapshot } from "../../bench/native/model.js";
import type { ScenarioConfig } from "../../src/scenario/types.js";

const hasGcc = !spawnSync("gcc", ["--version"]).error;
const dir = mkdtempSync(join(tmpdir(), "tscsim-model-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Both models compile side by side from the start (each is one program).
const cyclictestBinary = join(dir, "cyclictest_model");
const rearmBinary = join(dir, "rearm_storm_model");
const compiled = hasGcc ? { cyclictest: buildModelAsync(cyclictestBinary, "cyclictest"), rearm: buildModelAsync(rearmBinary, "rearm-storm") } : null;

const CASES: [string, string[]][] = [
  ["the bench's scenario (scaled TSC, 1 ms)", ["vms.0.vcpus=6", "duration=30ms", "vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz", "vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"]],
  ["the preset (unscaled, 200 us), v5.4, seed 7", ["vms.0.vcpus=3", "duration=20ms", "kvm.era=v5.4", "seed=7", "vms.0.workload.printSummary=false"]],
  ["no hv timer, a fixed 400 us halt-poll window", ["vms.0.vcpus=2", "duration=20ms", "kvm.hvTimer=false", "kvm.haltPoll.dynamic=false", "kvm.haltPoll.max=400us", "vms.0.workload.printSummary=false"]],
];

describe.skipIf(!hasGcc)("the native cyclictest model = the wasm engine", () => {
  const binary = cyclictestBinary;
  test("it compiles", async () => {
    expect(await compiled!.cyclictest).toBeNull();
  });
  test.each(CASES)("%s", (_name, sets) => {
    const config = loadScenario("cyclictest", sets);
    const host = new HostMetrics({ perVcpuHistograms: false });
    const sim = new Simulation(config, host, [], { engine: "wasm" });
    const input = join(dir, `input-${sets.length}-${sets[0]}.bin`);
    writeFileSync(input, snapshot(sim, host));
    const engine = runWasmLoop(sim).figures;
    expect(engine.interrupts).toBeGreaterThan(0);
    const native = runModel(binary, input, 1);
    expect(firstDifference(native, engine)).toBeNull();
    expect({ events: native.events, interrupts: native.interrupts, sumNs: native.sumNs }).toEqual({ events: engine.events, interrupts: engine.interrupts, sumNs: engine.sumNs });
  });
});

// bench/workloads.bench.ts's rearm-storm row (S15 without lazy TSC-deadline) and variations
// that take the model's other branches: the EOI's APIC-write exit without APICv, the
// hrtimer alone without the hv timer, no halt polling or a fixed window (with the dynamic
// window the poll's end is parked behind the hrtimer and dropped by the wake-up), runs
// ending within a period, expired deadlines (S16's 200 ns interval), no rewrites, v5.4,
// and lognormal host delays (the default delays, from a scenario file).
const S15 = "s15-lazy-tscdeadline";
const NOT_LAZY = "kvm.lazyTscDeadline=false";
const RATES = ["vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz"];
const REARM_CASES: [string, string, string[]][] = [
  ["the bench's row, 64 vCPUs, 3 ms", S15, [NOT_LAZY, "vms.0.vcpus=64", "duration=3ms", ...RATES]],
  ["the bench's row, 4 vCPUs, 2 ms", S15, [NOT_LAZY, "vms.0.vcpus=4", "duration=2ms", ...RATES]],
  ["no APICv (the EOI exits), ending mid-period", S15, [NOT_LAZY, "vms.0.vcpus=3", "duration=3000123", "kvm.apicv=false", ...RATES]],
  ["no hv timer", S15, [NOT_LAZY, "vms.0.vcpus=3", "duration=3ms", "kvm.hvTimer=false"]],
  ["no halt polling, seed 3", S15, [NOT_LAZY, "vms.0.vcpus=5", "duration=7ms", "kvm.haltPoll.max=0", "seed=3"]],
  ["a fixed 50 us halt-poll window", S15, [NOT_LAZY, "vms.0.vcpus=5", "duration=7ms", "kvm.haltPoll.dynamic=false", "kvm.haltPoll.max=50us"]],
  ["a 7 us interval (the deadline passes during the rewrites)", S15, [NOT_LAZY, "vms.0.vcpus=2", "duration=5ms", "vms.0.workload.interval=7us", "vms.0.workload.spacing=3us"]],
  ["S16's expired deadlines", "s16-lazy-clear", [NOT_LAZY, "vms.0.vcpus=3", "duration=3ms"]],
  ["no rewrites, v5.4", S15, [NOT_LAZY, "vms.0.vcpus=4", "duration=5ms", "vms.0.workload.rewrites=0", "kvm.era=v5.4"]],
];

describe.skipIf(!hasGcc)("the native rearm-storm model = the wasm engine", () => {
  const binary = rearmBinary;
  test("it compiles", async () => {
    expect(await compiled!.rearm).toBeNull();
  });

  const compare = (config: ScenarioConfig, name: string) => {
    const host = new HostMetrics({ perVcpuHistograms: false });
    const sim = new Simulation(config, host, [], { engine: "wasm" });
    const input = join(dir, `rearm-${name.replace(/\W+/g, "-")}.bin`);
    writeFileSync(input, snapshot(sim, host));
    const engine = runWasmLoop(sim).figures;
    expect(engine.interrupts).toBeGreaterThan(0);
    const native = runModel(binary, input, 1);
    expect(firstDifference(native, engine)).toBeNull();
    expect({ events: native.events, interrupts: native.interrupts, sumNs: native.sumNs, nowNs: native.nowNs }).toEqual({ events: engine.events, interrupts: engine.interrupts, sumNs: engine.sumNs, nowNs: engine.nowNs });
    return native;
  };

  test.each(REARM_CASES)("%s", (name, preset, sets) => {
    const native = compare(loadScenario(preset, sets), name);
    expect(native.workload).toBe("rearm-storm");
  });

  test("lognormal host delays (the default delays, from a scenario file)", () => {
    const file = join(dir, "rearm-default-delays.json");
    writeFileSync(
      file,
      JSON.stringify({ name: "rearm-default-delays", duration: "6ms", host: { tscKhz: "3GHz" }, kvm: { era: "mainline" }, vms: [{ vcpus: 3, workload: { kind: "rearm-storm", interval: "100us", rewrites: 4, spacing: "5us" } }] }),
    );
    compare(loadScenario(file, ["seed=4"]), "default-delays");
  });

  test("the lazy TSC-deadline proposal is outside the model: exit 3, no figures", () => {
    const host = new HostMetrics({ perVcpuHistograms: false });
    const sim = new Simulation(loadScenario(S15, ["vms.0.vcpus=2", "duration=2ms"]), host, [], { engine: "wasm" });
    const input = join(dir, "rearm-lazy.bin");
    writeFileSync(input, snapshot(sim, host));
    const r = spawnSync(binary, [input, "1"], { encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/deadline proposal/);
  });

  test("a cyclictest input is another workload's: exit 3", () => {
    const host = new HostMetrics({ perVcpuHistograms: false });
    const sim = new Simulation(loadScenario("cyclictest", ["vms.0.vcpus=2", "duration=2ms", "vms.0.workload.printSummary=false"]), host, [], { engine: "wasm" });
    const input = join(dir, "rearm-cyclictest.bin");
    writeFileSync(input, snapshot(sim, host));
    const r = spawnSync(binary, [input, "1"], { encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/this model runs rearm-storm/);
  });
});
