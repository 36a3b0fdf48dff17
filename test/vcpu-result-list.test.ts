// The library's per-vCPU results (runScenario: VcpuResultList.toArray) are compacted
// copies of summary()'s (compactVcpuResult): the same plain objects to any reader.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { compactVcpuResult } from "../src/metrics/vcpu-result-list.js";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario, runScenarioStreamed } from "../src/sim/run.js";
import { vcpuResult } from "./vcpu-result-arbitrary.js";

/** Every object's own keys in order, its prototype, and every value (Object.is: -0 is not 0). */
function expectSame(a: unknown, b: unknown, path = "$"): void {
  if (typeof b !== "object" || b === null) {
    expect(Object.is(a, b), `${path}: ${String(a)} vs ${String(b)}`).toBe(true);
    return;
  }
  expect(typeof a).toBe("object");
  expect(Object.getPrototypeOf(a), path).toBe(Object.getPrototypeOf(b));
  expect(Array.isArray(a)).toBe(Array.isArray(b));
  expect(Object.keys(a as object), path).toEqual(Object.keys(b));
  for (const k of Object.keys(b)) expectSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
}

describe("compactVcpuResult", () => {
  test("the same keys, order, prototypes and values (-0, NaN, ±Infinity, fractions, large integers)", () => {
    fc.assert(
      fc.property(vcpuResult, (r) => {
        const c = compactVcpuResult(r);
        expectSame(c, r);
        expect(c).toStrictEqual(r);
        expect(JSON.stringify(c)).toBe(JSON.stringify(r));
      }),
      { numRuns: 200 },
    );
  });

  test("runScenario's vCPU results are summary()'s, compacted: the same objects to a reader", () => {
    for (const [preset, sets] of [
      ["cyclictest", ["duration=5ms"]],
      ["default", ["vms.0.vcpus=70", "duration=3ms"]],
      ["s10-periodic-negative-delta", ["duration=20ms"]],
    ] as const) {
      const config = loadScenario(preset, [...sets]);
      const kept = runScenario(config).result.vcpus;
      const streamed = runScenarioStreamed(config).result.vcpus;
      expect(kept).toHaveLength(streamed.length);
      kept.forEach((r, i) => expectSame(r, streamed.at(i), `${preset}[${i}]`));
    }
  });
});
