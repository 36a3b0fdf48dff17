// u64_shl_div_u64 (spec §1.4) over an array with one divisor: the hv-timer conversion of
// guest cycles to host cycles through a per-vCPU L1 ratio (spec §6.2), batched.

import { divU128U64 } from "./math64";
import { setReciprocal, divPreinvShifted, recipShift, recipDivisor, recipValue } from "./reciprocal_div";
import { lowHalves, highHalves, mulShrLanes, ShiftMode, shiftModeOf } from "./simd_mul";

/**
 * Four lanes of floor((a << shift) / d) by estimate and correction. With
 * m = floor(2^(63+bl) / d) (bl = bit length of d, d not a power of two) the estimate
 * floor(a*m / 2^t), t = 63 + bl - shift, is at most 2 below the quotient for every a
 * whose quotient fits 64 bits, so the remainder a*2^shift - q*d lies in [0, 3d) and is
 * exact in 64 bits (d < 2^61); two conditional steps finish. Overflowing lanes (the
 * kernel's high >= divisor) get 0 and a flag. Returns the overflow masks added per
 * lane (each overflowing lane counts -1).
 */
// @ts-ignore: decorator
@inline
function shlDiv4(aPtr: usize, outPtr: usize, flagsPtr: usize, off: usize, shift: i32, d: u64, ml: v128, mh: v128, t: i32, mode: i32): v128 {
  const a01 = v128.load(aPtr + off);
  const a23 = v128.load(aPtr + off, 16);
  const al = lowHalves(a01, a23);
  const ah = highHalves(a01, a23);
  const q01 = mulShrLanes(al, ah, ml, mh, t, false, mode);
  const q23 = mulShrLanes(al, ah, ml, mh, t, true, mode);
  // lo64(q*d) = ql*dl + ((ql*dh + qh*dl) << 32): the cross term only needs 32 bits.
  const ql = lowHalves(q01, q23);
  const qh = highHalves(q01, q23);
  const dl = i32x4.splat(i32(d));
  const dh = i32x4.splat(i32(d >> 32));
  const cross = i32x4.add(i32x4.mul(ql, dh), i32x4.mul(qh, dl));
  const zero = i32x4.splat(0);
  const cross01 = i8x16.shuffle(zero, cross, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 20, 21, 22, 23);
  const cross23 = i8x16.shuffle(zero, cross, 0, 1, 2, 3, 24, 25, 26, 27, 0, 1, 2, 3, 28, 29, 30, 31);
  const qd01 = i64x2.add(i64x2.extmul_low_i32x4_u(ql, dl), cross01);
  const qd23 = i64x2.add(i64x2.extmul_high_i32x4_u(ql, dl), cross23);
  const ov01 = finishLanes(a01, q01, qd01, shift, d, outPtr + off, flagsPtr, off >> 3);
  const ov23 = finishLanes(a23, q23, qd23, shift, d, outPtr + off + 16, flagsPtr, (off >> 3) + 2);
  return i64x2.add(ov01, ov23);
}

/** Corrects two estimated quotients (given lo64(q*d)), stores them and their overflow flags; returns the overflow mask. */
// @ts-ignore: decorator
@inline
function finishLanes(a: v128, estimate: v128, estimateTimesD: v128, shift: i32, d: u64, out: usize, flagsPtr: usize, index: usize): v128 {
  const dv = i64x2.splat(d);
  let q = estimate;
  let r = i64x2.sub(i64x2.shl(a, shift), estimateTimesD);
  let step = i64x2.ge_s(r, dv);
  q = i64x2.sub(q, step);
  r = i64x2.sub(r, v128.and(dv, step));
  step = i64x2.ge_s(r, dv);
  q = i64x2.sub(q, step);
  // a >> (64 - shift) < 2^63 and d < 2^61: a signed compare is exact.
  const overflow = i64x2.ge_s(i64x2.shr_u(a, 64 - shift), dv);
  v128.store(out, v128.andnot(q, overflow));
  if (flagsPtr) {
    store<u8>(flagsPtr + index, u8(i64x2.extract_lane(overflow, 0) != 0));
    store<u8>(flagsPtr + index + 1, u8(i64x2.extract_lane(overflow, 1) != 0));
  }
  return overflow;
}

/**
 * out[i] = u64_shl_div_u64(a[i], shift, divisor), shift 1..63; lanes that overflow get
 * out[i] = 0 and flags[i] = 1 (flagsPtr may be 0). Returns the number of overflowing lanes.
 */
export function batchU64ShlDivU64(aPtr: usize, shift: u32, divisor: u64, outPtr: usize, flagsPtr: usize, n: i32): i32 {
  if (divisor == 0) {
    // high >= 0 always: every lane overflows, as in the kernel.
    for (let i = 0; i < n; i++) {
      store<u64>(outPtr + (usize(i) << 3), 0);
      if (flagsPtr) store<u8>(flagsPtr + usize(i), 1);
    }
    return n;
  }
  let i = 0;
  let overflows = 0;
  const bitLength = u32(64 - clz(divisor));
  const powerOfTwo = (divisor & (divisor - 1)) == 0;
  if (!powerOfTwo && bitLength <= 61) {
    const m = divU128U64(u64(1) << u64(bitLength - 1), 0, divisor);
    const ml = i32x4.splat(i32(m));
    const mh = i32x4.splat(i32(m >> 32));
    const s = i32(shift);
    const t = i32(63 + bitLength - shift);
    const mode = shiftModeOf(u32(t));
    let negCount = i64x2.splat(0);
    if (mode == ShiftMode.High) {
      for (; i + 4 <= n; i += 4) negCount = i64x2.add(negCount, shlDiv4(aPtr, outPtr, flagsPtr, usize(i) << 3, s, divisor, ml, mh, t, ShiftMode.High));
    } else if (mode == ShiftMode.Wide) {
      for (; i + 4 <= n; i += 4) negCount = i64x2.add(negCount, shlDiv4(aPtr, outPtr, flagsPtr, usize(i) << 3, s, divisor, ml, mh, t, ShiftMode.Wide));
    } else {
      for (; i + 4 <= n; i += 4) negCount = i64x2.add(negCount, shlDiv4(aPtr, outPtr, flagsPtr, usize(i) << 3, s, divisor, ml, mh, t, ShiftMode.Narrow));
    }
    overflows = -i32(i64x2.extract_lane(negCount, 0) + i64x2.extract_lane(negCount, 1));
  }
  if (i == n) return overflows;
  // Remaining lanes (and divisors outside the estimate's range): reciprocal division.
  setReciprocal(divisor);
  const l = u64(recipShift);
  const dn = recipDivisor;
  const v = recipValue;
  const sh = u64(shift);
  for (; i < n; i++) {
    const off = usize(i) << 3;
    const a = load<u64>(aPtr + off);
    const hi = a >> (64 - sh);
    const lo = a << sh;
    const bad = hi >= divisor;
    let q: u64 = 0;
    // hi < divisor keeps the normalised (hi:lo) within 128 bits.
    if (!bad) q = divPreinvShifted(hi, lo, l, dn, v);
    store<u64>(outPtr + off, q);
    if (flagsPtr) store<u8>(flagsPtr + usize(i), u8(bad));
    overflows += i32(bad);
  }
  return overflows;
}
