// TSC scaling of arch/x86/kvm/x86.c (spec §2).

import { Status } from "./status";
import { hi64, mulS64U64Shr, mulU64U64DivU64, mulU64U64Shr } from "./math64";

/** Ratio produced by the last tscRatio call. */
export let ratioOut: u64 = 0;
/** Whether the last tscRatio call needed scaling. */
export let ratioScaling: bool = false;

/** kvm_caps.max_tsc_scaling_ratio for a vendor's fraction bits (§2.1): VMX 16.48, SVM 8.32. */
export function maxTscScalingRatio(fracBits: u32): u64 {
  return fracBits == 48 ? 0xffffffffffffffff : 0x000000ffffffffff;
}

/** kvm_caps.max_guest_tsc_khz (§2.1): min(0x7fffffff, mul_u64_u64_shr(host_khz, max_ratio, N)). */
export function maxGuestTscKhz(hostKhz: u32, fracBits: u32): u32 {
  const m = mulU64U64Shr(u64(hostKhz), maxTscScalingRatio(fracBits), fracBits);
  return m > 0x7fffffff ? 0x7fffffff : u32(m);
}

/**
 * adjust_tsc_khz (§2.4, §11): floor(khz * (10^6 + ppm) / 10^6) with ppm an s32,
 * the sum wrapped to s32 and sign-extended, the product mod 2^64, the quotient u32.
 */
export function adjustTscKhz(khz: u32, ppm: i32): u32 {
  const wrapped: i32 = 1000000 + ppm; // s32 addition, wraps
  const factor = u64(i64(wrapped));
  return u32((u64(khz) * factor) / 1000000);
}

/**
 * KVM_SET_TSC_KHZ -> kvm_set_tsc_khz -> set_tsc_khz with hardware scaling present
 * (§2.4 steps 1, 4, 5, 7). userKhz must be non-zero (the ioctl substitutes the host
 * rate for 0 before this point). Returns Ok with ratioOut/ratioScaling set, or EInval
 * where KVM refuses (user_khz >= max_guest_tsc_khz, ratio 0 or >= max ratio).
 */
export function tscRatio(userKhz: u32, hostKhz: u32, fracBits: u32, tolerancePpm: i32): i32 {
  const defaultRatio = u64(1) << u64(fracBits);
  if (userKhz >= maxGuestTscKhz(hostKhz, fracBits)) return Status.EInval;
  const threshLo = adjustTscKhz(hostKhz, -tolerancePpm);
  const threshHi = adjustTscKhz(hostKhz, tolerancePpm);
  if (userKhz >= threshLo && userKhz <= threshHi) {
    ratioOut = defaultRatio;
    ratioScaling = false;
    return Status.Ok;
  }
  // mul_u64_u32_div(1 << N, user_khz, host_khz): #DE on overflow, which the
  // max_guest_tsc_khz check above rules out.
  const st = mulU64U64DivU64(defaultRatio, u64(userKhz), u64(hostKhz));
  if (st != Status.Ok) return st;
  const ratio = hi64;
  if (ratio == 0 || ratio >= maxTscScalingRatio(fracBits)) return Status.EInval;
  ratioOut = ratio;
  ratioScaling = true;
  return Status.Ok;
}

/** kvm_scale_tsc (§2.2): the default ratio bypasses the multiply (no rounding). */
// @ts-ignore: decorator
@inline
export function scaleTsc(tsc: u64, ratio: u64, fracBits: u32): u64 {
  return ratio == u64(1) << u64(fracBits) ? tsc : mulU64U64Shr(tsc, ratio, fracBits);
}

/** kvm_read_l1_tsc (§2.2): u64(l1_tsc_offset + kvm_scale_tsc(host_tsc, l1 ratio)). */
// @ts-ignore: decorator
@inline
export function readL1Tsc(hostTsc: u64, ratio: u64, offset: u64, fracBits: u32): u64 {
  return offset + scaleTsc(hostTsc, ratio, fracBits);
}

/** kvm_compute_l1_tsc_offset (§2.2): u64(target - kvm_scale_tsc(host_tsc, l1 ratio)). */
export function computeL1TscOffset(targetTsc: u64, hostTsc: u64, ratio: u64, fracBits: u32): u64 {
  return targetTsc - scaleTsc(hostTsc, ratio, fracBits);
}

/** kvm_calc_nested_tsc_multiplier (§2.3). */
export function nestedTscMultiplier(l1Mult: u64, l2Mult: u64, fracBits: u32): u64 {
  if (l2Mult != u64(1) << u64(fracBits)) return mulU64U64Shr(l1Mult, l2Mult, fracBits);
  return l1Mult;
}

/** kvm_calc_nested_tsc_offset (§2.3): signed multiply toward zero, then a u64 wrap-around add. */
export function nestedTscOffset(l1Offset: u64, l2Offset: u64, l2Mult: u64, fracBits: u32): u64 {
  if (l2Mult == u64(1) << u64(fracBits)) return l1Offset + l2Offset;
  return u64(mulS64U64Shr(i64(l1Offset), l2Mult, fracBits)) + l2Offset;
}

/** Reads ratioOut. */
export function getRatioOut(): u64 { return ratioOut; }
/** Reads ratioScaling. */
export function getRatioScaling(): bool { return ratioScaling; }
