import { describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tscsim } from "./cli.js";

const SHORT = ["--set", "duration=20ms"];

describe("tscsim run", () => {
  test("no arguments: the default preset, a summary table", () => {
    const r = tscsim("run", ...SHORT);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scenario default · era mainline · seed 1/);
    expect(r.stdout).toMatch(/interrupts\s+[\d,]+/);
    expect(r.stdout).toMatch(/latency ns\s+min/);
    expect(r.stdout).toMatch(/VM exits/);
  });

  test("--engine ts and --engine wasm print the same bytes; a bad name exits 2 with one line", () => {
    const ts = tscsim("run", "cyclictest", "--format", "json", "--no-wall-time", "--engine", "ts", ...SHORT);
    const wasm = tscsim("run", "cyclictest", "--format", "json", "--no-wall-time", "--engine", "wasm", ...SHORT);
    expect(ts.code).toBe(0);
    expect(wasm.stdout).toBe(ts.stdout);
    // The lazy TSC-deadline proposal runs on both engines too.
    const lazy = (["ts", "wasm"] as const).map((engine) => tscsim("run", "s16-lazy-clear", "--format", "json", "--no-wall-time", "--engine", engine, ...SHORT));
    expect(lazy[0]!.code).toBe(0);
    expect(lazy[1]!.stdout).toBe(lazy[0]!.stdout);
    // So do a periodic timer with a pause (every scenario the CLI accepts runs on both:
    // only a custom guest program, through the library, needs the TypeScript engine).
    const paused = (["ts", "wasm"] as const).map((engine) => tscsim("run", "s11-stopped-vm", "--format", "json", "--no-wall-time", "--engine", engine, ...SHORT));
    expect(paused[0]!.code).toBe(0);
    expect(paused[1]!.stdout).toBe(paused[0]!.stdout);
    const bad = tscsim("run", "--engine", "fast", ...SHORT);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--engine.*"auto", "ts" or "wasm"/);
  });

  test("JSON carries the contract fields and is byte-identical across runs without wall time", () => {
    const a = tscsim("run", "--format", "json", "--no-wall-time", ...SHORT);
    const b = tscsim("run", "--format", "json", "--no-wall-time", ...SHORT);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const j = JSON.parse(a.stdout);
    for (const key of ["interrupts", "spinNs", "simulatedNs", "coalesced", "callbacksPerMsPeak"]) expect(typeof j[key]).toBe("number");
    for (const key of ["min", "mean", "p50", "p99", "max"]) expect(typeof j.latency.ns[key]).toBe("number");
    expect(typeof j.early.count).toBe("number");
    expect(typeof j.exits.msrWrite).toBe("number");
    expect(typeof j.exits.preemptionTimer).toBe("number");
    expect(typeof j.advanceNs.final).toBe("number");
    expect(typeof j.advanceNs.max).toBe("number");
    expect(typeof j.timers.hvFallbacks).toBe("number");
    expect(j.wallMs).toBeUndefined();
    expect(j.vcpus.length).toBe(8);
    expect(j.interrupts).toBe(j.vcpus.reduce((n: number, v: { interrupts: number }) => n + v.interrupts, 0));
    expect(j.simulatedNs).toBe(20_000_000);
  });

  test("--seed changes the draws; --set changes the scenario", () => {
    const a = JSON.parse(tscsim("run", "--format", "json", "--no-wall-time", ...SHORT).stdout);
    const b = JSON.parse(tscsim("run", "--format", "json", "--no-wall-time", "--seed", "7", ...SHORT).stdout);
    expect(b.seed).toBe(7);
    expect(b.latency.ns.mean).not.toBe(a.latency.ns.mean);
    const c = JSON.parse(tscsim("run", "cyclictest", "--format", "json", "--no-wall-time", "--set", "kvm.era=v5.4", "--set", "vms.0.vcpus=2", ...SHORT).stdout);
    expect(c.era).toBe("v5.4");
    expect(c.vcpus.length).toBe(2);
  });

  test("tscdeadline-latency prints its latency lines; cyclictest its summary line", () => {
    const t = tscsim("run", "tscdeadline-latency", "--set", "vms.0.workload.size=5", "--set", "vms.0.workload.printLatencies=true");
    expect(t.code).toBe(0);
    expect(t.stdout.split("\n").filter((l) => /^latency: -?\d+$/.test(l)).length).toBe(5);
    const c = tscsim("run", "cyclictest", ...SHORT);
    expect(c.stdout).toMatch(/^T: ?0 .*I:200 C:\s+\d+ Min:\s+\d+ Act:\s+\d+ Avg:\s+\d+ Max:\s+\d+$/m);
  });

  test("--out writes the report to a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "tscsim-"));
    const out = join(dir, "r.json");
    const r = tscsim("run", "--format", "json", "--out", out, ...SHORT);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).scenario).toBe("default");
  });

  test("--help lists every era with one line", () => {
    const r = tscsim("run", "--help");
    expect(r.code).toBe(0);
    for (const era of ["v4.0", "v4.20", "v5.1", "v5.4", "mainline"]) expect(r.stdout).toMatch(new RegExp(`^\\s+${era.replace(".", "\\.")}\\s+\\S`, "m"));
  });

  test.each([
    [["run", "no-such-preset"], /no-such-preset/],
    [["run", "--set", "kvm.era=v9"], /kvm\.era/],
    [["run", "--set", "vms.0.vcpus=-1"], /vms\.0\.vcpus/],
    [["run", "--format", "xml"], /--format = "xml"/],
    [["run", "--seed", "x"], /--seed = "x"/],
  ])("%j exits 2 with a clear message", (args, message) => {
    const r = tscsim(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("a scenario file with a mistake names the path, value and what is allowed", () => {
    const dir = mkdtempSync(join(tmpdir(), "tscsim-"));
    const file = join(dir, "s.json");
    writeFileSync(file, JSON.stringify({ host: { tscKhz: "2.1XHz" } }));
    const r = tscsim("run", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host\.tscKhz/);
    expect(r.stderr).toMatch(/2\.1XHz/);
  });
});
