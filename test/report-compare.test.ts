import { describe, expect, test } from "vitest";
import type { RunResult } from "../src/metrics/types.js";
import { diffResults, metricDiff, metricPaths, relativeDiff, relativeText, renderCompareJson, renderCompareTable, sideLabel, valueAt, type Comparison } from "../src/report/compare.js";

/** A hand-made result: 2 vCPUs over 0.5 s, every field set to something recognisable. */
function result(patch: (r: RunResult) => void = () => {}): RunResult {
  const vcpu = (i: number) => ({
    vm: 0,
    vcpu: i,
    interrupts: 500,
    latency: { ns: { min: 10, mean: 100.5, max: 900 }, cycles: { min: 30, mean: 301.5, max: 2700 } },
    early: { count: 0, worstNs: 0 },
    exits: { msrWrite: 500, apicWrite: 2, preemptionTimer: 0, externalInterrupt: 0, hlt: 500 },
    spinNs: 5000,
    advanceNs: { initial: 1000, final: 1200, min: 1000, max: 1500, series: [[0, 1000]] as [number, number][] },
    timers: { swArms: 500, hvArms: 0, hvFallbacks: 0, hvToSw: 0, swToHv: 0 },
    coalesced: 0,
    callbacksPerMsPeak: 1,
  });
  // Cast rather than annotated: the literal stays valid while RunResult grows fields.
  const r = {
    scenario: "hand",
    seed: 3,
    era: "mainline",
    simulatedNs: 500_000_000,
    wallMs: 12.5,
    events: 4000,
    interrupts: 1000,
    latency: {
      ns: { min: 10, mean: 100.5, p50: 90, p90: 200, p99: 800, p999: 900, max: 900 },
      cycles: { min: 30, mean: 301.5, p50: 270, p90: 600, p99: 2400, p999: 2700, max: 2700 },
    },
    early: { count: 0, worstNs: 0 },
    exits: { msrWrite: 1000, apicWrite: 4, preemptionTimer: 0, externalInterrupt: 0, hlt: 1000 },
    spinNs: 10_000,
    advanceNs: { initial: 1000, final: 1200, min: 1000, max: 1500, series: [[0, 1000], [1e8, 1200]] },
    timers: { swArms: 1000, hvArms: 0, hvFallbacks: 0, hvToSw: 0, swToHv: 0 },
    coalesced: 0,
    callbacksPerMsPeak: 2,
    vcpus: [vcpu(0), vcpu(1)],
  } as RunResult;
  patch(r);
  return r;
}

function comparison(a: RunResult, b: RunResult, overrides: [string[], string[]] = [["kvm.era=v4.20"], ["kvm.era=mainline"]]): Comparison {
  return { scenario: "hand", seed: 3, sets: ["duration=500ms"], a: { overrides: overrides[0], result: a }, b: { overrides: overrides[1], result: b } };
}

/** Side B of most tests: lower latency, more exits, early interrupts that A did not have. */
const faster = (): RunResult =>
  result((r) => {
    r.era = "v4.20";
    r.latency.ns.p99 = 400;
    r.latency.ns.mean = 80.25;
    r.early = { count: 3, worstNs: 120 };
    r.exits.preemptionTimer = 50;
  });

describe("relativeDiff and relativeText", () => {
  test.each([
    [100, 110, 0.1, "+10.0 %"],
    [100, 90, -0.1, "-10.0 %"],
    [0, 0, 0, "="],
    [7, 7, 0, "="],
    [0, 5, NaN, "—"],
    [5, 0, -1, "-100.0 %"],
    [-200, -100, 0.5, "+50.0 %"], // an early min moving towards 0 went up: the sign follows B − A
    [10, 1000, 99, "+9,900 %"],
    [100_000, 100_012, 0.00012, "+0.012 %"],
    [NaN, 5, NaN, "–"],
  ])("A %d, B %d: rel %d, shown %s", (a, b, rel, text) => {
    if (Number.isNaN(rel)) expect(relativeDiff(a, b)).toBeNaN();
    else expect(relativeDiff(a, b)).toBeCloseTo(rel, 12);
    expect(relativeText(a, b)).toBe(text);
  });

  test("metricDiff is b − a with the relative change", () => {
    expect(metricDiff(4, 6)).toEqual({ a: 4, b: 6, abs: 2, rel: 0.5 });
  });
});

describe("metricPaths and diffResults", () => {
  test("every numeric leaf in the result-file key order; no seed, wallMs, vcpus or series", () => {
    const paths = metricPaths(result());
    expect(paths.slice(0, 5)).toEqual(["simulatedNs", "events", "interrupts", "latency.ns.min", "latency.ns.mean"]);
    expect(paths).toContain("latency.cycles.p999");
    expect(paths).toContain("exits.hlt");
    expect(paths).toContain("timers.hvFallbacks");
    expect(paths).toContain("advanceNs.initial");
    expect(paths.at(-1)).toBe("callbacksPerMsPeak");
    for (const p of paths) expect(p).not.toMatch(/^(seed|wallMs|scenario|era)$|^vcpus|series/);
    expect(paths.indexOf("exits.msrWrite")).toBeLessThan(paths.indexOf("spinNs"));
  });

  test("fields added to RunResult later are compared too", () => {
    const withNew = result((r) => Object.assign(r, { haltPollNs: 700, haltPoll: { success: 4, fail: 1 }, exits: { ...r.exits, pvDeadline: 9 } }));
    const paths = metricPaths(withNew);
    expect(paths).toEqual(expect.arrayContaining(["haltPollNs", "haltPoll.success", "haltPoll.fail", "exits.pvDeadline"]));
    // A metric only B has is compared against an undefined A.
    const d = diffResults(result(), withNew).get("haltPollNs")!;
    expect(d.a).toBeNaN();
    expect(d.b).toBe(700);
    expect(d.abs).toBeNaN();
  });

  test("abs is b − a and rel (b − a)/|a| for every metric", () => {
    const a = result();
    const b = faster();
    const diff = diffResults(a, b);
    expect([...diff.keys()]).toEqual(metricPaths(a));
    for (const [path, d] of diff) {
      expect(d.a).toBe(valueAt(a, path));
      expect(d.b).toBe(valueAt(b, path));
      expect(d.abs).toBe((valueAt(b, path) as number) - (valueAt(a, path) as number));
    }
    expect(diff.get("latency.ns.p99")).toEqual({ a: 800, b: 400, abs: -400, rel: -0.5 });
    expect(diff.get("early.count")!.rel).toBeNaN();
    expect(diff.get("coalesced")).toEqual({ a: 0, b: 0, abs: 0, rel: 0 });
  });

  test("identical results: every difference is 0", () => {
    for (const d of diffResults(result(), result()).values()) expect(d).toMatchObject({ abs: 0, rel: 0 });
  });
});

describe("renderCompareJson", () => {
  const a = result();
  const b = faster();
  const text = renderCompareJson(comparison(a, b));
  const j = JSON.parse(text);

  test("{scenario, seed, sets, a, b, diff} in that order; each side its overrides and result", () => {
    expect(Object.keys(j)).toEqual(["scenario", "seed", "sets", "a", "b", "diff"]);
    expect(j).toMatchObject({ scenario: "hand", seed: 3, sets: ["duration=500ms"] });
    expect(Object.keys(j.a)).toEqual(["overrides", "result"]);
    expect(j.a.overrides).toEqual(["kvm.era=v4.20"]);
    expect(j.b.overrides).toEqual(["kvm.era=mainline"]);
    expect(j.a.result.latency.ns.p99).toBe(800);
    expect(j.b.result.latency.ns.p99).toBe(400);
    expect(j.b.result.vcpus).toHaveLength(2);
  });

  test("results leave wallMs out, so the same comparison is the same bytes", () => {
    expect(j.a.result.wallMs).toBeUndefined();
    expect(j.b.result.wallMs).toBeUndefined();
    expect(renderCompareJson(comparison(result((r) => (r.wallMs = 99)), faster()))).toBe(text);
  });

  test("diff entries {a, b, abs, rel}, keyed by dotted path; an undefined rel is null", () => {
    expect(Object.keys(j.diff)).toEqual(metricPaths(a));
    expect(Object.keys(j.diff["latency.ns.p99"])).toEqual(["a", "b", "abs", "rel"]);
    expect(j.diff["latency.ns.p99"]).toEqual({ a: 800, b: 400, abs: -400, rel: -0.5 });
    expect(j.diff["latency.ns.mean"]).toEqual({ a: 100.5, b: 80.25, abs: 80.25 - 100.5, rel: (80.25 - 100.5) / 100.5 });
    expect(j.diff["exits.preemptionTimer"]).toEqual({ a: 0, b: 50, abs: 50, rel: null });
    expect(text).toMatch(/^ {4}"exits\.hlt": \{"a": 1000, "b": 1000, "abs": 0, "rel": 0\},$/m);
  });

  test("undefined statistics (no interrupts) are null", () => {
    const none = result((r) => {
      r.interrupts = 0;
      r.latency.ns = { min: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
    });
    const k = JSON.parse(renderCompareJson(comparison(none, result())));
    expect(k.a.result.latency.ns.p50).toBeNull();
    expect(k.diff["latency.ns.p50"]).toEqual({ a: null, b: 90, abs: null, rel: null });
  });
});

describe("renderCompareTable", () => {
  const text = renderCompareTable(comparison(result(), faster()));
  const lines = text.split("\n");
  const row = (label: string): string[] => {
    const line = lines.find((l) => l.startsWith(label + " ")) ?? "";
    return line.slice(label.length).trim().split(/ {2,}/);
  };

  test("header: scenario, seed, simulated time, vCPUs; each side labelled with its overrides and era", () => {
    expect(lines[0]).toBe("tscsim compare: scenario hand · seed 3 · simulated 500.0 ms · 2 vCPUs");
    expect(lines[1]).toMatch(/^ {2}A: kvm\.era=v4\.20\s+era mainline$/);
    expect(lines[2]).toMatch(/^ {2}B: kvm\.era=mainline\s+era v4\.20$/);
    expect(lines[3]).toBe("  both: duration=500ms");
    expect(lines[5]).toMatch(/^metric\s+A\s+B\s+B−A\s+\(B−A\)\/\|A\|$/);
  });

  test("one row per metric: A, B, B−A, relative change; = when unchanged, — when A is 0", () => {
    expect(row("  p99")).toEqual(["800", "400", "-400", "-50.0 %"]);
    expect(row("  p99.9")).toEqual(["900", "900", "0", "="]);
    expect(row("  mean")).toEqual(["100.5", "80.3", "-20.3", "-20.1 %"]);
    expect(row("interrupts")).toEqual(["1,000", "1,000", "0", "="]);
    expect(row("  count")).toEqual(["0", "3", "+3", "—"]);
    expect(row("  worst (ns early)")).toEqual(["0", "120", "+120", "—"]);
    expect(row("  busy-wait (ns)")).toEqual(["10,000", "10,000", "0", "="]);
    expect(row("  hv fallbacks (-ERANGE)")).toEqual(["0", "0", "0", "="]);
    expect(row("hrtimer callbacks/ms peak")).toEqual(["2", "2", "0", "="]);
  });

  test("columns are aligned: numbers right-aligned, so every metric row has the header's width", () => {
    const body = lines.slice(5).filter((l) => l.length > 0);
    const metricRows = body.filter((l) => /\S {2,}\S/.test(l));
    expect(metricRows.length).toBeGreaterThan(30);
    expect(new Set(metricRows.map((l) => [...l].length))).toEqual(new Set([[...lines[5]!].length]));
    // Section headings stand alone at the left margin, their metrics indented under them.
    expect(body.filter((l) => !metricRows.includes(l))).toEqual(["latency (ns)", "early interrupts", "VM exits (count)", "VM exits (per simulated s)", "host CPU", "timers", "advance (ns)"]);
  });

  test("exits by reason with a total, as counts and per simulated second", () => {
    const exitRows = lines.filter((l) => l.startsWith("  preemptionTimer "));
    expect(exitRows).toHaveLength(2);
    expect(exitRows[0]!.trim().split(/ {2,}/).slice(1)).toEqual(["0", "50", "+50", "—"]);
    expect(exitRows[1]!.trim().split(/ {2,}/).slice(1)).toEqual(["0.0", "100.0", "+100.0", "—"]);
    const totals = lines.filter((l) => l.startsWith("  total "));
    expect(totals[0]!.trim().split(/ {2,}/).slice(1)).toEqual(["2,004", "2,054", "+50", "+2.5 %"]);
    expect(totals[1]!.trim().split(/ {2,}/).slice(1)).toEqual(["4,008.0", "4,108.0", "+100.0", "+2.5 %"]);
    expect(text.indexOf("VM exits (count)")).toBeLessThan(text.indexOf("VM exits (per simulated s)"));
  });

  test("busy-wait as a share of vCPU time; advance final/min/max; guest-cycle latencies left to the JSON", () => {
    // 10 µs over 2 vCPUs × 0.5 s = 0.001 %.
    expect(row("  busy-wait, share of vCPU time (%)")).toEqual(["0.0010", "0.0010", "0", "="]);
    expect(text).toMatch(/^advance \(ns\)\n {2}final .*\n {2}min .*\n {2}max .*$/m);
    expect(text).not.toMatch(/initial|cycles/);
  });

  test("halt polling (issue #4 §1) joins the host CPU rows when the results carry it", () => {
    const poll = (ns: number, ok: number) => (r: RunResult) => Object.assign(r, { haltPollNs: ns, haltPolls: { successful: ok, failed: 10 } });
    const t = renderCompareTable(comparison(result(poll(2_000_000, 40)), result(poll(1_000_000, 30))));
    expect(t).toMatch(/^host CPU\n {2}busy-wait \(ns\).*\n {2}busy-wait, share.*\n {2}halt polling \(ns\)\s+2,000,000\s+1,000,000\s+-1,000,000\s+-50\.0 %\n {2}halt polling, share of vCPU time \(%\)\s+0\.2000\s+0\.1000\s+-0\.1000\s+-50\.0 %$/m);
    expect(t).toMatch(/^halt polls\n {2}successful \(woken while polling\)\s+40\s+30\s+-10\s+-25\.0 %\n {2}failed \(scheduled out\)\s+10\s+10\s+0\s+=$/m);
    expect(t).not.toContain("other");
  });

  test("metrics added later appear: a new exit reason among the exits, anything else under 'other' by its path", () => {
    const add = (r: RunResult) => Object.assign(r, { pvMsrNs: 700, storm: { bursts: 2 }, exits: { ...r.exits, pvDeadline: 9 } });
    const t = renderCompareTable(comparison(result(add), result(add)));
    expect(t.split("\n").filter((l) => l.startsWith("  pvDeadline "))).toHaveLength(2);
    expect(t).toMatch(/^other\n {2}pvMsrNs\s+700\s+700\s+0\s+=\n {2}storm\.bursts\s+2\s+2\s+0\s+=$/m);
    expect(t.split("\n").find((l) => l.startsWith("  total "))).toMatch(/2,013\s+2,013/);
  });

  test("a side without overrides and undefined statistics", () => {
    const none = result((r) => (r.latency.ns.p50 = NaN));
    const t = renderCompareTable(comparison(none, result(), [[], ["kvm.apicv=false"]]));
    expect(t).toContain("  A: (scenario as is)");
    expect(t).toMatch(/^ {2}p50\s+–\s+90\s+–\s+–$/m);
    expect(sideLabel("B", ["x=1", "y=2"])).toBe("B: x=1 y=2");
  });

  test("sides of different lengths show both simulated times", () => {
    const t = renderCompareTable(comparison(result(), result((r) => (r.simulatedNs = 1e9))));
    expect(t.split("\n")[0]).toContain("simulated A 500.0 ms / B 1.000 s");
  });
});
