// A fast-check generator of per-vCPU results of summary()'s shape (VcpuResult), with the
// numbers a writer or a copy must keep exactly: integers in and out of the 32-bit range,
// large safe integers, fractions, -0, NaN and ±Infinity. Shared by the JSON template test
// (report-streamed.test.ts) and the compact copies' test (vcpu-result-list.test.ts).

import fc from "fast-check";
import type { LatencyMoments, LatencySummary, VcpuResult } from "../src/metrics/types.js";

/** fc.record, always with Object.prototype (summary() makes plain objects). */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true });
const num = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.integer({ min: -1e9, max: 1e12 }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 2 ** 31, -(2 ** 31) - 1),
);
const moments: fc.Arbitrary<LatencyMoments> = rec({ min: num, mean: num, max: num });
const summary: fc.Arbitrary<LatencySummary> = rec({ min: num, mean: num, p50: num, p90: num, p99: num, p999: num, max: num });
const latency = fc.oneof(moments, summary);

export const vcpuResult: fc.Arbitrary<VcpuResult> = fc
  .record({
    vm: fc.nat(),
    vcpu: fc.nat(),
    interrupts: num,
    latency: rec({ ns: latency, cycles: latency }),
    early: rec({ count: num, worstNs: num }),
    exits: rec({ msrWrite: num, apicWrite: num, preemptionTimer: num, externalInterrupt: num, hlt: num, apicRead: num }),
    spinNs: num,
    advanceNs: rec({ initial: num, final: num, min: num, max: num, series: fc.array(fc.tuple(num, num), { maxLength: 4 }) }),
    timers: rec({ swArms: num, hvArms: num, hvFallbacks: num, hvToSw: num, swToHv: num, posted: num }),
    coalesced: num,
    haltPollNs: num,
    haltPolls: rec({ successful: num, failed: num }),
    callbacksPerMsPeak: num,
    periods: fc.option(rec({ count: fc.nat(), min: num, mean: num, max: num, p50: num, p90: num, p99: num, p999: num })),
  })
  // summary()'s key order: periodLatenessNs last when present.
  .map(({ periods, ...r }) => (periods === null ? r : { ...r, periodLatenessNs: periods }));
