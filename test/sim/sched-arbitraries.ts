// Random host-scheduler settings for the engines' differential test: shared CPUs (fewer
// than vCPUs, or as many), pins, background load on the host and on an outer level,
// the scheduler's parameters and tick. Added to random scenarios without host stalls
// (they do not combine with a scheduler).

import fc from "fast-check";
import type { DelayDist, HostLoad, ScenarioConfig } from "../../src/scenario/types.js";

/** A background task's run per period: up to most of the period, or any host-delay form. */
function loadRun(periodNs: number, delay: fc.Arbitrary<DelayDist>): fc.Arbitrary<DelayDist> {
  return fc.oneof(
    fc.double({ min: 0.05, max: 0.9, noNaN: true }).map((busy) => ({ dist: "fixed" as const, valueNs: Math.round(busy * periodNs) })),
    fc.tuple(fc.integer({ min: 0, max: periodNs / 4 }), fc.integer({ min: 0, max: periodNs })).map(([minNs, span]) => ({ dist: "uniform" as const, minNs, maxNs: minNs + span })),
    delay,
  );
}

function loadOn(cpus: number, delay: fc.Arbitrary<DelayDist>): fc.Arbitrary<HostLoad> {
  return fc.constantFrom(500_000, 1_000_000, 4_000_000).chain((periodNs) =>
    fc.record({
      cpus: fc.oneof(fc.constant("all" as const), fc.uniqueArray(fc.integer({ min: 0, max: cpus - 1 }), { minLength: 1, maxLength: cpus })),
      periodNs: fc.constant(periodNs),
      run: loadRun(periodNs, delay),
    }),
  );
}

/** `base` with a host scheduler: the base's vCPUs on 1..vCPUs CPUs (sometimes pinned), with load and an outer level or not. */
export function withScheduler(base: fc.Arbitrary<ScenarioConfig>, delay: fc.Arbitrary<DelayDist>): fc.Arbitrary<ScenarioConfig> {
  return base
    .filter((c) => c.host.stalls === null)
    .chain((c) => {
      const total = c.vms.reduce((n, vm) => n + vm.vcpus, 0);
      return fc.integer({ min: 1, max: total }).chain((cpus) =>
        fc
          .record({
            pins: fc.array(fc.option(fc.array(fc.integer({ min: 0, max: cpus - 1 }), { minLength: 9, maxLength: 9 }), { freq: 2 }), { minLength: c.vms.length, maxLength: c.vms.length }),
            load: fc.option(fc.array(loadOn(cpus, delay), { minLength: 1, maxLength: 2 }), { freq: 2 }),
            outer: fc.option(
              fc.integer({ min: 1, max: Math.max(1, cpus) }).chain((outerCpus) =>
                fc.record({ cpus: fc.constant(outerCpus), pin: fc.constant("spread" as const), load: fc.array(loadOn(outerCpus, delay), { maxLength: 2 }) }),
              ),
              { freq: 2 },
            ),
            sched: fc.option(
              fc.record({
                latencyNs: fc.constantFrom(6_000_000, 24_000_000),
                minGranularityNs: fc.constantFrom(750_000, 3_000_000),
                wakeupGranularityNs: fc.constantFrom(0, 1_000_000, 4_000_000),
                pollYieldNs: fc.constantFrom(100, 10_000),
              }),
            ),
            hz: fc.constantFrom(250, 300, 1000),
          })
          .map((s) => ({
            ...c,
            host: { ...c.host, hz: s.hz, cpus, load: s.load ?? [], outer: s.outer, ...(s.sched === null ? {} : { sched: s.sched }) },
            vms: c.vms.map((vm, i) => ({ ...vm, pin: s.pins[i] === null ? ("spread" as const) : s.pins[i]!.slice(0, vm.vcpus) })),
          })),
      );
    });
}
