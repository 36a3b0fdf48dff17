// The native C model the simulation bench compares the wasm engine with
// (bench/native/cyclictest_model.c) runs the same simulation: from the inputs copied out
// of wasm, the same events, interrupts, latency sums, histograms and callback counts as
// the wasm engine. Skipped without gcc (the bench then skips the model too).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { Simulation } from "../../src/sim/engine.js";
import { HostMetrics } from "../../src/metrics/index.js";
import { buildModel, firstDifference, runModel, runWasmLoop, snapshot } from "../../bench/native/model.js";

const hasGcc = !spawnSync("gcc", ["--version"]).error;
const dir = mkdtempSync(join(tmpdir(), "tscsim-model-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES: [string, string[]][] = [
  ["the bench's scenario (scaled TSC, 1 ms)", ["vms.0.vcpus=6", "duration=30ms", "vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz", "vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"]],
  ["the preset (unscaled, 200 us), v5.4, seed 7", ["vms.0.vcpus=3", "duration=20ms", "kvm.era=v5.4", "seed=7", "vms.0.workload.printSummary=false"]],
  ["no hv timer, a fixed 400 us halt-poll window", ["vms.0.vcpus=2", "duration=20ms", "kvm.hvTimer=false", "kvm.haltPoll.dynamic=false", "kvm.haltPoll.max=400us", "vms.0.workload.printSummary=false"]],
];

describe.skipIf(!hasGcc)("the native cyclictest model = the wasm engine", () => {
  const binary = join(dir, "cyclictest_model");
  test("it compiles", () => {
    expect(buildModel(binary)).toBeNull();
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
