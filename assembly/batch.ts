// Batch kernels over u64 arrays in linear memory: the hot loops of the math engine.

import { mulU64U64Shr, pvclockScaleDelta } from "./math64";
import { getTimeScale, timeScaleShift } from "./time_scale";
import { lowHalves, highHalves, mulShrLanes } from "./simd_mul";
import { setReciprocal, divPreinv, recipShift, recipDivisor, recipValue } from "./reciprocal_div";

/** Allocate `bytes` of linear memory, 16-byte aligned (TLSF), for a typed-array view. */
export function allocBytes(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Release memory from allocBytes. */
export function freeBytes(ptr: usize): void {
  heap.free(ptr);
}

/** Four lanes of mul_u64_u64_shr(a[i], b[i], shift) at byte offset `off`. */
// @ts-ignore: decorator
@inline
function mulShr4(aPtr: usize, bPtr: usize, outPtr: usize, off: usize, shift: i32, wide: bool): void {
  const a01 = v128.load(aPtr + off);
  const a23 = v128.load(aPtr + off, 16);
  const b01 = v128.load(bPtr + off);
  const b23 = v128.load(bPtr + off, 16);
  const al = lowHalves(a01, a23);
  const ah = highHalves(a01, a23);
  const bl = lowHalves(b01, b23);
  const bh = highHalves(b01, b23);
  v128.store(outPtr + off, mulShrLanes(al, ah, bl, bh, shift, false, wide));
  v128.store(outPtr + off, mulShrLanes(al, ah, bl, bh, shift, true, wide), 16);
}

/** out[i] = mul_u64_u64_shr(a[i], b[i], shift). */
export function batchMulU64U64Shr(aPtr: usize, bPtr: usize, shift: u32, outPtr: usize, n: i32): void {
  let i = 0;
  const s = i32(shift);
  // Four lanes per iteration (SIMD), specialised on shift >= 32 outside the loop.
  if (shift >= 32 && shift < 64) {
    for (; i + 4 <= n; i += 4) mulShr4(aPtr, bPtr, outPtr, usize(i) << 3, s, true);
  } else if (shift > 0 && shift < 32) {
    for (; i + 4 <= n; i += 4) mulShr4(aPtr, bPtr, outPtr, usize(i) << 3, s, false);
  }
  for (; i < n; i++) {
    const off = usize(i) << 3;
    store<u64>(outPtr + off, mulU64U64Shr(load<u64>(aPtr + off), load<u64>(bPtr + off), shift));
  }
}

/** out[i] = offset + kvm_scale_tsc(tsc[i], ratio): kvm_read_l1_tsc over an array. */
export function batchScaleTsc(tscPtr: usize, ratio: u64, fracBits: u32, offset: u64, outPtr: usize, n: i32): void {
  if (ratio == u64(1) << u64(fracBits)) {
    for (let i = 0; i < n; i++) {
      const off = usize(i) << 3;
      store<u64>(outPtr + off, load<u64>(tscPtr + off) + offset);
    }
    return;
  }
  // Four lanes per iteration (SIMD); fracBits is 48 or 32, so the shift is "wide".
  let i = 0;
  const s = i32(fracBits);
  const rl = i32x4.splat(i32(ratio));
  const rh = i32x4.splat(i32(ratio >> 32));
  const off64 = i64x2.splat(offset);
  for (; i + 4 <= n; i += 4) {
    const off = usize(i) << 3;
    const t01 = v128.load(tscPtr + off);
    const t23 = v128.load(tscPtr + off, 16);
    const tl = lowHalves(t01, t23);
    const th = highHalves(t01, t23);
    v128.store(outPtr + off, i64x2.add(mulShrLanes(tl, th, rl, rh, s, false, true), off64));
    v128.store(outPtr + off, i64x2.add(mulShrLanes(tl, th, rl, rh, s, true, true), off64), 16);
  }
  for (; i < n; i++) {
    const off = usize(i) << 3;
    store<u64>(outPtr + off, mulU64U64Shr(load<u64>(tscPtr + off), ratio, fracBits) + offset);
  }
}

/** out[i] = floor(u64(cycles[i] * 10^6) / khz), the lapic.c do_div form. */
export function batchCyclesToNs(cyclesPtr: usize, tscKhz: u32, outPtr: usize, n: i32): void {
  const khz = u64(tscKhz);
  for (let i = 0; i < n; i++) {
    const off = usize(i) << 3;
    store<u64>(outPtr + off, (load<u64>(cyclesPtr + off) * 1000000) / khz);
  }
}

/** out[i] = nsec_to_cycles(ns[i]) for a guest of tscKhz (mult/shift computed once). */
export function batchNsecToCycles(nsPtr: usize, tscKhz: u32, outPtr: usize, n: i32): void {
  const mult = getTimeScale(u64(tscKhz) * 1000, 1000000000);
  const shift = timeScaleShift;
  for (let i = 0; i < n; i++) {
    const off = usize(i) << 3;
    store<u64>(outPtr + off, pvclockScaleDelta(load<u64>(nsPtr + off), mult, shift));
  }
}

/**
 * out[i] = u64_shl_div_u64(a[i], shift, divisor); lanes that overflow get out[i] = 0
 * and flags[i] = 1 (flagsPtr may be 0). Returns the number of overflowing lanes.
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
  // The divisor is constant across the batch: divide through its reciprocal.
  setReciprocal(divisor);
  const l = u64(recipShift);
  const dn = recipDivisor;
  const v = recipValue;
  const sh = u64(shift);
  let overflows = 0;
  for (let i = 0; i < n; i++) {
    const off = usize(i) << 3;
    const a = load<u64>(aPtr + off);
    const hi = a >> (64 - sh);
    const lo = a << sh;
    const bad = hi >= divisor;
    let q: u64 = 0;
    if (!bad) {
      // Normalise (hi:lo) by l; hi < divisor keeps it within 128 bits.
      const n1 = l == 0 ? hi : (hi << l) | (lo >> (64 - l));
      q = divPreinv(n1, lo << l, dn, v);
    }
    store<u64>(outPtr + off, q);
    if (flagsPtr) store<u8>(flagsPtr + usize(i), u8(bad));
    overflows += i32(bad);
  }
  return overflows;
}
