// BigInt reference of the batch kernels: element-wise applications of the scalar
// references (the batch forms have no kernel counterpart of their own).

import { mulU64U64Shr, u64ShlDivU64 } from "./math64.js";
import { cyclesToNs, nsecToCycles } from "./time-scale.js";
import { readL1Tsc } from "./tsc.js";

// mul_u64_u64_shr (include/linux/math64.h) over arrays, spec §1.1
export function batchMulU64U64Shr(a: readonly bigint[], b: readonly bigint[], shift: number): bigint[] {
  return a.map((x, i) => mulU64U64Shr(x, b[i]!, shift));
}

// kvm_read_l1_tsc (arch/x86/kvm/x86.c) over an array, spec §2.2
export function batchScaleTsc(tsc: readonly bigint[], ratio: bigint, fracBits: number, offset: bigint): bigint[] {
  return tsc.map((t) => readL1Tsc(t, ratio, offset, fracBits));
}

// lapic.c's cycles -> ns do_div form over an array, spec §3.3
export function batchCyclesToNs(cycles: readonly bigint[], tscKhz: number): bigint[] {
  return cycles.map((c) => cyclesToNs(c, tscKhz));
}

// nsec_to_cycles (arch/x86/kvm/x86.c) over an array, spec §3.2
export function batchNsecToCycles(ns: readonly bigint[], tscKhz: number): bigint[] {
  return ns.map((n) => nsecToCycles(n, tscKhz));
}

// u64_shl_div_u64 (arch/x86/kvm/vmx/vmx.c) over an array, spec §1.4: overflowing lanes give 0 and flag 1
export function batchU64ShlDivU64(a: readonly bigint[], shift: number, divisor: bigint): { out: bigint[]; overflow: number[]; count: number } {
  const results = a.map((x) => u64ShlDivU64(x, shift, divisor));
  const overflow = results.map((r) => (r === undefined ? 1 : 0));
  return { out: results.map((r) => r ?? 0n), overflow, count: overflow.reduce<number>((s, f) => s + f, 0) };
}
