// `tscsim compare`'s estimate line (issue #13 target 3, as `tscsim run` has it): one line on
// stderr before a comparison whose two runs together are expected to take over ~10 s.
// Nothing here depends on the machine's speed: the per-interrupt costs are injected.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../src/scenario/load.js";
import { compareEstimateLine, DEFAULT_RUN_COSTS, estimateRun, type RunCosts } from "../src/cli/run-estimate.js";
import { compareAction, type CompareCliOptions } from "../src/cli/compare-action.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-compare-estimate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class FakeStderr {
  readonly chunks: string[] = [];
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
}

describe("compareEstimateLine", () => {
  const a = { estimate: { interrupts: 12_800_000, vcpus: 512, wallMs: 6_000 }, engine: "wasm" as const };
  const b = { estimate: { interrupts: 2_500, vcpus: 4, wallMs: 4_000 }, engine: "ts" as const };

  test("nothing when both sides together are expected to take 10 s or less", () => {
    expect(compareEstimateLine(a, b)).toBeNull();
    expect(compareEstimateLine(a, { ...b, estimate: { ...b.estimate, wallMs: 4_001 } })).not.toBeNull();
  });

  test("the two runs' time together, then each side's interrupts, vCPUs and engine", () => {
    const longB = { ...b, estimate: { ...b.estimate, wallMs: 9_000 } };
    expect(compareEstimateLine(a, longB)).toBe("tscsim: estimated 15 s for both sides (A: 12.8 M guest timer interrupts on 512 vCPUs, wasm engine; B: 2,500 guest timer interrupts on 4 vCPUs, ts engine)");
  });

  test("a threshold of one's own", () => {
    expect(compareEstimateLine(a, b, 20_000)).toBeNull();
    expect(compareEstimateLine(a, b, 9_999)).toMatch(/^tscsim: estimated 10 s for both sides/);
  });
});

describe("compareAction", () => {
  const opts = (out: string): CompareCliOptions => ({ a: ["vms.0.vcpus=2"], b: ["vms.0.vcpus=3"], set: ["duration=5ms"], format: "json", out, histograms: false });

  test("short: no line; long (injected costs): one line with each side's own interrupts, and the same bytes on stdout", async () => {
    const quiet = new FakeStderr();
    const plain = join(dir, "plain.json");
    await compareAction("cyclictest", opts(plain), { costs: DEFAULT_RUN_COSTS, stderr: quiet });
    expect(quiet.chunks).toEqual([]);

    // 0.2 s of wall per interrupt: 5 ms at the preset's 200 us interval is 25 interrupts
    // per vCPU, 50 on A's 2 vCPUs and 75 on B's 3, 25 s in all.
    const slow: RunCosts = { wasmNsPerInterrupt: 2e8, tsNsPerInterrupt: 2e8, resultNsPerVcpu: 0 };
    const a = loadScenario("cyclictest", ["duration=5ms", "vms.0.vcpus=2"]);
    const b = loadScenario("cyclictest", ["duration=5ms", "vms.0.vcpus=3"]);
    const ms = estimateRun(a, "wasm", slow).wallMs + estimateRun(b, "wasm", slow).wallMs;
    expect(ms).toBe(25_000);

    const loud = new FakeStderr();
    const withLine = join(dir, "estimated.json");
    await compareAction("cyclictest", opts(withLine), { costs: slow, stderr: loud });
    expect(loud.chunks).toEqual(["tscsim: estimated 25 s for both sides (A: 50 guest timer interrupts on 2 vCPUs, wasm engine; B: 75 guest timer interrupts on 3 vCPUs, wasm engine)\n"]);
    expect(readFileSync(withLine)).toEqual(readFileSync(plain));
  });

  test("a bad side fails before any estimate is written", async () => {
    const stderr = new FakeStderr();
    const slow: RunCosts = { wasmNsPerInterrupt: 1e9, tsNsPerInterrupt: 1e9, resultNsPerVcpu: 0 };
    await expect(compareAction("cyclictest", { ...opts(join(dir, "bad.json")), b: ["vms.0.vcpus=0"] }, { costs: slow, stderr })).rejects.toThrow(/side B/);
    expect(stderr.chunks).toEqual([]);
  });
});
