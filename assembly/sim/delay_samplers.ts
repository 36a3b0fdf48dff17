// Host delay samplers in wasm (issue #3 §3): each delay kind's validated distribution,
// compiled by src/sim/host-delays.ts into a small f64 program, drawn from the vCPU's
// stream for that kind. The arithmetic is src/sim/distributions.ts's, step for step
// (its reference samplers are checked against these draws in a test); both engines draw
// here, so they see the same delays.

import { rngNextFloat } from "./rng_streams";

export enum DelayNode {
  Fixed = 0, // [0, valueNs]
  Uniform = 1, // [1, minNs, span]
  Normal = 2, // [2, meanNs, sdNs]
  Lognormal = 3, // [3, mu, sigma]
  Empirical = 4, // [4, n, s_0 .. s_n-1]
  Mixture = 5, // [5, n, cum_0 .. cum_n-1, node_0 .. node_n-1] (node = index into the program)
}

/** Streams per vCPU: one per delay kind (hrtimer, wakeup, vmExit, vmEntry, irqDispatch, msrExit). */
export const DELAY_KINDS: i32 = 6;

let programPtr: usize = 0;
const roots = new StaticArray<i32>(8);

/** Allocates a program of n f64 cells and returns its address, for the host to fill. */
export function delayProgramInit(n: i32): usize {
  if (programPtr != 0) heap.free(programPtr);
  programPtr = heap.alloc(usize(max(n, 1)) << 3);
  return programPtr;
}

/** The program cell where delay kind `kind`'s distribution starts. */
export function delaySetRoot(kind: i32, node: i32): void {
  roots[kind] = node;
}

// @ts-ignore: decorator
@inline
function cell(i: i32): f64 {
  return load<f64>(programPtr + (usize(i) << 3));
}

// Acklam's rational approximation of the normal quantile, as distributions.ts.
const A0 = -3.969683028665376e1, A1 = 2.209460984245205e2, A2 = -2.759285104469687e2;
const A3 = 1.38357751867269e2, A4 = -3.066479806614716e1, A5 = 2.506628277459239;
const B0 = -5.447609879822406e1, B1 = 1.615858368580409e2, B2 = -1.556989798598866e2;
const B3 = 6.680131188771972e1, B4 = -1.328068155288572e1;
const C0 = -7.784894002430293e-3, C1 = -3.223964580411365e-1, C2 = -2.400758277161838;
const C3 = -2.549732539343734, C4 = 4.374664141464968, C5 = 2.938163982698783;
const D0 = 7.784695709041462e-3, D1 = 3.224671290700398e-1, D2 = 2.445134137142996, D3 = 3.754408661907416;
const P_LOW = 0.02425;

function tailQuantile(p: f64): f64 {
  const q = Math.sqrt(-2 * Math.log(p));
  return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
}

/** Φ⁻¹(p) for 0 < p < 1 (exported for the differential test). */
export function normalQuantileWasm(p: f64): f64 {
  return normalQuantile(p);
}

// @ts-ignore: decorator
@inline
function normalQuantile(p: f64): f64 {
  if (p < P_LOW) return tailQuantile(p);
  if (p > 1 - P_LOW) return -tailQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
}

// @ts-ignore: decorator
@inline
function standardNormal(stream: i32): f64 {
  let u = rngNextFloat(stream);
  if (u == 0) u = 5.551115123125783e-17;
  return normalQuantile(u);
}

/** One draw of the node at cell `node` from `stream`: whole ns >= 0. */
function sampleNode(node: i32, stream: i32): f64 {
  const kind = i32(cell(node));
  switch (kind) {
    case DelayNode.Fixed:
      return cell(node + 1);
    case DelayNode.Uniform:
      return cell(node + 1) + Math.floor(rngNextFloat(stream) * cell(node + 2));
    case DelayNode.Normal: {
      const x = Math.floor(cell(node + 1) + cell(node + 2) * standardNormal(stream) + 0.5);
      return x > 0 ? x : 0;
    }
    case DelayNode.Lognormal:
      return Math.floor(Math.exp(cell(node + 1) + cell(node + 2) * standardNormal(stream)) + 0.5);
    case DelayNode.Empirical: {
      const n = cell(node + 1);
      return cell(node + 2 + i32(Math.floor(rngNextFloat(stream) * n)));
    }
    default: {
      const n = i32(cell(node + 1));
      const last = n - 1;
      const x = rngNextFloat(stream) * cell(node + 2 + last);
      let i = 0;
      while (i < last && x >= cell(node + 2 + i)) i++;
      return sampleNode(i32(cell(node + 2 + n + i)), stream);
    }
  }
}

/** A delay of kind `kind` (0..5) for vCPU v, from v's stream for that kind. */
// @ts-ignore: decorator
@inline
export function sampleDelayInline(kind: i32, v: i32): f64 {
  return sampleNode(unchecked(roots[kind]), v * DELAY_KINDS + kind);
}

export function sampleDelay(kind: i32, v: i32): f64 {
  return sampleDelayInline(kind, v);
}
