import { describe, expect, test } from "vitest";
import { PRESETS, presetNames } from "../src/scenario/presets.js";
import { validateScenario } from "../src/scenario/schema.js";
import { loadScenario } from "../src/scenario/load.js";
import { tscsim } from "./cli.js";

describe("presets", () => {
  test("the required presets exist, default first", () => {
    expect(presetNames()[0]).toBe("default");
    expect(presetNames()).toEqual(expect.arrayContaining(["default", "cyclictest", "tscdeadline-latency"]));
    expect(new Set(presetNames()).size).toBe(PRESETS.length);
  });

  test.each(PRESETS.map((p) => [p.name, p] as const))("%s validates, has a one-line description and its own name", (name, p) => {
    const c = validateScenario(p.scenario, `preset ${name}`);
    expect(c.name).toBe(name);
    expect(c.description).toBe(p.description);
    expect(p.description.length).toBeGreaterThan(10);
    expect(p.description).not.toContain("\n");
    expect(loadScenario(name, [])).toEqual(c);
  });

  test("default: 2 VMs x 4 vCPUs, one scaled to 2.1 GHz on a 2.994 GHz host, mainline, lognormal delays, cyclictest 1 ms, 2 s", () => {
    const c = loadScenario("default", []);
    expect(c.host.tscKhz).toBe(2_994_000);
    expect(c.vms.map((v) => v.tscKhz).sort()).toEqual([2_100_000, 2_994_000]);
    expect(c.vms.map((v) => v.vcpus)).toEqual([4, 4]);
    expect(c.kvm.era).toBe("mainline");
    expect(Object.values(c.host.delays).every((d) => d.dist === "lognormal")).toBe(true);
    for (const vm of c.vms) expect(vm.workload).toEqual({ kind: "cyclictest", intervalNs: 1_000_000, loops: 0, printSummary: false, deadlineMsr: "tsc", workNs: 0, idle: "halt" });
    expect(c.durationNs).toBe(2_000_000_000);
  });

  test("cyclictest: one VM, 4 vCPUs, 200 us", () => {
    const c = loadScenario("cyclictest", []);
    expect(c.vms).toHaveLength(1);
    expect(c.vms[0]).toMatchObject({ vcpus: 4, workload: { kind: "cyclictest", intervalNs: 200_000 } });
  });

  test("tscdeadline-latency: one vCPU with the kvm-unit-tests defaults", () => {
    const c = loadScenario("tscdeadline-latency", []);
    expect(c.vms).toHaveLength(1);
    expect(c.vms[0]).toMatchObject({ vcpus: 1, tscDeadline: true, workload: { kind: "tscdeadline-latency", deltaCycles: 200000, size: 10000, breakmaxCycles: 0 } });
  });
});

describe("tscsim presets", () => {
  test("--format json lists every preset with its name and one-line description", () => {
    const r = tscsim("presets", "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(PRESETS.map((p) => ({ name: p.name, description: p.description })));
  });

  test("the table has one line per preset: name, then description", () => {
    const r = tscsim("presets");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(PRESETS.length);
    PRESETS.forEach((p, i) => expect(lines[i]).toMatch(new RegExp(`^${p.name.replace(/\./g, "\\.")}\\s+${p.description.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)));
  });

  test("a preset name prints its scenario file, which validates", () => {
    const r = tscsim("presets", "cyclictest");
    expect(r.code).toBe(0);
    expect(validateScenario(JSON.parse(r.stdout)).vms[0]!.vcpus).toBe(4);
  });

  test.each([
    [["presets", "--format", "yaml"], /--format = "yaml": allowed "table" or "json"/],
    [["presets", "defualt"], /unknown preset "defualt": allowed one of default, .*; did you mean "default"\?/],
  ])("%j exits 2 with one clear line", (args, message) => {
    const r = tscsim(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
