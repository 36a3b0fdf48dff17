// tscsim sweep / merge / summarize as a user runs them: real processes, real signals.

import { beforeAll, describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, appendFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tscsim-sweep-cli-"));
const env = { ...process.env, TSCSIM_WASM: "debug" };

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], entry = ["--import", "tsx", "src/cli/main.ts"], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...entry, ...args], { cwd: root, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

const tscsim = (...args: string[]): Promise<Exit> => start(args).exited;

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function textLines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
}

const noWall = (l: string): string => l.replace(/,"wallMs":[0-9.e+-]+}$/, "}");

function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").length - 1 : 0;
}

const TINY = file("tiny.json", { base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1 }, axes: { "kvm.timerAdvance": [0, 1000, 3000], "kvm.era": ["v5.1", "v5.4"] }, seeds: 2 });
let gridIds: string[];
let single: string;

beforeAll(async () => {
  const dry = await tscsim("sweep", TINY, "--dry-run");
  expect(dry.code).toBe(0);
  gridIds = dry.stdout.trim().split("\n").map((l) => JSON.parse(l).id as string);
  single = join(dir, "single.jsonl");
  const r = await tscsim("sweep", TINY, "--out", single, "--workers", "2");
  expect(r.stderr).toContain("12 runs done");
  expect(r.code).toBe(0);
});

describe("tscsim sweep", () => {
  test("--dry-run lists the grid in order with ids; --shard lists a slice", async () => {
    expect(gridIds.length).toBe(12);
    const shard = await tscsim("sweep", TINY, "--dry-run", "--shard", "1/4");
    expect(shard.stdout.trim().split("\n").map((l) => JSON.parse(l).index)).toEqual([1, 5, 9]);
  });

  test("a sweep with invalid runs fails before running anything, naming the runs and why (exit 2)", async () => {
    const issue = file("issue.json", { base: "cyclictest", set: { duration: "1s" }, axes: { "kvm.timerAdvance": [0, 1000, 3000], "kvm.era": ["v5.4", "mainline"] }, seeds: 2 });
    const out = join(dir, "issue.jsonl");
    const r = await tscsim("sweep", issue, "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("4 of 12 runs (2 of 6 parameter combinations) have invalid scenarios; nothing was run");
    expect(r.stderr).toContain('kvm.timerAdvance=3000 kvm.era="mainline" (seeds 1, 2): kvm.timerAdvance = 3000: allowed "adaptive" or "off"');
    expect(existsSync(out)).toBe(false);
  });

  test.each([
    [["--workers", "0"], "--workers"],
    [["--shard", "4/4"], "--shard"],
    [["--timeout", "soon"], "--timeout"],
    [["--retry-failed"], "--retry-failed"],
  ])("bad flag %j: one line, exit 2", async (flags, field) => {
    const r = await tscsim("sweep", TINY, "--out", join(dir, "never.jsonl"), ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(r.stderr).toContain(field);
  });

  test("worker threads that cannot start: one line naming the cause, no stack trace, exit 1, no run recorded", async () => {
    const out = join(dir, "no-workers.jsonl");
    const r = await start(["sweep", TINY, "--out", out], undefined, { TSCSIM_SWEEP_FAULT: "load" }).exited;
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("tscsim: the sweep's worker threads cannot start: injected fault (TSCSIM_SWEEP_FAULT=load): the worker module does not load; nothing was run\n");
    expect(lineCount(out)).toBe(0);
  });

  test("Ctrl-C stops cleanly (exit 130), a killed writer's torn line is repaired, and --resume loses and repeats nothing", async () => {
    // 40 runs of 400 ms simulated time: a few seconds on 2 workers, so the signal lands mid-sweep.
    const sweep = file("mid.json", { base: "cyclictest", set: { duration: "400ms", "vms.0.vcpus": 1 }, axes: { "kvm.timerAdvance": [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500], "kvm.era": ["v5.1", "v5.4"] }, seeds: 2 });
    const out = join(dir, "mid.jsonl");
    const { child, exited } = start(["sweep", sweep, "--out", out, "--workers", "2"]);
    while (lineCount(out) < 4) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGINT");
    const first = await exited;
    expect(first.code).toBe(130);
    const kept = textLines(out);
    expect(kept.length).toBeGreaterThanOrEqual(4);
    expect(kept.length).toBeLessThan(40);
    expect(first.stderr).toContain(`stopped cleanly: ${kept.length} of 40 runs are in ${out}`);
    expect(first.stderr).toContain(`Resume with: tscsim sweep ${sweep} --out ${out} --resume --workers 2`);
    expect(first.stderr).toMatch(/sweep: \d+\/40 runs/); // plain progress lines (stderr is a pipe)

    // As if a later run had been SIGKILLed in the middle of writing a line.
    appendFileSync(out, kept[0]!.slice(0, 40));
    const second = await tscsim("sweep", sweep, "--out", out, "--workers", "2", "--resume");
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/ignored a torn last line \(40 bytes/);
    expect(second.stderr).toContain(`${40 - kept.length} this session`);
    expect(second.stderr).toContain(`${kept.length} already in ${out}`);
    const all = textLines(out);
    expect(all.length).toBe(40);
    expect(all.slice(0, kept.length)).toEqual(kept);
    const ids = all.map((l) => JSON.parse(l).id as string);
    expect(new Set(ids).size).toBe(40);
    const dry = await tscsim("sweep", sweep, "--dry-run");
    expect(new Set(ids)).toEqual(new Set(dry.stdout.trim().split("\n").map((l) => JSON.parse(l).id as string)));
  });

  // The built package's workers are the bundled worker (dist/bundle/sweep-worker.cjs,
  // scripts/bundle-cli.mjs) when it is there, from the bin and from dist/cli/main.js alike:
  // their lines must be the bytes the workers running the sources write.
  test.runIf(existsSync(join(root, "dist/sweep/worker.js")))("the built CLI (dist/) runs sweeps on its worker pool too", async () => {
    const out = join(dir, "dist.jsonl");
    const r = await start(["sweep", TINY, "--out", out, "--workers", "2"], ["dist/cli/main.js"]).exited;
    expect(r.code).toBe(0);
    const got = textLines(out).map((l) => JSON.parse(l) as { id: string; status: string });
    expect(got.every((l) => l.status === "ok")).toBe(true);
    expect(got.map((l) => l.id).sort()).toEqual([...gridIds].sort());
    expect(textLines(out).map(noWall).sort()).toEqual(textLines(single).map(noWall).sort());
  });

  test.runIf(existsSync(join(root, "dist/bundle/sweep-worker.cjs")))("the bin (dist/bundle/tscsim.cjs) with the bundled worker writes the same lines", async () => {
    const out = join(dir, "bundle.jsonl");
    const r = await start(["sweep", TINY, "--out", out, "--workers", "2"], ["dist/bundle/tscsim.cjs"]).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(textLines(out).map(noWall).sort()).toEqual(textLines(single).map(noWall).sort());
  });
});

describe("shards and tscsim merge", () => {
  let shards: string[];

  beforeAll(async () => {
    shards = [0, 1, 2, 3].map((i) => join(dir, `shard-${i}.jsonl`));
    const runs = await Promise.all(shards.map((out, i) => tscsim("sweep", TINY, "--out", out, "--shard", `${i}/4`, "--workers", "1")));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs[1]!.stderr).toContain("shard 1/4: 3 of 12 runs done");
  });

  test("4 shards merged equal a single-machine run: the same lines, sorted by id, wallMs aside", async () => {
    const all = join(dir, "all.jsonl");
    const r = await tscsim("merge", ...shards, "--out", all, "--sweep", TINY);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`merge: 4 files, 12 lines → 12 runs in ${all}`);
    const merged = textLines(all);
    const ids = merged.map((l) => JSON.parse(l).id as string);
    expect(ids).toEqual([...gridIds].sort());
    expect(merged.map(noWall)).toEqual(textLines(single).map(noWall).sort());
  });

  test("identical duplicates are merged away", async () => {
    const out = join(dir, "dups.jsonl");
    const r = await tscsim("merge", ...shards, single, "--out", out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("24 lines → 12 runs");
    expect(r.stderr).toContain("12 identical duplicates dropped");
  });

  test("missing runs are reported with their parameters (exit 1, output still written)", async () => {
    const out = join(dir, "partial.jsonl");
    const r = await tscsim("merge", shards[0]!, shards[2]!, shards[3]!, "--out", out, "--sweep", TINY);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`3 of 12 runs of ${TINY} are missing`);
    expect(r.stderr).toMatch(/run 1 \([0-9a-f]{16}\): kvm.timerAdvance=0 kvm.era="v5.1" seed 2/);
    expect(textLines(out).length).toBe(9);
  });

  test("duplicates whose results disagree are refused, naming the run (exit 2, nothing written)", async () => {
    const [first, ...rest] = textLines(shards[0]!);
    const id = JSON.parse(first!).id as string;
    const tampered = file("tampered.jsonl", [first!.replace(/"interrupts":(\d+)/, (_m, n: string) => `"interrupts":${Number(n) + 1}`), ...rest, ""].join("\n"));
    const out = join(dir, "conflict.jsonl");
    const r = await tscsim("merge", shards[0]!, tampered, "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("1 run with disagreeing results");
    expect(r.stderr).toContain(id);
    expect(r.stderr).toContain(`${shards[0]}:1 vs ${tampered}:1`);
    expect(existsSync(out)).toBe(false);
  });
});

describe("tscsim summarize", () => {
  test("a table grouped by an axis: runs per group and mean ± sd of the default metrics", async () => {
    // Per-seed: latency percentiles as mean ± sd too (pooled is the default; test/hdr.test.ts).
    const r = await tscsim("summarize", single, "--by", "kvm.era", "--percentiles", "per-seed");
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^kvm\.era\s+runs\s+latency\.ns\.p99\s+latency\.ns\.mean\s+early\.count\s+spinNs\s+exits\.msrWrite$/);
    expect(rows[1]).toMatch(/^-+\s+-+/);
    expect(rows.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(["v5.1", "v5.4"]);
    expect(rows[2]).toMatch(/^v5\.1\s+6\s+[\d,.]+ ± [\d,.]+/);
    expect(r.stderr).toContain("12 ok runs in 2 groups");
  });

  test("json carries n, mean, sd, min, max per group; the figures are the lines' own", async () => {
    const r = await tscsim("summarize", single, "--by", "kvm.timerAdvance,kvm.era", "--metric", "latency.ns.p99,interrupts", "--format", "json");
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.by).toEqual(["kvm.timerAdvance", "kvm.era"]);
    expect(s.groups.length).toBe(6);
    expect(s.groups.map((g: { params: Record<string, unknown> }) => g.params["kvm.timerAdvance"])).toEqual([0, 0, 1000, 1000, 3000, 3000]);
    const g = s.groups.find((x: { params: Record<string, unknown> }) => x.params["kvm.timerAdvance"] === 1000 && x.params["kvm.era"] === "v5.4");
    const values = textLines(single)
      .map((l) => JSON.parse(l))
      .filter((l) => l.params["kvm.timerAdvance"] === 1000 && l.params["kvm.era"] === "v5.4")
      .map((l) => l.result.latency.ns.p99 as number);
    expect(values.length).toBe(2);
    const mean = (values[0]! + values[1]!) / 2;
    expect(g.runs).toBe(2);
    expect(g.metrics["latency.ns.p99"].n).toBe(2);
    expect(g.metrics["latency.ns.p99"].mean).toBeCloseTo(mean, 9);
    expect(g.metrics["latency.ns.p99"].sd).toBeCloseTo(Math.abs(values[0]! - values[1]!) / Math.SQRT2, 9);
    expect(g.metrics["latency.ns.p99"].min).toBe(Math.min(...values));
    expect(g.metrics["latency.ns.p99"].max).toBe(Math.max(...values));
  });

  test("csv: one row per group, n/mean/sd/min/max per metric", async () => {
    const r = await tscsim("summarize", single, "--by", "kvm.era", "--metric", "spinNs", "--format", "csv");
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n");
    expect(rows[0]).toBe("kvm.era,runs,spinNs.n,spinNs.mean,spinNs.sd,spinNs.min,spinNs.max");
    expect(rows.length).toBe(3);
    expect(rows[1]).toMatch(/^v5\.1,6,6,/);
  });

  test("an unknown metric or axis is one line naming what exists (exit 2)", async () => {
    const m = await tscsim("summarize", single, "--metric", "latency.nss.p99");
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('--metric = "latency.nss.p99": allowed a numeric result path such as');
    expect(m.stderr).toContain("latency.ns.p99");
    expect(m.stderr).toContain('did you mean "latency.ns.p99"');
    const b = await tscsim("summarize", single, "--by", "kvm.eras");
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("an axis path of the sweep: kvm.timerAdvance, kvm.era, seed");
  });
});
