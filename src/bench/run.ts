// `tscsim bench`: the advancement math on the user's machine, in up to four forms —
// wasm batch (one call over a BigUint64Array in wasm memory), wasm per call (the public
// API, one JS→wasm call per element), JS BigInt (straightforward BigInt) and native C
// (gcc -O2, unsigned __int128) when gcc is on PATH. Each form's output is checked against
// the BigInt one before it is timed. Timings are benchmark.js medians, ns per element.
// bench/math.bench.ts is the developers' longer version of the same kernels.

import os from "node:os";
import { freeU64Array, u64Array } from "../index.js";
import { wasmVariant } from "../wasm.js";
import { buildInfo } from "../build-info.js";
import { CASES, type KernelCase } from "./cases.js";
import { checksumU64, fillRandomU64, firstMismatch } from "./data.js";
import { DECISION_CASES, benchSink } from "./decision-cases.js";
import { measure, type Measurement } from "./measure.js";
import { buildNative, NATIVE_CFLAGS, nativeParamsOf, runNative, type NativeBuild } from "./native.js";

export type Variant = "wasmBatch" | "wasmPerCall" | "jsBigInt" | "nativeC";
export const VARIANTS: readonly Variant[] = ["wasmBatch", "wasmPerCall", "jsBigInt", "nativeC"];

export type VariantResult = ({ ok: true } & Pick<Measurement, "nsPerElement" | "minNsPerElement" | "rmePercent" | "samples" | "elementsPerOp">) | { ok: false; reason: string };

export interface KernelBench {
  id: string;
  kernel: string;
  params: Record<string, string | number>;
  variants: Record<Variant, VariantResult>;
}

export interface BenchOptions {
  /** Elements per batch call and native pass. */
  batch: number;
  /** Elements per op of the per-call and BigInt forms. */
  slice: number;
  /** Seconds benchmark.js may spend on one measurement. */
  maxTimeS: number;
  native: boolean;
  seed: number;
  /** Called as each kernel starts (progress on stderr). */
  onKernel?: (id: string) => void;
}

export interface BenchReport {
  tscsim: ReturnType<typeof buildInfo>;
  machine: { cpu: string; cpus: number; node: string; platform: string; loadAverage: number[] };
  options: Omit<BenchOptions, "onKernel">;
  native: { compiler: string | null; cflags: string[]; skipped: string | null };
  kernels: KernelBench[];
}

const KERNEL_NAMES: Record<string, string> = {
  mul_u64_u64_shr: "mul_u64_u64_shr (shift 48)",
  scale_tsc: "TSC scaling: kvm_read_l1_tsc (offset + kvm_scale_tsc)",
  cycles_to_ns: "cycles → ns (lapic.c do_div form)",
  nsec_to_cycles: "ns → cycles (nsec_to_cycles, mult/shift)",
  u64_shl_div_u64: "u64_shl_div_u64 (the hv timer's cycles → host cycles)",
};

function ok(m: Measurement): VariantResult {
  return { ok: true, nsPerElement: m.nsPerElement, minNsPerElement: m.minNsPerElement, rmePercent: m.rmePercent, samples: m.samples, elementsPerOp: m.elementsPerOp };
}

class VerificationError extends Error {}

function mathKernel(c: KernelCase, o: BenchOptions, nativeBuild: NativeBuild, nativeInfo: { compiler: string | null }): KernelBench {
  const n = o.batch;
  const m = o.slice;
  const ins = c.inputs.map((spec) => {
    const view = u64Array(n);
    fillRandomU64(view, o.seed + spec.seedOffset, spec.bits);
    return view;
  });
  const out = u64Array(n);
  try {
    const overflows = c.batch(ins, out) ?? 0;
    const ref = new BigUint64Array(n);
    c.reference(ins, ref);
    if (firstMismatch(out, ref, n) >= 0) throw new VerificationError(`${c.id}: the wasm batch output differs from the BigInt reference`);
    const perCallOut = new BigUint64Array(m);
    c.scalar(ins, perCallOut);
    if (firstMismatch(perCallOut, ref, m) >= 0) throw new VerificationError(`${c.id}: the wasm per-call output differs from the BigInt reference`);
    const sliceIns = ins.map((v) => v.subarray(0, m));
    const bigOut = new BigUint64Array(m);
    const opts = measureOptions(o);
    const variants: Record<Variant, VariantResult> = {
      wasmBatch: ok(measure(`${c.id} wasm batch`, () => void c.batch(ins, out), n, opts)),
      wasmPerCall: ok(measure(`${c.id} wasm per call`, () => c.scalar(sliceIns, perCallOut), m, opts)),
      jsBigInt: ok(measure(`${c.id} BigInt`, () => void c.reference(sliceIns, bigOut), m, opts)),
      nativeC: { ok: false, reason: nativeBuild.ok ? "" : nativeBuild.reason },
    };
    if (nativeBuild.ok) {
      const run = runNative(nativeBuild, nativeParamsOf(n, 5, o.seed), [c.id]);
      if (!run.ok) variants.nativeC = { ok: false, reason: run.reason };
      else {
        const k = run.run.kernels[c.id]!;
        if (k.checksum !== checksumU64(out) || k.overflows !== overflows) throw new VerificationError(`${c.id}: the native C output differs from the verified wasm output`);
        nativeInfo.compiler = run.run.compiler;
        variants.nativeC = { ok: true, nsPerElement: k.medianNsPerElement, minNsPerElement: k.minNsPerElement, rmePercent: NaN, samples: k.samplesNsPerElement.length, elementsPerOp: n };
      }
    }
    return { id: c.id, kernel: KERNEL_NAMES[c.id] ?? c.id, params: c.params, variants };
  } finally {
    for (const v of ins) freeU64Array(v);
    freeU64Array(out);
  }
}

/** At least 5 samples, each of at least a tenth of the time budget (at most benchmark.js' 0.05 s). */
function measureOptions(o: BenchOptions) {
  return { maxTime: o.maxTimeS, minSamples: 5, minTime: Math.min(0.05, o.maxTimeS / 10) };
}

const NO_BATCH = "no batch form in the wasm ABI (the engine calls it once per timer event)";
const NO_BIGINT = "no BigInt twin in the package";
const NO_C = "no C version";

export function runBench(o: BenchOptions): BenchReport {
  const nativeBuild: NativeBuild = o.native ? buildNative() : { ok: false, reason: "disabled with --no-native" };
  const nativeInfo = { compiler: null as string | null };
  const kernels: KernelBench[] = [];
  for (const c of CASES) {
    o.onKernel?.(c.id);
    kernels.push(mathKernel(c, o, nativeBuild, nativeInfo));
  }
  for (const d of DECISION_CASES) {
    o.onKernel?.(d.id);
    const op = d.prepare(o.seed, o.slice);
    const m = measure(`${d.id} wasm per call`, op, o.slice, measureOptions(o));
    kernels.push({
      id: d.id,
      kernel: d.kernel,
      params: d.params,
      variants: { wasmBatch: { ok: false, reason: NO_BATCH }, wasmPerCall: ok(m), jsBigInt: { ok: false, reason: NO_BIGINT }, nativeC: { ok: false, reason: NO_C } },
    });
  }
  benchSink();
  const { onKernel: _unused, ...options } = o;
  return {
    tscsim: buildInfo(),
    machine: { cpu: os.cpus()[0]?.model ?? "unknown", cpus: os.availableParallelism(), node: process.version, platform: `${process.platform} ${process.arch}`, loadAverage: os.loadavg() },
    options,
    native: { compiler: nativeInfo.compiler, cflags: [...NATIVE_CFLAGS], skipped: nativeBuild.ok ? null : nativeBuild.reason },
    kernels,
  };
}

/** Whether the release wasm is loaded (debug timings mean nothing). */
export function benchWasmVariant(): "debug" | "release" {
  return wasmVariant;
}

export { VerificationError };
