// Standard normal deviates by the ziggurat method (Marsaglia & Tsang, "The Ziggurat
// Method for Generating Random Variables", J. Stat. Softw. 5(8), 2000), with 128 layers
// and, as Doornik ("An Improved Ziggurat Method to Generate Normal Random Samples",
// 2005) recommends, the layer index, the sign and the fraction taken from separate bits
// of the draw.
//
// Why: every simulated interrupt draws about six host delays, most of them lognormal. By
// inversion (a rational quantile approximation and then exp) a draw cost ~20 ns in wasm,
// a quarter of the wasm engine's time; here 98.8 % of draws are one u32, two table reads,
// a compare and a multiply. The method is exact (the density is not approximated), and
// the standard deviates a stream yields do not depend on the delay's parameters, so two
// runs that differ only in a delay's median still see the same luck at each step.
//
// This file is the reference and the source of the tables: host-delays.ts copies
// zigguratTables() into wasm, whose sampler (assembly/sim/delay_samplers.ts) repeats
// zigguratNormal step for step; a test checks the two draw for draw.

import type { Rng } from "./rng.js";

/** Layers of the ziggurat. */
export const ZIGGURAT_LAYERS = 128;
/** Where the base layer's tail starts (for 128 layers: Marsaglia & Tsang's r). */
export const ZIGGURAT_R = 3.442619855899;
/** The area of each layer under f(x) = exp(−x²/2), the base layer's tail included. */
export const ZIGGURAT_LAYER_AREA = 9.91256303526217e-3;

/** The unnormalised normal density the layers are cut from. */
function f(x: number): number {
  return Math.exp(-0.5 * x * x);
}

/**
 * x[i] (i = 0..128): layer i spans 0..x[i] horizontally and f(x[i])..f(x[i+1])
 * vertically. x[0] is the base layer's width as if its tail were a rectangle of the same
 * area (ZIGGURAT_LAYER_AREA / f(r)); x[1] = r; x[128] = 0 (the peak).
 */
const X = new Float64Array(ZIGGURAT_LAYERS + 1);
/** ratio[i] = x[i+1] / x[i]: a fraction below it lands inside the layer's core rectangle. */
const RATIO = new Float64Array(ZIGGURAT_LAYERS);
/** fx[i] = f(x[i]). */
const FX = new Float64Array(ZIGGURAT_LAYERS + 1);

X[0] = ZIGGURAT_LAYER_AREA / f(ZIGGURAT_R);
X[1] = ZIGGURAT_R;
for (let i = 2; i < ZIGGURAT_LAYERS; i++) X[i] = Math.sqrt(-2 * Math.log(ZIGGURAT_LAYER_AREA / X[i - 1]! + f(X[i - 1]!)));
X[ZIGGURAT_LAYERS] = 0;
for (let i = 0; i < ZIGGURAT_LAYERS; i++) RATIO[i] = X[i + 1]! / X[i]!;
for (let i = 0; i <= ZIGGURAT_LAYERS; i++) FX[i] = f(X[i]!);

/** f64 cells of zigguratTables(): x[0..128], ratio[0..127], f(x)[0..128]. */
export const ZIGGURAT_TABLE_CELLS = 2 * (ZIGGURAT_LAYERS + 1) + ZIGGURAT_LAYERS;

/** The tables in the order wasm reads them (assembly/sim/delay_samplers.ts). */
export function zigguratTables(): Float64Array {
  const out = new Float64Array(ZIGGURAT_TABLE_CELLS);
  out.set(X, 0);
  out.set(RATIO, ZIGGURAT_LAYERS + 1);
  out.set(FX, 2 * ZIGGURAT_LAYERS + 1);
  return out;
}

/** 2^-24: scales the draw's top 24 bits into [0, 1). */
const TWO_POW_M24 = 1 / 16777216;

/**
 * One standard normal deviate. Each try draws one u32: bits 0–6 pick the layer, bit 7
 * the sign, bits 8–31 the fraction u of the layer's width. Inside the core rectangle
 * (u < ratio) u·x[i] is the answer. Otherwise the base layer samples the tail beyond r
 * (Marsaglia's exponential method, two 53-bit uniforms per attempt) and any other layer
 * accepts u·x[i] if a uniform height in the layer falls under the density there, and
 * else tries again. About 1.2 % of draws leave the fast path.
 */
export function zigguratNormal(rng: Rng): number {
  for (;;) {
    const a = rng.nextU32();
    const i = a & 127;
    const u = (a >>> 8) * TWO_POW_M24;
    const x = u * X[i]!;
    const negative = (a & 128) !== 0;
    if (u < RATIO[i]!) return negative ? -x : x;
    if (i === 0) {
      // 1 − nextFloat() is in (0, 1], so the logs are finite.
      let t: number;
      let y: number;
      do {
        t = -Math.log(1 - rng.nextFloat()) / ZIGGURAT_R;
        y = -Math.log(1 - rng.nextFloat());
      } while (y + y < t * t);
      return negative ? -(ZIGGURAT_R + t) : ZIGGURAT_R + t;
    }
    if (FX[i]! + rng.nextFloat() * (FX[i + 1]! - FX[i]!) < f(x)) return negative ? -x : x;
  }
}
