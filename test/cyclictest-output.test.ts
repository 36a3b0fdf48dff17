// cyclictest's -h and --json outputs (src/report/cyclictest-output.ts) against rt-tests'
// layouts (cyclictest.c print_hist / write_stats, rt-utils.c rt_write_json).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { newVcpuHistogram } from "../src/metrics/histogram.js";
import { microsecondHistogram, renderCyclictestHistogram, renderCyclictestJson, type CyclictestThread } from "../src/report/cyclictest-output.js";
import { tscsim } from "./cli.js";

function thread(latenciesNs: number[], cpu: number): CyclictestThread {
  const h = newVcpuHistogram();
  for (const ns of latenciesNs) h.recordValue(ns);
  const n = latenciesNs.length;
  return { histogram: h, cycles: n, minNs: n ? Math.min(...latenciesNs) : NaN, meanNs: n ? latenciesNs.reduce((a, b) => a + b, 0) / n : NaN, maxNs: n ? Math.max(...latenciesNs) : NaN, cpu };
}

const T0 = thread([0, 999, 1000, 1500, 2999, 3000, 15_999, 50_000, 70_000], 0);
const T1 = thread([4000, 4001, 4999], 1);

describe("-h histogram layout", () => {
  const text = renderCyclictestHistogram([T0, T1], 20);
  const lines = text.split("\n");

  test("header, one line per µs bucket: %06d then %06lu per thread, tab-separated", () => {
    expect(lines[0]).toBe("# Histogram");
    expect(lines.slice(1, 21).every((l, i) => l.startsWith(`${String(i).padStart(6, "0")} `))).toBe(true);
    expect(lines[1]).toBe("000000 000002\t000000");
    expect(lines[2]).toBe("000001 000002\t000000");
    expect(lines[3]).toBe("000002 000001\t000000");
    expect(lines[5]).toBe("000004 000000\t000003");
    expect(lines[16]).toBe("000015 000001\t000000");
  });

  test("the footer: totals (in-range buckets), min/avg/max in µs, overflows, overflow list, empty line", () => {
    expect(lines.slice(21)).toEqual([
      "# Total: 000000007 000000003",
      "# Min Latencies: 00000 00004",
      `# Avg Latencies: ${String(Math.trunc(T0.meanNs / 1000)).padStart(5, "0")} 00004`,
      "# Max Latencies: 00070 00004",
      "# Histogram Overflows: 00002 00000",
      "# Histogram Overflow at cycle number:",
      "# Thread 0: # 00002 others",
      "# Thread 1:",
      "",
      "",
    ]);
  });

  test("a thread without wake-ups prints cyclictest's initial min and max", () => {
    const t = renderCyclictestHistogram([thread([], 0)], 2).split("\n");
    expect(t.slice(3, 7)).toEqual(["# Total: 000000000", "# Min Latencies: 1000000", "# Avg Latencies: 00000", "# Max Latencies: 00000"]);
  });

  test("buckets are exact up to 16 µs: floor(ns / 1000) per latency", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 16_383 }), { maxLength: 200 }), (ns) => {
        const { buckets, overflows } = microsecondHistogram(thread(ns, 0).histogram, 17);
        const expected = new Array<number>(17).fill(0);
        for (const v of ns) expected[Math.floor(v / 1000)]!++;
        expect(buckets).toEqual(expected);
        expect(overflows).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("--json layout", () => {
  const meta = { cmdline: "tscsim run cyclictest", version: "0.1.0", simulatedNs: 2_500_000_000, era: "mainline" };
  const text = renderCyclictestJson([T0, T1, thread([], 2)], 20, meta);
  const doc = JSON.parse(text);

  test("rt_write_json's header (keys with rt-tests' own colons), sysinfo, then write_stats", () => {
    expect(Object.keys(doc)).toEqual(["file_version", "cmdline:", "rt_test_version:", "start_time", "end_time", "return_code", "sysinfo", "num_threads", "resolution_in_ns", "thread"]);
    expect(doc.file_version).toBe(1);
    expect(doc["cmdline:"]).toBe("tscsim run cyclictest");
    expect(doc.start_time).toBe("Thu, 01 Jan 1970 00:00:00 +0000");
    expect(doc.end_time).toBe("Thu, 01 Jan 1970 00:00:02 +0000");
    expect(Object.keys(doc.sysinfo)).toEqual(["sysname", "nodename", "release", "version", "machine", "realtime"]);
    expect(doc.num_threads).toBe(3);
    expect(doc.resolution_in_ns).toBe(0);
  });

  test("per thread: non-empty buckets only, cycles, min, max, avg (%.2f), cpu, node", () => {
    expect(Object.keys(doc.thread)).toEqual(["0", "1", "2"]);
    expect(doc.thread["0"].histogram).toEqual({ "0": 2, "1": 2, "2": 1, "3": 1, "15": 1 });
    expect(Object.keys(doc.thread["0"])).toEqual(["histogram", "cycles", "min", "max", "avg", "cpu", "node"]);
    expect(doc.thread["1"]).toEqual({ histogram: { "4": 3 }, cycles: 3, min: 4, max: 4, avg: 4.33, cpu: 1, node: 0 });
    expect(text).toContain('"avg": 4.33,');
    // write_stats' spelling of an empty histogram.
    expect(text).toContain('      "histogram": {      },');
    expect(text).toContain('        "0": 2,\n        "1": 2,');
  });
});

describe("tscsim run --histogram / --cyclictest-json", () => {
  const dir = mkdtempSync(join(tmpdir(), "tscsim-ct-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("one column per vCPU; totals plus overflows are each vCPU's interrupts", () => {
    const h = join(dir, "h.txt");
    const j = join(dir, "c.json");
    const r = tscsim("run", "cyclictest", "--set", "duration=200ms", "--set", "vms.0.vcpus=3", "--histogram", h, "--histogram-size", "30", "--cyclictest-json", j, "--format", "json");
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    const lines = readFileSync(h, "utf8").split("\n");
    expect(lines.filter((l) => /^\d{6} /.test(l)).length).toBe(30);
    const totals = lines.find((l) => l.startsWith("# Total:"))!.split(" ").slice(2).map(Number);
    const overflows = lines.find((l) => l.startsWith("# Histogram Overflows:"))!.split(" ").slice(3).map(Number);
    expect(totals.map((t, i) => t + overflows[i]!)).toEqual(result.vcpus.map((v: { interrupts: number }) => v.interrupts));
    const doc = JSON.parse(readFileSync(j, "utf8"));
    expect(doc.num_threads).toBe(3);
    expect(doc.thread["2"].cycles).toBe(result.vcpus[2].interrupts);
    expect(doc.thread["2"].max).toBe(Math.trunc(result.vcpus[2].latency.ns.max / 1000));
  });

  test("a bad --histogram-size: one line naming it, exit 2", () => {
    const r = tscsim("run", "cyclictest", "--histogram", join(dir, "x"), "--histogram-size", "0");
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--histogram-size");
  });
});
