// Linear memory grows once per simulation, to its per-vCPU arrays
// (assembly/sim/sim_memory.ts): without that, the allocator doubles memory for a later
// array that does not fit and leaves about a third of it unused at 10^4–10^5 vCPUs.

import { describe, expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";
import { Simulation } from "../../src/sim/engine.js";
import type { MetricsSink } from "../../src/sim/metrics-sink.js";
import { scenario } from "./harness.js";

const N = 50_000;
/** Bytes a vCPU allocates in wasm: timer record, engine record, metric block, six streams, one queue entry. */
const WASM_ENGINE_BYTES = wasm.vcpuStride(true) + wasm.ESTRIDE.value + wasm.M_STRIDE.value + 6 * 16 + 16;

const sink: MetricsSink = {
  recordLatency() {},
  recordExit() {},
  addSpinNs() {},
  timerArm() {},
  hvFallback() {},
  hvToSw() {},
  swToHv() {},
  coalesced() {},
  haltPoll() {},
  recordAdvance() {},
  hrtimerCallback() {},
  addCounts() {},
};

function build(engine: "wasm" | "ts", delays = {}): Simulation {
  const sim = new Simulation(scenario({ durationNs: 1_000_000, vm: { vcpus: N }, delays }), () => sink, [], { engine });
  sim.start();
  return sim;
}

describe("wasm memory per simulation", () => {
  test("a 50,000-vCPU simulation grows memory by what its arrays take (within 10 % and 2 MiB), not by doubling", () => {
    const before = wasm.memory.buffer.byteLength;
    expect(build("wasm").engine).toBe("wasm");
    const grown = wasm.memory.buffer.byteLength - before;
    expect(grown).toBeGreaterThanOrEqual(N * WASM_ENGINE_BYTES * 0.9);
    expect(grown).toBeLessThanOrEqual(N * WASM_ENGINE_BYTES * 1.1 + 2 * 2 ** 20);
  });

  test("the next simulations of that size, on either engine, reuse the space: no growth", () => {
    build("wasm");
    const after = wasm.memory.buffer.byteLength;
    build("wasm");
    build("ts");
    build("wasm");
    expect(wasm.memory.buffer.byteLength).toBe(after);
  });

  test("a host delay whose program is large (an empirical distribution of 200,000 samples, 1.6 MB) is reserved for too: growth by about the program, not by doubling", () => {
    build("wasm");
    const before = wasm.memory.buffer.byteLength;
    const samplesNs = Array.from({ length: 200_000 }, (_, i) => 1000 + (i % 977));
    build("wasm", { wakeup: { dist: "empirical", samplesNs } });
    const grown = wasm.memory.buffer.byteLength - before;
    expect(grown).toBeLessThanOrEqual(200_000 * 8 + 2 * 2 ** 20);
  });
});
