// The sweep worker's V8 code cache (src/sweep/worker-code-cache.ts) and the workers that
// start loading while the grid is validated (src/sweep/runner.ts, pool.ts's startPool):
//  - the cache file's own check (a CRC-32 ahead of V8's bytes) and its name;
//  - loadWorkerBundle on a small CommonJS bundle of the test's own: written after a miss,
//    taken by the next load, refused silently when corrupt or when V8 refuses it, and
//    neither read nor written with TSCSIM_CODE_CACHE=off;
//  - the built bin (after `npm run build`): its workers write the cache, the next sweep's
//    workers take it, a corrupt one is refused and rewritten, and none of it changes a line;
//  - an invalid grid, with the workers started early, fails with the same message and exit
//    code as a sweep that starts none early (--resume), writes no results file and no
//    worker writes anything.
// Every cache here lives in a scratch directory (XDG_CACHE_HOME), never the user's.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { writeCacheFile } from "../src/cli/code-cache.js";
import { canCheckCache, loadWorkerBundle, sealCache, unsealCache, workerCacheFileName } from "../src/sweep/worker-code-cache.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "tscsim-worker-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the cache file", () => {
  const v8Bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff));

  test.runIf(canCheckCache)("sealed and unsealed: the same bytes; any change, a cut or another header is refused", () => {
    const sealed = sealCache(v8Bytes);
    expect(unsealCache(sealed)?.equals(v8Bytes)).toBe(true);
    for (const at of [0, 40, sealed.length >> 1, sealed.length - 1]) {
      const flipped = Buffer.from(sealed);
      flipped[at]! ^= 0x10;
      expect(unsealCache(flipped), `byte ${at}`).toBeNull();
    }
    expect(unsealCache(sealed.subarray(0, sealed.length - 1))).toBeNull();
    expect(unsealCache(sealed.subarray(0, 10))).toBeNull();
    expect(unsealCache(Buffer.from("not a cache"))).toBeNull();
    expect(unsealCache(Buffer.alloc(0))).toBeNull();
  });

  test("named after the bundle hash, Node's version, the architecture and the flags; its own family", () => {
    const name = workerCacheFileName("0123456789abcdef", "v20.20.2", "x64", "");
    expect(name).toMatch(/^sweep-worker-0123456789abcdef-node20\.20\.2-x64-811c9dc5\.bin$/);
    const names = new Set([
      name,
      workerCacheFileName("fedcba9876543210", "v20.20.2", "x64", ""),
      workerCacheFileName("0123456789abcdef", "v22.1.0", "x64", ""),
      workerCacheFileName("0123456789abcdef", "v20.20.2", "arm64", ""),
      workerCacheFileName("0123456789abcdef", "v20.20.2", "x64", "--max-old-space-size=100"),
    ]);
    expect(names.size).toBe(5);
  });

  test("a worker's write removes only stale worker caches of other bundles, never the CLI's, and leaves no temporary file", () => {
    const dir = join(scratch, "families");
    mkdirSync(dir, { recursive: true });
    const old = ["sweep-worker-old1-node-x64-0.bin", "cli-old1-node-x64-0-run.bin", "cli-aaaa-node-x64-0-run.bin"];
    for (const f of old) writeFileSync(join(dir, f), "x");
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    for (const f of old) utimesSync(join(dir, f), twoDaysAgo, twoDaysAgo);
    writeCacheFile(dir, "sweep-worker-aaaa-node-x64-0.bin", new Uint8Array([1, 2]), "aaaa", Date.now(), { prefix: "sweep-worker-", tmpTag: "7" });
    expect(readdirSync(dir).sort()).toEqual(["cli-aaaa-node-x64-0-run.bin", "cli-old1-node-x64-0-run.bin", "sweep-worker-aaaa-node-x64-0.bin"]);
    // And the CLI's write leaves the worker's cache alone.
    writeCacheFile(dir, "cli-bbbb-node-x64-0-run.bin", new Uint8Array([3]), "bbbb", Date.now());
    expect(readdirSync(dir).sort()).toEqual(["cli-bbbb-node-x64-0-run.bin", "sweep-worker-aaaa-node-x64-0.bin"]);
  });
});

describe.runIf(canCheckCache)("loadWorkerBundle on a small bundle", () => {
  const bundleDir = join(scratch, "bundle");
  mkdirSync(bundleDir, { recursive: true });
  const bundle = join(bundleDir, "worker-code.cjs");
  // Enough functions for V8 to have bytecode to cache; exports as a bundle's are.
  writeFileSync(bundle, `"use strict";\n${Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i + 1} + ${i}; }`).join("\n")}\nexports.total = (x) => ${Array.from({ length: 50 }, (_, i) => `f${i}(x)`).join(" + ")};\nexports.ping = () => true;\n`);
  const expected = Array.from({ length: 50 }, (_, i) => 3 * (i + 1) + i).reduce((a, b) => a + b, 0);
  const xdg = join(scratch, "xdg-small");
  const env = { XDG_CACHE_HOME: xdg };
  const files = (): string[] => (existsSync(join(xdg, "tscsim")) ? readdirSync(join(xdg, "tscsim")) : []);

  // V8 keeps what one isolate compiled (its compilation cache, keyed on the source), so
  // within this process a second load of the same source takes that and never looks at
  // the file: "accepted" here says the file passed its own check and V8 did not refuse it.
  // The bin's tests below load the cache in new worker threads, where V8 must take it.
  test("none, written; then accepted, kept; the exports the same every time", () => {
    const first = loadWorkerBundle(bundle, "00000000000000aa", env);
    expect(first.read).toBe("none");
    expect((first.exports.total as (x: number) => number)(3)).toBe(expected);
    expect(first.save()).toBe("written");
    expect(first.save()).toBe("written"); // once
    expect(files()).toEqual([expect.stringMatching(/^sweep-worker-00000000000000aa-node.*\.bin$/)]);
    const second = loadWorkerBundle(bundle, "00000000000000aa", env);
    expect(second.read).toBe("accepted");
    expect((second.exports.total as (x: number) => number)(3)).toBe(expected);
    expect(second.save()).toBe("kept");
  });

  test.each([
    ["a flipped byte", (b: Buffer) => Buffer.from(b.map((x, i) => (i === b.length - 5 ? x ^ 1 : x)))],
    ["half the file", (b: Buffer) => b.subarray(0, b.length >> 1)],
    ["garbage", () => Buffer.from("not a code cache at all")],
  ])("a corrupt cache (%s) is refused silently, the bundle runs, and the cache is written again", (_what, corrupt) => {
    const dir = join(xdg, "tscsim");
    loadWorkerBundle(bundle, "00000000000000aa", env).save();
    const [name] = files();
    const good = readFileSync(join(dir, name!));
    writeFileSync(join(dir, name!), corrupt(good));
    const loaded = loadWorkerBundle(bundle, "00000000000000aa", env);
    expect(loaded.read).toBe("rejected");
    expect((loaded.exports.total as (x: number) => number)(3)).toBe(expected);
    expect(loaded.save()).toBe("written");
    expect(loadWorkerBundle(bundle, "00000000000000aa", env).read).toBe("accepted");
  });

  test("a cache intact by its own check that V8 refuses (made for another script) is refused silently and written again", () => {
    // A bundle this process has never compiled (see above), so that V8 reads the file.
    const fresh = join(bundleDir, "fresh.cjs");
    writeFileSync(fresh, `${readFileSync(bundle, "utf8")}exports.fresh = () => ${Date.now()};\n`);
    const other = join(bundleDir, "other.cjs");
    writeFileSync(other, "exports.total = (x) => x + 1; exports.ping = () => true;\n");
    const otherXdg = join(scratch, "xdg-other");
    loadWorkerBundle(other, "00000000000000bb", { XDG_CACHE_HOME: otherXdg }).save();
    const [otherName] = readdirSync(join(otherXdg, "tscsim"));
    const freshXdg = join(scratch, "xdg-fresh");
    mkdirSync(join(freshXdg, "tscsim"), { recursive: true });
    // The file name the load below looks for: NODE_OPTIONS from the env it is given (none),
    // not this process's (the test run sets one: test/global-setup.ts).
    const freshEnv: { XDG_CACHE_HOME: string; NODE_OPTIONS?: string } = { XDG_CACHE_HOME: freshXdg };
    const name = workerCacheFileName("00000000000000bb", process.version, process.arch, `${process.execArgv.join("\0")}\0${freshEnv.NODE_OPTIONS ?? ""}`);
    writeFileSync(join(freshXdg, "tscsim", name), readFileSync(join(otherXdg, "tscsim", otherName!)));
    const loaded = loadWorkerBundle(fresh, "00000000000000bb", freshEnv);
    expect(loaded.read).toBe("rejected");
    expect((loaded.exports.total as (x: number) => number)(3)).toBe(expected);
    expect(loaded.save()).toBe("written");
  });

  test("TSCSIM_CODE_CACHE=off: nothing read, nothing written", () => {
    const offXdg = join(scratch, "xdg-off");
    const loaded = loadWorkerBundle(bundle, "00000000000000aa", { XDG_CACHE_HOME: offXdg, TSCSIM_CODE_CACHE: "off" });
    expect(loaded.read).toBe("off");
    expect((loaded.exports.total as (x: number) => number)(3)).toBe(expected);
    expect(loaded.save()).toBe("not-written");
    expect(existsSync(offXdg)).toBe(false);
  });

  test("no bundle hash (a build without one): no cache", () => {
    const loaded = loadWorkerBundle(bundle, null, env);
    expect(loaded.read).toBe("off");
    expect(loaded.save()).toBe("not-written");
  });

  test("an unwritable cache directory: the write fails silently", () => {
    const blocked = join(scratch, "blocked");
    writeFileSync(blocked, "a file where the directory would be");
    const loaded = loadWorkerBundle(bundle, "00000000000000aa", { XDG_CACHE_HOME: blocked });
    expect(loaded.read).toBe("none");
    expect(loaded.save()).toBe("failed");
  });
});

// The built bin, as a user runs it.
const BIN = "dist/bundle/tscsim.cjs";
const built = existsSync(join(root, BIN)) && existsSync(join(root, "dist/bundle/sweep-worker.cjs")) && existsSync(join(root, "dist/bundle/sweep-worker-code.cjs"));

function bin(args: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, BIN), ...args], { cwd: scratch, encoding: "utf8", env: { ...process.env, TSCSIM_WASM: "debug", TSCSIM_CODE_CACHE: "", TSCSIM_CODE_CACHE_DEBUG: "", TSCSIM_SWEEP_TIMING: "", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The worker cache's debug lines, in order (two workers' lines interleave: sorted). */
function workerReports(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("tscsim: sweep worker code cache "))
    .map((l) => l.replace("tscsim: sweep worker code cache ", ""))
    .sort();
}

const noWall = (l: string): string => l.replace(/,"wallMs":[0-9.e+-]+}$/, "}");
function sortedLines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map(noWall).sort();
}

describe.skipIf(!built || !canCheckCache)("the bin's sweep workers with their code cache (after npm run build)", () => {
  const sweep = join(scratch, "sweep.json");
  writeFileSync(sweep, JSON.stringify({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1 }, axes: { "kvm.timerAdvance": [0, 1000], "kvm.era": ["v5.1", "v5.4"] }, seeds: 1 }));
  const xdg = join(scratch, "xdg-bin");
  const env = { XDG_CACHE_HOME: xdg, TSCSIM_CODE_CACHE_DEBUG: "1" };
  let n = 0;
  const sweepOnce = (extra: Record<string, string> = {}): { r: ReturnType<typeof bin>; lines: string[] } => {
    const out = join(scratch, `bin-${n++}.jsonl`);
    const r = bin(["sweep", sweep, "--out", out, "--workers", "2", "--no-progress"], { ...env, ...extra });
    expect(r.code, r.stderr).toBe(0);
    return { r, lines: sortedLines(out) };
  };
  const workerCaches = (): string[] => readdirSync(join(xdg, "tscsim")).filter((f) => f.startsWith("sweep-worker-"));

  test("the first sweep's workers write it, the next sweep's take it; a corrupt one is refused and rewritten; the lines never change", () => {
    const off = sweepOnce({ TSCSIM_CODE_CACHE: "off" });
    expect(workerReports(off.r.stderr)).toEqual(["off", "off"]);
    expect(existsSync(xdg)).toBe(false);

    const first = sweepOnce();
    expect(workerReports(first.r.stderr)).toEqual(["none", "none", "written", "written"]);
    expect(workerCaches()).toEqual([expect.stringMatching(/^sweep-worker-[0-9a-f]{16}-node.*\.bin$/)]);

    const second = sweepOnce();
    expect(workerReports(second.r.stderr)).toEqual(["accepted", "accepted"]);

    const [name] = workerCaches();
    const file = join(xdg, "tscsim", name!);
    const good = readFileSync(file);
    writeFileSync(file, Buffer.from(good.map((x, i) => (i === good.length >> 1 ? x ^ 0x40 : x))));
    const corrupt = sweepOnce();
    expect(workerReports(corrupt.r.stderr)).toEqual(["rejected", "rejected", "written", "written"]);
    expect(workerReports(sweepOnce().r.stderr)).toEqual(["accepted", "accepted"]);

    for (const s of [first, second, corrupt]) expect(s.lines).toEqual(off.lines);
    expect(off.lines).toHaveLength(4);
  });

  test("without the debug variable the workers say nothing", () => {
    const out = join(scratch, "quiet.jsonl");
    const r = bin(["sweep", sweep, "--out", out, "--workers", "2", "--no-progress"], { XDG_CACHE_HOME: xdg });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sweep: 4 runs done .*\n$/);
  });
});

describe.skipIf(!built)("an invalid grid while the workers start early (the bin)", () => {
  const bad = join(scratch, "bad.json");
  writeFileSync(bad, JSON.stringify({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": [0, -5, 1000] }, seeds: [1, 2] }));

  test("the same message and exit code as with no early start, no results file, and nothing written by a worker", () => {
    const xdg = join(scratch, "xdg-invalid");
    const out = join(scratch, "invalid.jsonl");
    // A new results file: the workers start while the grid is validated (the timing lines say so).
    const early = bin(["sweep", bad, "--out", out, "--workers", "2"], { XDG_CACHE_HOME: xdg, TSCSIM_SWEEP_TIMING: "1" });
    const steps = early.stderr.split("\n").filter((l) => l.startsWith("tscsim: sweep timing "));
    expect(steps.some((l) => l.endsWith(" pool created early"))).toBe(true);
    expect(steps.some((l) => l.endsWith(" grid validated"))).toBe(false);
    // --resume of a file that does not exist yet: the workers would start after validation.
    const late = bin(["sweep", bad, "--out", out, "--workers", "2", "--resume"], { XDG_CACHE_HOME: xdg });
    expect(early.code).toBe(2);
    expect(late.code).toBe(2);
    // What TSCSIM_SWEEP_TIMING=1 adds: the timing stamps and each worker's thread.
    const message = early.stderr
      .split("\n")
      .filter((l) => !l.startsWith("tscsim: sweep timing ") && !/^tscsim: sweep worker thread \d+$/.test(l))
      .join("\n");
    expect(message).toBe(late.stderr);
    expect(message).toMatch(/^tscsim: invalid sweep \(.*bad\.json\): 2 of 6 runs \(1 of 3 parameter combinations\) have invalid scenarios; nothing was run\n {2}kvm\.timerAdvance=-5 \(seeds 1, 2\): kvm\.timerAdvance = -5: allowed .*\n$/);
    expect(readdirSync(scratch).filter((f) => f.startsWith("invalid.jsonl"))).toEqual([]);
    // The main thread's own code cache is written only by a command that succeeds; a
    // worker's, only after a batch of runs: none here.
    expect(existsSync(join(xdg, "tscsim")) ? readdirSync(join(xdg, "tscsim")) : []).toEqual([]);
  });
});

describe.skipIf(!built)("TSCSIM_SWEEP_TIMING=1 (the bin): the stamps bench/sweep.bench.ts times a sweep by", () => {
  test("each line gives ms since the process started and the same instant in epoch ms; first and last line written, later the process's CPU", () => {
    const grid = join(scratch, "timing.json");
    writeFileSync(grid, JSON.stringify({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": [0, 1000] }, seeds: [1, 2] }));
    const before = Date.now();
    const r = bin(["sweep", grid, "--out", join(scratch, "timing.jsonl"), "--workers", "1"], { XDG_CACHE_HOME: join(scratch, "xdg-timing"), TSCSIM_SWEEP_TIMING: "1" });
    const after = Date.now();
    expect(r.code).toBe(0);
    const stamps = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("tscsim: sweep timing "))
      .map((l) => {
        const m = /^tscsim: sweep timing (\d+\.\d) ms \((\d+\.\d) epoch ms\) (.+)$/.exec(l);
        expect(m, l).not.toBeNull();
        return { ms: Number(m![1]), epochMs: Number(m![2]), step: m![3]! };
      });
    const steps = stamps.map((s) => s.step);
    const first = steps.indexOf("first line written");
    const last = steps.indexOf("last line written");
    expect(first).toBeGreaterThan(0);
    expect(last).toBeGreaterThan(first);
    expect(steps.findIndex((s) => /^process CPU \d+\.\d ms$/.test(s))).toBeGreaterThan(last);
    for (let i = 1; i < stamps.length; i++) {
      // One clock: the epoch form moves with the process's own (to the printed 0.1 ms).
      expect(stamps[i]!.ms).toBeGreaterThanOrEqual(stamps[i - 1]!.ms);
      expect(Math.abs(stamps[i]!.epochMs - stamps[i - 1]!.epochMs - (stamps[i]!.ms - stamps[i - 1]!.ms))).toBeLessThan(0.25);
    }
    // The one worker says which OS thread it is (the bench pins it to a CPU by that id).
    const threads = r.stderr.split("\n").flatMap((l) => /^tscsim: sweep worker thread (\d+)$/.exec(l)?.[1] ?? []);
    if (process.platform === "linux") {
      expect(threads).toHaveLength(1);
      expect(Number(threads[0])).toBeGreaterThan(0);
    }
    // The epoch form is this machine's clock (the bench compares it with its own).
    expect(stamps[0]!.epochMs).toBeGreaterThanOrEqual(before - 1);
    expect(stamps.at(-1)!.epochMs).toBeLessThanOrEqual(after + 1);
  });
});
