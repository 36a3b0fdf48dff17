// 64-bit fixed-point primitives of include/linux/math64.h and the x86 div64
// helpers, re-stated from spec §1. Every kernel truncation is reproduced.

import { Status } from "./status";

/** High 64 bits of the last full 128-bit product or quotient; read via getters. */
export let hi64: u64 = 0;
/** Remainder of the last 128/64 division (discarded by most callers, as in the kernel). */
export let rem64: u64 = 0;

// @ts-ignore: decorator
@inline
export function umulh(a: u64, b: u64): u64 {
  // 64x64 -> high 64 bits from four 32x32 -> 64 partial products (no 128-bit type in wasm).
  const al = a & 0xffffffff;
  const ah = a >> 32;
  const bl = b & 0xffffffff;
  const bh = b >> 32;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  return ah * bh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

// @ts-ignore: decorator
@inline
export function shr128(hi: u64, lo: u64, shift: u32): u64 {
  // Low 64 bits of (hi:lo) >> shift, for 0 <= shift < 128.
  if (shift == 0) return lo;
  if (shift < 64) return (lo >> u64(shift)) | (hi << u64(64 - shift));
  return hi >> u64(shift - 64);
}

/** mul_u64_u64_shr (§1.1): low 64 bits of (a*b) >> shift, full 128-bit product. */
// @ts-ignore: decorator
@inline
export function mulU64U64Shr(a: u64, b: u64, shift: u32): u64 {
  return shr128(umulh(a, b), a * b, shift);
}

/** mul_s64_u64_shr (§1.2): sign-magnitude, so it rounds toward zero. */
export function mulS64U64Shr(a: i64, b: u64, shift: u32): i64 {
  const magnitude: u64 = a < 0 ? u64(0) - u64(a) : u64(a);
  const r = mulU64U64Shr(magnitude, b, shift);
  return a < 0 ? i64(u64(0) - r) : i64(r);
}

/**
 * Unsigned (hi:lo) / d for hi < d (quotient fits 64 bits): normalised long division
 * with two 32-bit digit steps (the x86 `divq` result). Remainder into rem64.
 */
export function divU128U64(hi: u64, lo: u64, d: u64): u64 {
  const s = u32(clz(d));
  let v = d << u64(s);
  let un32: u64;
  let un10: u64;
  if (s == 0) {
    un32 = hi;
    un10 = lo;
  } else {
    un32 = (hi << u64(s)) | (lo >> u64(64 - s));
    un10 = lo << u64(s);
  }
  const vn1 = v >> 32;
  const vn0 = v & 0xffffffff;
  const un1 = un10 >> 32;
  const un0 = un10 & 0xffffffff;

  let q1 = un32 / vn1;
  let rhat = un32 - q1 * vn1;
  while (q1 >= 0x100000000 || q1 * vn0 > ((rhat << 32) | un1)) {
    q1 -= 1;
    rhat += vn1;
    if (rhat >= 0x100000000) break;
  }
  const un21 = ((un32 << 32) | un1) - q1 * v;

  let q0 = un21 / vn1;
  rhat = un21 - q0 * vn1;
  while (q0 >= 0x100000000 || q0 * vn0 > ((rhat << 32) | un0)) {
    q0 -= 1;
    rhat += vn1;
    if (rhat >= 0x100000000) break;
  }
  const remNorm = ((un21 << 32) | un0) - q0 * v;
  rem64 = remNorm >> u64(s);
  return (q1 << 32) | q0;
}

/**
 * mul_u64_u64_div_u64 / mul_u64_u32_div on x86-64 (§1.3): floor(a*b/d). A zero
 * divisor or a quotient >= 2^64 raises #DE on the CPU; here it is Status.Overflow
 * (or DivideByZero) and the quotient is not produced.
 */
export function mulU64U64DivU64(a: u64, b: u64, d: u64): i32 {
  if (d == 0) return Status.DivideByZero;
  const hi = umulh(a, b);
  if (hi >= d) return Status.Overflow;
  hi64 = divU128U64(hi, a * b, d);
  return Status.Ok;
}

/**
 * u64_shl_div_u64 (§1.4, vmx.c): (a << shift) / divisor with a 128-bit dividend.
 * Returns Status.Overflow where the kernel reports overflow (high word >= divisor);
 * the quotient goes to hi64. shift must be 1..63 (the kernel only uses 48).
 */
export function u64ShlDivU64(a: u64, shift: u32, divisor: u64): i32 {
  const hi = a >> u64(64 - shift);
  if (hi >= divisor) return Status.Overflow;
  hi64 = divU128U64(hi, a << u64(shift), divisor);
  return Status.Ok;
}

/** do_div (§1.5): floor(n / base) for u64 n and u32 base; remainder into rem64. */
export function doDiv(n: u64, base: u32): u64 {
  const q = n / u64(base);
  rem64 = n - q * u64(base);
  return q;
}

/**
 * pvclock_scale_delta (§1.6): shift (high bits silently lost on a left shift), then
 * bits 32..95 of the 64x32 product. Always rounds down.
 */
// @ts-ignore: decorator
@inline
export function pvclockScaleDelta(delta: u64, mulFrac: u32, shift: i32): u64 {
  let d = delta;
  if (shift < 0) d = d >> u64(-shift);
  else d = d << u64(shift);
  const m = u64(mulFrac);
  return (d >> 32) * m + (((d & 0xffffffff) * m) >> 32);
}

/** Reads hi64 (the result slot of the last division). */
export function getHi64(): u64 { return hi64; }
/** Reads rem64. */
export function getRem64(): u64 { return rem64; }
