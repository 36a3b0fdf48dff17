// BigInt reference of TSC scaling (hardware TSC scaling present), re-stated from
// shared/spec/kvm-timer-reference.md §2 and §11.

import { mulS64U64Shr, mulU64U32Div, mulU64U64Shr, s64, u32, u64 } from "./math64.js";
import type { Vendor } from "../../src/index.js";

// kvm_caps.tsc_scaling_ratio_frac_bits (arch/x86/kvm/vmx/vmx.c, svm/svm.c), spec §2.1
export function tscFracBits(vendor: Vendor): 48 | 32 {
  return vendor === "vmx" ? 48 : 32;
}

// kvm_caps.default_tsc_scaling_ratio = 1 << N (arch/x86/kvm/x86.c), spec §2.1
export function defaultTscRatio(vendor: Vendor): bigint {
  return 1n << BigInt(tscFracBits(vendor));
}

// kvm_caps.max_tsc_scaling_ratio (vmx.c: ~0ull; svm.c: TSC_RATIO_MAX), spec §2.1
export function maxTscRatio(vendor: Vendor): bigint {
  return vendor === "vmx" ? 0xffff_ffff_ffff_ffffn : 0x00ff_ffff_ffffn;
}

// kvm_caps.max_guest_tsc_khz (kvm_x86_vendor_init in arch/x86/kvm/x86.c), spec §2.1
export function maxGuestTscKhz(hostKhz: number, vendor: Vendor): number {
  const scaled = mulU64U64Shr(BigInt(hostKhz), maxTscRatio(vendor), tscFracBits(vendor));
  return Number(scaled < 0x7fffffffn ? scaled : 0x7fffffffn);
}

// adjust_tsc_khz (arch/x86/kvm/x86.c), spec §2.4 step 4 with the exact C types of §11
export function adjustTscKhz(hostKhz: number, ppm: number): number {
  const factor = u64(BigInt.asIntN(32, 1_000_000n + BigInt(ppm))); // wrapping int, sign-extended to u64
  const v = u64(BigInt(hostKhz) * factor); // u32 khz * u64, mod 2^64
  return Number(u32(v / 1_000_000n)); // do_div, then returned as u32
}

// thresholds of kvm_set_tsc_khz (arch/x86/kvm/x86.c), spec §2.4 step 4
export function tscTolerance(hostKhz: number, tolerancePpm = 250): { lowKhz: number; highKhz: number } {
  return { lowKhz: adjustTscKhz(hostKhz, -tolerancePpm), highKhz: adjustTscKhz(hostKhz, tolerancePpm) };
}

export type TscRatioOutcome = { ratio: bigint; scaling: boolean } | "refused";

// KVM_SET_TSC_KHZ -> kvm_set_tsc_khz -> set_tsc_khz (arch/x86/kvm/x86.c), spec §2.4, has_tsc_control
export function tscRatio(userKhz: number, hostKhz: number, vendor: Vendor, options: { tolerancePpm?: number } = {}): TscRatioOutcome {
  // ioctl: refused at or above max_guest_tsc_khz (checked before anything else)
  if (userKhz >= maxGuestTscKhz(hostKhz, vendor)) return "refused";
  const { lowKhz, highKhz } = tscTolerance(hostKhz, options.tolerancePpm ?? 250);
  if (userKhz >= lowKhz && userKhz <= highKhz) return { ratio: defaultTscRatio(vendor), scaling: false };
  const ratio = mulU64U32Div(defaultTscRatio(vendor), userKhz, hostKhz);
  if (typeof ratio === "string") return "refused";
  if (ratio === 0n || ratio >= maxTscRatio(vendor)) return "refused";
  return { ratio, scaling: true };
}

// kvm_scale_tsc (arch/x86/kvm/x86.c), spec §2.2
export function scaleTsc(tsc: bigint, ratio: bigint, fracBits: number): bigint {
  if (ratio === 1n << BigInt(fracBits)) return tsc; // default ratio: no multiply, no rounding
  return mulU64U64Shr(tsc, ratio, fracBits);
}

// kvm_read_l1_tsc (arch/x86/kvm/x86.c), spec §2.2
export function readL1Tsc(hostTsc: bigint, ratio: bigint, offset: bigint, fracBits: number): bigint {
  return u64(u64(offset) + scaleTsc(hostTsc, ratio, fracBits));
}

// kvm_compute_l1_tsc_offset (arch/x86/kvm/x86.c), spec §2.2; the u64 offset read as s64
export function computeL1TscOffset(targetTsc: bigint, hostTsc: bigint, ratio: bigint, fracBits: number): bigint {
  return s64(u64(targetTsc - scaleTsc(hostTsc, ratio, fracBits)));
}

// kvm_calc_nested_tsc_multiplier (arch/x86/kvm/x86.c), spec §2.3
export function nestedTscMultiplier(l1: bigint, l2: bigint, fracBits: number): bigint {
  if (l2 !== 1n << BigInt(fracBits)) return mulU64U64Shr(l1, l2, fracBits);
  return l1;
}

// kvm_calc_nested_tsc_offset (arch/x86/kvm/x86.c), spec §2.3; result read as s64
export function nestedTscOffset(l1Offset: bigint, l2Offset: bigint, l2Mult: bigint, fracBits: number): bigint {
  if (l2Mult === 1n << BigInt(fracBits)) return s64(u64(l1Offset) + u64(l2Offset));
  const scaled = mulS64U64Shr(s64(l1Offset), l2Mult, fracBits);
  return s64(u64(scaled) + u64(l2Offset));
}

// mul_u64_u64_shr(host_khz, ratio, N) in kvm_guest_time_update (arch/x86/kvm/x86.c), spec §3.4
export function scaledTscKhz(hostKhz: number, ratio: bigint, fracBits: number): bigint {
  return scaleTsc(BigInt(hostKhz), ratio, fracBits);
}
