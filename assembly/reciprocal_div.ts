// 128/64 division by an invariant divisor through a precomputed reciprocal
// (Moller & Granlund, "Improved division by invariant integers", 2011, Alg. 4):
// one 64x64->128 multiply and one 64-bit multiply per quotient instead of a long
// division. Used where the divisor is a per-vCPU constant (the L1 TSC ratio, spec §6.2).

import { umulh, divU128U64 } from "./math64";

/** Normalisation shift: clz(d). */
export let recipShift: u32 = 0;
/** d << recipShift (top bit set). */
export let recipDivisor: u64 = 0;
/** floor((2^128 - 1) / recipDivisor) - 2^64. */
export let recipValue: u64 = 0;

/** Prepares recipShift / recipDivisor / recipValue for divisor d (d != 0). */
export function setReciprocal(d: u64): void {
  const s = u32(clz(d));
  const dn = d << u64(s);
  recipShift = s;
  recipDivisor = dn;
  // (2^128 - 1) / dn - 2^64 = ((~dn):(2^64-1)) / dn, and ~dn < dn since the top bit is set.
  recipValue = divU128U64(~dn, 0xffffffffffffffff, dn);
}

/**
 * floor((hi:lo) / d) for d = dn >> shift, hi < d: normalises the numerator by the same
 * shift and divides through the reciprocal v of dn.
 */
// @ts-ignore: decorator
@inline
export function divPreinvShifted(hi: u64, lo: u64, shift: u64, dn: u64, v: u64): u64 {
  const n1 = shift == 0 ? hi : (hi << shift) | (lo >> (64 - shift));
  return divPreinv(n1, lo << shift, dn, v);
}

/**
 * floor((n1:n0) / dn) for a normalised dn with reciprocal v, n1 < dn.
 */
// @ts-ignore: decorator
@inline
export function divPreinv(n1: u64, n0: u64, dn: u64, v: u64): u64 {
  const pLo = v * n1;
  const pHi = umulh(v, n1);
  const q0 = pLo + n0;
  let q1 = pHi + n1 + 1 + u64(q0 < pLo);
  let r = n0 - q1 * dn;
  if (r > q0) {
    q1 -= 1;
    r += dn;
  }
  if (r >= dn) q1 += 1;
  return q1;
}
