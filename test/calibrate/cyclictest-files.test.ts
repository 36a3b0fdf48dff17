// The cyclictest readers on files written in rt-tests' layouts (cyclictest's write_stats
// under rt_write_json, and print_hist), and `tscsim check` against a simulated "measurement".

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { cmdlineOptions, readCyclictestFile, type MeasuredLatency } from "../../src/calibrate/cyclictest-files.js";
import { binQuantile, binnedKs, compareLatency, simulateBinned } from "../../src/calibrate/check.js";
import { TraceFormatError } from "../../src/calibrate/trace-reader.js";
import { loadScenario } from "../../src/scenario/load.js";
import { tscsim } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-ct-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const f = join(dir, `c${n++}.txt`);
  writeFileSync(f, text);
  return f;
}

/** cyclictest --json as rt_write_json + write_stats print it. */
function jsonFile(threads: Record<number, Record<number, number>>, opts: { cmdline?: string; nsecs?: boolean; extraCycles?: number } = {}): string {
  const t = Object.entries(threads).map(([id, hist], i, all) => {
    const bins = Object.entries(hist);
    const cycles = bins.reduce((a, [, c]) => a + c, 0) + (opts.extraCycles ?? 0);
    const body = bins.map(([b, c]) => `        "${b}": ${c}`).join(",\n");
    return `    "${id}": {\n      "histogram": {${bins.length > 0 ? `\n${body}\n` : ""}      },\n      "cycles": ${cycles},\n      "min": 1,\n      "max": 20,\n      "avg": 3.00,\n      "cpu": ${id},\n      "node": 0\n    }${i === all.length - 1 ? "" : ","}`;
  });
  return `{
  "file_version": 1,
  "cmdline:": "${opts.cmdline ?? "cyclictest -m -p 99 -t 2 -i 200 -h 400 -l 1000 --json out.json"}",
  "rt_test_version:": "2.50",
  "start_time": "Fri, 04 Dec 2026 10:00:00 +0000",
  "end_time": "Fri, 04 Dec 2026 10:00:01 +0000",
  "return_code": 0,
  "sysinfo": {
    "sysname": "Linux",
    "nodename": "guest",
    "release": "6.8.0",
    "version": "#1 SMP PREEMPT_DYNAMIC",
    "machine": "x86_64",
    "realtime": 0
  },
  "num_threads": ${Object.keys(threads).length},
  "resolution_in_ns": ${opts.nsecs ? 1 : 0},
  "thread": {
${t.join("\n")}
  }
}
`;
}

/** cyclictest -h N output as print_hist writes it (with --histofall: a sum column). */
function histFile(perThread: number[][], opts: { histofall?: boolean; overflows?: number[]; summary?: boolean } = {}): string {
  const bins = perThread[0]!.length;
  const out: string[] = [];
  if (opts.summary) out.push("# /dev/cpu_dma_latency set to 0us", "policy: fifo: loadavg: 0.01 0.02 0.00 1/200 4242", "");
  out.push("# Histogram");
  for (let b = 0; b < bins; b++) {
    const cells = perThread.map((t) => String(t[b]).padStart(6, "0"));
    let row = `${String(b).padStart(6, "0")} ${cells.join("\t")}`;
    if (opts.histofall && perThread.length > 1) row += `\t${String(perThread.reduce((a, t) => a + t[b]!, 0)).padStart(6, "0")}`;
    out.push(row);
  }
  const totals = perThread.map((t) => t.reduce((a, c) => a + c, 0));
  const all = opts.histofall && perThread.length > 1;
  out.push(`# Total: ${[...totals, ...(all ? [totals.reduce((a, c) => a + c, 0)] : [])].map((x) => String(x).padStart(9, "0")).join(" ")}`);
  out.push(`# Min Latencies: ${perThread.map(() => "00001").join(" ")}`);
  out.push(`# Avg Latencies: ${perThread.map(() => "00003").join(" ")}`);
  out.push(`# Max Latencies: ${perThread.map((_, i) => String(30 + i).padStart(5, "0")).join(" ")}${all ? " 00031" : ""}`);
  const of = opts.overflows ?? perThread.map(() => 0);
  out.push(`# Histogram Overflows: ${of.map((x) => String(x).padStart(5, "0")).join(" ")}${all ? ` ${String(of.reduce((a, c) => a + c, 0)).padStart(5, "0")}` : ""}`);
  out.push("# Histogram Overflow at cycle number:");
  perThread.forEach((_, i) => out.push(`# Thread ${i}:`));
  out.push("");
  if (opts.summary) out.push("T: 0 ( 4243) P:99 I:200 C:   1000 Min:      1 Act:    2 Avg:    3 Max:      30");
  return `${out.join("\n")}\n`;
}

describe("cyclictest --json", () => {
  test("threads combined, the command line's options, overflows from cycles", () => {
    const m = readCyclictestFile(file(jsonFile({ 0: { 1: 10, 2: 20, 5: 3 }, 1: { 2: 5, 7: 1 } }, { extraCycles: 2 })));
    expect(m.counts).toEqual([0, 10, 25, 0, 0, 3, 0, 1]);
    expect(m.threads).toBe(2);
    expect(m.binNs).toBe(1000);
    expect(m.overflows).toBe(4);
    expect(m.max).toBe(20);
    expect(cmdlineOptions(m.cmdline!)).toEqual({ intervalUs: 200, threads: 2, loops: 1000, histogramBins: 400 });
  });
  test("--nsecs: ns bins; long options", () => {
    const m = readCyclictestFile(file(jsonFile({ 0: { 900: 1 } }, { nsecs: true, cmdline: "cyclictest --interval=500 --threads=1 --histogram=2000 --nsecs" })));
    expect(m.binNs).toBe(1);
    expect(cmdlineOptions(m.cmdline!)).toEqual({ intervalUs: 500, threads: 1, histogramBins: 2000 });
  });
  test.each([
    ["not JSON", "{ nope", /not valid JSON/],
    ["no thread object", '{"file_version": 1}', /no "thread" object/],
    ["no histogram (run without -h)", '{"thread": {"0": {"cycles": 5}}}', /no "histogram" object/],
    ["a bad count", '{"thread": {"0": {"histogram": {"3": -1}}}}', /histogram entry "3"/],
  ])("%s", (_name, text, reason) => {
    expect(() => readCyclictestFile(file(text))).toThrow(TraceFormatError);
    expect(() => readCyclictestFile(file(text))).toThrow(reason);
  });
});

describe("cyclictest -h output", () => {
  test("per-thread columns summed; overflows; surrounded by the summary lines", () => {
    const m = readCyclictestFile(file(histFile([[0, 5, 7, 1], [0, 3, 2, 0]], { overflows: [2, 1], summary: true })));
    expect(m.counts).toEqual([0, 8, 9, 1]);
    expect(m.threads).toBe(2);
    expect(m.overflows).toBe(3);
    expect(m.max).toBe(31);
  });
  test("--histofall: the sum column is not counted twice", () => {
    const m = readCyclictestFile(file(histFile([[1, 5, 7], [0, 3, 2], [2, 2, 2]], { histofall: true, overflows: [1, 0, 2] })));
    expect(m.counts).toEqual([3, 10, 11]);
    expect(m.threads).toBe(3);
    expect(m.overflows).toBe(3);
  });
  test("one thread", () => {
    expect(readCyclictestFile(file(histFile([[0, 4, 4]]))).counts).toEqual([0, 4, 4]);
  });
  test.each([
    ["no histogram", "T: 0 ( 4243) P:99 I:200 C: 1000 Min: 1 Act: 2 Avg: 3 Max: 30\n", /no "# Histogram" line/],
    ["no rows", "# Histogram\n# Total: 000000000\n", /no histogram rows/],
    ["a ragged row", "# Histogram\n000000 000001\t000002\n000001 000003\n", /has 1 counts, the first had 2/],
  ])("%s", (_name, text, reason) => {
    expect(() => readCyclictestFile(file(text))).toThrow(reason);
  });
});

describe("check: measured vs simulated", () => {
  test("binned quantiles and KS", () => {
    const a = { counts: [0, 50, 40, 10], overflows: 0 };
    expect(binQuantile(a, 0.5)).toBe(1);
    expect(binQuantile(a, 0.9)).toBe(2);
    expect(binQuantile(a, 0.99)).toBe(3);
    expect(binQuantile({ counts: [1], overflows: 9 }, 0.5)).toBe(Number.POSITIVE_INFINITY);
    expect(binnedKs(a, a)).toBe(0);
    expect(binnedKs(a, { counts: [0, 0, 90, 10], overflows: 0 })).toBeCloseTo(0.5, 12);
  });

  test("a measurement made with a host is matched by simulating that host, and not by another", () => {
    const host = 'host.delays.wakeup={"dist":"lognormal","median":"9us","p99":"40us"}';
    const sets = ["vms.0.vcpus=2", 'vms.0.workload={"kind":"cyclictest","interval":"200us"}', "duration=400ms"];
    const probe: MeasuredLatency = { binNs: 1000, counts: new Array(200).fill(0), overflows: 0, threads: 2, max: null, cmdline: null };
    // The "measurement": the same model, another seed, written in -h layout and read back.
    const measuredRun = simulateBinned(loadScenario("cyclictest", [...sets, host, "seed=99"]), probe);
    const measured = readCyclictestFile(file(histFile([measuredRun.counts])));
    measured.overflows = measuredRun.overflows;
    const same = compareLatency(measured, simulateBinned(loadScenario("cyclictest", [...sets, host]), measured));
    const other = compareLatency(measured, simulateBinned(loadScenario("cyclictest", sets), measured));
    expect(same.ks).toBeLessThan(0.05);
    expect(other.ks).toBeGreaterThan(same.ks * 3);
    expect(Math.abs(same.simulated.quantiles[0]! - same.measured.quantiles[0]!)).toBeLessThanOrEqual(1);
  });

  test("tscsim check reads a --json file and prints measured vs simulated", () => {
    const f = file(jsonFile({ 0: { 2: 500, 3: 400, 8: 100 } }, { cmdline: "cyclictest -t 1 -i 1000 -l 1000 -h 100 --json x" }));
    const r = tscsim("check", f, "--format", "json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { intervalUs: number; threads: number; measured: { n: number }; simulated: { n: number }; ks: number };
    expect(out.intervalUs).toBe(1000);
    expect(out.threads).toBe(1);
    expect(out.measured.n).toBe(1000);
    expect(out.simulated.n).toBeGreaterThanOrEqual(1000);
    expect(out.ks).toBeGreaterThan(0);
  });
});

describe("tscsim's own cyclictest outputs (run --cyclictest-json / --histogram) read back", () => {
  test("check on them reproduces the run: the same percentiles, KS 0", () => {
    const json = join(dir, "own.json");
    const hist = join(dir, "own.txt");
    const r = tscsim("run", "cyclictest", "--set", "duration=200ms", "--set", "vms.0.vcpus=2", "--cyclictest-json", json, "--histogram", hist, "--histogram-size", "200");
    expect(r.code).toBe(0);
    const config = loadScenario("cyclictest", ["duration=200ms", "vms.0.vcpus=2"]);
    for (const f of [json, hist]) {
      const measured = readCyclictestFile(f);
      expect(measured.threads).toBe(2);
      const result = compareLatency(measured, simulateBinned(config, measured, 200));
      expect(result.ks).toBe(0);
      expect(result.simulated.quantiles).toEqual(result.measured.quantiles);
    }
  });
});
