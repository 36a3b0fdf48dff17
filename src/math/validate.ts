// Argument checks at the API edge: no silent wrap of user input (issue #2, "Bad input").

import { InputRangeError, InputTypeError } from "../errors.js";

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32_MAX = 0xffffffff;

export function u64(field: string, value: unknown): bigint {
  if (typeof value !== "bigint") throw new InputTypeError(field, value, "a bigint (u64)");
  if (value < 0n || value > U64_MAX) throw new InputRangeError(field, value, "0n..2^64-1 (u64)");
  return value;
}

export function s64(field: string, value: unknown): bigint {
  if (typeof value !== "bigint") throw new InputTypeError(field, value, "a bigint (s64)");
  if (value < S64_MIN || value > S64_MAX) throw new InputRangeError(field, value, "-2^63..2^63-1 (s64)");
  return value;
}

export function int(field: string, value: unknown, min: number, max: number, what = "an integer"): number {
  if (typeof value !== "number") throw new InputTypeError(field, value, `a number (${what})`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputRangeError(field, value, `${what} in ${min}..${max}`);
  }
  return value;
}

export function u32(field: string, value: unknown): number {
  return int(field, value, 0, U32_MAX, "a u32");
}

/** A frequency in kHz as KVM stores it (u32), non-zero. */
export function khz(field: string, value: unknown): number {
  return int(field, value, 1, U32_MAX, "a frequency in kHz (u32, non-zero)");
}

export function u64Array(field: string, value: unknown): BigUint64Array {
  if (!(value instanceof BigUint64Array)) throw new InputTypeError(field, value, "a BigUint64Array");
  return value;
}

export type Vendor = "vmx" | "svm";

export function vendor(field: string, value: unknown): Vendor {
  if (value !== "vmx" && value !== "svm") throw new InputRangeError(field, value, '"vmx" or "svm"');
  return value;
}

/** kvm_caps.tsc_scaling_ratio_frac_bits: 48 (VMX) or 32 (SVM), spec §2.1. */
export function fracBits(field: string, value: unknown): number {
  if (value !== 48 && value !== 32) throw new InputRangeError(field, value, "48 (VMX) or 32 (SVM)");
  return value;
}

/**
 * A TSC offset: u64 in the kernel but used as a signed quantity, so both forms are
 * accepted (-2^63..2^64-1) and normalised to the u64 bit pattern.
 */
export function offset(field: string, value: unknown): bigint {
  if (typeof value !== "bigint") throw new InputTypeError(field, value, "a bigint (TSC offset)");
  if (value < S64_MIN || value > U64_MAX) throw new InputRangeError(field, value, "-2^63..2^64-1 (s64 or u64 bit pattern)");
  return BigInt.asUintN(64, value);
}
