import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applySet, loadScenario, parseSet } from "../src/scenario/load.js";
import { ScenarioError } from "../src/scenario/errors.js";
import { findPreset } from "../src/scenario/presets.js";

function errorOf(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("expected a ScenarioError");
}

describe("--set parsing: JSON when it parses, else a string", () => {
  test.each<[string, string, unknown]>([
    ["vms.0.vcpus=16", "vms.0.vcpus", 16],
    ["kvm.hvTimer=false", "kvm.hvTimer", false],
    ["host.stalls=null", "host.stalls", null],
    ["host.tscKhz=2.1GHz", "host.tscKhz", "2.1GHz"],
    ["kvm.era=v5.4", "kvm.era", "v5.4"],
    ['kvm.era="mainline"', "kvm.era", "mainline"],
    ["duration=2s", "duration", "2s"],
    ["duration=1.5", "duration", 1.5],
    ["description=a=b", "description", "a=b"],
    ["name=", "name", ""],
    ['host.delays.hrtimer={"dist":"fixed","value":"2us"}', "host.delays.hrtimer", { dist: "fixed", value: "2us" }],
    ['host.delays.hrtimer.samples=["1us",2000]', "host.delays.hrtimer.samples", ["1us", 2000]],
    ["description={not json", "description", "{not json"],
    [" seed =7", "seed", 7],
  ])("%s", (set, path, value) => {
    expect(parseSet(set)).toEqual({ path, value });
  });
});

describe("applySet", () => {
  const base = { vms: [{ vcpus: 1, workload: { kind: "cyclictest" } }], host: { stalls: null } };

  test("sets nested fields through array indices without touching the input", () => {
    const out = applySet(base, "vms.0.vcpus", 16) as typeof base;
    expect(out.vms[0]!.vcpus).toBe(16);
    expect(base.vms[0]!.vcpus).toBe(1);
    expect(out.vms[0]!.workload).toEqual({ kind: "cyclictest" });
  });

  test("creates missing objects (and arrays before a numeric key), appends at index = length", () => {
    expect(applySet({}, "host.delays.hrtimer.value", 3)).toEqual({ host: { delays: { hrtimer: { value: 3 } } } });
    expect(applySet({}, "vms.0.vcpus", 2)).toEqual({ vms: [{ vcpus: 2 }] });
    expect(applySet(base, "vms.1.vcpus", 8)).toEqual({ ...base, vms: [...base.vms, { vcpus: 8 }] });
    expect(applySet(base, "host.stalls.every", "1s")).toEqual({ host: { stalls: { every: "1s" } }, vms: base.vms });
    expect(applySet(undefined, "seed", 3)).toEqual({ seed: 3 });
  });

  test("replaces whole subtrees", () => {
    const out = applySet(base, "vms.0.workload", { kind: "periodic", tmict: 5 }) as typeof base;
    expect(out.vms[0]!.workload).toEqual({ kind: "periodic", tmict: 5 });
  });

  test.each<[string, unknown, unknown, string]>([
    ["indexing two past the end", base, "vms.2.vcpus", "an index 0..1 into vms (it has 1 element; an index may append at most one)"],
    ["a name where an index belongs", base, "vms.first.vcpus", 'an array index 0..1 after vms (it is an array of 1), not "first"'],
    ["a negative index", base, "vms.-1.vcpus", "an array index"],
    ["indexing into a string", { host: { vendor: "vmx" } }, "host.vendor.x", 'host.vendor is "vmx", which has no field "x"'],
    ["an empty part", base, "host..vendor", "without empty parts"],
    ["a prototype key", base, "__proto__.polluted", "not a scenario key"],
    ["a non-object scenario", [1], "seed", "a scenario that is a JSON object"],
  ])("%s is an error naming the --set", (_what, raw, path, allowed) => {
    const err = errorOf(() => applySet(raw, path as string, 1));
    expect(err.issues[0]!.path).toBe("--set");
    expect(err.issues[0]!.value).toBe(`${path as string}=1`);
    expect(err.issues[0]!.allowed).toContain(allowed);
    expect(err.message).toContain(`invalid --set "${path as string}=1"`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test.each([
    ["vms.0.vcpus", "no '=' found"],
    ["=16", "non-empty dotted path"],
  ])("malformed --set %j", (set, allowed) => {
    const err = errorOf(() => loadScenario("default", [set]));
    expect(err.message).toBe(`invalid --set ${JSON.stringify(set)}: ${err.issues[0]!.allowed}`);
    expect(err.issues[0]!.allowed).toContain(allowed);
  });
});

describe("loadScenario", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tscsim-scenario-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("no ref loads the default preset", () => {
    const c = loadScenario(undefined, []);
    expect(c.name).toBe("default");
    expect(c.vms.map((v) => [v.name, v.vcpus, v.tscKhz])).toEqual([
      ["scaled", 4, 2_100_000],
      ["unscaled", 4, 2_994_000],
    ]);
  });

  test("--set applies to the file form before validation, in order", () => {
    const c = loadScenario("default", ["vms.0.vcpus=16", "kvm.era=v5.4", "kvm.timerAdvance=2us", "host.tscKhz=3GHz", "vms.1.tscKhz=3000750", "vms.2.name=third", "duration=10ms", "duration=20ms"]);
    expect(c.vms.map((v) => v.vcpus)).toEqual([16, 4, 1]);
    expect(c.vms[2]!.name).toBe("third");
    expect(c.kvm).toMatchObject({ era: "v5.4", timerAdvance: { kind: "fixed", ns: 2000 } });
    expect(c.host.tscKhz).toBe(3_000_000);
    expect(c.durationNs).toBe(20_000_000);
    // The preset itself is untouched.
    expect(findPreset("default")!.scenario.vms?.[0]?.vcpus).toBe(4);
  });

  test("--set values are validated like the file", () => {
    const err = errorOf(() => loadScenario("cyclictest", ["vms.0.workload.interval=1xs"]));
    expect(err.message).toBe('invalid scenario (preset cyclictest): vms.0.workload.interval = "1xs": allowed a duration such as "1000ns", "200us", "1.5ms", "10s", or a bare number of ns, at least 1 ns');
  });

  test("a JSON file, named after the file when it has no name", () => {
    const file = join(dir, "two-guests.json");
    writeFileSync(file, JSON.stringify({ kvm: { era: "v5.1" }, vms: [{ vcpus: 2, tscKhz: "2.1GHz" }] }));
    const c = loadScenario(file, ["vms.0.vcpus=3"]);
    expect(c.name).toBe("two-guests");
    expect(c.kvm.era).toBe("v5.1");
    expect(c.vms[0]).toMatchObject({ vcpus: 3, tscKhz: 2_100_000 });
  });

  test("an invalid file is labelled with its path", () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ vms: [{ vcpus: 0 }] }));
    expect(errorOf(() => loadScenario(file, [])).message).toBe(`invalid scenario (${file}): vms.0.vcpus = 0: too small; allowed an integer 1..1,000,000`);
  });

  test("a missing file is one line naming it", () => {
    const file = join(dir, "nope.json");
    const err = errorOf(() => loadScenario(file, []));
    expect(err.message).toBe(`cannot load scenario file ${JSON.stringify(file)}: no such file`);
  });

  test("bad JSON is one line naming the file", () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, '{"vms": [');
    const err = errorOf(() => loadScenario(file, []));
    expect(err.message).toMatch(new RegExp(`^cannot load scenario file ${JSON.stringify(file).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not valid JSON: `));
    expect(err.message).not.toContain("\n");
  });

  test("an unknown preset lists the presets and suggests the closest", () => {
    const err = errorOf(() => loadScenario("cyclictst", []));
    expect(err.message).toBe(
      'unknown preset "cyclictst": allowed one of default, cyclictest, tscdeadline-latency, v4.0-no-advance, periodic-floor, rt-host, p01-hv-busy-wait, p02-hv-halt, p03-posted-timer, ' +
        'overcommit-poll, overcommit-no-poll, nested-poll, nested-no-poll, nested-steal-no-poll, rt-pinned, ' +
        'the seed scenarios s01-no-advance … s21-pv-deadline (`tscsim presets` lists them), or a path to a JSON file; did you mean "cyclictest"?',
    );
    expect(err.issues[0]).toMatchObject({ path: "preset", value: "cyclictst" });
  });
});
