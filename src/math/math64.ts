// Public BigInt API of the 64-bit primitives (spec §1); the arithmetic runs in wasm.

import { wasm } from "../wasm.js";
import { DivideErrorTrap, InputRangeError } from "../errors.js";
import { int, u32, u64, s64 } from "./validate.js";

/** mul_u64_u64_shr (§1.1): u64((a*b) >> shift), shift 0..127. */
export function mulU64U64Shr(a: bigint, b: bigint, shift: number): bigint {
  return wasm.mulU64U64Shr(u64("a", a), u64("b", b), int("shift", shift, 0, 127));
}

/** mul_s64_u64_shr (§1.2): sign-magnitude, rounds toward zero; a and the result are s64. */
export function mulS64U64Shr(a: bigint, b: bigint, shift: number): bigint {
  return wasm.mulS64U64Shr(s64("a", a), u64("b", b), int("shift", shift, 0, 127));
}

function trapDiv(op: string, status: number, divisor: bigint | number): never {
  if (status === wasm.Status.DivideByZero) throw new InputRangeError("d", divisor, "a non-zero divisor (x86 raises #DE on 0)");
  throw new DivideErrorTrap(op, "the quotient does not fit in 64 bits");
}

/** mul_u64_u64_div_u64 (§1.3): floor(a*b/d); RangeError for d = 0 or a quotient >= 2^64. */
export function mulU64U64DivU64(a: bigint, b: bigint, d: bigint): bigint {
  const st = wasm.mulU64U64DivU64(u64("a", a), u64("b", b), u64("d", d));
  if (st !== wasm.Status.Ok) trapDiv("mul_u64_u64_div_u64", st, d);
  return wasm.getHi64();
}

/** mul_u64_u32_div (§1.3): floor(a*m/d) with u32 m and d; RangeError for d = 0 or overflow. */
export function mulU64U32Div(a: bigint, m: number, d: number): bigint {
  const st = wasm.mulU64U64DivU64(u64("a", a), BigInt(u32("m", m)), BigInt(u32("d", d)));
  if (st !== wasm.Status.Ok) trapDiv("mul_u64_u32_div", st, d);
  return wasm.getHi64();
}

/**
 * u64_shl_div_u64 (§1.4): (a << shift) / divisor with a 128-bit dividend, shift 1..63
 * (KVM uses 48). Returns undefined where the kernel reports overflow (high >= divisor).
 */
export function u64ShlDivU64(a: bigint, shift: number, divisor: bigint): bigint | undefined {
  const st = wasm.u64ShlDivU64(u64("a", a), int("shift", shift, 1, 63), u64("divisor", divisor));
  return st === wasm.Status.Ok ? wasm.getHi64() : undefined;
}

/** do_div (§1.5): u64 n / u32 base -> quotient and remainder. */
export function doDiv(n: bigint, base: number): { quotient: bigint; remainder: number } {
  const quotient = wasm.doDiv(u64("n", n), int("base", base, 1, 0xffffffff, "a non-zero u32"));
  return { quotient, remainder: Number(wasm.getRem64()) };
}

/**
 * pvclock_scale_delta (§1.6): shift (left shifts drop high bits), then bits 32..95 of
 * the 64x32 product; shift -63..63, mulFrac u32.
 */
export function pvclockScaleDelta(delta: bigint, mulFrac: number, shift: number): bigint {
  return wasm.pvclockScaleDelta(u64("delta", delta), u32("mulFrac", mulFrac), int("shift", shift, -63, 63));
}
