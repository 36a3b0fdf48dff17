// Sweeps under concurrency and damage, as a user runs them (issue #14): real processes.

import { describe, expect, test } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tscsim-reliab-"));
const env = { ...process.env, TSCSIM_WASM: "debug" };

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tscsim(...args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const ids = (path: string): string[] => readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).id as string);

const TINY = file("tiny.json", { base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": [0, 1000, 3000] }, seeds: 2 });

describe("one writer per results file", () => {
  test("a sweep on a file locked by a live process is refused with one line naming the holder (exit 2, nothing written)", async () => {
    const out = join(dir, "held.jsonl");
    file("held.jsonl.lock", `${JSON.stringify({ host: hostname(), pid: process.pid, since: "2026-12-04T00:00:00.000Z" })}\n`);
    const r = await tscsim("sweep", TINY, "--out", out, "--workers", "1");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tscsim: --out = ${JSON.stringify(out)}: another tscsim is writing it (pid ${process.pid} on this host, since 2026-12-04T00:00:00.000Z; lock ${out}.lock); one writer per results file: wait for it or use another --out (a lock not refreshed for 60 s is taken over)\n`);
    expect(existsSync(out)).toBe(false);
  });

  test("two sweeps with --resume on one file at once: every run has exactly one line, whoever wins", async () => {
    const out = join(dir, "race.jsonl");
    const [a, b] = await Promise.all([tscsim("sweep", TINY, "--out", out, "--resume", "--workers", "1", "--no-progress"), tscsim("sweep", TINY, "--out", out, "--resume", "--workers", "1", "--no-progress")]);
    for (const r of [a, b]) {
      expect([0, 2]).toContain(r.code);
      if (r.code === 2) expect(r.stderr).toContain("another tscsim is writing it");
    }
    const got = ids(out);
    expect(got.length).toBe(6);
    expect(new Set(got).size).toBe(6);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });
});

describe("damaged results files: --repair and verify", () => {
  test("a corrupted line in the middle stops --resume with a hint; --repair moves it aside, loses nothing and completes the sweep", async () => {
    const out = join(dir, "damaged.jsonl");
    expect((await tscsim("sweep", TINY, "--out", out, "--workers", "1", "--no-progress")).code).toBe(0);
    const good = readFileSync(out, "utf8").split("\n").filter((l) => l !== "");
    // Line 3 is overwritten by garbage (its run is lost), and a stray line is added after line 4.
    const damaged = [...good.slice(0, 2), '{"id":"broken', good[3], "not json at all", ...good.slice(4)];
    writeFileSync(out, `${damaged.join("\n")}\n`);
    const stuck = await tscsim("sweep", TINY, "--out", out, "--resume", "--workers", "1", "--no-progress");
    expect(stuck.code).toBe(2);
    expect(stuck.stderr.trim().split("\n")).toHaveLength(1);
    expect(stuck.stderr).toContain("2 lines are unreadable (the first, line 3 at byte");
    expect(stuck.stderr).toContain(`add --repair to move unreadable lines to ${out}.rejected`);
    const fixed = await tscsim("sweep", TINY, "--out", out, "--resume", "--repair", "--workers", "1", "--no-progress");
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toContain("2 lines are unreadable");
    expect(fixed.stderr).toContain("1 this session");
    expect(readFileSync(`${out}.rejected`, "utf8")).toBe('{"id":"broken\nnot json at all\n');
    const after = ids(out);
    expect(new Set(after)).toEqual(new Set(good.map((l) => JSON.parse(l).id as string)));
    expect(after).toHaveLength(6);
  });

  test("--repair without --resume is one line (exit 2)", async () => {
    const r = await tscsim("sweep", TINY, "--out", join(dir, "x.jsonl"), "--repair");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tscsim: --repair = true: needs --resume; tscsim sweep FILE --out RESULTS --resume --repair\n');
  });

  test("verify recomputes runs byte for byte and names a tampered result, an edited seed and an unreadable line (exit 1)", async () => {
    const out = join(dir, "verify.jsonl");
    expect((await tscsim("sweep", TINY, "--out", out, "--workers", "1", "--no-progress")).code).toBe(0);
    const clean = await tscsim("verify", out, "--sweep", TINY, "--sample", "all");
    expect(clean.stderr).toBe("verify: 6 lines, ids checked; 6 of 6 recomputed runs byte-identical (of 6 ok) — OK\n");
    expect(clean.code).toBe(0);
    const lines = readFileSync(out, "utf8").split("\n").filter((l) => l !== "");
    const tampered = lines.map((l, i) => (i === 1 ? l.replace(/"p99":(\d+)/, (_, n: string) => `"p99":${Number(n) + 1}`) : i === 4 ? l.replace(/"seed":(\d+)/, '"seed":99') : l));
    tampered.splice(3, 0, "garbage");
    writeFileSync(out, `${tampered.join("\n")}\n`);
    const r = await tscsim("verify", out, "--sweep", TINY, "--sample", "all");
    expect(r.code).toBe(1);
    const err = r.stderr.trim().split("\n");
    expect(err[0]).toMatch(new RegExp(`^verify: .*verify\\.jsonl:2 \\(run [0-9a-f]{16}\\) differs from its recomputation at result\\.latency\\.ns\\.p99: file \\d+, recomputed \\d+$`));
    expect(err[1]).toContain("verify.jsonl:4 (run ?) is unreadable");
    expect(err[2]).toContain("verify.jsonl:6 (run ");
    expect(err[2]).toContain("its id is not that of its params and seed in this sweep");
    expect(err[3]).toBe("verify: 7 lines, ids checked; 4 of 5 recomputed runs byte-identical (of 5 ok) — 3 PROBLEMS");
  });
});

describe("results to standard output and other non-regular files", () => {
  test("--out - writes the lines to stdout (no file named -, no lock); --out /dev/stdout into a pipe works too (no fsync)", async () => {
    const r = await tscsim("sweep", TINY, "--out", "-", "--workers", "1", "--no-progress");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(new Set(lines.map((l) => JSON.parse(l).id)).size).toBe(6);
    expect(r.stderr).toContain("→ standard output");
    expect(existsSync(join(root, "-"))).toBe(false);
    const dev = await tscsim("sweep", TINY, "--out", "/dev/stdout", "--workers", "1", "--no-progress");
    expect(dev.stderr).not.toContain("EINVAL");
    expect(dev.code).toBe(0);
    expect(dev.stdout.trim().split("\n").map((l) => JSON.parse(l).id).sort()).toEqual(lines.map((l) => JSON.parse(l).id).sort());
    // The case: a shell pipe (a FIFO, where fsync fails with EINVAL).
    const piped = spawnSync("sh", ["-c", `"${process.execPath}" --import tsx src/cli/main.ts sweep "${TINY}" --out /dev/stdout --workers 1 --no-progress | cat`], { cwd: root, env, encoding: "utf8" });
    expect(piped.stderr).toContain("6 runs done");
    expect(piped.status).toBe(0);
    expect(piped.stdout.trim().split("\n")).toHaveLength(6);
  });

  test.each([
    [["--out", "-", "--resume"], "tscsim: --resume = true: standard output (--out -) cannot be resumed; --resume with a results file: --out results.jsonl\n"],
    [[], "tscsim: --out = undefined: a sweep needs somewhere to write its results; --out results.jsonl (a JSONL file), or --out - for standard output (or --dry-run to list the runs)\n"],
    [["--out", "DIR"], 'tscsim: --out = "DIR": is a directory; a results file path (JSONL), e.g. --out results.jsonl or --out DIR/results.jsonl\n'],
  ])("sweep %j: one line (exit 2)", async (args, message) => {
    const r = await tscsim("sweep", TINY, ...args.map((a) => (a === "DIR" ? dir : a)));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message.replace('"DIR"', JSON.stringify(dir)));
  });
});

describe("aggregates-only lines", () => {
  test("--detail aggregates writes no per-vCPU array; summarize and verify read such lines", async () => {
    const two = file("two-vcpus.json", { base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 2, "kvm.era": "v5.4" }, seeds: 2 });
    const full = join(dir, "full.jsonl");
    const agg = join(dir, "agg.jsonl");
    const [a, b] = await Promise.all([tscsim("sweep", two, "--out", full, "--workers", "1", "--no-progress"), tscsim("sweep", two, "--out", agg, "--workers", "1", "--no-progress", "--detail", "aggregates")]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const fullLines = readFileSync(full, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const aggLines = readFileSync(agg, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    for (const l of aggLines) {
      expect(l.result.vcpus).toBeUndefined();
      const same = fullLines.find((f) => f.id === l.id);
      // Everything else is the full line's.
      expect({ ...same.result, vcpus: undefined }).toEqual({ ...l.result, vcpus: undefined });
      expect(same.result.vcpus).toHaveLength(2);
    }
    const [v, s] = await Promise.all([tscsim("verify", agg, "--sweep", two, "--sample", "all"), tscsim("summarize", agg, "--format", "json")]);
    expect(v.stderr).toBe("verify: 2 lines, ids checked; 2 of 2 recomputed runs byte-identical (of 2 ok) — OK\n");
    expect(s.code).toBe(0);
    expect(s.stderr).toBe("summarize: 2 ok runs in 1 group\n");
    expect(s.stdout).toContain('"latency.ns.p99"');
  });
});

describe("the per-run timeout at its floor", () => {
  test("--timeout 1ms: exit 0, every run exactly one line (ok or failed, as the machine's speed has it), no V8 abort", async () => {
    const out = join(dir, "timeout.jsonl");
    // Two runs: a timed-out worker is replaced, which costs a worker's start-up each time.
    const two = file("two-runs.json", { base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1 }, seeds: 2 });
    const r = await tscsim("sweep", two, "--out", out, "--timeout", "1ms", "--workers", "2", "--no-progress");
    expect(r.stderr).not.toContain("FATAL");
    expect(r.code).toBe(0);
    const lines = readFileSync(out, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { id: string; status: string });
    expect(lines).toHaveLength(2);
    expect(new Set(lines.map((l) => l.id)).size).toBe(2);
    for (const l of lines) expect(["ok", "failed"]).toContain(l.status);
  });
});
