// Round trip: simulate with a known, non-default host → --trace → fit → simulate with the
// fitted host. The fitted delays must match the known ones (median and p99 within 10 %),
// and the guest's latency must come back (p50 and p99 within 5 %).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { runScenario } from "../../src/sim/run.js";
import { runTraced, traceRequest } from "../../src/trace/cli-options.js";
import { fitTraces } from "../../src/calibrate/fit-host.js";
import { lognormalParams } from "../../src/sim/distributions.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-rt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The known host: every fitted delay away from its default. */
const KNOWN = {
  hrtimer: { median: 3000, p99: 15000 },
  wakeup: { median: 7000, p99: 30000 },
  vmExit: { median: 400, p99: 1200 },
  vmEntry: { median: 350, p99: 1000 },
  msrExit: { median: 1500, p99: 5000 },
} as const;

function knownSets(): string[] {
  return Object.entries(KNOWN).map(([name, d]) => `host.delays.${name}={"dist":"lognormal","median":"${d.median}ns","p99":"${d.p99}ns"}`);
}

const BASE = ["duration=1s", "vms.0.vcpus=4", "kvm.haltPoll.max=0", "vms.0.workload.printSummary=false"];

/** Median and p99 of a tscsim distribution in the file form, by sampling its definition. */
function medianP99(d: { dist: string; [k: string]: unknown }): { median: number; p99: number } {
  const ns = (s: unknown) => Number(String(s).replace(/ns$/, ""));
  if (d.dist === "lognormal") return { median: ns(d.median), p99: ns(d.p99) };
  if (d.dist === "empirical") {
    const s = (d.samples as string[]).map(ns).sort((a, b) => a - b);
    return { median: s[Math.floor(0.5 * (s.length - 1))]!, p99: s[Math.floor(0.99 * (s.length - 1))]! };
  }
  if (d.dist === "normal") return { median: ns(d.mean), p99: ns(d.mean) + 2.326 * ns(d.sd) };
  throw new Error(`unexpected form ${d.dist}`);
}

function roundTrip(precision: "us" | "ns") {
  const config = loadScenario("cyclictest", [...BASE, ...knownSets()]);
  const file = join(dir, `trace-${precision}.txt`);
  const req = traceRequest({ trace: file, traceNs: precision === "ns" }, config)!;
  const first = runTraced(config, { engine: "auto" }, req);
  const fit = fitTraces([file]);
  const fittedSets = Object.entries(fit.host.delays).map(([name, d]) => `host.delays.${name}=${JSON.stringify(d)}`);
  const second = runScenario(loadScenario("cyclictest", [...BASE, ...knownSets(), ...fittedSets])).result;
  return { first: first.result, second, fit };
}

describe("round trip: known host → trace → fit → simulate", () => {
  test("ns timestamps: every host-side delay is identified and recovered", () => {
    const { first, second, fit } = roundTrip("ns");
    const identified = fit.delays.filter((d) => d.fit !== null).map((d) => d.name);
    expect(identified.sort()).toEqual(Object.keys(KNOWN).sort());
    expect(fit.delays.find((d) => d.name === "irqDispatch")!.reason).toMatch(/guest-side/);
    for (const [name, truth] of Object.entries(KNOWN)) {
      const got = medianP99(fit.host.delays[name] as { dist: string });
      expect(Math.abs(got.median / truth.median - 1), `${name} median ${got.median} vs ${truth.median}`).toBeLessThan(0.1);
      expect(Math.abs(got.p99 / truth.p99 - 1), `${name} p99 ${got.p99} vs ${truth.p99}`).toBeLessThan(0.1);
    }
    expect(Math.abs(second.latency.ns.p50 / first.latency.ns.p50 - 1)).toBeLessThan(0.05);
    expect(Math.abs(second.latency.ns.p99 / first.latency.ns.p99 - 1)).toBeLessThan(0.05);
  });

  test("µs timestamps: the delays above 2 µs are recovered, the shorter ones are reported as not identifiable", () => {
    const { first, second, fit } = roundTrip("us");
    const byName = Object.fromEntries(fit.delays.map((d) => [d.name, d]));
    for (const name of ["hrtimer", "wakeup"] as const) {
      const got = medianP99(fit.host.delays[name] as { dist: string });
      const truth = KNOWN[name];
      expect(Math.abs(got.median / truth.median - 1), `${name} median ${got.median}`).toBeLessThan(0.1);
      expect(Math.abs(got.p99 / truth.p99 - 1), `${name} p99 ${got.p99}`).toBeLessThan(0.1);
    }
    for (const name of ["vmExit", "vmEntry", "msrExit"]) {
      expect(byName[name]!.fit).toBeNull();
      expect(byName[name]!.reason).toMatch(/not identifiable at this resolution/);
    }
    // The short delays stay at the scenario's values (the known ones here): latency comes back.
    expect(Math.abs(second.latency.ns.p50 / first.latency.ns.p50 - 1)).toBeLessThan(0.05);
    expect(Math.abs(second.latency.ns.p99 / first.latency.ns.p99 - 1)).toBeLessThan(0.05);
  });

  test("the known lognormals' parameters are valid (the test's own premise)", () => {
    for (const d of Object.values(KNOWN)) expect(lognormalParams({ medianNs: d.median, p99Ns: d.p99 }).sigma).toBeGreaterThan(0);
  });
});
