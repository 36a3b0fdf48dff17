// Seeded benchmark data and output checksums, defined on 32-bit words so that
// src/bench/native/kernels.c reproduces them bit for bit (same generator, same fill order,
// same checksum): the native baseline runs on the same inputs as the wasm kernels and
// its outputs are checked against the verified wasm outputs without shipping 80 MB files.

/** murmur3's fmix32: spreads a seed into one word of generator state. */
function fmix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128** (Blackman & Vigna): small, fast, and trivially identical in C. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    this.s0 = fmix32(seed + 0x9e3779b9);
    this.s1 = fmix32(seed + 2 * 0x9e3779b9);
    this.s2 = fmix32(seed + 3 * 0x9e3779b9);
    this.s3 = fmix32(seed + 4 * 0x9e3779b9);
  }

  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** 32-bit little-endian words of a u64 view (x86 and wasm are little-endian). */
function words(view: BigUint64Array): Uint32Array {
  return new Uint32Array(view.buffer, view.byteOffset, view.length * 2);
}

/**
 * Fills `view` with u64 values below 2^bits (32 < bits <= 64): element i takes the next
 * generator word as its low half, then the next word masked as its high half.
 */
export function fillRandomU64(view: BigUint64Array, seed: number, bits: number): void {
  if (!(bits > 32 && bits <= 64)) throw new RangeError(`fillRandomU64: bits must be 33..64, got ${bits}`);
  const hiMask = bits === 64 ? 0xffffffff : (2 ** (bits - 32) - 1) >>> 0;
  const rng = new Xoshiro128(seed);
  const w = words(view);
  for (let i = 0; i < w.length; i += 2) {
    w[i] = rng.nextU32();
    w[i + 1] = rng.nextU32() & hiMask;
  }
}

/** FNV-1a over the 32-bit words of `view` (first `n` elements), as 8 hex digits. */
export function checksumU64(view: BigUint64Array, n = view.length): string {
  const w = words(view.subarray(0, n));
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Index of the first of the first `n` elements where a and b differ, or -1. */
export function firstMismatch(a: BigUint64Array, b: BigUint64Array, n: number): number {
  if (a.length < n || b.length < n) throw new RangeError(`firstMismatch: arrays shorter than ${n}`);
  const wa = words(a.subarray(0, n));
  const wb = words(b.subarray(0, n));
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return i >> 1;
  return -1;
}
