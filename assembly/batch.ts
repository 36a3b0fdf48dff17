// Batch kernels over u64 arrays in linear memory: the hot loops of the math engine.

import { Status } from "./status";
import { mulU64U64Shr, pvclockScaleDelta, u64ShlDivU64, hi64 } from "./math64";
import { getTimeScale, timeScaleShift } from "./time_scale";

/** Allocate `bytes` of linear memory, 16-byte aligned (TLSF), for a typed-array view. */
export function allocBytes(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Release memory from allocBytes. */
export function freeBytes(ptr: usize): void {
  heap.free(ptr);
}

/** out[i] = mul_u64_u64_shr(a[i], b[i], shift). */
export function batchMulU64U64Shr(aPtr: usize, bPtr: usize, shift: u32, outPtr: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
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
  for (let i = 0; i < n; i++) {
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
  for (let i = 0; i < n; i++) {
    const off = usize(i) << 3;
    store<u64>(outPtr + off, pvclockScaleDelta(load<u64>(nsPtr + off), mult, shift));
  }
}

/**
 * out[i] = u64_shl_div_u64(a[i], shift, divisor); lanes that overflow get out[i] = 0
 * and flags[i] = 1 (flagsPtr may be 0). Returns the number of overflowing lanes.
 */
export function batchU64ShlDivU64(aPtr: usize, shift: u32, divisor: u64, outPtr: usize, flagsPtr: usize, n: i32): i32 {
  let overflows = 0;
  for (let i = 0; i < n; i++) {
    const off = usize(i) << 3;
    const st = u64ShlDivU64(load<u64>(aPtr + off), shift, divisor);
    const bad = st != Status.Ok;
    store<u64>(outPtr + off, bad ? 0 : hi64);
    if (flagsPtr) store<u8>(flagsPtr + usize(i), u8(bad));
    overflows += i32(bad);
  }
  return overflows;
}
