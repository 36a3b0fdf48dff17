// Same-run ratios, performance targets, the console table and the results JSON.

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { KernelId } from "../src/bench/cases.js";
import type { Measurement } from "../src/bench/measure.js";

/** The median (the mean of the middle two for an even count). */
export { median } from "../src/bench/measure.js";


export type NativeMeasurement =
  | {
      /** Median of all passes of both runs. */
      nsPerElement: number;
      minNsPerElement: number;
      samples: number;
      elementsPerOp: number;
      impl: string;
      /** Medians of the run just before and just after the wasm batch measurement. */
      bracketMediansNs: { before: number; after: number };
      samplesNsPerElement: number[];
    }
  | { skipped: string };

export interface KernelResult {
  id: KernelId;
  params: Record<string, string | number>;
  /** FNV-1a of the batch output (32-bit words), equal across wasm, BigInt and native. */
  checksum: string;
  overflows: number;
  variants: {
    wasmBatch: Measurement;
    wasmScalar: Measurement;
    bigint: Measurement;
    native: NativeMeasurement;
    /** u64_shl_div_u64 only: the same C loop with a plain __int128 division. */
    nativeInt128Div?: NativeMeasurement;
  };
  ratios: Ratios;
}

export interface Ratios {
  /** Variant time / native time (lower is better; null when native is skipped). */
  wasmBatchToNative: number | null;
  wasmScalarToNative: number | null;
  bigintToNative: number | null;
  /** BigInt time / variant time (higher is better). */
  wasmBatchSpeedupVsBigint: number;
  wasmScalarSpeedupVsBigint: number;
  nativeSpeedupVsBigint: number | null;
}

export function nativeNs(m: NativeMeasurement | undefined): number | null {
  return m !== undefined && "nsPerElement" in m ? m.nsPerElement : null;
}

export function ratios(v: KernelResult["variants"]): Ratios {
  const native = nativeNs(v.native);
  const toNative = (ns: number): number | null => (native === null ? null : ns / native);
  return {
    wasmBatchToNative: toNative(v.wasmBatch.nsPerElement),
    wasmScalarToNative: toNative(v.wasmScalar.nsPerElement),
    bigintToNative: toNative(v.bigint.nsPerElement),
    wasmBatchSpeedupVsBigint: v.bigint.nsPerElement / v.wasmBatch.nsPerElement,
    wasmScalarSpeedupVsBigint: v.bigint.nsPerElement / v.wasmScalar.nsPerElement,
    nativeSpeedupVsBigint: native === null ? null : v.bigint.nsPerElement / native,
  };
}

export interface Target {
  kernel: KernelId;
  variant: "wasmBatch";
  metric: "ratioToNative" | "speedupVsBigint";
  /** ratioToNative must be <= limit; speedupVsBigint must be >= limit. */
  limit: number;
  value: number | null;
  status: "pass" | "fail" | "skipped";
}

const RATIO_TARGETS: Partial<Record<KernelId, number>> = {
  mul_u64_u64_shr: 1.3,
  scale_tsc: 1.3,
  cycles_to_ns: 1.2,
  u64_shl_div_u64: 2,
};
const MIN_SPEEDUP_VS_BIGINT = 25;

/** Targets are reported, never enforced: a miss does not change the exit status. */
export function evaluateTargets(results: readonly KernelResult[]): Target[] {
  const targets: Target[] = [];
  for (const r of results) {
    const limit = RATIO_TARGETS[r.id];
    if (limit !== undefined) {
      const value = r.ratios.wasmBatchToNative;
      targets.push({
        kernel: r.id,
        variant: "wasmBatch",
        metric: "ratioToNative",
        limit,
        value,
        status: value === null ? "skipped" : value <= limit ? "pass" : "fail",
      });
    }
  }
  for (const r of results) {
    const value = r.ratios.wasmBatchSpeedupVsBigint;
    targets.push({
      kernel: r.id,
      variant: "wasmBatch",
      metric: "speedupVsBigint",
      limit: MIN_SPEEDUP_VS_BIGINT,
      value,
      status: value >= MIN_SPEEDUP_VS_BIGINT ? "pass" : "fail",
    });
  }
  return targets;
}

const fmt = (x: number | null, digits: number, suffix = ""): string => (x === null ? "—" : `${x.toFixed(digits)}${suffix}`);

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (rightAligned[c] ? `${"-".repeat(w + 1)}:` : `-${"-".repeat(w + 1)}`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** The kernel | variant | ns/element | × native | speed-up vs BigInt table (Markdown). */
export function formatTable(results: readonly KernelResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    const native = nativeNs(r.variants.native);
    const bigint = r.variants.bigint.nsPerElement;
    const row = (variant: string, ns: number | null): string[] => [
      r.id,
      variant,
      fmt(ns, 2),
      native === null || ns === null ? "—" : fmt(ns / native, 2, "×"),
      ns === null ? "—" : fmt(bigint / ns, 1, "×"),
    ];
    rows.push(row("wasm batch", r.variants.wasmBatch.nsPerElement));
    rows.push(row("wasm scalar (JS→wasm per element)", r.variants.wasmScalar.nsPerElement));
    rows.push(row("JS BigInt reference", bigint));
    if ("skipped" in r.variants.native) rows.push([r.id, "native C (skipped)", "—", "—", "—"]);
    else rows.push(row(`native C (${r.variants.native.impl})`, native));
    if (r.variants.nativeInt128Div !== undefined) rows.push(row("native C (__int128 / → __udivti3)", nativeNs(r.variants.nativeInt128Div)));
  }
  return table(["kernel", "variant", "ns/element", "× native", "speed-up vs BigInt"], rows, [false, false, true, true, true]);
}

export function formatTargets(targets: readonly Target[]): string {
  return targets
    .map((t) => {
      const want = t.metric === "ratioToNative" ? `≤ ${t.limit}× native` : `≥ ${t.limit}× faster than BigInt`;
      const got = t.value === null ? "n/a" : `${t.value.toFixed(2)}×`;
      return `  ${t.status.toUpperCase().padEnd(7)} ${t.kernel} wasm batch ${want} (measured ${got})`;
    })
    .join("\n");
}

/** Stops a bench (exit code 2) on the debug wasm build: its assertions make timings meaningless. */
export function refuseDebugWasm(variant: "debug" | "release"): void {
  if (variant !== "release") {
    process.stderr.write("bench: refusing to run on the debug wasm build (unset TSCSIM_WASM)\n");
    process.exit(2);
  }
}

/** Writes JSON atomically (tmp file + rename; bench/results/*.tmp is gitignored). */
export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(tmp, path);
}

/** `--name N` among a bench's arguments: a whole number >= 1, else `fallback`; anything else ends the bench with one line (exit 2). */
export function wholeFlag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench: ${name} ${args[i + 1]}: a whole number >= 1 is allowed\n`);
    process.exit(2);
  }
  return n;
}
