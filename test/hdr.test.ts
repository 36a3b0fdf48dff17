// Latency histograms in HdrHistogram's formats (src/report/hdr.ts): a result's compressed
// base64 histograms and the .hgrm text decode with hdr-histogram-js to the result's own
// percentiles; summarize pools them across seeds.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/sim/run.js";
import { renderHgrm } from "../src/report/hdr.js";
import { compactResultJson, okLine } from "../src/sweep/line.js";
import { summarize } from "../src/sweep/summarize.js";
import { renderSummaryCsv, renderSummaryTable } from "../src/sweep/summary-format.js";

const small = ["duration=200ms", "vms.0.vcpus=3", "vms.0.workload.printSummary=false"];
const PERCENTILES = [
  ["p50", 50],
  ["p90", 90],
  ["p99", 99],
  ["p999", 99.9],
] as const;

function run(seed: number, extra: string[] = []) {
  return runScenario(loadScenario("cyclictest", [...small, ...extra, `seed=${seed}`]), { histograms: true });
}

describe("compressed base64 histograms in a result", () => {
  const { result } = run(1);
  const h = result.histograms!;
  const all = hdr.decodeFromCompressedBase64(h.all);

  test("decode with hdr-histogram-js to the result's percentiles and count", () => {
    expect(h.encoding).toBe("hdrhistogram-v2-compressed-base64");
    expect(h.all.startsWith("HISTF")).toBe(true);
    expect(all.totalCount).toBe(result.interrupts);
    for (const [key, p] of PERCENTILES) expect(Math.min(all.getValueAtPercentile(p), result.latency.ns.max), key).toBe(result.latency.ns[key]);
  });

  test("one VM: `all` is its histogram, not written twice", () => {
    expect(h.vms).toEqual([]);
  });

  test("several VMs: one per VM, whose counts add up to the run's", () => {
    const multi = runScenario(loadScenario("default", ["duration=100ms"]), { histograms: true }).result;
    const vmIds = [...new Set(multi.vcpus.map((v) => v.vm))];
    expect(vmIds.length).toBeGreaterThan(1);
    expect(multi.histograms!.vms.map((v) => v.vm)).toEqual(vmIds);
    const counts = multi.histograms!.vms.map((v) => hdr.decodeFromCompressedBase64(v.encoded).totalCount);
    expect(counts).toEqual(vmIds.map((vm) => multi.vcpus.filter((v) => v.vm === vm).reduce((n, v) => n + v.interrupts, 0)));
  });

  test("a result carries them only when asked; the same run gives the same string", () => {
    const without = runScenario(loadScenario("cyclictest", [...small, "seed=1"])).result;
    expect(without.histograms).toBeUndefined();
    expect(run(1).result.histograms).toEqual(h);
  });

  test("every result names the tscsim version and the wasm's SHA-256", () => {
    expect(result.tscsim!.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(result.tscsim!.wasm).toBe("debug");
    expect(result.tscsim!.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe(".hgrm percentile distribution", () => {
  const r = run(2);
  const text = renderHgrm(r.histograms.all);
  const decoded = hdr.decodeFromCompressedBase64(r.result.histograms!.all);

  test("HdrHistogram's layout: header, rows of value/percentile/count/inverse, footer", () => {
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^\s+Value\s+Percentile\s+TotalCount 1\/\(1-Percentile\)$/);
    expect(lines[1]).toBe("");
    expect(text).toMatch(/#\[Mean    =\s+[\d.]+, StdDeviation   =\s+[\d.]+\]/);
    expect(text).toMatch(new RegExp(`#\\[Max     =\\s+[\\d.]+, Total count    =\\s+${r.result.interrupts}\\]`));
    expect(text).toMatch(/#\[Buckets =\s+\d+, SubBuckets     =\s+2048\]/);
  });

  test("each row's value (µs) is the decoded histogram's value at that percentile", () => {
    const rows = text
      .split("\n")
      .filter((l) => /^\s+[\d.]+\s+[\d.]+\s+\d+/.test(l))
      .map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows.length).toBeGreaterThan(20);
    for (const [valueUs, percentile, count] of rows) {
      expect(Math.round(valueUs! * 1000)).toBe(decoded.getValueAtPercentile(percentile! * 100));
      expect(count).toBeLessThanOrEqual(r.result.interrupts);
    }
  });
});

describe("summarize pools histograms across seeds", () => {
  const dir = mkdtempSync(join(tmpdir(), "tscsim-hdr-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "r.jsonl");
  const results = [1, 2, 3].map((seed) => run(seed, ["kvm.timerAdvance=adaptive"]).result);
  writeFileSync(file, results.map((r, i) => okLine(`id${i}`, { "kvm.timerAdvance": "adaptive" }, r.seed, compactResultJson(r), 1)).join("\n") + "\n");
  const metrics = ["latency.ns.p50", "latency.ns.p99", "latency.ns.p999", "spinNs"];

  test("pooled percentiles are those of the summed histograms (hdr-histogram-js)", () => {
    const s = summarize([file], { by: ["kvm.timerAdvance"], metrics });
    expect(s.pooled).toBe(true);
    const sum = hdr.build({ bitBucketSize: 64, autoResize: true });
    for (const r of results) sum.add(hdr.decodeFromCompressedBase64(r.histograms!.all));
    expect(sum.totalCount).toBe(results.reduce((n, r) => n + r.interrupts, 0));
    const maxNs = Math.max(...results.map((r) => r.latency.ns.max));
    for (const [m, p] of [["latency.ns.p50", 50], ["latency.ns.p99", 99], ["latency.ns.p999", 99.9]] as const) {
      expect(s.groups[0]!.metrics[m]!.pooled, m).toBe(Math.min(sum.getValueAtPercentile(p), maxNs));
    }
    // Not a latency percentile: mean ± sd only.
    expect(s.groups[0]!.metrics.spinNs!.pooled).toBeUndefined();
    expect(renderSummaryTable(s).split("\n")[0]).toContain("latency.ns.p99 (pooled)");
    expect(renderSummaryCsv(s).split("\n")[0]).toContain("latency.ns.p99.pooled");
  });

  test("per-seed: the mean of the runs' own percentiles, as before", () => {
    const s = summarize([file], { by: ["kvm.timerAdvance"], metrics, pool: false });
    expect(s.pooled).toBe(false);
    const m = s.groups[0]!.metrics["latency.ns.p99"]!;
    expect(m.pooled).toBeUndefined();
    expect(m.mean).toBeCloseTo(results.reduce((a, r) => a + r.latency.ns.p99, 0) / 3, 9);
  });
});
