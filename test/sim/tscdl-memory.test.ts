// The wasm engine's TSC-deadline side arrays (assembly/sim/guest_tscdl_state.ts) and the
// full vCPU records the deadline proposals need are planned before the one growth of
// linear memory per simulation (sim_memory.ts): memory grows once, by what they take.

import { describe, expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";
import { Simulation } from "../../src/sim/engine.js";
import { scenario, NULL_SINK } from "./harness.js";

const N = 20_000;
const SAMPLES = 200;
/** Bytes a vCPU allocates: full timer record, engine record, metric block, six streams, one queue entry, its samples. */
const BYTES = wasm.vcpuStride(false) + wasm.ESTRIDE.value + wasm.M_STRIDE.value + 6 * 16 + 16 + SAMPLES * 8;

const sink = NULL_SINK;

describe("wasm memory for the TSC-deadline workloads", () => {
  test("tscdeadline-latency printing its samples, with the lazy proposal: one growth, by the samples and full records", () => {
    const before = wasm.memory.buffer.byteLength;
    const c = scenario(
      { durationNs: 1_000_000, kvm: { lazyTscDeadline: true }, vm: { vcpus: N } },
      { kind: "tscdeadline-latency", deltaCycles: 200_000, size: SAMPLES, breakmaxCycles: 0, printLatencies: true, idle: "halt" },
    );
    const sim = new Simulation(c, () => sink, [], { engine: "wasm" });
    sim.start();
    const grown = wasm.memory.buffer.byteLength - before;
    expect(grown).toBeGreaterThanOrEqual(N * BYTES * 0.9);
    expect(grown).toBeLessThanOrEqual(N * BYTES * 1.1 + 2 * 2 ** 20);
    // And it runs: each vCPU prints its samples (the first interrupt is not one).
    sim.run();
    const out = sim.outputs();
    expect(out).toHaveLength(N);
    expect(out[0]!.lines.length).toBeGreaterThan(0);
  });
});
