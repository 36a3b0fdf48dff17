// The five benchmarked kernels: their parameters, input distributions, and the three
// JS-side implementations (wasm batch, wasm scalar per element, BigInt reference).
// Input seeds and bit widths must match what src/bench/native/kernels.c generates
// (seed + seedOffset, values below 2^bits).

import {
  batchCyclesToNs,
  batchMulU64U64Shr,
  batchNsecToCycles,
  batchScaleTsc,
  batchU64ShlDivU64,
  cyclesToNs,
  mulU64U64Shr,
  nsecToCycles,
  readL1Tsc,
  u64ShlDivU64,
} from "../index.js";
import {
  bigintCyclesToNs,
  bigintGetTimeScale,
  bigintMulU64U64Shr,
  bigintNsecToCycles,
  bigintScaleTsc,
  bigintU64ShlDivU64,
} from "./bigint-kernels.js";

export const PARAMS = {
  /** mul_u64_u64_shr shift (the VMX fraction width). */
  mulShift: 48,
  /** An L1 TSC scaling ratio (~0.7 in 16.48 fixed point, VMX). */
  ratio: 0xb33333333333n,
  fracBits: 48,
  /** A nonzero L1 TSC offset (a negative s64, as u64 bit pattern). */
  offset: BigInt.asUintN(64, -0x123456789abn),
  /** Guest TSC frequency for both ns <-> cycles directions. */
  tscKhz: 2_100_000,
  divShift: 48,
  /** u64_shl_div_u64's divisor in vmx_set_hv_timer: a per-vCPU constant L1 ratio. */
  divisor: 0xb33333333333n,
} as const;

/** nsec_to_cycles scale for PARAMS.tscKhz, computed once (kvm_set_tsc_khz does the same). */
export const NS_TO_CYCLES_SCALE = bigintGetTimeScale(BigInt(PARAMS.tscKhz) * 1000n, 1_000_000_000n);

export type KernelId = "mul_u64_u64_shr" | "scale_tsc" | "cycles_to_ns" | "nsec_to_cycles" | "u64_shl_div_u64";

export interface InputSpec {
  name: string;
  /** Added to the run's seed; kernels.c uses the same offsets. */
  seedOffset: number;
  /** Values are uniform below 2^bits. */
  bits: number;
}

export interface KernelCase {
  id: KernelId;
  /** Parameters as recorded in the results JSON. */
  params: Record<string, string | number>;
  inputs: InputSpec[];
  /** Zero-copy wasm batch call; returns the overflow count where the kernel has one. */
  batch(ins: BigUint64Array[], out: BigUint64Array): number | void;
  /** The public scalar API, one call per element, for out.length elements. */
  scalar(ins: BigUint64Array[], out: BigUint64Array): void;
  /** BigInt reference over out.length elements. */
  reference(ins: BigUint64Array[], out: BigUint64Array): number | void;
}

const hex = (x: bigint): string => `0x${x.toString(16)}`;

export const CASES: readonly KernelCase[] = [
  {
    id: "mul_u64_u64_shr",
    params: { shift: PARAMS.mulShift, a: "uniform u64", b: "uniform u64" },
    inputs: [
      { name: "a", seedOffset: 0, bits: 64 },
      { name: "b", seedOffset: 1, bits: 64 },
    ],
    batch: ([a, b], out) => batchMulU64U64Shr(a!, b!, PARAMS.mulShift, out),
    scalar: ([a, b], out) => {
      for (let i = 0; i < out.length; i++) out[i] = mulU64U64Shr(a![i]!, b![i]!, PARAMS.mulShift);
    },
    reference: ([a, b], out) => bigintMulU64U64Shr(a!, b!, PARAMS.mulShift, out),
  },
  {
    id: "scale_tsc",
    params: { ratio: hex(PARAMS.ratio), fracBits: PARAMS.fracBits, offset: hex(PARAMS.offset), tsc: "uniform u64", form: "offset + scale (kvm_read_l1_tsc)" },
    inputs: [{ name: "tsc", seedOffset: 16, bits: 64 }],
    batch: ([tsc], out) => batchScaleTsc(tsc!, PARAMS.ratio, PARAMS.fracBits, PARAMS.offset, out),
    scalar: ([tsc], out) => {
      for (let i = 0; i < out.length; i++) out[i] = readL1Tsc(tsc![i]!, PARAMS.ratio, PARAMS.offset, PARAMS.fracBits);
    },
    reference: ([tsc], out) => bigintScaleTsc(tsc!, PARAMS.ratio, PARAMS.fracBits, PARAMS.offset, out),
  },
  {
    id: "cycles_to_ns",
    params: { tscKhz: PARAMS.tscKhz, cycles: "uniform below 2^44" },
    inputs: [{ name: "cycles", seedOffset: 32, bits: 44 }],
    batch: ([cycles], out) => batchCyclesToNs(cycles!, PARAMS.tscKhz, out),
    scalar: ([cycles], out) => {
      for (let i = 0; i < out.length; i++) out[i] = cyclesToNs(cycles![i]!, PARAMS.tscKhz);
    },
    reference: ([cycles], out) => bigintCyclesToNs(cycles!, PARAMS.tscKhz, out),
  },
  {
    id: "nsec_to_cycles",
    params: {
      tscKhz: PARAMS.tscKhz,
      mult: NS_TO_CYCLES_SCALE.mult.toString(),
      shift: NS_TO_CYCLES_SCALE.shift,
      ns: "uniform below 2^40",
    },
    inputs: [{ name: "ns", seedOffset: 48, bits: 40 }],
    batch: ([ns], out) => batchNsecToCycles(ns!, PARAMS.tscKhz, out),
    scalar: ([ns], out) => {
      for (let i = 0; i < out.length; i++) out[i] = nsecToCycles(ns![i]!, PARAMS.tscKhz);
    },
    reference: ([ns], out) => bigintNsecToCycles(ns!, NS_TO_CYCLES_SCALE, out),
  },
  {
    id: "u64_shl_div_u64",
    params: { shift: PARAMS.divShift, divisor: hex(PARAMS.divisor), a: "uniform below 2^50" },
    inputs: [{ name: "a", seedOffset: 64, bits: 50 }],
    batch: ([a], out) => batchU64ShlDivU64(a!, PARAMS.divShift, PARAMS.divisor, out),
    scalar: ([a], out) => {
      for (let i = 0; i < out.length; i++) out[i] = u64ShlDivU64(a![i]!, PARAMS.divShift, PARAMS.divisor) ?? 0n;
    },
    reference: ([a], out) => bigintU64ShlDivU64(a!, PARAMS.divShift, PARAMS.divisor, out),
  },
];
