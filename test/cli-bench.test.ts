// `tscsim bench`: every kernel in every form it has, output verified before timing (a
// mismatch aborts the bench), as a table or JSON. Tiny sizes: this checks the shape, not
// the speed (no assertion depends on the machine's speed).

import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { tscsim } from "./cli.js";

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
const TINY = ["--batch", "2000", "--slice", "200", "--max-time", "0.01"];
const MATH = ["mul_u64_u64_shr", "scale_tsc", "cycles_to_ns", "nsec_to_cycles", "u64_shl_div_u64"];
const DECISIONS = ["adjust_lapic_timer_advance", "busy_wait_length", "sw_deadline", "hv_deadline"];

describe("tscsim bench", () => {
  test("--format json: the math kernels in four forms, the decisions per call", () => {
    const r = tscsim("bench", "--format", "json", ...TINY);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.kernels.map((k: { id: string }) => k.id)).toEqual([...MATH, ...DECISIONS]);
    for (const k of report.kernels) {
      const math = MATH.includes(k.id);
      expect(k.variants.wasmPerCall.ok).toBe(true);
      expect(k.variants.wasmPerCall.nsPerElement).toBeGreaterThan(0);
      expect(k.variants.wasmBatch.ok).toBe(math);
      expect(k.variants.jsBigInt.ok).toBe(math);
      expect(k.variants.nativeC.ok).toBe(math && hasGcc);
      if (!k.variants.nativeC.ok) expect(k.variants.nativeC.reason).not.toBe("");
    }
    expect(report.tscsim.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.native.skipped === null).toBe(hasGcc);
  });

  test("the table: a row per kernel, a column per form, why a form is missing", () => {
    const r = tscsim("bench", "--no-native", ...TINY);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.find((l) => l.startsWith("kernel"))).toMatch(/wasm batch\s+wasm per call\s+JS BigInt\s+native C$/);
    for (const id of [...MATH, ...DECISIONS]) expect(lines.some((l) => l.startsWith(id))).toBe(true);
    expect(r.stdout).toContain("native C: disabled with --no-native");
    expect(r.stderr).toContain("debug wasm");
  });

  test("a bad flag: one line naming it, exit 2", () => {
    const r = tscsim("bench", "--batch", "0");
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--batch");
  });
});
