import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSweep } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { canonicalJson, runId, sha256Hex } from "../src/sweep/identity.js";
import { expandRange } from "../src/sweep/range.js";
import { validateGrid } from "../src/sweep/preflight.js";
import { SweepError } from "../src/sweep/errors.js";
import { ScenarioError } from "../src/scenario/errors.js";
import { parseShard, shardIndices, shardSize } from "../src/sweep/shard.js";
import { InputRangeError } from "../src/errors.js";
import { TINY } from "./sweep-tiny.js";

const ISSUE_EXAMPLE = { base: "cyclictest", set: { duration: "1s" }, axes: { "kvm.timerAdvance": [0, 1000, 3000], "kvm.era": ["v5.4", "mainline"] }, seeds: 2 };

function issuesOf(fn: () => unknown): { path: string; value: unknown; allowed: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues.map((i) => ({ path: i.path, value: i.value, allowed: i.allowed }));
    throw err;
  }
  throw new Error("expected a ScenarioError");
}

describe("grid expansion", () => {
  test("the issue's example is 12 runs: first axis slowest, seed fastest", () => {
    const grid = new Grid(parseSweep(ISSUE_EXAMPLE, "issue.json"));
    expect(grid.size).toBe(12);
    expect(grid.combinations).toBe(6);
    const order = [...grid.runs()].map((r) => [r.params["kvm.timerAdvance"], r.params["kvm.era"], r.seed]);
    expect(order).toEqual([
      [0, "v5.4", 1], [0, "v5.4", 2], [0, "mainline", 1], [0, "mainline", 2],
      [1000, "v5.4", 1], [1000, "v5.4", 2], [1000, "mainline", 1], [1000, "mainline", 2],
      [3000, "v5.4", 1], [3000, "v5.4", 2], [3000, "mainline", 1], [3000, "mainline", 2],
    ]);
    expect([...grid.runs()].map((r) => r.index)).toEqual([...Array(12).keys()]);
    // params keep the axis order of the file.
    expect(Object.keys(grid.runAt(0).params)).toEqual(["kvm.timerAdvance", "kvm.era"]);
  });

  test("ids are 16 hex digits, unique, and stable across parses, key order and formatting", () => {
    const a = [...new Grid(parseSweep(TINY, "a.json")).runs()].map((r) => r.id);
    expect(a.every((id) => /^[0-9a-f]{16}$/.test(id))).toBe(true);
    expect(new Set(a).size).toBe(a.length);
    const reordered = { seeds: 2, set: { "vms.0.vcpus": 1, duration: "2ms" }, axes: TINY.axes, base: "cyclictest" };
    expect([...new Grid(parseSweep(JSON.parse(JSON.stringify(reordered, null, 4)), "elsewhere/b.json")).runs()].map((r) => r.id)).toEqual(a);
    // Pinned: the id is a contract between sweeps, resumes and merges (sha256 of the canonical parameters).
    const spec = parseSweep(TINY, "a.json");
    expect(a[0]).toBe(runId({ baseDigest: spec.base.digest, set: { duration: "2ms", "vms.0.vcpus": 1 }, params: { "kvm.timerAdvance": 0, "kvm.era": "v5.1" }, seed: 1 }));
  });

  test("ids are pinned: the values sweeps wrote before the grid cached the canonical JSON of set and params", () => {
    const grid = new Grid(parseSweep(TINY, "a.json"));
    expect([0, 1, 5, 11].map((i) => grid.runAt(i).id)).toEqual(["b5dc3b6d0c6a19b9", "acaf53a1936e9f44", "932fd3dafc4daf3c", "dc71012773966eb9"]);
  });

  test("sha256Hex is the SHA-256 of the text's UTF-8 bytes, whichever digest function Node offers", () => {
    for (const text of ["", "abc", '{"kvm.era":"v5.4"}', "µs — ünïcödé 🙂"]) expect(sha256Hex(text)).toBe(createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex"));
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  test("property: runAt's id is the SHA-256 of the whole identity's canonical JSON, whatever the values and the order runs are asked in", () => {
    // Axis values of every JSON kind, objects with unsorted keys included; runs asked
    // for in any order, so the grid's per-combination cache is hit, missed and refilled.
    const value = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.integer(), fc.string())), fc.array(fc.integer(), { maxLength: 3 }));
    const axes = fc.dictionary(fc.constantFrom("kvm.timerAdvance", "kvm.era", "vms.0.vcpus", "x.y"), fc.uniqueArray(value, { minLength: 1, maxLength: 3, selector: (v) => canonicalJson(v) }), { minKeys: 1, maxKeys: 3 });
    const seeds = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(axes, seeds, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (ax, sd, picks) => {
        const spec = parseSweep({ base: "default", set: { duration: "1ms" }, axes: ax, seeds: sd }, "p.json");
        const grid = new Grid(spec);
        for (const pick of picks) {
          const run = grid.runAt(pick % grid.size);
          const whole = sha256Hex(canonicalJson({ base: spec.base.digest, params: run.params, seed: run.seed, set: { duration: "1ms" } })).slice(0, 16);
          expect(run.id).toBe(whole);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("an id changes with any of base, set, axis value and seed", () => {
    const id0 = new Grid(parseSweep(TINY, "a.json")).runAt(0).id;
    expect(new Grid(parseSweep({ ...TINY, base: "default" }, "a.json")).runAt(0).id).not.toBe(id0);
    expect(new Grid(parseSweep({ ...TINY, set: { ...TINY.set, duration: "3ms" } }, "a.json")).runAt(0).id).not.toBe(id0);
    expect(new Grid(parseSweep({ ...TINY, axes: { "kvm.timerAdvance": [1], "kvm.era": ["v5.1"] } }, "a.json")).runAt(0).id).not.toBe(id0);
    expect(new Grid(parseSweep({ ...TINY, seeds: [7] }, "a.json")).runAt(0).id).not.toBe(id0);
  });

  test("canonical JSON sorts keys at every level", () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }], a: "s" })).toBe('{"a":"s","b":[{"x":2,"y":1}]}');
  });

  test("seeds: a count is 1..N, a list is kept in order; defaults to seed 1", () => {
    expect(parseSweep({ base: "default", seeds: 3 }, "s.json").seeds).toEqual([1, 2, 3]);
    expect(parseSweep({ base: "default", seeds: [42, 7] }, "s.json").seeds).toEqual([42, 7]);
    expect(parseSweep({ base: "default" }, "s.json").seeds).toEqual([1]);
    expect(new Grid(parseSweep({ base: "default" }, "s.json")).size).toBe(1);
  });

  test("base: inline scenario named after the sweep file, or a file relative to the sweep file", () => {
    const inline = parseSweep({ base: { duration: "2ms" } }, "/x/my-sweep.json");
    expect(inline.base.raw).toEqual({ duration: "2ms", name: "my-sweep" });
    const dir = mkdtempSync(join(tmpdir(), "tscsim-sweep-"));
    writeFileSync(join(dir, "scen.json"), JSON.stringify({ duration: "2ms" }));
    const fromFile = parseSweep({ base: "scen.json" }, join(dir, "sw.json"));
    expect(fromFile.base.raw).toEqual({ duration: "2ms", name: "scen" });
  });
});

describe("ranges", () => {
  test.each([
    [{ from: 0, to: 5000, step: 250 }, 21, 0, 5000],
    [{ from: 0, to: 1, step: 0.1 }, 11, 0, 1],
    [{ from: 0, to: 10, step: 3 }, 4, 0, 9],
    [{ from: "0ns", to: "5us", step: "250ns" }, 21, "0ns", "5000ns"],
    [{ from: "1us", to: "2us", step: "500ns" }, 3, "1000ns", "2000ns"],
    [{ from: "2GHz", to: "3GHz", step: "250MHz" }, 5, "2000000kHz", "3000000kHz"],
  ])("%j", (range, count, first, last) => {
    const r = expandRange(range, "axes[x]");
    if (!("values" in r)) throw new Error(JSON.stringify(r.issues));
    expect(r.values.length).toBe(count);
    expect(r.values[0]).toBe(first);
    expect(r.values[r.values.length - 1]).toBe(last);
  });

  test("0.1 steps do not accumulate binary rounding", () => {
    const r = expandRange({ from: 0, to: 0.3, step: 0.1 }, "a");
    expect("values" in r && r.values).toEqual([0, 0.1, 0.2, 0.3]);
  });

  test.each([
    [{ from: 0, to: 10, step: 0 }, "axes[x].step", "a step above 0"],
    [{ from: 10, to: 0, step: 1 }, "axes[x].to", "at or above from"],
    [{ from: "0ns", to: "5GHz", step: "1ns" }, "axes[x]", "one kind"],
    [{ from: 0, to: 1e9, step: 1 }, "axes[x]", "at most 100,000 values"],
  ])("%j is refused", (range, path, allowed) => {
    const r = expandRange(range, "axes[x]");
    expect("issues" in r).toBe(true);
    if ("issues" in r) {
      expect(r.issues[0]!.path).toBe(path);
      expect(r.issues[0]!.allowed).toContain(allowed);
    }
  });

  test("a range axis in a sweep feeds the scenario as durations with units", () => {
    const grid = new Grid(parseSweep({ base: "cyclictest", set: { "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": { from: "0ns", to: "5us", step: "250ns" } } }, "r.json"));
    expect(grid.size).toBe(21);
    expect(grid.runAt(1).params).toEqual({ "kvm.timerAdvance": "250ns" });
    expect(() => validateGrid(grid)).not.toThrow();
  });
});

describe("sweep file errors name the place, the value and what is allowed", () => {
  test.each([
    [{ base: "cyclictest", axis: {} }, "axis", "did you mean \"axes\""],
    [{ base: "nope" }, "base", "one of default, cyclictest"],
    [{ base: "missing.json" }, "base", "no such file"],
    [{ base: 7 }, "base", "a preset name"],
    [{ seeds: 0 }, "seeds", "a count 1..1,000,000"],
    [{ seeds: [1, 1] }, "seeds.1", "once each"],
    [{ seeds: [-1] }, "seeds.0", "integer seed 0..4294967295"],
    [{ set: { seed: 3 } }, "set[seed]", "seeds come from"],
    [{ axes: { seed: [1, 2] } }, "axes[seed]", "seeds come from"],
    [{ axes: { "kvm.era": [] } }, "axes[kvm.era]", "non-empty list"],
    [{ axes: { "kvm.era": ["v5.4", "v5.4"] } }, "axes[kvm.era].1", "once each"],
    [{ axes: { "kvm.era": "v5.4" } }, "axes[kvm.era]", "a list of values or a range"],
    [{ axes: { "kvm.timerAdvance": { from: 0, to: 10 } } }, "axes[kvm.timerAdvance].step", "from, to and step"],
    [{ axes: { "kvm..era": ["v5.4"] } }, "axes[kvm..era]", "without empty parts"],
    [{ set: { duration: "1ms" }, axes: { duration: ["2ms"] } }, "axes[duration]", "not also in \"set\""],
    [{ axes: { "vms.0.vcpus": Array.from({ length: 1000 }, (_, i) => i + 1), duration: Array.from({ length: 1001 }, (_, i) => i + 1) } }, "axes", "at most 1,000,000 runs"],
  ])("%# %s", (sweep, path, allowed) => {
    const issues = issuesOf(() => parseSweep(sweep, "/tmp/sweep.json"));
    const hit = issues.find((i) => i.path === path);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit!.allowed).toContain(allowed);
  });

  test("every run is validated up front; the error names the runs, the path, the value and what is allowed", () => {
    const grid = new Grid(parseSweep(ISSUE_EXAMPLE, "issue.json"));
    let err: unknown;
    try {
      validateGrid(grid);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SweepError);
    const e = err as SweepError;
    expect(e.runs.map((r) => r.params)).toEqual([
      { "kvm.timerAdvance": 1000, "kvm.era": "mainline" },
      { "kvm.timerAdvance": 3000, "kvm.era": "mainline" },
    ]);
    expect(e.runs[0]!.seeds).toEqual([1, 2]);
    expect(e.runs[0]!.issues[0]).toMatchObject({ path: "kvm.timerAdvance", value: 1000 });
    expect(e.message).toContain("4 of 12 runs (2 of 6 parameter combinations) have invalid scenarios; nothing was run");
    expect(e.message).toContain('kvm.timerAdvance=1000 kvm.era="mainline" (seeds 1, 2): kvm.timerAdvance = 1000: allowed "adaptive" or "off" with kvm.era "mainline"');
  });

  test("with v5.1/v5.4 the same grid is valid", () => {
    expect(() => validateGrid(new Grid(parseSweep(TINY, "tiny.json")))).not.toThrow();
  });
});

describe("shards (0-based i/n, round-robin)", () => {
  test("parse", () => {
    expect(parseShard("0/4")).toEqual({ index: 0, count: 4 });
    expect(parseShard(" 3 / 4 ")).toEqual({ index: 3, count: 4 });
    for (const bad of ["4/4", "1/0", "-1/4", "a/b", "1", "1/4/2"]) expect(() => parseShard(bad), bad).toThrow(InputRangeError);
  });

  test("the shards of a grid partition it", () => {
    for (const size of [0, 1, 11, 12, 13]) {
      const seen: number[] = [];
      for (let s = 0; s < 4; s++) {
        const mine = [...shardIndices(size, { index: s, count: 4 })];
        expect(mine.length).toBe(shardSize(size, { index: s, count: 4 }));
        seen.push(...mine);
      }
      expect(seen.sort((a, b) => a - b)).toEqual([...Array(size).keys()]);
    }
  });
});

describe("docs/sweeps.md", () => {
  const doc = readFileSync(new URL("../docs/sweeps.md", import.meta.url), "utf8");
  const sweeps = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((t) => t.includes('"base"'));

  test("its example sweep files are valid sweeps with valid runs", () => {
    expect(sweeps.length).toBeGreaterThanOrEqual(2);
    for (const text of sweeps) {
      const grid = new Grid(parseSweep(JSON.parse(text), "docs/example.json"));
      expect(() => validateGrid(grid)).not.toThrow();
    }
  });
});
