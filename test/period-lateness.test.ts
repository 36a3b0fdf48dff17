// Per-period lateness (src/metrics/period-lateness.ts): periodic LAPIC timers measured
// against the previous interrupt plus the period, beside the latency against the ideal
// schedule, which carries a phase lost once into every later interrupt.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/sim/run.js";
import { renderJson, renderTable } from "../src/report/index.js";
import { PeriodLateness } from "../src/metrics/period-lateness.js";
import { newVcpuHistogram } from "../src/metrics/histogram.js";
import type { RunResult } from "../src/metrics/types.js";

function run(preset: string, ...sets: string[]): RunResult {
  return runScenario(loadScenario(preset, sets)).result;
}

describe("per-period lateness", () => {
  // The wasm engine hands over histogram counts and the totals it kept (assembly/sim/engine_metrics.ts).
  test("property: histogram counts in any grouping plus the totals = one record call per value", () => {
    const value = fc.oneof(fc.integer({ min: -5_000, max: 5_000 }), fc.double({ min: -1e6, max: 1e10, noNaN: true }), fc.constantFrom(0, -0, 0.1, 0.2, 4294967296.5));
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 40 }), fc.boolean(), (runs, reversed) => {
        const one = new PeriodLateness();
        const parts = new PeriodLateness();
        let count = 0;
        let sum = 0;
        let min = Infinity;
        let max = -Infinity;
        for (const [x, k] of runs) {
          for (let i = 0; i < k; i++) {
            one.record(x);
            count++;
            sum += x;
            if (x < min) min = x;
            if (x > max) max = x;
          }
        }
        // The counts may come in another order (a slot given up, the rest at the end).
        for (const [x, k] of reversed ? [...runs].reverse() : runs) parts.addHistogramCount(x > 0 ? x : 0, k);
        parts.absorbTotals(count, sum, min, max);
        expect(JSON.stringify(parts.summary())).toBe(JSON.stringify(one.summary()));
      }),
      { numRuns: 200 },
    );
  });

  // The histogram is made only when needed (a list of records until then): any mix of
  // listed and made parts, summarised alone or merged, gives what eager histograms give.
  test("property: a histogram made when needed = one made at once, alone and merged", () => {
    const value = fc.oneof(fc.integer({ min: -5_000, max: 70_000 }), fc.double({ min: -1e6, max: 1e10, noNaN: true }), fc.constantFrom(0, -0, 0.5, 4294967296.5));
    const part = fc.array(fc.tuple(value, fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 400 });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, viaRecord) => {
        const lazy = parts.map(() => new PeriodLateness());
        const eager = parts.map(() => new PeriodLateness(newVcpuHistogram()));
        parts.forEach((runs, i) => {
          for (const [x, k] of runs) {
            for (const p of [lazy[i]!, eager[i]!]) {
              if (viaRecord) for (let j = 0; j < k; j++) p.record(x);
              else p.addHistogramCount(x > 0 ? x : 0, k);
            }
          }
          if (!viaRecord) {
            const xs = runs.flatMap(([x, k]) => new Array<number>(k).fill(x));
            for (const p of [lazy[i]!, eager[i]!]) p.absorbTotals(xs.length, xs.reduce((a, b) => a + b, 0), Math.min(...xs), Math.max(...xs));
          }
        });
        // Each alone (a listed one twice: the scratch histogram is left empty), then merged.
        for (let i = 0; i < parts.length; i++) {
          const want = JSON.stringify(eager[i]!.summary());
          expect(JSON.stringify(lazy[i]!.summary())).toBe(want);
          expect(JSON.stringify(lazy[i]!.summary())).toBe(want);
        }
        expect(JSON.stringify(PeriodLateness.merged(lazy).summary())).toBe(JSON.stringify(PeriodLateness.merged(eager).summary()));
        // And its histogram, asked for, holds the same counts.
        expect(lazy[0]!.histogram.totalCount).toBe(eager[0]!.histogram.totalCount);
        expect(lazy[0]!.histogram.getValueAtPercentile(50)).toBe(eager[0]!.histogram.getValueAtPercentile(50));
      }),
      { numRuns: 60 },
    );
  });

  test("kept for periodic timers only: one per interrupt, on every vCPU and in total", () => {
    const periodic = run("s10-periodic-negative-delta", "kvm.era=mainline", "duration=500ms");
    expect(periodic.periodLatenessNs?.count).toBe(periodic.interrupts);
    for (const v of periodic.vcpus) expect(v.periodLatenessNs?.count).toBe(v.interrupts);
    expect(JSON.parse(renderJson(periodic)).periodLatenessNs.count).toBe(periodic.interrupts);
    expect(renderTable(periodic)).toMatch(/^per-period ns +min .*periods\)$/m);

    const deadline = run("cyclictest", "duration=20ms");
    expect(deadline.periodLatenessNs).toBeUndefined();
    expect(renderJson(deadline)).not.toContain("periodLatenessNs");
    expect(renderTable(deadline)).not.toContain("per-period");
  });

  test("S10: a stall loses the phase once; against the ideal schedule the fixed kernel looks worse, per period it does not", () => {
    const old = run("s10-periodic-negative-delta", "kvm.era=v5.4");
    const fixed = run("s10-periodic-negative-delta", "kvm.era=mainline");
    // The ideal-schedule view: mainline's lost phase counts in every later interrupt.
    expect(fixed.latency.ns.p50).toBeGreaterThan(old.latency.ns.p50);
    // Per period, mainline's ticks are on time but for the stall itself ...
    expect(fixed.periodLatenessNs!.p99).toBeLessThanOrEqual(old.periodLatenessNs!.p99);
    expect(fixed.periodLatenessNs!.p50).toBe(0);
    // ... while the negative-delta kernel fires ticks far earlier than prev + period.
    expect(old.periodLatenessNs!.min).toBeLessThan(-10_000);
    expect(fixed.periodLatenessNs!.min).toBeGreaterThan(-2_000);
  });

  test("merged: counts add, extremes and mean over all periods, percentiles from the summed histograms", () => {
    const a = new PeriodLateness();
    const b = new PeriodLateness();
    for (const x of [100, 200, -50]) a.record(x);
    for (const x of [1000, 0]) b.record(x);
    const m = PeriodLateness.merged([a, b]).summary();
    expect(m).toMatchObject({ count: 5, min: -50, max: 1000, mean: 250 });
    expect(m.p50).toBe(100);
    expect(m.p99).toBe(1000);
  });
});
