import { describe, expect, test } from "vitest";
import { aggregate, ExitReason, HostMetrics, TimerBackend } from "../src/metrics/index.js";
import type { RunResult } from "../src/metrics/types.js";
import { cyclictestStats, renderCyclictestLine, renderJson, renderTable } from "../src/report/index.js";
import { renderCompactJson, stableJson, writeJsonStream } from "../src/report/json.js";
import { runScenario } from "../src/sim/run.js";
import { loadScenario } from "../src/scenario/load.js";
import fc from "fast-check";
import { columns, duration, num } from "../src/report/format.js";

/** A small run: vCPU i gets latencies 1000+i .. and a few of everything else. */
function run(vcpus: number, perVcpuHistograms = true): RunResult {
  const host = new HostMetrics({ perVcpuHistograms });
  for (let i = 0; i < vcpus; i++) {
    const m = host.addVcpu(i >> 2, i & 3);
    for (let k = 0; k < 100; k++) {
      m.recordLatency((1000 + i + k) * 2, 1000 + i + k);
      m.recordExit(ExitReason.msrWrite);
      m.timerArm(TimerBackend.sw);
      m.hrtimerCallback(k * 1e7);
    }
    m.recordLatency(-400, -200);
    m.recordExit(ExitReason.hlt);
    m.addSpinNs(10_000);
    m.recordAdvance(0, 1000);
    m.recordAdvance(5e8, 750 + i);
    m.hvFallback();
    m.coalesced();
  }
  return {
    scenario: "default",
    seed: 1,
    era: "mainline",
    simulatedNs: 1_000_000_000,
    wallMs: 400,
    events: 123_456,
    ...aggregate(host.vcpus, host),
    vcpus: host.vcpus.map((m) => m.summary()),
  };
}

describe("renderTable", () => {
  const text = renderTable(run(4));
  const line = (label: string) => text.split("\n").find((l) => l.startsWith(label)) ?? "";

  test("header: scenario, era, seed; simulated vs wall time with the speed-up", () => {
    expect(text.split("\n")[0]).toBe("tscsim: scenario default · era mainline · seed 1");
    expect(text.split("\n")[1]).toBe("simulated 1.000 s in 400 ms of wall time (2.5× real time) · 4 vCPUs · 123,456 events");
  });

  test("interrupts, latency percentiles, early", () => {
    expect(line("interrupts")).toMatch(/^interrupts\s+404$/);
    expect(line("latency ns")).toMatch(/min -200 {2}p50 [\d,]+ {2}p90 [\d,]+ {2}p99 [\d,]+ {2}p99\.9 [\d,]+ {2}max 1,102 {2}mean [\d,]+\.\d {2}\(early ones count as 0 in p50…p99\.9\)$/);
    expect(line("latency cycles")).toContain("min -400");
    expect(line("early")).toMatch(/^early\s+4 \(worst 200 ns early\)$/);
  });

  test("exits with rates per simulated second", () => {
    expect(line("  msrWrite")).toMatch(/^ {2}msrWrite\s+400\s+400\.0$/);
    expect(line("  hlt")).toMatch(/^ {2}hlt\s+4\s+4\.0$/);
  });

  test("busy-wait as host CPU share, timers, advance, coalesced, callbacks", () => {
    // 4 × 10 µs over 4 vCPU-seconds = 0.001 %.
    expect(line("busy-wait")).toBe("busy-wait           40.00 µs of host CPU (0.001 % of 4 vCPUs × 1.000 s)");
    expect(line("timers")).toContain("sw arms 400  hv arms 0  hv fallbacks 4");
    // Over all vCPUs, not vCPU 0's: finals 750..753.
    expect(line("advance")).toMatch(/final min 750 \/ median 751 \/ max 753 ns over all 4 vCPUs \(range during the run 750 … 1,000 ns\)$/);
    expect(line("coalesced")).toMatch(/\s4$/);
    expect(line("hrtimer cb/ms peak")).toMatch(/\s4$/);
  });

  test("several VMs: totals say so, one line per VM, no all-VM cycles line", () => {
    const two = renderTable(run(8));
    expect(two).toContain("totals over all 8 vCPUs of 2 VMs; latency per VM below");
    expect(two).not.toMatch(/^latency cycles/m);
    const vmLines = two.split("\n").filter((l) => /^ {2}vm \d \(4 vCPUs\)/.test(l));
    expect(vmLines).toHaveLength(2);
    // VM 1 holds vCPUs 4..7: latencies up to 1000 + 7 + 99.
    expect(vmLines[1]).toMatch(/404 interrupts {2}ns min -200 {2}mean [\d,.]+ {2}max 1,106 {2}p99 [\d,]+ \(worst vCPU\) {2}· {2}cycles min -400/);
    expect(text).not.toContain("per VM");
  });

  test("advance never observed; every interrupt early", () => {
    const host = new HostMetrics({ perVcpuHistograms: true });
    const m = host.addVcpu(0, 0);
    m.recordLatency(-6399, -2133);
    const r: RunResult = { scenario: "s", seed: 1, era: "v5.4", simulatedNs: 1e6, wallMs: 1, events: 1, ...aggregate(host.vcpus, host), vcpus: host.vcpus.map((v) => v.summary()) };
    const t = renderTable(r);
    expect(t).toMatch(/^advance\s+not observed: 0 at every busy-wait, or no busy-wait ran/m);
    expect(t).toMatch(/^latency ns .*p50 -2,133 .*\(every interrupt early: percentiles read max\)$/m);
  });

  test("per-vCPU rows, capped", () => {
    const big = renderTable(run(40), { maxVcpuRows: 16 });
    expect(big).toContain("per vCPU (first 16 of 40)");
    expect(big).toContain("  … 24 more vCPUs");
    const rows = big.split("\n").filter((l) => /^\s+\d+\s+\d+\s+101\s/.test(l));
    expect(rows).toHaveLength(16);
  });

  test("without per-vCPU percentiles the row shows –", () => {
    const t = renderTable(run(2, false));
    const row = t.split("\n").find((l) => /^\s+0\s+1\s+101\s/.test(l))!;
    expect(row).toContain("–");
  });

  test("no interrupts: – rather than NaN", () => {
    const host = new HostMetrics();
    host.addVcpu(0, 0);
    const empty: RunResult = { scenario: "x", seed: 0, era: "v4.0", simulatedNs: 0, wallMs: 0, events: 0, ...aggregate(host.vcpus, host), vcpus: [] };
    const t = renderTable(empty);
    expect(t).not.toContain("NaN");
    expect(t).toContain("min –");
  });
});

describe("renderJson", () => {
  const result = run(2);

  test("parses back to the result; contract fields present", () => {
    const parsed = JSON.parse(renderJson(result));
    for (const path of ["interrupts", "latency.ns.min", "latency.ns.mean", "latency.ns.p50", "latency.ns.p99", "latency.ns.max", "early.count", "exits.msrWrite", "exits.preemptionTimer", "spinNs", "advanceNs.final", "advanceNs.max", "timers.hvFallbacks", "simulatedNs", "wallMs"]) {
      const value = path.split(".").reduce((o, k) => o[k], parsed);
      expect(typeof value, path).toBe("number");
      const vcpuValue = path.split(".").reduce((o, k) => o[k], parsed.vcpus[0]);
      if (!["simulatedNs", "wallMs"].includes(path)) expect(typeof vcpuValue, `vcpus[0].${path}`).toBe("number");
    }
    expect(parsed.vcpus).toHaveLength(2);
    expect(parsed.latency.ns.max).toBe(result.latency.ns.max);
  });

  test("stable key order whatever the construction order", () => {
    const shuffled = Object.fromEntries(Object.entries(result).reverse()) as unknown as RunResult;
    expect(renderJson(shuffled)).toBe(renderJson(result));
    const keys = Object.keys(JSON.parse(renderJson(result)));
    expect(keys.slice(0, 7)).toEqual(["scenario", "seed", "era", "simulatedNs", "wallMs", "events", "interrupts"]);
    expect(keys.at(-1)).toBe("vcpus");
    expect(Object.keys(JSON.parse(renderJson(result)).latency.ns)).toEqual(["min", "mean", "p50", "p90", "p99", "p999", "max"]);
    expect(Object.keys(JSON.parse(renderJson(result)).vcpus[0]).slice(0, 3)).toEqual(["vm", "vcpu", "interrupts"]);
  });

  test("2-space indent; number arrays inline; NaN and Infinity → null", () => {
    const text = renderJson({ ...result, latency: { ...result.latency, ns: { ...result.latency.ns, p99: NaN, p999: Infinity } } });
    expect(text.split("\n")[1]).toBe('  "scenario": "default",');
    expect(text).toContain('"p99": null');
    expect(text).toContain('"p999": null');
    expect(text).toContain("[500000000, 750]");
    expect(text.endsWith("}")).toBe(true);
  });

  test("written in chunks (tscsim run --format json), the same bytes as one string, for a result of many chunks", () => {
    const big = run(2500);
    const chunks: Uint8Array[] = [];
    writeJsonStream(big, { includeWallMs: false }, (c) => chunks.push(c));
    expect(chunks.length).toBeGreaterThan(3);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(renderJson(big, { includeWallMs: false }));
  });

  test("any JSON value: the document parses back to the value (NaN/±Infinity as null, undefined members left out), arrays of numbers inline", () => {
    const value = fc.jsonValue().map((v) => ({ v, extra: [undefined, NaN, -Infinity, { u: undefined }] }));
    fc.assert(
      fc.property(value, (x) => {
        const text = stableJson(x);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(x)));
        expect(JSON.parse(renderCompactJson(x as unknown as RunResult))).toEqual(JSON.parse(text));
        const chunks: Uint8Array[] = [];
        writeJsonStream(x as unknown as RunResult, {}, (c) => chunks.push(c));
        expect(Buffer.concat(chunks).toString("utf8")).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  test("includeWallMs: false leaves out the one non-deterministic field", () => {
    const a = renderJson({ ...result, wallMs: 1 }, { includeWallMs: false });
    const b = renderJson({ ...result, wallMs: 2 }, { includeWallMs: false });
    expect(a).toBe(b);
    expect(a).not.toContain("wallMs");
  });
});

describe("renderCyclictestLine", () => {
  test("cyclictest's format, µs", () => {
    const line = renderCyclictestLine({ thread: 0, tid: 1234, priority: 99, intervalUs: 1000, cycles: 1000, min: 3, act: 5, avg: 4, max: 12 });
    expect(line).toBe("T: 0 ( 1234) P:99 I:1000 C:   1000 Min:      3 Act:    5 Avg:    4 Max:      12");
  });

  test("-N (ns) widens Act and Avg to 8", () => {
    const line = renderCyclictestLine({ thread: 3, tid: 77, priority: 80, intervalUs: 200, cycles: 12, min: 3100, act: 5200, avg: 4400, max: 12_000 }, true);
    expect(line).toBe("T: 3 (   77) P:80 I:200 C:     12 Min:   3100 Act:    5200 Avg:    4400 Max:   12000");
  });

  test("fields never truncate when wider than their width", () => {
    const line = renderCyclictestLine({ thread: 123, tid: 1234567, priority: 99, intervalUs: 1000, cycles: 123456789, min: 1, act: 1, avg: 1, max: 1 });
    expect(line).toContain("T:123 (1234567)");
    expect(line).toContain("C:123456789 ");
  });

  test("from a vCPU's collector: ns truncate to µs; Avg from the exact mean", () => {
    const host = new HostMetrics();
    const m = host.addVcpu(0, 0);
    for (const ns of [3999, 5001, 12_500, 4200]) m.recordLatency(ns * 2, ns);
    const stats = cyclictestStats(m, { intervalNs: 1_000_000, tid: 4242 });
    expect(stats).toEqual({ thread: 0, tid: 4242, priority: 99, intervalUs: 1000, cycles: 4, min: 3, act: 4, avg: 6, max: 12 });
    expect(renderCyclictestLine(stats)).toBe("T: 0 ( 4242) P:99 I:1000 C:      4 Min:      3 Act:    4 Avg:    6 Max:      12");
    expect(cyclictestStats(m, { intervalNs: 1_000_000, nsecs: true }).max).toBe(12_500);
  });

  test("no wake-ups: cyclictest's initial Min 1000000 and Max 0; early latencies show negative, Max floors at 0", () => {
    const host = new HostMetrics();
    const idle = host.addVcpu(0, 0);
    expect(renderCyclictestLine(cyclictestStats(idle, { intervalNs: 1_000_000 }))).toBe(
      "T: 0 ( 1000) P:99 I:1000 C:      0 Min:1000000 Act:    0 Avg:    0 Max:       0",
    );
    const early = host.addVcpu(0, 1);
    early.recordLatency(-5000, -2500);
    const s = cyclictestStats(early, { intervalNs: 1_000_000, thread: 1 });
    expect([s.min, s.act, s.avg, s.max]).toEqual([-2, -2, -2, 0]);
  });
});

describe("format helpers", () => {
  test.each([
    [0, "0"],
    [999, "999"],
    [1234567, "1,234,567"],
    [-1234, "-1,234"],
    [NaN, "–"],
  ])("num(%d) = %s", (x, s) => expect(num(x)).toBe(s));

  test("num keeps decimals for fractions", () => {
    expect(num(1234.56, 1)).toBe("1,234.6");
  });

  test.each([
    [812, "812 ns"],
    [1234, "1.234 µs"],
    [12_345_678, "12.35 ms"],
    [2e9, "2.000 s"],
  ])("duration(%d) = %s", (ns, s) => expect(duration(ns)).toBe(s));

  test("columns right-align numbers after the left-aligned label columns", () => {
    expect(columns([["a", "1"], ["bbb", "100"]], 1)).toEqual(["a      1", "bbb  100"]);
  });
});

describe("renderCompactJson (results-file lines)", () => {
  const viaPretty = (v: unknown): string => JSON.stringify(JSON.parse(renderJson(v as RunResult, { includeWallMs: false })));

  test("a real run's result: renderJson's document without its whitespace", () => {
    const { result } = runScenario(loadScenario("default", ["duration=20ms"]));
    expect(renderCompactJson(result, { includeWallMs: false })).toBe(viaPretty(result));
    expect(renderCompactJson(result, { includeWallMs: false })).not.toContain("wallMs");
    expect(renderCompactJson(result)).toContain('"wallMs":');
  });

  // Keys that are array indices ("0", "17") are left out: JSON.parse puts them first in
  // an object, so the round trip would reorder them (no result key is one).
  test("property: equal to JSON.stringify(JSON.parse(renderJson(v))) for any JSON-like value, NaN and ±Infinity included", () => {
    const key = fc.string().filter((k) => !/^(0|[1-9][0-9]*)$/.test(k));
    const leaf = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(key, tie("node"), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(key, fc.constantFrom("interrupts", "latency", "p99", "vcpus", "series")), value, { maxKeys: 6 }), (v) => {
        expect(renderCompactJson(v as unknown as RunResult, { includeWallMs: false })).toBe(viaPretty(v));
      }),
      { numRuns: 500 },
    );
  });
});
