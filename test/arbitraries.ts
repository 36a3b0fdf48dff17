// Shared fast-check generators, biased toward the values where kernel arithmetic
// truncates, wraps or changes branch. Kept cheap: every property runs 100k times.

import fc from "fast-check";

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32_MAX = 0xffffffff;

/** Number of runs each function gets per `vitest run` (the suite's contract). */
export const RUNS = 100_000;

const TWO32 = 1n << 32n;
const TWO48 = 1n << 48n;
const TWO63 = 1n << 63n;

export const U64_EDGES: readonly bigint[] = [
  0n, 1n, 2n, 3n,
  0x7fffffffn, 0x80000000n, TWO32 - 1n, TWO32, TWO32 + 1n,
  TWO48 - 1n, TWO48, TWO48 + 1n,
  TWO63 - 1n, TWO63, TWO63 + 1n,
  U64_MAX - 1n, U64_MAX,
];

export const S64_EDGES: readonly bigint[] = [
  0n, 1n, -1n, 2n, -2n,
  TWO32 - 1n, TWO32, TWO32 + 1n, -(TWO32 - 1n), -TWO32, -(TWO32 + 1n),
  S64_MAX, S64_MAX - 1n, S64_MIN, S64_MIN + 1n,
];

const anyU64Raw = fc.bigInt({ min: 0n, max: U64_MAX });

/** A u64 of a random bit length (log-uniform magnitude): covers small and mid values. */
const logU64 = fc.tuple(fc.integer({ min: 0, max: 64 }), anyU64Raw).map(([bits, v]) => v >> BigInt(64 - bits));

/** An edge value nudged by -3..3 (wrapping). */
const nearEdgeU64 = fc
  .tuple(fc.constantFrom(...U64_EDGES), fc.integer({ min: -3, max: 3 }))
  .map(([e, d]) => BigInt.asUintN(64, e + BigInt(d)));

/** u64 biased toward edges, with plenty of full-range and log-uniform values. */
export const u64 = fc.oneof(
  { arbitrary: fc.constantFrom(...U64_EDGES), weight: 2 },
  { arbitrary: nearEdgeU64, weight: 1 },
  { arbitrary: fc.bigInt({ min: 0n, max: 1000n }), weight: 1 },
  { arbitrary: logU64, weight: 3 },
  { arbitrary: anyU64Raw, weight: 3 },
);

/** s64 biased toward edges (two's-complement images of the u64 generator plus s64 edges). */
export const s64 = fc.oneof(
  { arbitrary: fc.constantFrom(...S64_EDGES), weight: 1 },
  { arbitrary: u64.map((v) => BigInt.asIntN(64, v)), weight: 4 },
  { arbitrary: logU64.map((v) => -(v >> 1n)), weight: 1 },
);

/** Bigints just outside u64 (for bad-input tests). */
export const notU64 = fc.oneof(
  fc.bigInt({ min: -(1n << 70n), max: -1n }),
  fc.bigInt({ min: 1n << 64n, max: 1n << 70n }),
);

export const SHIFT_EDGES = [0, 1, 31, 32, 33, 47, 48, 63, 64, 127] as const;

/** A shift in [min, max], half the time one of the edge shifts inside that range. */
export function shift(min: number, max: number): fc.Arbitrary<number> {
  const edges = [...SHIFT_EDGES, -1, -31, -32, -33, -47, -48, -63, min, max].filter((s) => s >= min && s <= max);
  return fc.oneof(fc.constantFrom(...edges), fc.integer({ min, max }));
}

const U32_EDGES = [0, 1, 2, 3, 0x7fffffff, 0x80000000, U32_MAX - 1, U32_MAX] as const;

/** u32 (as a JS number) biased toward edges and small values. */
export const u32 = fc.oneof(
  { arbitrary: fc.constantFrom(...U32_EDGES), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 1000 }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: U32_MAX }), weight: 3 },
);

/** Non-zero u32. */
export const u32NonZero = u32.map((v) => (v === 0 ? 1 : v));

export const COMMON_KHZ = [
  1, 2, 1000, 1_000_000, 2_100_000, 2_345_678, 2_499_999, 2_500_000, 2_994_000, 2_999_249, 2_999_250,
  3_000_000, 3_000_750, 3_000_751, 3_400_000, 4_000_000, 4_294_967, 5_000_000,
] as const;

/** Realistic TSC frequencies in kHz (1 kHz .. 5 GHz), common ones weighted. */
export const realisticKhz = fc.oneof(
  { arbitrary: fc.constantFrom(...COMMON_KHZ), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 5_000_000 }), weight: 2 },
  { arbitrary: fc.integer({ min: 1_000_000, max: 5_000_000 }), weight: 2 },
);

/** Any kHz value KVM can store (non-zero u32), mostly realistic. */
export const khz = fc.oneof(
  { arbitrary: realisticKhz, weight: 4 },
  { arbitrary: u32NonZero, weight: 1 },
);

/** VMX (16.48) TSC ratios: around the default 1<<48, realistic, and random u64. */
export const vmxRatio = fc.oneof(
  { arbitrary: fc.constantFrom(TWO48, TWO48 - 1n, TWO48 + 1n, 0xb333_3333_3333n, 0x5555_5555_5555n, 4n << 48n, 1n, U64_MAX), weight: 2 },
  { arbitrary: fc.bigInt({ min: TWO48 - 1000n, max: TWO48 + 1000n }), weight: 1 },
  { arbitrary: fc.bigInt({ min: 1n << 40n, max: 1n << 52n }), weight: 3 },
  { arbitrary: u64, weight: 2 },
);

/** SVM (8.32) TSC ratios: around 1<<32, in the 40-bit MSR range, and random. */
export const svmRatio = fc.oneof(
  { arbitrary: fc.constantFrom(TWO32, TWO32 - 1n, TWO32 + 1n, 0xb333_3333n, 4n << 32n, 1n, 0xff_ffff_ffffn), weight: 2 },
  { arbitrary: fc.bigInt({ min: TWO32 - 1000n, max: TWO32 + 1000n }), weight: 1 },
  { arbitrary: fc.bigInt({ min: 1n, max: 0xff_ffff_ffffn }), weight: 3 },
  { arbitrary: u64, weight: 1 },
);

/** A (fracBits, ratio) pair for either vendor. */
export const fracBitsAndRatio = fc.oneof(
  vmxRatio.map((ratio) => ({ fracBits: 48 as const, ratio })),
  svmRatio.map((ratio) => ({ fracBits: 32 as const, ratio })),
);

export const vendor = fc.constantFrom("vmx" as const, "svm" as const);

/** Realistic ns durations: sub-µs to hours, plus edges. */
export const realisticNs = fc.oneof(
  fc.constantFrom(0n, 1n, 1000n, 5000n, 200_000n, 1_000_000_000n, 1_000_000_000_000n),
  fc.bigInt({ min: 0n, max: 10_000_000_000_000n }),
);

/** Host ktime values (s64 ns): realistic uptimes and the whole s64 range. */
export const ktime = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: 1n << 52n }), weight: 3 },
  { arbitrary: s64, weight: 1 },
);
