// Sweeps under concurrency and damage, as a user runs them (issue #14): real processes.

import { describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
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
