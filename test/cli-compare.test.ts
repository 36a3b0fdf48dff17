import { beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tscsim } from "./cli.js";

const SHORT = ["--set", "duration=20ms"];
const ERAS = ["--a", "kvm.era=v5.4", "--b", "kvm.era=mainline"];

function at(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
}

describe("tscsim compare", () => {
  let json: ReturnType<typeof tscsim>;
  let j: any; // parsed JSON, checked field by field
  beforeAll(() => {
    json = tscsim("compare", "cyclictest", ...ERAS, ...SHORT, "--format", "json");
    j = JSON.parse(json.stdout);
  });

  test("JSON: both sides with their overrides and results, one seed", () => {
    expect(json.code).toBe(0);
    expect(Object.keys(j)).toEqual(["scenario", "seed", "sets", "a", "b", "diff"]);
    expect(j).toMatchObject({ scenario: "cyclictest", seed: 1, sets: ["duration=20ms"] });
    expect(j.a.overrides).toEqual(["kvm.era=v5.4"]);
    expect(j.b.overrides).toEqual(["kvm.era=mainline"]);
    expect(j.a.result.era).toBe("v5.4");
    expect(j.b.result.era).toBe("mainline");
    expect(j.a.result.seed).toBe(1);
    expect(j.b.result.seed).toBe(1);
    expect(j.a.result.simulatedNs).toBe(20_000_000);
    expect(j.a.result.wallMs).toBeUndefined();
    expect(j.b.result.wallMs).toBeUndefined();
  });

  test("JSON: every diff is b − a of the two results, rel (b − a)/|a|", () => {
    const paths = Object.keys(j.diff);
    for (const p of ["interrupts", "latency.ns.p99", "early.count", "exits.msrWrite", "exits.preemptionTimer", "exits.hlt", "spinNs", "timers.hvFallbacks", "timers.swArms", "timers.hvArms", "advanceNs.final", "coalesced", "callbacksPerMsPeak"]) {
      expect(paths).toContain(p);
    }
    for (const p of paths) {
      const a = at(j.a.result, p) as number;
      const b = at(j.b.result, p) as number;
      expect(j.diff[p].a).toBe(a);
      expect(j.diff[p].b).toBe(b);
      expect(j.diff[p].abs).toBe(b - a);
      if (a === b) expect(j.diff[p].rel).toBe(0);
      else if (a === 0) expect(j.diff[p].rel).toBeNull();
      else expect(j.diff[p].rel).toBe((b - a) / Math.abs(a));
    }
  });

  test("JSON is byte-identical across runs, and each side is what `tscsim run` gives for it", () => {
    expect(tscsim("compare", "cyclictest", ...ERAS, ...SHORT, "--format", "json").stdout).toBe(json.stdout);
    const run = tscsim("run", "cyclictest", "--set", "duration=20ms", "--set", "kvm.era=v5.4", "--format", "json", "--no-wall-time");
    expect(j.a.result).toEqual(JSON.parse(run.stdout));
  });

  test("identical sides: every difference is 0", () => {
    const r = tscsim("compare", "cyclictest", "--a", "kvm.era=mainline", "--b", "kvm.era=mainline", ...SHORT, "--format", "json");
    expect(r.code).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(Object.keys(k.diff).length).toBeGreaterThan(30);
    for (const d of Object.values(k.diff) as { abs: number | null; rel: number | null }[]) {
      expect(d.abs).toBe(0);
      expect(d.rel).toBe(0);
    }
    expect(k.a.result).toEqual(k.b.result);
  });

  test("table: a header, the sides labelled with their overrides, the difference columns", () => {
    const r = tscsim("compare", "cyclictest", "--a", "kvm.era=v4.20", "--b", "kvm.era=mainline", ...SHORT);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("tscsim compare: scenario cyclictest · seed 1 · simulated 20.00 ms · 4 vCPUs");
    expect(lines[1]).toMatch(/^ {2}A: kvm\.era=v4\.20\s+era v4\.20$/);
    expect(lines[2]).toMatch(/^ {2}B: kvm\.era=mainline\s+era mainline$/);
    expect(lines[3]).toBe("  both: duration=20ms");
    expect(r.stdout).toMatch(/^metric\s+A\s+B\s+B−A\s+\(B−A\)\/\|A\|$/m);
    expect(r.stdout).toMatch(/^ {2}p99\s+[\d,]+\s+[\d,]+\s+([+-][\d,]+|0)\s+(=|[+-][\d.,]+ %)$/m);
    for (const heading of ["latency (ns)", "early interrupts", "VM exits (count)", "VM exits (per simulated s)", "host CPU", "timers", "advance (ns)"]) {
      expect(lines).toContain(heading);
    }
    // v4.20 tunes its advance differently from mainline: the advance row must show it.
    expect(r.stdout).toMatch(/^ {2}max\s+[\d,]+\s+[\d,]+\s+[+-][\d,]+\s+[+-][\d.,]+ %$/m);
  });

  test("--seed applies to both sides; --out writes the report", () => {
    const dir = mkdtempSync(join(tmpdir(), "tscsim-"));
    const out = join(dir, "c.json");
    const r = tscsim("compare", "cyclictest", "--a", "kvm.hvTimer=false", "--seed", "7", "--format", "json", "--out", out, ...SHORT);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const k = JSON.parse(readFileSync(out, "utf8"));
    expect(k.seed).toBe(7);
    expect(k.a.result.seed).toBe(7);
    expect(k.b.result.seed).toBe(7);
    expect(k.b.overrides).toEqual([]);
    expect(k.diff["timers.hvArms"].a).toBe(0);
  });

  test.each([
    [["--a", "kvm.era=v9", "--b", "kvm.era=mainline"], [/^tscsim: side A \(--a kvm\.era=v9\): /, /kvm\.era = "v9"/, /allowed one of .*"mainline"/]],
    [["--a", "kvm.era=v4.20", "--b", "kvm.lazyTimer=true"], [/^tscsim: side B \(--b kvm\.lazyTimer=true\): /, /kvm\.lazyTimer = true: unknown key/, /allowed a key of kvm \(era, /]],
    [["--b", "vms.0.vcpus=0"], [/side B \(--b vms\.0\.vcpus=0\)/, /vms\.0\.vcpus = 0: too small; allowed an integer/]],
    [["--a", "kvm.era"], [/side A \(--a kvm\.era\)/, /path=value/]],
    [["--a", "seed=5"], [/side A \(--a seed=5\)/, /seed = 5: .*allowed --seed N for both sides/]],
    [["--a", "kvm.era=v4.20", "--set", "kvm.era=v9"], [/^tscsim: invalid scenario \(preset cyclictest\): kvm\.era = "v9"/]],
    [[], [/at least one --a or --b/]],
    [["--a", "kvm.era=v4.20", "--format", "xml"], [/--format = "xml"/]],
    [["--a", "kvm.era=v4.20", "--seed", "-1"], [/--seed = "-1"/]],
  ])("%j exits 2 with one clear message", (args, messages) => {
    const r = tscsim("compare", "cyclictest", ...args, ...SHORT);
    expect(r.code).toBe(2);
    for (const m of messages) expect(r.stderr).toMatch(m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  test("unknown preset exits 2", () => {
    const r = tscsim("compare", "no-such-preset", "--a", "kvm.era=v4.20");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-preset/);
  });

  test("--help shows the synopsis and examples", () => {
    const r = tscsim("compare", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: tscsim compare \[options\] <scenario>/);
    for (const flag of ["--a <path=value>", "--b <path=value>", "--set <path=value>", "--seed <n>", "--format <table|json>", "--out <file>"]) expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain("tscsim compare cyclictest --a kvm.era=v4.20 --b kvm.era=mainline");
  });
});
