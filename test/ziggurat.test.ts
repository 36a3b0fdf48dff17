// The ziggurat normal sampler (src/sim/ziggurat.ts): its tables are a ziggurat of equal
// layers under exp(−x²/2), and what it draws is standard normal — in distribution
// (Kolmogorov–Smirnov against Φ), in the tail beyond r, in every layer and in its moments.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { ZIGGURAT_LAYERS, ZIGGURAT_LAYER_AREA, ZIGGURAT_R, ZIGGURAT_TABLE_CELLS, zigguratNormal, zigguratTables } from "../src/sim/ziggurat.js";
import { normalCdf } from "../src/sim/distributions.js";
import { Purpose, rngStream, type Rng } from "../src/sim/rng.js";

const tables = zigguratTables();
const x = (i: number): number => tables[i]!;
const ratio = (i: number): number => tables[ZIGGURAT_LAYERS + 1 + i]!;
const fx = (i: number): number => tables[2 * ZIGGURAT_LAYERS + 1 + i]!;
const f = (v: number): number => Math.exp(-0.5 * v * v);

/** A stream that counts what it hands out. */
function counting(inner: Rng): Rng & { u32: number; floats: number } {
  const c = {
    u32: 0,
    floats: 0,
    nextU32: () => {
      c.u32++;
      return inner.nextU32();
    },
    nextFloat: () => {
      c.floats++;
      return inner.nextFloat();
    },
  };
  return c;
}

describe("ziggurat tables", () => {
  test("layout: x[0..128], ratio[0..127], f(x)[0..128]", () => {
    expect(tables.length).toBe(ZIGGURAT_TABLE_CELLS);
    expect(x(1)).toBe(ZIGGURAT_R);
    expect(x(ZIGGURAT_LAYERS)).toBe(0);
    expect(fx(ZIGGURAT_LAYERS)).toBe(1);
    for (let i = 0; i < ZIGGURAT_LAYERS; i++) {
      expect(x(i + 1)).toBeLessThan(x(i));
      expect(ratio(i)).toBe(x(i + 1) / x(i));
    }
  });

  test("every layer has the same area; the top layer closes the ziggurat at the peak (r and the area agree)", () => {
    // The base layer: the rectangle 0..r under f(r) plus the tail beyond r.
    const tail = Math.sqrt(2 * Math.PI) * (1 - normalCdf(ZIGGURAT_R));
    expect(Math.abs(ZIGGURAT_R * f(ZIGGURAT_R) + tail - ZIGGURAT_LAYER_AREA) / ZIGGURAT_LAYER_AREA).toBeLessThan(1e-6);
    // x[0] is the base layer's width as a rectangle under f(r).
    expect(x(0) * fx(1)).toBeCloseTo(ZIGGURAT_LAYER_AREA, 15);
    for (let i = 1; i < ZIGGURAT_LAYERS; i++) {
      expect(Math.abs(x(i) * (fx(i + 1) - fx(i)) - ZIGGURAT_LAYER_AREA) / ZIGGURAT_LAYER_AREA).toBeLessThan(1e-6);
    }
  });
});

describe("zigguratNormal", () => {
  const N = 1_000_000;
  const rng = counting(rngStream(7, 0, 0, Purpose.workload));
  const zs = new Float64Array(N);
  for (let i = 0; i < N; i++) zs[i] = zigguratNormal(rng);

  test("Kolmogorov–Smirnov against Φ over 10^6 draws: D below the 1 % critical value", () => {
    const sorted = Float64Array.from(zs).sort();
    let d = 0;
    for (let i = 0; i < N; i++) {
      const c = normalCdf(sorted[i]!);
      d = Math.max(d, (i + 1) / N - c, c - i / N);
    }
    expect(d).toBeLessThan(1.63 / Math.sqrt(N));
  });

  test("moments: mean 0, variance 1, skewness 0, kurtosis 3", () => {
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (const z of zs) {
      s1 += z;
      s2 += z * z;
      s3 += z * z * z;
      s4 += z * z * z * z;
    }
    // Standard errors at 10^6 draws: 0.001, 0.0014, 0.0024, 0.005; bounds at ~5 of them.
    expect(Math.abs(s1 / N)).toBeLessThan(0.005);
    expect(Math.abs(s2 / N - 1)).toBeLessThan(0.007);
    expect(Math.abs(s3 / N)).toBeLessThan(0.012);
    expect(Math.abs(s4 / N - 3)).toBeLessThan(0.05);
  });

  test("the tail beyond r and the wedges are drawn as often as the normal puts mass there", () => {
    const pTail = 2 * (1 - normalCdf(ZIGGURAT_R));
    const tail = zs.filter((z) => Math.abs(z) > ZIGGURAT_R).length;
    expect(Math.abs(tail - N * pTail)).toBeLessThan(5 * Math.sqrt(N * pTail));
    // Beyond 5 sigma: 5.7e-7 of the draws, so a handful at most.
    expect(zs.filter((z) => Math.abs(z) > 5).length).toBeLessThan(6);
    // The slow path (one or more nextFloat calls) runs on ~1.2 % of draws; every try takes one u32.
    expect(rng.floats / N).toBeGreaterThan(0.005);
    expect(rng.floats / N).toBeLessThan(0.03);
    expect(rng.u32 / N).toBeLessThan(1.02);
  });

  test("each sign and each half-sigma band holds its normal share", () => {
    for (let lo = -3; lo < 3; lo += 0.5) {
      const p = normalCdf(lo + 0.5) - normalCdf(lo);
      const n = zs.filter((z) => z >= lo && z < lo + 0.5).length;
      expect(Math.abs(n - N * p)).toBeLessThan(5 * Math.sqrt(N * p));
    }
  });

  test("property: any stream gives a finite deviate within r + 11 (the tail's largest step from a 53-bit uniform)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 1000 }), (seed, vcpu) => {
        const s = rngStream(seed, 0, vcpu, Purpose.hrtimer);
        for (let i = 0; i < 500; i++) {
          const z = zigguratNormal(s);
          expect(Number.isFinite(z)).toBe(true);
          expect(Math.abs(z)).toBeLessThan(ZIGGURAT_R + 11);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("edge draws: a zero u32 is 0; a uniform of 0 in the tail gives exactly r", () => {
    const zeros: Rng = { nextU32: () => 0, nextFloat: () => 0 };
    expect(zigguratNormal(zeros)).toBe(0);
    // Layer 0 with u at its top: outside the core, into the tail; t = y = 0 is accepted.
    const tailRng: Rng = { nextU32: () => 0xffffff00, nextFloat: () => 0 };
    expect(zigguratNormal(tailRng)).toBe(ZIGGURAT_R);
  });
});
