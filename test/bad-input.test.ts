// The bad inputs of issue #14 as a table: each gives one line naming the field, the value
// and what is allowed (a user error: exit 2 in the CLI), never a stack trace; the words
// fit the case. In-process where the library decides, real processes where the CLI does.

import { describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isUserError } from "../src/cli/user-error.js";
import { loadScenario } from "../src/scenario/load.js";
import { parseSet } from "../src/scenario/set.js";
import { loadSweepFile } from "../src/sweep/file.js";
import { readResults } from "../src/sweep/results-file.js";
import { mergeResults } from "../src/sweep/merge.js";
import { summarize } from "../src/sweep/summarize.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tscsim-bad-input-"));
const deep = (n: number): string => `${"[".repeat(n)}${"]".repeat(n)}`;

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The message of the user error `f` throws (anything else fails the test). */
function userMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (!isUserError(err)) throw err;
    return err.message;
  }
  throw new Error("expected a user error");
}

const DEEP_SCENARIO = file("deep.json", deep(100_000));
const DEEP_SWEEP = file("deep-sweep.json", `{"base":${deep(100_000)}}`);
const DEEP_LINE = file("deep.jsonl", `{"id":"a","params":{},"seed":1,"status":"ok","result":{"x":${deep(100_000)}}}\n`);
const SEED_1E30 = file("seed.json", '{"seed": 1e30}');

describe("bad inputs: one line, the field, the value, what is allowed", () => {
  test.each<[string, () => unknown, RegExp]>([
    ["a scenario nested 100,000 levels", () => loadScenario(DEEP_SCENARIO), /^cannot load scenario file ".*deep\.json": nested too deeply: allowed JSON nested at most 64 levels deep/],
    ["a sweep file nested 100,000 levels", () => loadSweepFile(DEEP_SWEEP), /^invalid sweep \(.*\): file = ".*deep-sweep\.json": nested too deeply; allowed JSON nested at most 64 levels deep/],
    ["a --set value nested 100,000 levels", () => parseSet(`duration=${deep(100_000)}`), /^invalid --set "duration=\[{37}\.\.\.": a value JSON nested at most 64 levels deep/],
    ["a results line nested 100,000 levels (merge)", () => mergeResults([DEEP_LINE, DEEP_LINE]), /^results file = ".*deep\.jsonl": line 1 \(at byte 0\) is nested deeper than 64 levels; complete result lines/],
    ["a directory as a results file (merge)", () => mergeResults([dir]), /^results file = ".*": is a directory; a JSONL results file .* \(for a directory of shards, give its files: DIR\/\*\.jsonl\)$/],
    ["a directory as a results file (summarize)", () => summarize([dir], {}), /^results file = ".*": is a directory;/],
    ["a missing results file", () => readResults(join(dir, "nope.jsonl")), /^results file = ".*nope\.jsonl": cannot be read \(no such file\); a readable JSONL results file/],
    ["a directory as a scenario", () => loadScenario(`${dir}/`), /^cannot load scenario file ".*": it is a directory$/],
    ["duration too large says so", () => loadScenario("default", ["duration=10000000s"]), /duration = "10000000s": too large; allowed at most 9,007,199,254,740,991 ns \(about 104 days\)/],
    ["a number too large for vcpus, once", () => loadScenario("default", ["vms.0.vcpus=1e20"]), /^invalid scenario \(preset default\): vms\.0\.vcpus = 100000000000000000000: too large; allowed an integer 1\.\.1,000,000$/],
    ["seed 1e30 in a file: one problem, said once", () => loadScenario(SEED_1E30), /^invalid scenario \(.*seed\.json\): seed = 1e\+30: too large; allowed an integer 0\.\.4,294,967,295 \(a u32\)$/],
    ["an infinite number shows as such", () => loadScenario("default", ["duration=1e400"]), /duration = Infinity: allowed/],
    ["a delay that is not an object: no validator wording", () => loadScenario("default", ["host.delays.hrtimer={dist:fixed}"]), /^invalid scenario \(preset default\): host\.delays\.hrtimer = "\{dist:fixed\}": allowed a distribution object such as \{"dist":"fixed","value":"300ns"\}$/],
    ["a workload that is not an object", () => loadScenario("default", ["vms.0.workload=3"]), /vms\.0\.workload = 3: allowed a workload object such as/],
  ])("%s", (_, f, message) => {
    const m = userMessage(f);
    expect(m).toMatch(message);
    expect(m).not.toMatch(/Invalid input|expected \w+, received|at \w+ \(.*:\d+:\d+\)/);
    expect(m.split("\n")).toHaveLength(1);
  });

  test("names in any letter case, like units: SVM is svm, V5.4 is v5.4", () => {
    const c = loadScenario("default", ["host.vendor=SVM", "kvm.era=V5.4", "host.tscKhz=3ghz"]);
    expect(c.host.vendor).toBe("svm");
    expect(c.kvm.era).toBe("v5.4");
  });

  test("a bare duration under 1 µs is a warning naming the field, and the run goes on", () => {
    const warnings: string[] = [];
    loadScenario("default", ["duration=2", "vms.0.workload.interval=1ms"], (m) => warnings.push(m));
    expect(warnings).toEqual(['duration = 2 is 2 ns (a bare number is ns); write "2us", "2ms" or "2s" if you meant that']);
    const none: string[] = [];
    loadScenario("default", ["duration=2ms", "vms.0.workload.interval=5000"], (m) => none.push(m));
    expect(none).toEqual([]);
  });
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tscsim(...args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, env: { ...process.env, TSCSIM_WASM: "debug" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const SWEEP = file("s.json", JSON.stringify({ base: "cyclictest", set: { duration: "1ms", "vms.0.vcpus": 1 }, seeds: 1 }));

describe("bad inputs at the command line (exit 2, one line on stderr, nothing on stdout)", () => {
  test.concurrent.each<[string[], RegExp]>([
    [["merge", dir, "--out", join(dir, "m.jsonl")], /^tscsim: results file = ".*": is a directory; /],
    [["summarize", dir], /^tscsim: results file = ".*": is a directory; /],
    [["sweep", SWEEP, "--out", dir, "--resume"], /^tscsim: --out = ".*": is a directory; a results file path \(JSONL\)/],
    [["run", "--seed", "abc"], /^tscsim: --seed = "abc": allowed a whole number 0\.\.4294967295$/],
    [["calc", "--host", "3GHz", "--guest", "2GHz", "--vendor", "arm"], /^tscsim: --vendor = "arm": allowed "vmx" or "svm"$/],
    [["run", "--out", dir], /^tscsim: --out = ".*": cannot be written \(it is a directory\); a file path in a writable directory$/],
    [["run", "cyclictest", "--set", "vms.0.workload.deadlineMsr=pv"], /^tscsim: invalid scenario \(preset cyclictest\): vms\.0\.workload\.deadlineMsr = "pv": allowed "tsc" unless kvm\.pvDeadline is true/],
  ])("tscsim %j", async (args, message) => {
    const r = await tscsim(...args);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.code).toBe(2);
  });

  test.concurrent("tscsim alone prints the help on stdout and exits 0", async () => {
    const r = await tscsim();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tscsim \[options\] \[command\]/);
    expect(r.stdout).toContain("sweep");
    expect(r.stderr).toBe("");
  });

  test.concurrent("--set duration=2 runs, with one warning on stderr", async () => {
    const r = await tscsim("run", "--set", "duration=2");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('tscsim: warning: duration = 2 is 2 ns (a bare number is ns); write "2us", "2ms" or "2s" if you meant that\n');
  });
});
