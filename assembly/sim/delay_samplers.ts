// Host delay samplers in wasm (issue #3 §3): each delay kind's validated distribution,
// compiled by src/sim/host-delays.ts into a small f64 program, drawn from the vCPU's
// stream for that kind. The arithmetic is src/sim/distributions.ts's and ziggurat.ts's
// (normal deviates), step for step (its reference samplers are checked against these
// draws in a test); both engines draw here, so they see the same delays.

import { rngNextFloat, rngNextU32 } from "./rng_streams";
import { exp_lut } from "~lib/util/math";

export enum DelayNode {
  Fixed = 0, // [0, valueNs]
  Uniform = 1, // [1, minNs, span]
  Normal = 2, // [2, meanNs, sdNs]
  Lognormal = 3, // [3, mu, sigma]
  Empirical = 4, // [4, n, s_0 .. s_n-1]
  Mixture = 5, // [5, n, cum_0 .. cum_n-1, node_0 .. node_n-1] (node = index into the program)
}

/** Streams per vCPU: one per delay kind (hrtimer, wakeup, vmExit, vmEntry, irqDispatch, msrExit, cpuIdleExit). */
export const DELAY_KINDS: i32 = 7;

let programPtr: usize = 0;
const roots = new StaticArray<i32>(8);

/** Frees the program (simMemoryReserve). */
export function delayProgramRelease(): void {
  if (programPtr != 0) heap.free(programPtr);
  programPtr = 0;
}

/** Allocates a program of n f64 cells and returns its address, for the host to fill. */
export function delayProgramInit(n: i32): usize {
  delayProgramRelease();
  for (let k = 0; k < lognormalRoot.length; k++) {
    lognormalRoot[k] = false;
    fixedRootNs[k] = -1;
  }
  programPtr = heap.alloc(usize(max(n, 1)) << 3);
  return programPtr;
}

/**
 * Per delay kind whose distribution is a plain lognormal (the default host delays): its
 * mu and sigma, read once when the root is set, so a draw goes straight to the sampler
 * without reading the node's kind and parameters from the program (sampleDelayInline).
 * The arithmetic is the Lognormal case's, on the same values: the same draws.
 */
const lognormalRoot = new StaticArray<bool>(8);
const lognormalMu = new StaticArray<f64>(8);
const lognormalSigma = new StaticArray<f64>(8);
/**
 * Per delay kind whose distribution is a fixed value (a scenario's "fixed" delays, as S15's
 * stable host): the value, read once when the root is set; a draw takes no random number
 * (the Fixed case), so the same value is the same draw. -1 when the kind is not fixed.
 */
const fixedRootNs = new StaticArray<f64>(8);
/** fixedRootNs truncated to whole ns (a fixed kind's draw as the event queue takes it: sampleDelayTruncNsInline). */
const fixedRootTruncNs = new StaticArray<i64>(8);

/** The program cell where delay kind `kind`'s distribution starts (after the program is written). */
export function delaySetRoot(kind: i32, node: i32): void {
  roots[kind] = node;
  const lognormal = i32(cell(node)) == DelayNode.Lognormal;
  lognormalRoot[kind] = lognormal;
  lognormalMu[kind] = lognormal ? cell(node + 1) : 0;
  lognormalSigma[kind] = lognormal ? cell(node + 2) : 0;
  fixedRootNs[kind] = i32(cell(node)) == DelayNode.Fixed ? cell(node + 1) : -1;
  fixedRootTruncNs[kind] = i32(cell(node)) == DelayNode.Fixed ? i64(cell(node + 1)) : 0;
}

// @ts-ignore: decorator
@inline
function cell(i: i32): f64 {
  return load<f64>(programPtr + (usize(i) << 3));
}

// The ziggurat's tables (src/sim/ziggurat.ts computes them; the host copies them in):
// x[0..128], ratio[0..127], f(x)[0..128].
const LAYERS: i32 = 128;
const ZIG_R: f64 = 3.442619855899;
const ZIG_CELLS: i32 = 2 * (LAYERS + 1) + LAYERS;
const ZIG_RATIO: i32 = LAYERS + 1;
const ZIG_FX: i32 = 2 * LAYERS + 1;
const TWO_POW_M24: f64 = 1.0 / 16777216.0;
let zigPtr: usize = 0;

/** The table cells (ZIG_CELLS f64), allocated once, for the host to fill. */
export function delayZigguratInit(): usize {
  if (zigPtr == 0) zigPtr = heap.alloc(usize(ZIG_CELLS) << 3);
  return zigPtr;
}

// @ts-ignore: decorator
@inline
function zig(i: i32): f64 {
  return load<f64>(zigPtr + (usize(i) << 3));
}

/** A standard normal deviate: zigguratNormal in src/sim/ziggurat.ts, step for step. */
// @ts-ignore: decorator
@inline
function standardNormal(stream: i32): f64 {
  for (;;) {
    const a = rngNextU32(stream);
    const i = i32(a & 127);
    const u = f64(a >>> 8) * TWO_POW_M24;
    const x = u * zig(i);
    const negative = (a & 128) != 0;
    if (u < zig(ZIG_RATIO + i)) return negative ? -x : x;
    if (i == 0) return standardNormalTail(stream, negative);
    if (zig(ZIG_FX + i) + rngNextFloat(stream) * (zig(ZIG_FX + i + 1) - zig(ZIG_FX + i)) < Math.exp(-0.5 * x * x)) return negative ? -x : x;
  }
  return 0;
}

/** The base layer's tail beyond r (Marsaglia's exponential method). */
function standardNormalTail(stream: i32, negative: bool): f64 {
  let t: f64;
  let y: f64;
  do {
    t = -Math.log(1 - rngNextFloat(stream)) / ZIG_R;
    y = -Math.log(1 - rngNextFloat(stream));
  } while (y + y < t * t);
  return negative ? -(ZIG_R + t) : ZIG_R + t;
}

/**
 * A lognormal draw rounded to whole ns (DistLognormal.sample): exp(mu + sigma·N(0,1)).
 * exp is the standard library's own table-driven exp (Math.exp is exp_lut at shrink level
 * 0, both builds' setting): the same operations, inlined into each draw instead of a call
 * per draw (six per cyclictest interrupt), so the same bits.
 */
// @ts-ignore: decorator
@inline
function lognormalDraw(mu: f64, sigma: f64, stream: i32): f64 {
  return Math.floor(exp_lut(mu + sigma * standardNormal(stream)) + 0.5);
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
      return lognormalDraw(cell(node + 1), cell(node + 2), stream);
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
  const stream = v * DELAY_KINDS + kind;
  if (unchecked(lognormalRoot[kind])) return lognormalDraw(unchecked(lognormalMu[kind]), unchecked(lognormalSigma[kind]), stream);
  const fixedNs = unchecked(fixedRootNs[kind]);
  if (fixedNs >= 0) return fixedNs;
  return sampleNode(unchecked(roots[kind]), stream);
}

/**
 * sampleDelayInline truncated to whole ns, as an event that far ahead is scheduled
 * (engine_record.ts schedule: now + i64(delay)): the same draw, and a fixed kind's
 * truncation taken once, when its root is set, rather than at each draw.
 */
// @ts-ignore: decorator
@inline
export function sampleDelayTruncNsInline(kind: i32, v: i32): i64 {
  // (fixedRootNs is -1 for every kind that is not fixed, the lognormal ones included.)
  if (unchecked(fixedRootNs[kind]) >= 0) return unchecked(fixedRootTruncNs[kind]);
  return i64(sampleDelayInline(kind, v));
}

/** One draw of the program's node `node` from stream `stream` (the host scheduler's background tasks, engine_sched.ts). */
export function sampleDelayNode(node: i32, stream: i32): f64 {
  return sampleNode(node, stream);
}

export function sampleDelay(kind: i32, v: i32): f64 {
  return sampleDelayInline(kind, v);
}


/** Where the program lies and where a kind's distribution starts (sim/bench_probe.ts). */
export function delayProgramPtr(): usize {
  return programPtr;
}

export function delayRootOf(kind: i32): i32 {
  return roots[kind];
}
