// 64x64 -> 128-bit products, shifted right, for four u64 lanes at a time with wasm SIMD
// (architecture.md, "Performance anchors": i64x2.extmul_{low,high}_i32x4_u partial
// products). Lanes are handled as gathered 32-bit halves:
// lo = [x0l, x1l, x2l, x3l], hi = [x0h, x1h, x2h, x3h].

/** Low halves of the two u64 lanes of v and w: [v0l, v1l, w0l, w1l]. */
// @ts-ignore: decorator
@inline
export function lowHalves(v: v128, w: v128): v128 {
  return i8x16.shuffle(v, w, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}

/** High halves of the two u64 lanes of v and w: [v0h, v1h, w0h, w1h]. */
// @ts-ignore: decorator
@inline
export function highHalves(v: v128, w: v128): v128 {
  return i8x16.shuffle(v, w, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}

/** How a lane shift splits across the 128-bit product: chosen once per batch. */
export const enum ShiftMode {
  /** 0 < shift < 32 */
  Narrow = 0,
  /** 32 <= shift < 64 */
  Wide = 1,
  /** 64 <= shift < 128: only the high word contributes. */
  High = 2,
}

/** The ShiftMode of a shift in 1..127. */
export function shiftModeOf(shift: u32): i32 {
  return shift < 32 ? ShiftMode.Narrow : shift < 64 ? ShiftMode.Wide : ShiftMode.High;
}

/**
 * u64((x*y) >> shift) for two lanes, 0 < shift < 128 with `mode` = shiftModeOf(shift),
 * from the partial products ll = xl*yl, lh = xl*yh, hl = xh*yl, hh = xh*yh (each
 * 32x32 -> 64). None of the sums below can carry out of 64 bits:
 * (2^32-1)^2 + 2*(2^32-1) = 2^64-1.
 */
// @ts-ignore: decorator
@inline
export function mulShrFromPartials(ll: v128, lh: v128, hl: v128, hh: v128, shift: i32, mode: i32): v128 {
  const mask = i64x2.splat(0xffffffff);
  const t = i64x2.add(lh, i64x2.shr_u(ll, 32));
  const u = i64x2.add(hl, v128.and(t, mask));
  const hi = i64x2.add(hh, i64x2.add(i64x2.shr_u(t, 32), i64x2.shr_u(u, 32)));
  if (mode == ShiftMode.High) return i64x2.shr_u(hi, shift - 64);
  // Bits 32..63 of the product are u's low half; bits 0..31 are ll's.
  if (mode == ShiftMode.Wide) {
    return v128.or(i64x2.shr_u(v128.and(u, mask), shift - 32), i64x2.shl(hi, 64 - shift));
  }
  const lo = v128.or(i64x2.shl(u, 32), v128.and(ll, mask));
  return v128.or(i64x2.shr_u(lo, shift), i64x2.shl(hi, 64 - shift));
}

/** mul_u64_u64_shr for lanes 0-1 (`high` false) or 2-3 (`high` true) of gathered halves. */
// @ts-ignore: decorator
@inline
export function mulShrLanes(al: v128, ah: v128, bl: v128, bh: v128, shift: i32, high: bool, mode: i32): v128 {
  if (high) {
    return mulShrFromPartials(
      i64x2.extmul_high_i32x4_u(al, bl),
      i64x2.extmul_high_i32x4_u(al, bh),
      i64x2.extmul_high_i32x4_u(ah, bl),
      i64x2.extmul_high_i32x4_u(ah, bh),
      shift,
      mode,
    );
  }
  return mulShrFromPartials(
    i64x2.extmul_low_i32x4_u(al, bl),
    i64x2.extmul_low_i32x4_u(al, bh),
    i64x2.extmul_low_i32x4_u(ah, bl),
    i64x2.extmul_low_i32x4_u(ah, bh),
    shift,
    mode,
  );
}
