// The host scheduler's wasm state on the wasm engine (assembly/sim/engine_sched.ts side
// arrays, host_sched.ts's task and CPU records, the wait log) is part of the one growth
// of linear memory per simulation (sim_memory.ts): left out of the reserve, it would not
// fit in the reserved block and the allocator would grow memory by its whole size again.
// Its own file: a fresh wasm instance, so the growth measured is this simulation's.

import { describe, expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";
import { Simulation } from "../../src/sim/engine.js";
import { scenario, NULL_SINK } from "./harness.js";

const N = 50_000;
const CPUS = N / 2;
/** Per vCPU: timer record, engine record, metric block, six streams, three queue entries; the scheduler's task (48), heap slot (4) and thread (40) records. */
const PER_VCPU = wasm.vcpuStride(true) + wasm.ESTRIDE.value + wasm.M_STRIDE.value + 6 * 16 + 3 * 16 + 48 + 4 + 40;
/** Per host CPU: the decisions' record (64) and time per activity (64), the side record (24), a wait-log slot (16), two queue entries. */
const PER_CPU = 64 + 64 + 24 + 16 + 2 * 16;

const sink = NULL_SINK;

function build(engine: "wasm" | "ts"): Simulation {
  const sim = new Simulation(scenario({ durationNs: 1_000_000, host: { cpus: CPUS }, vm: { vcpus: N } }), () => sink, [], { engine });
  sim.start();
  return sim;
}

describe("wasm memory with a host scheduler", () => {
  test("50,000 vCPUs on 25,000 CPUs grow memory by what their arrays take (within 10 % and 2 MiB), not by doubling", () => {
    const before = wasm.memory.buffer.byteLength;
    expect(build("wasm").engine).toBe("wasm");
    const grown = wasm.memory.buffer.byteLength - before;
    const expected = N * PER_VCPU + CPUS * PER_CPU;
    expect(grown).toBeGreaterThanOrEqual(expected * 0.9);
    expect(grown).toBeLessThanOrEqual(expected * 1.1 + 2 * 2 ** 20);
  });

  test("the next simulations of that size, on either engine, reuse the space: no growth", () => {
    const after = wasm.memory.buffer.byteLength;
    build("wasm");
    build("ts");
    build("wasm");
    expect(wasm.memory.buffer.byteLength).toBe(after);
  });
});
