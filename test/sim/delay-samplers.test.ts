// The host delays both engines draw come from wasm (src/sim/host-delays.ts over
// assembly/sim/delay_samplers.ts and rng_streams.ts). The TypeScript samplers in
// distributions.ts and the xoshiro128** in rng.ts are their reference: the same stream
// must give the same draws, bit for bit, for every distribution form.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { wasm } from "../../src/wasm.js";
import { HostDelaySamplers, delayProgram, DELAY_KINDS } from "../../src/sim/host-delays.js";
import { compileDelay } from "../../src/sim/distributions.js";
import { Purpose, rngStream, type Rng } from "../../src/sim/rng.js";
import type { DelayDist, HostDelays } from "../../src/scenario/types.js";

const leaf: fc.Arbitrary<DelayDist> = fc.oneof(
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((valueNs) => ({ dist: "fixed" as const, valueNs })),
  fc.tuple(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 })).map(([minNs, span]) => ({ dist: "uniform" as const, minNs, maxNs: minNs + span })),
  fc.tuple(fc.double({ min: -1e4, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e5, noNaN: true })).map(([meanNs, sdNs]) => ({ dist: "normal" as const, meanNs, sdNs })),
  fc.tuple(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true })).map(([medianNs, k]) => ({ dist: "lognormal" as const, medianNs, p99Ns: medianNs * k })),
  fc.array(fc.integer({ min: 0, max: 1e7 }), { minLength: 1, maxLength: 20 }).map((samplesNs) => ({ dist: "empirical" as const, samplesNs })),
);
const dist: fc.Arbitrary<DelayDist> = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(fc.record({ weight: fc.double({ min: 0.01, max: 10, noNaN: true }), part: leaf }), { minLength: 1, maxLength: 4 }).map((parts) => ({ dist: "mixture" as const, parts })) },
);

/** vCPU indices 0, 1, ... with these (vm, vcpu) identities. */
function idsOf(pairs: readonly (readonly [number, number])[]) {
  return { count: pairs.length, vmOf: (v: number) => pairs[v]![0], vcpuInVm: (v: number) => pairs[v]![1] };
}

function allKinds(d: DelayDist): HostDelays {
  return Object.fromEntries(DELAY_KINDS.map((k) => [k, d])) as unknown as HostDelays;
}

describe("wasm delay samplers = the TypeScript reference samplers", () => {
  test("property: the same draws from the same (seed, vm, vcpu, purpose) stream, every kind and form", () => {
    fc.assert(
      fc.property(dist, fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 1000 }), (d, seed, vm, vcpu) => {
        const samplers = new HostDelaySamplers(delayProgram(allKinds(d)), seed, idsOf([[vm + 1, vcpu + 1], [vm, vcpu]]));
        const reference = compileDelay(d);
        for (const [k, kind] of DELAY_KINDS.entries()) {
          const rng = rngStream(seed, vm, vcpu, Purpose[kind]);
          for (let i = 0; i < 200; i++) expect(wasm.sampleDelay(k, 1)).toBe(reference.sampleNs(rng));
        }
        expect(samplers).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  // The ziggurat's wedges and tail (~1.2 % of draws) take Math.exp and Math.log, whose
  // wasm (musl) and V8 (fdlibm) versions may differ in the last bit; a draw could change
  // only if that moved a comparison or a value across a half ns (never seen here). Both
  // engines draw in wasm, so they always agree with each other.
  test("a lognormal over 100,000 draws: identical sequence, the ziggurat's slow paths included", () => {
    const d: DelayDist = { dist: "lognormal", medianNs: 2_000, p99Ns: 30_000 };
    const delays = new HostDelaySamplers(delayProgram(allKinds(d)), 42, idsOf([[0, 0]]));
    const reference = compileDelay(d);
    const inner = rngStream(42, 0, 0, Purpose.vmExit);
    let slowDraws = 0;
    const rng: Rng = { nextU32: () => inner.nextU32(), nextFloat: () => (slowDraws++, inner.nextFloat()) };
    let differing = 0;
    for (let i = 0; i < 100_000; i++) if (delays.vmExit(0) !== reference.sampleNs(rng)) differing++;
    expect(differing).toBe(0);
    expect(slowDraws).toBeGreaterThan(500);
  });
});
