// Linear memory grows once per simulation, to its per-vCPU arrays
// (assembly/sim/sim_memory.ts): without that, the allocator doubles memory for a later
// array that does not fit and leaves about a third of it unused at 10^4–10^5 vCPUs.

import { describe, expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";
import { Simulation } from "../../src/sim/engine.js";
import { scenario, NULL_SINK } from "./harness.js";

const N = 50_000;
/** Bytes a vCPU allocates in wasm: timer record, engine record, metric block, six streams, one queue entry. */
const WASM_ENGINE_BYTES = wasm.vcpuStride(true) + wasm.ESTRIDE.value + wasm.M_STRIDE.value + 6 * 16 + 16;

const sink = NULL_SINK;

function build(engine: "wasm" | "ts", delays = {}): Simulation {
  const sim = new Simulation(scenario({ durationNs: 1_000_000, vm: { vcpus: N }, delays }), () => sink, [], { engine });
  sim.start();
  return sim;
}

describe("wasm memory per simulation", () => {
  // Its wakeup delay is an empirical distribution of 1,000,000 samples, whose program (8 MB)
  // the reserve counts too: left out, it would not fit and memory would double.
  test("a 50,000-vCPU simulation grows memory by what its arrays and delay program take (within 10 % and 2 MiB), not by doubling", () => {
    const samplesNs = Array.from({ length: 1_000_000 }, (_, i) => 1000 + (i % 977));
    const programBytes = (2 + samplesNs.length) * 8;
    const before = wasm.memory.buffer.byteLength;
    expect(build("wasm", { wakeup: { dist: "empirical", samplesNs } }).engine).toBe("wasm");
    const grown = wasm.memory.buffer.byteLength - before;
    expect(grown).toBeGreaterThanOrEqual(N * WASM_ENGINE_BYTES * 0.9 + programBytes);
    expect(grown).toBeLessThanOrEqual(N * WASM_ENGINE_BYTES * 1.1 + programBytes + 2 * 2 ** 20);
  });

  test("the next simulations of that size, on either engine, reuse the space: no growth", () => {
    // Memory as the first simulation left it: what lives as long as the instance lies below
    // a simulation's space, so the space, freed, is one block again.
    const after = wasm.memory.buffer.byteLength;
    build("wasm");
    build("wasm");
    build("ts");
    build("wasm");
    expect(wasm.memory.buffer.byteLength).toBe(after);
  });
});
