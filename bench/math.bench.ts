// Math-kernel benchmarks: wasm batch vs wasm scalar vs JS BigInt vs native C, in one run.
// `npm run bench [-- --batch N --slice N --max-time S --reps N --seed N --no-native --out PATH]`
// See bench/README.md for what is measured and the JSON format.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Benchmark from "benchmark";
import { freeU64Array, nsToCyclesScale, u64Array, wasmVariant } from "../src/index.js";
import { CASES, NS_TO_CYCLES_SCALE, PARAMS, type KernelCase, type KernelId } from "../src/bench/cases.js";
import { checksumU64, fillRandomU64, firstMismatch } from "../src/bench/data.js";
import { measure, type MeasureOptions } from "../src/bench/measure.js";
import { buildNative, NATIVE_CFLAGS, nativeParamsOf, runNative, type NativeBuild, type NativeOutcome, type NativeParams } from "../src/bench/native.js";
import { evaluateTargets, formatTable, formatTargets, median, ratios, writeJson, type KernelResult, type NativeMeasurement } from "./report.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const started = Date.now();
const loadAverageAtStart = os.loadavg()[0];

function fail(message: string): never {
  console.error(`\nbench: ${message}`);
  process.exit(1);
}

function intOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min) fail(`--${name} must be an integer >= ${min}, got ${raw}`);
  return v;
}

const { values: flags } = parseArgs({
  options: {
    batch: { type: "string" },
    slice: { type: "string" },
    "max-time": { type: "string" },
    reps: { type: "string" },
    seed: { type: "string" },
    "no-native": { type: "boolean", default: false },
    out: { type: "string" },
  },
});

const config = {
  seed: intOption("seed", flags.seed, 1, 0),
  /** Elements per wasm batch call and per native pass. */
  batchElements: intOption("batch", flags.batch, 10_000_000, 1),
  /** Elements per op for the wasm scalar and BigInt variants (a prefix of the batch). */
  sliceElements: 0,
  /** Timed native passes in each of the two runs bracketing the wasm batch measurement. */
  nativeReps: intOption("reps", flags.reps, 7, 1),
  measure: {
    maxTime: Number(flags["max-time"] ?? 2),
    minSamples: 10,
  } satisfies MeasureOptions,
};
config.sliceElements = intOption("slice", flags.slice, Math.min(100_000, config.batchElements), 1);
if (!(config.measure.maxTime > 0)) fail(`--max-time must be a positive number of seconds, got ${flags["max-time"]}`);
if (config.sliceElements > config.batchElements) fail("--slice must not exceed --batch");
const outPath = flags.out ?? fileURLToPath(new URL("./results/math.json", import.meta.url));

if (wasmVariant !== "release") fail(`benchmarks must use the release wasm build; unset TSCSIM_WASM (it is "${process.env.TSCSIM_WASM}")`);

// --- cross-checks that need no timing ----------------------------------------------

const apiScale = nsToCyclesScale(PARAMS.tscKhz);
if (apiScale.shift !== NS_TO_CYCLES_SCALE.shift || BigInt(apiScale.mult) !== NS_TO_CYCLES_SCALE.mult) {
  fail(
    `kvm_get_time_scale mismatch for ${PARAMS.tscKhz} kHz: wasm (${apiScale.shift}, ${apiScale.mult}) vs BigInt reference ` +
      `(${NS_TO_CYCLES_SCALE.shift}, ${NS_TO_CYCLES_SCALE.mult})`,
  );
}

// --- native baseline -------------------------------------------------------------------

const nativeBuild: NativeBuild = flags["no-native"] ? { ok: false, reason: "disabled with --no-native" } : buildNative();
if (nativeBuild.ok) {
  console.log(`native: built src/bench/native/kernels.c (gcc ${NATIVE_CFLAGS.join(" ")}); ${config.nativeReps} timed passes before and after each wasm batch measurement`);
} else {
  console.log(`native: SKIPPED — ${nativeBuild.reason}. Ratios to native and the ×native targets are reported as skipped.`);
}
let nativeCompiler: string | null = null;

const NATIVE_PARAMS: NativeParams = nativeParamsOf(config.batchElements, config.nativeReps, config.seed);

/** kernels.c names timed with a case: u64_shl_div_u64 also runs its __int128-division variant. */
function nativeNames(id: KernelId): string[] {
  return id === "u64_shl_div_u64" ? [id, `${id}_int128div`] : [id];
}

/** One native invocation for case `id`; its outputs must match the verified wasm output. */
function nativeBracket(id: KernelId, checksum: string, overflows: number): NativeOutcome {
  const outcome = runNative(nativeBuild, NATIVE_PARAMS, nativeNames(id));
  if (!outcome.ok) {
    console.log(`\nnative: ${id} SKIPPED — ${outcome.reason}`);
    return outcome;
  }
  nativeCompiler = outcome.run.compiler;
  for (const [name, k] of Object.entries(outcome.run.kernels)) {
    if (k.checksum !== checksum || k.overflows !== overflows) {
      fail(
        `VERIFICATION FAILED: native ${name} output checksum ${k.checksum} (${k.overflows} overflows) differs from the verified ` +
          `wasm output ${checksum} (${overflows} overflows): kernels.c and the JS side disagree on data or semantics`,
      );
    }
  }
  return outcome;
}

/** Pools the passes of the runs before and after the wasm batch measurement. */
function nativeMeasurement(before: NativeOutcome, after: NativeOutcome, name: string, impl: string): NativeMeasurement {
  if (!before.ok) return { skipped: before.reason };
  if (!after.ok) return { skipped: after.reason };
  const b = before.run.kernels[name];
  const a = after.run.kernels[name];
  if (b === undefined || a === undefined) return { skipped: `${name} missing from the native output` };
  const samples = [...b.samplesNsPerElement, ...a.samplesNsPerElement];
  return {
    nsPerElement: median(samples),
    minNsPerElement: Math.min(...samples),
    samples: samples.length,
    elementsPerOp: config.batchElements,
    impl,
    bracketMediansNs: { before: b.medianNsPerElement, after: a.medianNsPerElement },
    samplesNsPerElement: samples,
  };
}

// --- per kernel: generate, verify, time ---------------------------------------------

function describe(u: BigUint64Array, i: number): string {
  return `0x${u[i]!.toString(16)}`;
}

function runCase(c: KernelCase): KernelResult {
  const n = config.batchElements;
  const m = config.sliceElements;
  const ins = c.inputs.map((spec) => {
    const view = u64Array(n);
    fillRandomU64(view, config.seed + spec.seedOffset, spec.bits);
    return view;
  });
  const out = u64Array(n);
  try {
    // Correctness first: the full batch against the BigInt reference.
    const wasmOverflows = c.batch(ins, out) ?? 0;
    const ref = new BigUint64Array(n);
    const refOverflows = c.reference(ins, ref) ?? 0;
    const bad = firstMismatch(out, ref, n);
    if (bad >= 0) {
      const args = c.inputs.map((spec, k) => `${spec.name}=${describe(ins[k]!, bad)}`).join(", ");
      fail(`VERIFICATION FAILED: ${c.id} wasm batch differs from the BigInt reference at element ${bad} (${args}): wasm ${describe(out, bad)}, reference ${describe(ref, bad)}`);
    }
    if (wasmOverflows !== refOverflows) fail(`VERIFICATION FAILED: ${c.id} overflow count wasm ${wasmOverflows} vs reference ${refOverflows}`);
    const checksum = checksumU64(out);

    const scalarOut = new BigUint64Array(m);
    c.scalar(ins, scalarOut);
    const badScalar = firstMismatch(scalarOut, ref, m);
    if (badScalar >= 0) {
      fail(`VERIFICATION FAILED: ${c.id} wasm scalar differs from the BigInt reference at element ${badScalar}: wasm ${describe(scalarOut, badScalar)}, reference ${describe(ref, badScalar)}`);
    }

    // Timing. Scalar and BigInt run on a prefix of the batch (a full pass of a slow
    // variant would take ~0.5 s per sample); their outputs go to plain JS arrays.
    process.stdout.write(`${c.id}: verified ${n} elements (checksum ${checksum}); timing`);
    const sliceIns = ins.map((v) => v.subarray(0, m));
    const bigintOut = new BigUint64Array(m);
    // The native passes bracket the wasm batch measurement in time, so that drift in
    // the machine's speed (shared host) hits both sides of the ratio alike.
    const nativeBefore = nativeBracket(c.id, checksum, wasmOverflows);
    process.stdout.write(" native");
    const wasmBatch = measure(`${c.id} wasm batch`, () => void c.batch(ins, out), n, config.measure);
    process.stdout.write(" batch");
    const nativeAfter = nativeBracket(c.id, checksum, wasmOverflows);
    process.stdout.write(" native");
    const wasmScalar = measure(`${c.id} wasm scalar`, () => c.scalar(sliceIns, scalarOut), m, config.measure);
    process.stdout.write(" scalar");
    const bigint = measure(`${c.id} BigInt`, () => void c.reference(sliceIns, bigintOut), m, config.measure);
    process.stdout.write(" bigint\n");
    // The timed runs must still produce the verified output.
    if (checksumU64(out) !== checksum || firstMismatch(bigintOut, ref, m) >= 0 || firstMismatch(scalarOut, ref, m) >= 0) {
      fail(`VERIFICATION FAILED: ${c.id} output changed during timing`);
    }

    const native = nativeMeasurement(nativeBefore, nativeAfter, c.id, c.id === "u64_shl_div_u64" ? "divq" : "__int128");
    const variants: KernelResult["variants"] = { wasmBatch, wasmScalar, bigint, native };
    if (c.id === "u64_shl_div_u64") variants.nativeInt128Div = nativeMeasurement(nativeBefore, nativeAfter, `${c.id}_int128div`, "__int128 /");
    return { id: c.id, params: c.params, checksum, overflows: wasmOverflows, variants, ratios: ratios(variants) };
  } finally {
    for (const v of ins) freeU64Array(v);
    freeU64Array(out);
  }
}

function git(args: string[]): string | null {
  const r = spawnSync("git", args, { cwd: REPO, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

const results = CASES.map(runCase);
const targets = evaluateTargets(results);

console.log(`\n${formatTable(results)}\n\ntargets (reported, not enforced):\n${formatTargets(targets)}`);

const cpus = os.cpus();
const releaseWasm = readFileSync(new URL("../build/release.wasm", import.meta.url));
const dirty = git(["status", "--porcelain", "--", "assembly", "src"]);
writeJson(outPath, {
  schema: "tscsim-bench-math/1",
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    /** 1-minute load averages: a busy machine makes every number noisier. */
    loadAverage1m: { atStart: loadAverageAtStart, atEnd: os.loadavg()[0] },
  },
  build: {
    wasm: wasmVariant,
    releaseWasmSha256: createHash("sha256").update(releaseWasm).digest("hex"),
    gitCommit: git(["rev-parse", "HEAD"]),
    /** True when assembly/ or src/ had uncommitted changes: the wasm is not exactly gitCommit's. */
    gitDirty: dirty === null ? null : dirty.length > 0,
  },
  config: {
    seed: config.seed,
    batchElements: config.batchElements,
    sliceElements: config.sliceElements,
    benchmarkjs: { version: Benchmark.version, maxTimeSeconds: config.measure.maxTime, minSamples: config.measure.minSamples, statistic: "median of samples" },
    native: nativeBuild.ok
      ? {
          compiler: nativeCompiler,
          cflags: [...NATIVE_CFLAGS],
          repsPerBracket: config.nativeReps,
          brackets: 2,
          warmupPassesPerBracket: 1,
          statistic: "median of the passes of both brackets",
        }
      : { skipped: nativeBuild.reason },
  },
  kernels: Object.fromEntries(results.map((r) => [r.id, { params: r.params, checksum: r.checksum, overflows: r.overflows, variants: r.variants, ratios: r.ratios }])),
  targets,
  elapsedSeconds: Math.round((Date.now() - started) / 100) / 10,
});
console.log(`\nwrote ${outPath}`);
