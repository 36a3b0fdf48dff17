// Straightforward JS BigInt reference kernels over BigUint64Array: the baseline the wasm
// batch kernels must beat, and the oracle they are verified against before timing.
// Each one re-states the formula docs/kvm-timer-model.md gives for it, directly.
//
// Storing into a BigUint64Array converts with ToBigUint64 (reduction mod 2^64), which is
// exactly the kernel's "keep the low 64 bits"; wraps that happen *before* a later step
// (cycles * 10^6 before the divide, ns << shift before the multiply) are explicit.

const U64_MASK = (1n << 64n) - 1n;

/** mul_u64_u64_shr (§1.1): u64((a*b) >> shift). */
export function bigintMulU64U64Shr(a: BigUint64Array, b: BigUint64Array, shift: number, out: BigUint64Array): void {
  const s = BigInt(shift);
  for (let i = 0; i < out.length; i++) out[i] = (a[i]! * b[i]!) >> s;
}

/** kvm_read_l1_tsc over an array (§2.2): u64(offset + kvm_scale_tsc(tsc, ratio)). */
export function bigintScaleTsc(tsc: BigUint64Array, ratio: bigint, fracBits: number, offset: bigint, out: BigUint64Array): void {
  const bits = BigInt(fracBits);
  if (ratio === 1n << bits) {
    for (let i = 0; i < out.length; i++) out[i] = tsc[i]! + offset;
    return;
  }
  // u64(u64(x) + offset) == u64(x + offset): one reduction at the store suffices.
  for (let i = 0; i < out.length; i++) out[i] = ((tsc[i]! * ratio) >> bits) + offset;
}

/** lapic.c guest cycles -> ns (§3.3): floor(u64(cycles * 10^6) / khz); the multiply wraps. */
export function bigintCyclesToNs(cycles: BigUint64Array, tscKhz: number, out: BigUint64Array): void {
  const khz = BigInt(tscKhz);
  for (let i = 0; i < out.length; i++) out[i] = ((cycles[i]! * 1_000_000n) & U64_MASK) / khz;
}

export interface BigintTimeScale {
  shift: number;
  mult: bigint;
}

/** kvm_get_time_scale (§3.1), in u64 arithmetic as the kernel does it. */
export function bigintGetTimeScale(scaledHz: bigint, baseHz: bigint): BigintTimeScale {
  let shift = 0;
  let scaled = scaledHz;
  let base = baseHz;
  const scaledTwice = (scaled << 1n) & U64_MASK;
  while (base > scaledTwice || base >> 32n !== 0n) {
    base >>= 1n;
    shift--;
  }
  let base32 = base & 0xffffffffn;
  while (base32 <= scaled || scaled >> 32n !== 0n) {
    if (scaled >> 32n !== 0n || (base32 & 0x80000000n) !== 0n) scaled >>= 1n;
    else base32 <<= 1n;
    shift++;
  }
  return { shift, mult: ((scaled & 0xffffffffn) << 32n) / base32 };
}

/** nsec_to_cycles (§3.2) with (shift, mult) computed once: pvclock_scale_delta (§1.6). */
export function bigintNsecToCycles(ns: BigUint64Array, scale: BigintTimeScale, out: BigUint64Array): void {
  const { mult } = scale;
  if (scale.shift < 0) {
    const s = BigInt(-scale.shift);
    for (let i = 0; i < out.length; i++) out[i] = ((ns[i]! >> s) * mult) >> 32n;
  } else {
    const s = BigInt(scale.shift);
    for (let i = 0; i < out.length; i++) out[i] = (((ns[i]! << s) & U64_MASK) * mult) >> 32n;
  }
}

/**
 * u64_shl_div_u64 (§1.4): hi = a >> (64 - shift); overflow if hi >= divisor (out = 0,
 * counted), else floor((a << shift) / divisor) with the full 128-bit dividend.
 * Returns the number of overflowing lanes, like the wasm batch kernel.
 */
export function bigintU64ShlDivU64(a: BigUint64Array, shift: number, divisor: bigint, out: BigUint64Array): number {
  const s = BigInt(shift);
  const down = BigInt(64 - shift);
  let overflows = 0;
  for (let i = 0; i < out.length; i++) {
    const x = a[i]!;
    if (x >> down >= divisor) {
      out[i] = 0n;
      overflows++;
    } else {
      out[i] = (x << s) / divisor;
    }
  }
  return overflows;
}
