import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { InputRangeError } from "../src/errors.js";
import type { DelayDist } from "../src/scenario/types.js";
import { compileDelay, meanNs, normalCdf, standardNormal, Z_P99 } from "../src/sim/distributions.js";
import { Purpose, rngStream, type Rng } from "../src/sim/rng.js";

const N = 100_000;

function draw(d: DelayDist, n = N, seed = 1): Float64Array {
  const sampler = compileDelay(d);
  const rng = rngStream(seed, 0, 0, Purpose.hrtimer);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sampler.sampleNs(rng);
  return out;
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function sd(xs: Float64Array): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Sample quantile (nearest rank). */
function quantile(xs: Float64Array, q: number): number {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** |sample mean − analytic mean| within 5 standard errors. */
function expectMeanNear(xs: Float64Array, expected: number): void {
  expect(Math.abs(mean(xs) - expected)).toBeLessThan(5 * (sd(xs) / Math.sqrt(xs.length)) + 0.5);
}

function allWholeNonNegative(xs: Float64Array): boolean {
  return xs.every((x) => Number.isInteger(x) && x >= 0);
}

describe("fixed", () => {
  test("always the value, rounded to whole ns", () => {
    expect(new Set(draw({ dist: "fixed", valueNs: 1500 }, 1000))).toEqual(new Set([1500]));
    expect(new Set(draw({ dist: "fixed", valueNs: 2.6 }, 10))).toEqual(new Set([3]));
    expect(meanNs({ dist: "fixed", valueNs: 1500 })).toBe(1500);
  });
});

describe("uniform", () => {
  test("every whole ns in [min, max], equally likely; mean (min+max)/2", () => {
    const d: DelayDist = { dist: "uniform", minNs: 100, maxNs: 109 };
    const xs = draw(d);
    expect(Math.min(...xs)).toBe(100);
    expect(Math.max(...xs)).toBe(109);
    expect(allWholeNonNegative(xs)).toBe(true);
    const counts = new Map<number, number>();
    for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
    // Each of 10 values: Binomial(N, 0.1), sd ≈ 95.
    for (const c of counts.values()) expect(Math.abs(c - N / 10)).toBeLessThan(5 * 95);
    expect(meanNs(d)).toBe(104.5);
    expectMeanNear(xs, meanNs(d));
  });

  test("wide range: mean and bounds", () => {
    const d: DelayDist = { dist: "uniform", minNs: 1000, maxNs: 50_000 };
    const xs = draw(d);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...xs)).toBeLessThanOrEqual(50_000);
    expectMeanNear(xs, meanNs(d));
  });

  test("min = max is fixed", () => {
    expect(new Set(draw({ dist: "uniform", minNs: 7, maxNs: 7 }, 100))).toEqual(new Set([7]));
  });
});

describe("normal", () => {
  test("mean and sd far from 0", () => {
    const d: DelayDist = { dist: "normal", meanNs: 5000, sdNs: 500 };
    const xs = draw(d);
    expectMeanNear(xs, 5000);
    expect(Math.abs(sd(xs) - 500) / 500).toBeLessThan(0.02);
    expect(Math.abs(quantile(xs, 0.5) - 5000)).toBeLessThan(15);
  });

  test("negative draws clamp to 0; meanNs accounts for the clamp", () => {
    const d: DelayDist = { dist: "normal", meanNs: 100, sdNs: 200 };
    const xs = draw(d);
    expect(allWholeNonNegative(xs)).toBe(true);
    // P(X < 0) = Φ(−0.5) ≈ 0.3085 of the draws sit at 0 (plus a sliver that rounds to 0).
    const zeros = xs.filter((x) => x === 0).length / N;
    expect(Math.abs(zeros - normalCdf(-0.5))).toBeLessThan(0.01);
    expect(meanNs(d)).toBeGreaterThan(100);
    expectMeanNear(xs, meanNs(d));
  });

  test("standardNormal: mean 0, variance 1, P(|z| < 1.96) ≈ 0.95", () => {
    const rng = rngStream(3, 0, 0, Purpose.workload);
    let s = 0;
    let s2 = 0;
    let inside = 0;
    for (let i = 0; i < N; i++) {
      const z = standardNormal(rng);
      s += z;
      s2 += z * z;
      if (Math.abs(z) < 1.96) inside++;
    }
    expect(Math.abs(s / N)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(s2 / N - 1)).toBeLessThan(0.02);
    expect(Math.abs(inside / N - 0.95)).toBeLessThan(0.005);
  });

  // Reference values: Φ(x) = erfc(−x/√2)/2 in double precision (Python's math.erfc).
  test.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [1.959963984540054, 0.975],
    [-Z_P99, 0.01],
    [-3, 0.0013498980316301035],
    [5, 0.9999997133484281],
  ])("normalCdf(%d) = %d within 1e-7", (x, expected) => {
    expect(Math.abs(normalCdf(x) - expected)).toBeLessThan(1e-7);
  });
});

describe("lognormal", () => {
  test.each([
    [2000, 20_000],
    [500, 600],
    [10_000, 1_000_000],
  ])("median %d ns, p99 %d ns: sample p50/p99 and mean match", (medianNs, p99Ns) => {
    const d: DelayDist = { dist: "lognormal", medianNs, p99Ns };
    const xs = draw(d);
    expect(allWholeNonNegative(xs)).toBe(true);
    expect(Math.abs(quantile(xs, 0.5) - medianNs) / medianNs).toBeLessThan(0.02);
    // The sample p99 of 10^5 draws: a few % of relative spread for heavy tails.
    expect(Math.abs(quantile(xs, 0.99) - p99Ns) / p99Ns).toBeLessThan(0.05);
    const sigma = Math.log(p99Ns / medianNs) / Z_P99;
    expect(meanNs(d)).toBeCloseTo(medianNs * Math.exp((sigma * sigma) / 2), 6);
    expectMeanNear(xs, meanNs(d));
  });

  test("p99 = median degenerates to a fixed value", () => {
    expect(new Set(draw({ dist: "lognormal", medianNs: 800, p99Ns: 800 }, 100))).toEqual(new Set([800]));
  });

  test.each([
    ["p99Ns", { dist: "lognormal", medianNs: 2000, p99Ns: 1999 }],
    ["medianNs", { dist: "lognormal", medianNs: 0, p99Ns: 1000 }],
  ] as const)("rejects a bad %s, naming the field", (field, d) => {
    expect(() => compileDelay(d, "host.delays.hrtimer")).toThrow(InputRangeError);
    expect(() => compileDelay(d, "host.delays.hrtimer")).toThrow(new RegExp(`^host\\.delays\\.hrtimer\\.${field} =`));
  });
});

describe("empirical", () => {
  test("returns only the given samples, in proportion", () => {
    const d: DelayDist = { dist: "empirical", samplesNs: [100, 200, 200, 5000] };
    const xs = draw(d);
    expect(new Set(xs)).toEqual(new Set([100, 200, 5000]));
    const share200 = xs.filter((x) => x === 200).length / N;
    expect(Math.abs(share200 - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / N));
    expect(meanNs(d)).toBe(1375);
    expectMeanNear(xs, 1375);
  });

  test("rejects no samples", () => {
    expect(() => compileDelay({ dist: "empirical", samplesNs: [] })).toThrow(/samplesNs/);
  });
});

describe("mixture", () => {
  test("parts in proportion to their weights", () => {
    const d: DelayDist = {
      dist: "mixture",
      parts: [
        { weight: 0.9, part: { dist: "fixed", valueNs: 1000 } },
        { weight: 0.1, part: { dist: "uniform", minNs: 50_000, maxNs: 60_000 } },
        { weight: 0, part: { dist: "fixed", valueNs: 7 } },
      ],
    };
    const xs = draw(d);
    const fast = xs.filter((x) => x === 1000).length / N;
    const slow = xs.filter((x) => x >= 50_000 && x <= 60_000).length / N;
    expect(fast + slow).toBe(1);
    expect(Math.abs(slow - 0.1)).toBeLessThan(5 * Math.sqrt(0.09 / N));
    expect(meanNs(d)).toBeCloseTo(0.9 * 1000 + 0.1 * 55_000, 6);
    expectMeanNear(xs, meanNs(d));
  });

  test("weights need not sum to 1; nested mixtures work", () => {
    const d: DelayDist = {
      dist: "mixture",
      parts: [
        { weight: 3, part: { dist: "fixed", valueNs: 10 } },
        { weight: 1, part: { dist: "mixture", parts: [{ weight: 1, part: { dist: "fixed", valueNs: 20 } }] } },
      ],
    };
    const xs = draw(d);
    expect(Math.abs(xs.filter((x) => x === 20).length / N - 0.25)).toBeLessThan(0.01);
    expect(meanNs(d)).toBe(12.5);
  });

  test.each([
    ["parts", { dist: "mixture", parts: [] }],
    ["parts[1].weight", { dist: "mixture", parts: [{ weight: 1, part: { dist: "fixed", valueNs: 1 } }, { weight: -1, part: { dist: "fixed", valueNs: 1 } }] }],
    ["parts", { dist: "mixture", parts: [{ weight: 0, part: { dist: "fixed", valueNs: 1 } }] }],
    ["parts[0].part.p99Ns", { dist: "mixture", parts: [{ weight: 1, part: { dist: "lognormal", medianNs: 10, p99Ns: 5 } }] }],
  ] as const)("rejects bad %s", (field, d) => {
    expect(() => compileDelay(d as unknown as DelayDist)).toThrow(InputRangeError);
    expect(() => compileDelay(d as unknown as DelayDist)).toThrow(`delay.${field} =`);
  });
});

describe("every form", () => {
  const forms: DelayDist[] = [
    { dist: "fixed", valueNs: 123 },
    { dist: "uniform", minNs: 10, maxNs: 1000 },
    { dist: "normal", meanNs: 500, sdNs: 300 },
    { dist: "lognormal", medianNs: 2000, p99Ns: 30_000 },
    { dist: "empirical", samplesNs: [1, 2, 3] },
    { dist: "mixture", parts: [{ weight: 1, part: { dist: "normal", meanNs: 10, sdNs: 50 } }, { weight: 1, part: { dist: "fixed", valueNs: 9 } }] },
  ];

  test.each(forms.map((d) => [d.dist, d] as const))("%s is deterministic for a fixed seed and differs across seeds", (_name, d) => {
    expect(draw(d, 1000, 42)).toEqual(draw(d, 1000, 42));
    if (d.dist !== "fixed") expect(draw(d, 1000, 42)).not.toEqual(draw(d, 1000, 43));
  });

  test("a shared sampler keeps streams apart: interleaving two rngs changes neither's draws", () => {
    for (const d of forms) {
      const sampler = compileDelay(d);
      const alone = (seed: number): number[] => {
        const r = rngStream(seed, 0, 0, 0);
        return Array.from({ length: 50 }, () => sampler.sampleNs(r));
      };
      const a = rngStream(1, 0, 0, 0);
      const b = rngStream(2, 0, 0, 0);
      const inter: [number[], number[]] = [[], []];
      for (let i = 0; i < 50; i++) {
        inter[0].push(sampler.sampleNs(a));
        inter[1].push(sampler.sampleNs(b));
      }
      expect(inter[0]).toEqual(alone(1));
      expect(inter[1]).toEqual(alone(2));
    }
  });

  test("normal and lognormal draw the same deviates whatever their parameters (common random numbers)", () => {
    const sigma = Math.log(10) / Z_P99;
    const cases: [DelayDist, (x: number) => number][] = [
      [{ dist: "normal", meanNs: 1e12, sdNs: 1e9 }, (x) => (x - 1e12) / 1e9],
      [{ dist: "normal", meanNs: 5e12, sdNs: 3e9 }, (x) => (x - 5e12) / 3e9],
      [{ dist: "lognormal", medianNs: 1e9, p99Ns: 1e10 }, (x) => Math.log(x / 1e9) / sigma],
    ];
    const counts: number[] = [];
    const deviates = cases.map(([d, z]) => {
      const counting = countingRng(rngStream(5, 0, 0, 0));
      const sampler = compileDelay(d);
      const zs = Array.from({ length: 1000 }, () => z(sampler.sampleNs(counting)));
      counts.push(counting.draws);
      return zs;
    });
    expect(new Set(counts).size).toBe(1);
    // The ziggurat: one u32 per draw on ~98.8 % of draws, a few more on the rest.
    expect(counts[0]).toBeGreaterThanOrEqual(1000);
    expect(counts[0]).toBeLessThan(1100);
    for (const zs of deviates.slice(1)) zs.forEach((z, i) => expect(Math.abs(z - deviates[0]![i]!)).toBeLessThan(1e-5));
  });
});

function countingRng(inner: Rng): Rng & { draws: number } {
  const c = {
    draws: 0,
    nextU32(): number {
      c.draws++;
      return inner.nextU32();
    },
    nextFloat(): number {
      const hi = c.nextU32() >>> 5;
      const lo = c.nextU32() >>> 6;
      return (hi * 67108864 + lo) / 2 ** 53;
    },
  };
  return c;
}

const arbDist: fc.Arbitrary<DelayDist> = fc.letrec<{ dist: DelayDist }>((tie) => ({
  dist: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ dist: fc.constant("fixed" as const), valueNs: fc.nat({ max: 1e9 }) }),
    fc
      .tuple(fc.nat({ max: 1e9 }), fc.nat({ max: 1e9 }))
      .map(([a, b]) => ({ dist: "uniform" as const, minNs: Math.min(a, b), maxNs: Math.max(a, b) })),
    fc.record({
      dist: fc.constant("normal" as const),
      meanNs: fc.double({ min: -1e6, max: 1e9, noNaN: true }),
      sdNs: fc.double({ min: 0, max: 1e8, noNaN: true }),
    }),
    fc
      .tuple(fc.integer({ min: 1, max: 1e8 }), fc.double({ min: 1, max: 1000, noNaN: true }))
      .map(([m, k]) => ({ dist: "lognormal" as const, medianNs: m, p99Ns: m * k })),
    fc.record({ dist: fc.constant("empirical" as const), samplesNs: fc.array(fc.nat({ max: 1e9 }), { minLength: 1, maxLength: 8 }) }),
    fc.record({
      dist: fc.constant("mixture" as const),
      parts: fc.array(fc.record({ weight: fc.double({ min: 0.01, max: 100, noNaN: true }), part: tie("dist") }), { minLength: 1, maxLength: 3 }),
    }),
  ),
})).dist;

test("property: every sample of every distribution is a whole number of ns >= 0", () => {
  fc.assert(
    fc.property(arbDist, fc.nat(), (d, seed) => {
      const sampler = compileDelay(d);
      const rng = rngStream(seed, 0, 0, Purpose.vmEntry);
      for (let i = 0; i < 200; i++) {
        const x = sampler.sampleNs(rng);
        expect(Number.isInteger(x) && x >= 0).toBe(true);
      }
      expect(meanNs(d)).toBeGreaterThanOrEqual(0);
    }),
    { numRuns: 300 },
  );
});
