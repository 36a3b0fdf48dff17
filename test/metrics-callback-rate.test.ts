// The storm detector's host-wide callbacks per ms (src/metrics/callback-rate.ts): a ring of
// the last CALLBACK_WINDOW_MS ms and the peak, exact for callbacks reported in time order
// (as both engines do) and bounded in memory whatever the simulated time (issue #13).

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { CALLBACK_WINDOW_MS, CallbacksPerMs } from "../src/metrics/callback-rate.js";
import { runScenario } from "../src/sim/run.js";
import { wasm } from "../src/wasm.js";
import { CYCLICTEST, scenario } from "./sim/harness.js";

/** The reference: a count for every ms of the run, then the largest. */
function referencePeak(timesNs: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const t of timesNs) {
    const ms = Math.floor(t / 1e6);
    counts.set(ms, (counts.get(ms) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

/** Nondecreasing callback times from gaps (ns), some far longer than the window. */
const orderedTimes = fc.array(fc.oneof(fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 0, max: 5_000_000_000 })), { maxLength: 400 }).map((gaps) => {
  let t = 0;
  return gaps.map((g) => (t += g));
});

describe("CallbacksPerMs", () => {
  test("callbacks in time order: the peak is the reference's, over runs far longer than the window", () => {
    fc.assert(
      fc.property(orderedTimes, (times) => {
        const c = new CallbacksPerMs();
        times.forEach((t) => c.record(t));
        expect(c.peak).toBe(referencePeak(times));
      }),
    );
  });

  test("the order of callbacks within the window does not matter", () => {
    const withinWindow = fc.array(fc.integer({ min: 0, max: (CALLBACK_WINDOW_MS - 1) * 1e6 }), { minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(withinWindow, fc.integer({ min: 0, max: 1e9 }), (offsets, base) => {
        const times = offsets.map((o) => base * 1e3 + o);
        const sorted = new CallbacksPerMs();
        [...times].sort((a, b) => a - b).forEach((t) => sorted.record(t));
        const asGiven = new CallbacksPerMs();
        times.forEach((t) => asGiven.record(t));
        expect(asGiven.peak).toBe(sorted.peak);
        expect(asGiven.peak).toBe(referencePeak(times));
      }),
    );
  });

  test("a callback behind the window is refused, not miscounted", () => {
    const c = new CallbacksPerMs();
    c.record(5_000e6);
    c.record((5_000 - CALLBACK_WINDOW_MS + 1) * 1e6); // the window's oldest ms
    expect(() => c.record((5_000 - CALLBACK_WINDOW_MS) * 1e6)).toThrow(/time order/);
    expect(() => c.record(-1)).toThrow(RangeError);
  });

  test("the host-wide peak is a storm across vCPUs, kept after the window moves on", () => {
    const c = new CallbacksPerMs();
    for (let i = 0; i < 100; i++) c.record(5e6 + i * 1000);
    for (let ms = 6; ms < 10 * CALLBACK_WINDOW_MS; ms++) c.recordMs(ms);
    expect(c.peak).toBe(100);
  });

  test("merging: into an empty counter it is the other; shards within one window give the whole's peak", () => {
    const withinWindow = fc.array(fc.tuple(fc.integer({ min: 0, max: (CALLBACK_WINDOW_MS - 1) * 1e6 }), fc.boolean()), { maxLength: 300 });
    fc.assert(
      fc.property(withinWindow, orderedTimes, (calls, before) => {
        // Shards that also counted, in order, a common earlier stretch.
        const whole = new CallbacksPerMs();
        const left = new CallbacksPerMs();
        const right = new CallbacksPerMs();
        const base = (before.at(-1) ?? 0) + CALLBACK_WINDOW_MS * 1e6;
        for (const t of before) {
          whole.record(t);
          left.record(t);
        }
        calls.forEach(([t, onLeft]) => {
          whole.record(base + t);
          (onLeft ? left : right).record(base + t);
        });
        const empty = new CallbacksPerMs();
        empty.mergeFrom(right);
        expect(empty.peak).toBe(right.peak);
        left.mergeFrom(right);
        expect(left.peak).toBe(whole.peak);
      }),
    );
  });

  test("the wasm engine's ring is the same size as the host's", () => {
    expect(wasm.CALLBACK_WINDOW_MS.value).toBe(CALLBACK_WINDOW_MS);
  });
});

describe("memory that grows with simulated time", () => {
  test("a long run of one vCPU grows wasm memory no more than a short one (the per-ms counts are a fixed ring)", () => {
    // A 100 ms interval keeps the interrupts few; the counts per ms were sized to the run.
    const run = (durationNs: number) => runScenario(scenario({ durationNs, vm: { vcpus: 1 } }, { ...CYCLICTEST, intervalNs: 100e6 }), { engine: "wasm" });
    const short = run(1e9).result;
    const before = wasm.memory.buffer.byteLength;
    // 3,000 s: a count per ms of the whole run took 12 MB.
    const long = run(3000e9).result;
    expect(wasm.memory.buffer.byteLength).toBe(before);
    expect(long.interrupts).toBeGreaterThan(short.interrupts * 1000);
    expect(long.callbacksPerMsPeak).toBe(short.callbacksPerMsPeak);
  });
});
