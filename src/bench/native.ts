// Builds and runs the native C baseline (src/bench/native/kernels.c). gcc may be absent on
// other machines: then the baseline is reported as skipped, never as a failure.

import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PARAMS } from "./cases.js";

// The C source ships in the package (src/bench/native/kernels.c); from src/bench/ and
// from dist/bench/ alike it is two levels up, then src/bench/native/.
const SOURCE = fileURLToPath(new URL("../../src/bench/native/kernels.c", import.meta.url));
export const NATIVE_CFLAGS = ["-O2", "-march=x86-64", "-std=c11", "-Wall", "-Wextra"] as const;

export interface NativeParams {
  n: number;
  reps: number;
  seed: number;
  shift: number;
  ratio: bigint;
  fracBits: number;
  offset: bigint;
  khz: number;
  divShift: number;
  divisor: bigint;
  bitsMul: number;
  bitsTsc: number;
  bitsCycles: number;
  bitsNs: number;
  bitsDiv: number;
}

/** kernels.c's parameters for cases.ts's kernels (PARAMS and the inputs' bit widths there). */
export function nativeParamsOf(n: number, reps: number, seed: number): NativeParams {
  return {
    n,
    reps,
    seed,
    shift: PARAMS.mulShift,
    ratio: PARAMS.ratio,
    fracBits: PARAMS.fracBits,
    offset: PARAMS.offset,
    khz: PARAMS.tscKhz,
    divShift: PARAMS.divShift,
    divisor: PARAMS.divisor,
    bitsMul: 64,
    bitsTsc: 64,
    bitsCycles: 44,
    bitsNs: 40,
    bitsDiv: 50,
  };
}

export interface NativeKernelResult {
  medianNsPerElement: number;
  minNsPerElement: number;
  samplesNsPerElement: number[];
  checksum: string;
  overflows: number;
  mult?: number;
  shift?: number;
}

export interface NativeRun {
  compiler: string;
  cflags: string[];
  n: number;
  reps: number;
  kernels: Record<string, NativeKernelResult>;
}

export type NativeBuild = { ok: true; binary: string } | { ok: false; reason: string };

/** Compiles kernels.c; a missing or failing gcc is a skip reason, not an error. */
export function buildNative(): NativeBuild {
  // Built into a fresh temporary directory: the package's own may be read-only (a global install).
  const BINARY = join(mkdtempSync(join(tmpdir(), "tscsim-native-")), "kernels.bin");
  const cc = spawnSync("gcc", [...NATIVE_CFLAGS, "-o", BINARY, SOURCE], { encoding: "utf8" });
  if (cc.error) {
    const code = (cc.error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === "ENOENT" ? "gcc not found on PATH" : `gcc could not run: ${cc.error.message}` };
  }
  if (cc.status !== 0) return { ok: false, reason: `gcc failed (exit ${cc.status}): ${cc.stderr.trim()}` };
  return { ok: true, binary: BINARY };
}

export type NativeOutcome = { ok: true; run: NativeRun } | { ok: false; reason: string };

/** Runs the named kernels (kernels.c names) of a built baseline, one process per call. */
export function runNative(build: NativeBuild, p: NativeParams, kernels: readonly string[]): NativeOutcome {
  if (!build.ok) return build;
  const args = {
    n: p.n,
    reps: p.reps,
    seed: p.seed,
    shift: p.shift,
    ratio: `0x${p.ratio.toString(16)}`,
    frac_bits: p.fracBits,
    offset: `0x${p.offset.toString(16)}`,
    khz: p.khz,
    div_shift: p.divShift,
    divisor: `0x${p.divisor.toString(16)}`,
    bits_mul: p.bitsMul,
    bits_tsc: p.bitsTsc,
    bits_cycles: p.bitsCycles,
    bits_ns: p.bitsNs,
    bits_div: p.bitsDiv,
    only: kernels.join(","),
  };
  const run = spawnSync(build.binary, Object.entries(args).map(([k, v]) => `${k}=${v}`), {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.error) return { ok: false, reason: `the native baseline could not run: ${run.error.message}` };
  if (run.status !== 0) return { ok: false, reason: `the native baseline failed (exit ${run.status}): ${run.stderr.trim()}` };
  const parsed = JSON.parse(run.stdout) as Omit<NativeRun, "cflags">;
  return { ok: true, run: { ...parsed, cflags: [...NATIVE_CFLAGS] } };
}
