// Public API of TSC scaling (spec §2), hardware TSC scaling present.

import { wasm } from "../wasm.js";
import { KvmRefusedError } from "../errors.js";
import { fracBits as checkFracBits, int, khz, offset, u64, vendor as checkVendor, type Vendor } from "./validate.js";

export type { Vendor };

/** Default KVM tsc_tolerance_ppm (§2.4). */
export const DEFAULT_TSC_TOLERANCE_PPM = 250;

/** kvm_caps.tsc_scaling_ratio_frac_bits (§2.1): 48 on VMX, 32 on SVM. */
export function tscFracBits(vendor: Vendor): 48 | 32 {
  return checkVendor("vendor", vendor) === "vmx" ? 48 : 32;
}

/** kvm_caps.default_tsc_scaling_ratio = 1 << N. */
export function defaultTscRatio(vendor: Vendor): bigint {
  return 1n << BigInt(tscFracBits(vendor));
}

/** kvm_caps.max_tsc_scaling_ratio (§2.1): VMX 2^64-1, SVM 0xffffffffff. */
export function maxTscRatio(vendor: Vendor): bigint {
  return tscFracBits(vendor) === 48 ? (1n << 64n) - 1n : 0xff_ffff_ffffn;
}

/** kvm_caps.max_guest_tsc_khz (§2.1). */
export function maxGuestTscKhz(hostKhz: number, vendor: Vendor): number {
  return wasm.maxGuestTscKhz(khz("hostKhz", hostKhz), tscFracBits(vendor));
}

/** The kHz window inside which kvm_set_tsc_khz applies no scaling (§2.4, §11). */
export function tscTolerance(hostKhz: number, tolerancePpm = DEFAULT_TSC_TOLERANCE_PPM): { lowKhz: number; highKhz: number } {
  const host = khz("hostKhz", hostKhz);
  const ppm = int("tolerancePpm", tolerancePpm, 0, 0x7fffffff, "a non-negative s32 ppm");
  return { lowKhz: wasm.adjustTscKhz(host, -ppm), highKhz: wasm.adjustTscKhz(host, ppm) };
}

export interface TscRatioOptions {
  /** tsc_tolerance_ppm module parameter (default 250). */
  tolerancePpm?: number;
}

/**
 * The ratio KVM_SET_TSC_KHZ sets with TSC-scaling hardware (§2.4): the default ratio
 * within the tolerance window (scaling false), else floor(2^N * user / host). Throws
 * KvmRefusedError where KVM returns -EINVAL. userKhz must be non-zero (the ioctl
 * substitutes the host rate for 0: pass hostKhz for that).
 */
export function tscRatio(userKhz: number, hostKhz: number, vendor: Vendor, options: TscRatioOptions = {}): { ratio: bigint; scaling: boolean } {
  const user = khz("userKhz", userKhz);
  const host = khz("hostKhz", hostKhz);
  const bits = tscFracBits(vendor);
  const ppm = int("tolerancePpm", options.tolerancePpm ?? DEFAULT_TSC_TOLERANCE_PPM, 0, 0x7fffffff, "a non-negative s32 ppm");
  const st = wasm.tscRatio(user, host, bits, ppm);
  if (st !== wasm.Status.Ok) {
    const max = wasm.maxGuestTscKhz(host, bits);
    if (user >= max) {
      throw new KvmRefusedError("EINVAL", "userKhz", userKhz, `must be below max_guest_tsc_khz = ${max} for a ${hostKhz} kHz ${vendor} host`);
    }
    throw new KvmRefusedError("EINVAL", "userKhz", userKhz, `the scaling ratio for a ${hostKhz} kHz ${vendor} host is 0 or >= the vendor's maximum`);
  }
  return { ratio: wasm.getRatioOut(), scaling: wasm.getRatioScaling() };
}

/** kvm_scale_tsc (§2.2): default ratio returns tsc unchanged, else mul_u64_u64_shr(tsc, ratio, N). */
export function scaleTsc(tsc: bigint, ratio: bigint, fracBits: number): bigint {
  return wasm.scaleTsc(u64("tsc", tsc), u64("ratio", ratio), checkFracBits("fracBits", fracBits));
}

/** kvm_read_l1_tsc (§2.2): u64(offset + kvm_scale_tsc(hostTsc, ratio)). offset may be given signed. */
export function readL1Tsc(hostTsc: bigint, ratio: bigint, tscOffset: bigint, fracBits: number): bigint {
  return wasm.readL1Tsc(u64("hostTsc", hostTsc), u64("ratio", ratio), offset("offset", tscOffset), checkFracBits("fracBits", fracBits));
}

/** kvm_compute_l1_tsc_offset (§2.2): the offset (s64) that makes the L1 TSC read targetTsc at hostTsc. */
export function computeL1TscOffset(targetTsc: bigint, hostTsc: bigint, ratio: bigint, fracBits: number): bigint {
  const off = wasm.computeL1TscOffset(u64("targetTsc", targetTsc), u64("hostTsc", hostTsc), u64("ratio", ratio), checkFracBits("fracBits", fracBits));
  return BigInt.asIntN(64, off);
}

/** kvm_calc_nested_tsc_multiplier (§2.3). */
export function nestedTscMultiplier(l1: bigint, l2: bigint, fracBits: number): bigint {
  return wasm.nestedTscMultiplier(u64("l1", l1), u64("l2", l2), checkFracBits("fracBits", fracBits));
}

/**
 * kvm_calc_nested_tsc_offset (§2.3). Offsets are u64 in the kernel but signed in
 * meaning: inputs may be signed or u64 bit patterns; the result is returned signed (s64).
 */
export function nestedTscOffset(l1Offset: bigint, l2Offset: bigint, l2Mult: bigint, fracBits: number): bigint {
  const r = wasm.nestedTscOffset(offset("l1Offset", l1Offset), offset("l2Offset", l2Offset), u64("l2Mult", l2Mult), checkFracBits("fracBits", fracBits));
  return BigInt.asIntN(64, r);
}

/** Guest kHz seen through a ratio: mul_u64_u64_shr(host_khz, ratio, N) (kvmclock's view, §3.4). */
export function scaledTscKhz(hostKhz: number, ratio: bigint, fracBits: number): bigint {
  return wasm.scaleTsc(BigInt(khz("hostKhz", hostKhz)), u64("ratio", ratio), checkFracBits("fracBits", fracBits));
}
