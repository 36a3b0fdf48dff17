// Seeded random streams (architecture.md, "Determinism"; issue #3 §5).
//
// Every random draw in a run comes from a stream named by (seed, vm, vcpu, purpose).
// The stream's whole 128-bit state is a hash of that tuple, so adding a vCPU, a VM or
// a purpose never shifts another stream's draws, and no stream is "next to" another.
//
// Why our own generator rather than a library such as pure-rand: those seed from one
// 32-bit number. A run has ~10^5–10^6 streams (vCPUs × purposes); by the birthday
// bound, 10^5 random 32-bit seeds already collide with probability ≈ 69 %, and two
// streams with equal seeds draw identical sequences. Deriving all four 32-bit state
// words from the tuple makes a collision a 2^-128 event.
//
// The generator is xoshiro128** (Blackman & Vigna, 2018): 128 bits of state in four
// int32 words, period 2^128 − 1, passes BigCrush, and every step is int32 arithmetic
// that V8 keeps unboxed, so a draw allocates nothing.

import { InputRangeError } from "../errors.js";

/** A source of uniform random numbers. Implementations never allocate per draw. */
export interface Rng {
  /** A uniform 32-bit unsigned integer in [0, 2^32). */
  nextU32(): number;
  /** A uniform float in [0, 1) with 53 random bits (consumes two nextU32 draws). */
  nextFloat(): number;
}

/**
 * What a stream is for. The numeric values are part of the stream key: changing one
 * changes that purpose's draws in every run, so only ever append.
 */
export const Purpose = {
  /** hrtimer expiry -> callback delay (host.delays.hrtimer). */
  hrtimer: 0,
  /** kick of a blocked vCPU -> it runs (host.delays.wakeup). */
  wakeup: 1,
  vmExit: 2,
  vmEntry: 3,
  /** VM entry with an injected interrupt -> guest handler (host.delays.irqDispatch). */
  irqDispatch: 4,
  /** WRMSR exit round trip (host.delays.msrExit). */
  msrExit: 5,
  /** Periodic host stalls (host.stalls). */
  stall: 6,
  /** Guest workload choices (jitter in a guest program's own timing). */
  workload: 7,
  /** A CPU idling in the guest's HLT/MWAIT wakes (host.delays.cpuIdleExit). */
  cpuIdleExit: 8,
} as const;
export type Purpose = (typeof Purpose)[keyof typeof Purpose];

const TWO_POW_32 = 4294967296;
/** 2^-53: scales a 53-bit integer into [0, 1). */
const TWO_POW_M53 = 1 / 9007199254740992;

// One distinct odd constant per state word, so the four hash chains over the same tuple
// start from different points (fractional digits of sqrt(2), sqrt(3), sqrt(5), sqrt(7):
// arbitrary but not chosen to make anything happen).
const WORD_SEEDS = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a] as const;

function rotl32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// One MurmurHash3 x86_32 body step: a bijection of h for fixed x and of x for fixed h,
// so distinct tuples keep distinct chains until the final mix.
function absorb(h: number, x: number): number {
  let k = Math.imul(x, 0xcc9e2d51);
  k = rotl32(k, 15);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = rotl32(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

// The MurmurHash3 finaliser: full avalanche, so a one-bit change in the tuple flips
// each output bit with probability ~1/2.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function checkU32(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= TWO_POW_32) {
    throw new InputRangeError(field, value, "an integer in [0, 2^32)");
  }
}

/**
 * Writes the 128-bit xoshiro state for (seed, vm, vcpu, purpose) into out[offset..offset+4]
 * as int32 words. For callers that keep many streams in one buffer (the wasm streams of
 * assembly/sim/rng_streams.ts) instead of one object per stream.
 */
export function deriveStreamState(
  seed: number,
  vm: number,
  vcpu: number,
  purpose: number,
  out: Int32Array,
  offset: number,
): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new InputRangeError("seed", seed, "an integer in [0, 2^53)");
  }
  checkU32("vm", vm);
  checkU32("vcpu", vcpu);
  checkU32("purpose", purpose);
  const seedLo = seed % TWO_POW_32 | 0;
  const seedHi = Math.floor(seed / TWO_POW_32) | 0;
  let any = 0;
  for (let w = 0; w < 4; w++) {
    let h: number = WORD_SEEDS[w]!;
    h = absorb(h, seedLo);
    h = absorb(h, seedHi);
    h = absorb(h, vm | 0);
    h = absorb(h, vcpu | 0);
    h = absorb(h, purpose | 0);
    // murmur3 mixes the input length in before finalising; 5 words = 20 bytes.
    const word = fmix32(h ^ 20);
    out[offset + w] = word;
    any |= word;
  }
  // xoshiro's one forbidden state is all zeros (it would stay zero forever). A 2^-128
  // event, but a fixed replacement keeps the generator total.
  if (any === 0) out[offset] = 1;
}

/** xoshiro128** over four int32 fields. */
export class Xoshiro128ss implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextU32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2 ^ s0;
    const s3 = this.s3 ^ s1;
    const result = Math.imul(rotl32(Math.imul(s1, 5), 7), 9) >>> 0;
    this.s0 = s0 ^ s3;
    this.s1 = s1 ^ s2;
    this.s2 = s2 ^ (s1 << 9);
    this.s3 = rotl32(s3, 11);
    return result;
  }

  nextFloat(): number {
    // The top 27 + 26 bits of two draws (the high bits of xoshiro128** are its best).
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) * TWO_POW_M53;
  }
}

// Scratch for rngStream: derivation happens once per stream, not per draw.
const scratch = new Int32Array(4);

/** The random stream for (seed, vm, vcpu, purpose). Same tuple, same sequence. */
export function rngStream(seed: number, vm: number, vcpu: number, purpose: number): Rng {
  deriveStreamState(seed, vm, vcpu, purpose, scratch, 0);
  return new Xoshiro128ss(scratch[0]!, scratch[1]!, scratch[2]!, scratch[3]!);
}
