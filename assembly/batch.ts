// Batch kernels over u64 arrays in linear memory: the hot loops of the math engine.

import { mulU64U64Shr, pvclockScaleDelta } from "./math64";
import { getTimeScale, timeScaleShift } from "./time_scale";
import { lowHalves, highHalves, mulShrLanes, ShiftMode, shiftModeOf } from "./simd_mul";

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
function mulShr4(aPtr: usize, bPtr: usize, outPtr: usize, off: usize, shift: i32, mode: i32): void {
  const a01 = v128.load(aPtr + off);
  const a23 = v128.load(aPtr + off, 16);
  const b01 = v128.load(bPtr + off);
  const b23 = v128.load(bPtr + off, 16);
  const al = lowHalves(a01, a23);
  const ah = highHalves(a01, a23);
  const bl = lowHalves(b01, b23);
  const bh = highHalves(b01, b23);
  v128.store(outPtr + off, mulShrLanes(al, ah, bl, bh, shift, false, mode));
  v128.store(outPtr + off, mulShrLanes(al, ah, bl, bh, shift, true, mode), 16);
}

/** out[i] = mul_u64_u64_shr(a[i], b[i], shift). */
export function batchMulU64U64Shr(aPtr: usize, bPtr: usize, shift: u32, outPtr: usize, n: i32): void {
  let i = 0;
  const s = i32(shift);
  // Four lanes per iteration (SIMD), specialised on the shift mode outside the loops.
  if (shift >= 64 && shift < 128) {
    for (; i + 4 <= n; i += 4) mulShr4(aPtr, bPtr, outPtr, usize(i) << 3, s, ShiftMode.High);
  } else if (shift >= 32) {
    for (; i + 4 <= n; i += 4) mulShr4(aPtr, bPtr, outPtr, usize(i) << 3, s, ShiftMode.Wide);
  } else if (shift > 0) {
    for (; i + 4 <= n; i += 4) mulShr4(aPtr, bPtr, outPtr, usize(i) << 3, s, ShiftMode.Narrow);
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
    v128.store(outPtr + off, i64x2.add(mulShrLanes(tl, th, rl, rh, s, false, ShiftMode.Wide), off64));
    v128.store(outPtr + off, i64x2.add(mulShrLanes(tl, th, rl, rh, s, true, ShiftMode.Wide), off64), 16);
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
  // pvclock_scale_delta four lanes at a time: shift, then dh*m + ((dl*m) >> 32).
  const m = i32x4.splat(i32(mult));
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = usize(i) << 3;
    let d01 = v128.load(nsPtr + off);
    let d23 = v128.load(nsPtr + off, 16);
    if (shift < 0) {
      d01 = i64x2.shr_u(d01, -shift);
      d23 = i64x2.shr_u(d23, -shift);
    } else {
      d01 = i64x2.shl(d01, shift);
      d23 = i64x2.shl(d23, shift);
    }
    const dl = lowHalves(d01, d23);
    const dh = highHalves(d01, d23);
    v128.store(outPtr + off, i64x2.add(i64x2.extmul_low_i32x4_u(dh, m), i64x2.shr_u(i64x2.extmul_low_i32x4_u(dl, m), 32)));
    v128.store(outPtr + off, i64x2.add(i64x2.extmul_high_i32x4_u(dh, m), i64x2.shr_u(i64x2.extmul_high_i32x4_u(dl, m), 32)), 16);
  }
  for (; i < n; i++) {
    const off = usize(i) << 3;
    store<u64>(outPtr + off, pvclockScaleDelta(load<u64>(nsPtr + off), mult, shift));
  }
}
