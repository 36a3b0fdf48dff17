// The bin's V8 code cache (src/cli/code-cache.ts): where it lives, what it is keyed on,
// and, on the built bin (dist/bundle/tscsim.cjs, after `npm run build`), that it is
// written by a first command, used by the next, refused when corrupt, skipped when it
// cannot be written or when turned off — and that none of it changes what a command
// prints. TSCSIM_CODE_CACHE_DEBUG=1 makes the bin say on stderr what it did.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { cacheCommand, cacheFileName, codeCacheDir, fnv1aHex, writeCacheFile } from "../src/cli/code-cache.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const BIN = "dist/bundle/tscsim.cjs";
const built = existsSync(join(root, BIN)) && existsSync(join(root, "dist/bundle/cli.cjs"));
const scratch = mkdtempSync(join(tmpdir(), "tscsim-code-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("where the cache lives and what it is keyed on", () => {
  test("$XDG_CACHE_HOME/tscsim, else ~/.cache/tscsim; off when TSCSIM_CODE_CACHE says so", () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: "/x/cache" }, "/home/u")).toBe("/x/cache/tscsim");
    expect(codeCacheDir({}, "/home/u")).toBe("/home/u/.cache/tscsim");
    // A relative XDG_CACHE_HOME is invalid (XDG base directory spec) and ignored.
    expect(codeCacheDir({ XDG_CACHE_HOME: "rel/cache" }, "/home/u")).toBe("/home/u/.cache/tscsim");
    expect(codeCacheDir({}, "")).toBeNull();
    for (const off of ["off", "0", "false", "no", "OFF"]) expect(codeCacheDir({ TSCSIM_CODE_CACHE: off, XDG_CACHE_HOME: "/x" }, "/home/u")).toBeNull();
    expect(codeCacheDir({ TSCSIM_CODE_CACHE: "on" }, "/home/u")).toBe("/home/u/.cache/tscsim");
  });

  test.each([
    [["run", "cyclictest"], "run"],
    [["compare", "--a", "x"], "compare"],
    [["run", "--help"], "help"],
    [["--help"], "help"],
    [["help", "run"], "help"],
    [[], "main"],
    [["--version"], "main"],
    [["../../etc"], "main"],
    [["Run"], "main"],
  ])("command line %j is cached as %s", (argv, name) => {
    expect(cacheCommand(argv)).toBe(name);
  });

  test("the file name carries the bundle hash, Node's version, the architecture, the flags and the command", () => {
    const key = { bundleHash: "0123456789abcdef", command: "run", nodeVersion: "v20.20.2", arch: "x64", flags: "" };
    expect(cacheFileName(key)).toBe(`cli-0123456789abcdef-node20.20.2-x64-${fnv1aHex("")}-run.bin`);
    const names = new Set([key, { ...key, bundleHash: "fedcba9876543210" }, { ...key, nodeVersion: "v22.1.0" }, { ...key, arch: "arm64" }, { ...key, flags: "--max-old-space-size=100" }, { ...key, command: "compare" }].map(cacheFileName));
    expect(names.size).toBe(6);
  });

  test("FNV-1a: the published 32-bit test vectors", () => {
    expect(fnv1aHex("")).toBe("811c9dc5");
    expect(fnv1aHex("a")).toBe("e40c292c");
    expect(fnv1aHex("foobar")).toBe("bf9cf968");
  });

  test("a write leaves no temporary file and removes other bundles' caches a day old, not this bundle's or recent ones", () => {
    const dir = join(scratch, "writes");
    const now = Date.now();
    writeCacheFile(dir, "cli-aaaa-node-x64-0-run.bin", new Uint8Array([1]), "aaaa", now);
    for (const name of ["cli-old1-node-x64-0-run.bin", "cli-new1-node-x64-0-run.bin", "cli-aaaa-node-x64-0-help.bin", "other.txt"]) writeFileSync(join(dir, name), "x");
    const twoDaysAgo = (now - 2 * 24 * 3600 * 1000) / 1000;
    for (const name of ["cli-old1-node-x64-0-run.bin", "cli-aaaa-node-x64-0-help.bin", "other.txt"]) utimesSync(join(dir, name), twoDaysAgo, twoDaysAgo);
    writeCacheFile(dir, "cli-aaaa-node-x64-0-run.bin", new Uint8Array([2, 3]), "aaaa", now);
    expect(readdirSync(dir).sort()).toEqual(["cli-aaaa-node-x64-0-help.bin", "cli-aaaa-node-x64-0-run.bin", "cli-new1-node-x64-0-run.bin", "other.txt"]);
    expect([...readFileSync(join(dir, "cli-aaaa-node-x64-0-run.bin"))]).toEqual([2, 3]);
  });
});

const RUN = ["run", "cyclictest", "--set", "vms.0.vcpus=2", "--set", "duration=2ms", "--format", "json", "--no-wall-time"];

function bin(args: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, TSCSIM_WASM: "debug", TSCSIM_CODE_CACHE: "", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The bin's report of what it did with the cache (TSCSIM_CODE_CACHE_DEBUG=1), and the rest of stderr. */
function cacheReport(stderr: string): { report: string; rest: string } {
  const lines = stderr.split("\n");
  const i = lines.findIndex((l) => l.startsWith("tscsim: code cache "));
  if (i < 0) return { report: "", rest: stderr };
  const report = lines[i]!.replace(/ \(.*\)$/, "").replace("tscsim: code cache ", "");
  return { report, rest: [...lines.slice(0, i), ...lines.slice(i + 1)].join("\n") };
}

describe.skipIf(!built)("the bin with its code cache (after npm run build)", () => {
  const plain = built ? bin(RUN, { TSCSIM_CODE_CACHE: "off" }) : { code: 0, stdout: "", stderr: "" };
  /** The cache file the first test's command wrote (the corrupt cases start from it). */
  let written: { name: string; bytes: Buffer } | undefined;

  test("written by the first command, used by the second; the same output every time, and none without the debug variable", () => {
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe("");
    const xdg = join(scratch, "first-second");
    const env = { XDG_CACHE_HOME: xdg, TSCSIM_CODE_CACHE_DEBUG: "1" };
    const first = bin(RUN, env);
    expect(cacheReport(first.stderr)).toEqual({ report: "none, written", rest: "" });
    const files = readdirSync(join(xdg, "tscsim"));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^cli-[0-9a-f]{16}-node.*-run\.bin$/);
    written = { name: files[0]!, bytes: readFileSync(join(xdg, "tscsim", files[0]!)) };
    const second = bin(RUN, env);
    expect(cacheReport(second.stderr)).toEqual({ report: "accepted, kept", rest: "" });
    const quiet = bin(RUN, { XDG_CACHE_HOME: xdg });
    expect(quiet.stderr).toBe("");
    for (const r of [first, second, quiet]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
    }
  });

  test.each([
    ["garbage", (b: Buffer) => Buffer.from("not a V8 code cache")],
    ["a flipped byte", (b: Buffer) => Buffer.from(b.map((x, i) => (i === b.length >> 1 ? x ^ 1 : x)))],
    ["half the file", (b: Buffer) => b.subarray(0, b.length >> 1)],
  ])("a corrupt cache (%s) is refused and rewritten; the output is the same", (_what, corrupt) => {
    // The first test's cache, or (this test run alone) one made here.
    if (written === undefined) {
      const seed = join(scratch, "seed");
      bin(RUN, { XDG_CACHE_HOME: seed });
      const name = readdirSync(join(seed, "tscsim"))[0]!;
      written = { name, bytes: readFileSync(join(seed, "tscsim", name)) };
    }
    const xdg = join(scratch, `corrupt-${_what.replaceAll(" ", "-")}`);
    mkdirSync(join(xdg, "tscsim"), { recursive: true });
    const corrupted = corrupt(written!.bytes);
    writeFileSync(join(xdg, "tscsim", written!.name), corrupted);
    const refused = bin(RUN, { XDG_CACHE_HOME: xdg, TSCSIM_CODE_CACHE_DEBUG: "1" });
    expect(refused.code).toBe(0);
    expect(refused.stdout).toBe(plain.stdout);
    expect(cacheReport(refused.stderr)).toEqual({ report: "rejected, written", rest: "" });
    // Replaced by a new cache (the first test shows that such a file is accepted).
    expect(readFileSync(join(xdg, "tscsim", written!.name)).equals(corrupted)).toBe(false);
  });

  test("commands started together, each writing the cache: the same output, and a whole cache file after", async () => {
    const xdg = join(scratch, "together");
    const env = { ...process.env, TSCSIM_WASM: "debug", TSCSIM_CODE_CACHE: "", XDG_CACHE_HOME: xdg, TSCSIM_CODE_CACHE_DEBUG: "1" };
    const once = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...RUN], { cwd: root, env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    const runs = await Promise.all([once(), once()]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
      expect(cacheReport(r.stderr).rest).toBe("");
    }
    // No temporary file left behind, and the file in place is one V8 accepts.
    expect(readdirSync(join(xdg, "tscsim")).filter((f) => !f.endsWith(".bin"))).toEqual([]);
    expect(cacheReport(bin(RUN, { XDG_CACHE_HOME: xdg, TSCSIM_CODE_CACHE_DEBUG: "1" }).stderr).report).toBe("accepted, kept");
  });

  test("a cache directory that cannot be made: the command runs as without a cache", () => {
    const file = join(scratch, "a-file");
    writeFileSync(file, "");
    const r = bin(RUN, { XDG_CACHE_HOME: join(file, "cache"), TSCSIM_CODE_CACHE_DEBUG: "1" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    expect(cacheReport(r.stderr)).toEqual({ report: "none, failed", rest: "" });
  });

  test("turned off: no cache read or written", () => {
    const xdg = join(scratch, "off");
    const r = bin(RUN, { XDG_CACHE_HOME: xdg, TSCSIM_CODE_CACHE: "off", TSCSIM_CODE_CACHE_DEBUG: "1" });
    expect(r.stdout).toBe(plain.stdout);
    expect(cacheReport(r.stderr)).toEqual({ report: "off, not-written", rest: "" });
    expect(existsSync(xdg)).toBe(false);
  });

  test("a command that fails (a user error) writes no cache, and says the same as without one", () => {
    const xdg = join(scratch, "failing");
    const bad = ["run", "cyclictest", "--set", "vms.0.vcpus=0"];
    const withCache = bin(bad, { XDG_CACHE_HOME: xdg, TSCSIM_CODE_CACHE_DEBUG: "1" });
    const without = bin(bad, { TSCSIM_CODE_CACHE: "off" });
    expect(withCache.code).toBe(2);
    expect(cacheReport(withCache.stderr)).toEqual({ report: "none, not-written", rest: without.stderr });
    expect(withCache.stdout).toBe(without.stdout);
    expect(existsSync(join(xdg, "tscsim"))).toBe(false);
  });
});
