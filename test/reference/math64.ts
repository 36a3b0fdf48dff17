// BigInt reference of the 64-bit kernel arithmetic primitives, re-stated from
// shared/spec/kvm-timer-reference.md §1 (independently of assembly/): every C
// truncation is written out with BigInt.asUintN / asIntN.

/** C's (u64)x: x mod 2^64. */
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
/** C's (s64)x: two's-complement reinterpretation of the low 64 bits. */
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
/** C's (u32)x: x mod 2^32. */
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffffffffn;

/** Outcome markers where the x86 CPU would raise #DE instead of returning. */
export type DivTrap = "divide-by-zero" | "overflow";

// mul_u64_u64_shr (include/linux/math64.h), spec §1.1
export function mulU64U64Shr(a: bigint, b: bigint, shift: number): bigint {
  const product128 = a * b; // full 128-bit product, never truncated
  return u64(product128 >> BigInt(shift));
}

// mul_s64_u64_shr (include/linux/math64.h), spec §1.2: sign-magnitude, rounds toward zero
export function mulS64U64Shr(a: bigint, b: bigint, shift: number): bigint {
  const magnitude = u64(a < 0n ? -a : a); // abs(S64_MIN) reinterpreted as u64 is 2^63
  const r = mulU64U64Shr(magnitude, b, shift);
  return s64(a < 0n ? u64(-r) : r);
}

// mul_u64_u64_div_u64 (include/linux/math64.h, x86 asm in arch/x86/include/asm/div64.h), spec §1.3
export function mulU64U64DivU64(a: bigint, b: bigint, d: bigint): bigint | DivTrap {
  if (d === 0n) return "divide-by-zero";
  const q = (a * b) / d; // one mul (128-bit), one div
  if (q > U64_MAX) return "overflow"; // divq raises #DE when the quotient does not fit
  return q;
}

// mul_u64_u32_div (include/linux/math64.h, x86 asm in arch/x86/include/asm/div64.h), spec §1.3
export function mulU64U32Div(a: bigint, mul: number, divisor: number): bigint | DivTrap {
  return mulU64U64DivU64(a, BigInt(mul), BigInt(divisor));
}

// u64_shl_div_u64 (arch/x86/kvm/vmx/vmx.c), spec §1.4; undefined = "overflow (1)"
export function u64ShlDivU64(a: bigint, shift: number, divisor: bigint): bigint | undefined {
  const hi = a >> BigInt(64 - shift);
  const lo = u64(a << BigInt(shift));
  if (hi >= divisor) return undefined; // the divq would #DE; KVM reports -ERANGE
  return ((hi << 64n) + lo) / divisor;
}

// do_div (arch/x86/include/asm/div64.h), spec §1.5: u64 / u32, quotient in place, remainder returned
export function doDiv(n: bigint, base: number): { quotient: bigint; remainder: number } {
  const b = BigInt(base);
  return { quotient: n / b, remainder: Number(n % b) };
}

// do_shl32_div32 (arch/x86/include/asm/div64.h), spec §1.5: (n << 32) / base, requires n < base
export function doShl32Div32(n: bigint, base: bigint): bigint {
  if (n >= base) throw new Error(`do_shl32_div32(${n}, ${base}) would #DE (n >= base)`);
  return u32((n << 32n) / base);
}

// pvclock_scale_delta (arch/x86/include/asm/pvclock.h), spec §1.6
export function pvclockScaleDelta(delta: bigint, mulFrac: number, shift: number): bigint {
  let d = delta;
  if (shift < 0) d = d >> BigInt(-shift); // low bits dropped
  else d = u64(d << BigInt(shift)); // high bits silently lost
  return u64((d * BigInt(mulFrac)) >> 32n); // bits 32..95 of the 96-bit product
}
