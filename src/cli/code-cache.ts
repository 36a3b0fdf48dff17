// Runs the CLI bundle (dist/bundle/cli.cjs, one CommonJS file) through node:vm with a
// V8 code cache, so that a command does not parse and compile the same JavaScript again
// every time it starts. Node 20 has no module compile cache (`module.enableCompileCache`
// arrived in Node 22.1); `vm.Script` takes `cachedData` and hands it out again with
// `createCachedData()`. The cache is made when the command has finished (at 'exit'), so it
// holds the bytecode of every function the command ran, not only the top level that a
// cache made at compile time (v8-compile-cache's way) holds. docs/performance.md has the
// figures.
//
// The cache lives in $XDG_CACHE_HOME/tscsim or ~/.cache/tscsim, one file per command
// (`run`, `compare`, ...: each compiles different functions), keyed on the bundle's
// content hash, Node's version, the CPU architecture and the flags Node was started with
// (V8 refuses a cache made under other flags). Anything that goes wrong (no home, a
// read-only or missing directory, a corrupt or refused cache file, a failed write) leaves
// the command compiling its code as it would without a cache: the cache never changes
// what a command prints. TSCSIM_CODE_CACHE=off turns it off.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { Script } from "node:vm";

/** What became of the cache file when the command started. */
export type CacheRead = "accepted" | "rejected" | "none" | "off";
/** What became of the cache at exit: written after a miss, kept after a hit, or not. */
export type CacheWrite = "written" | "kept" | "failed" | "not-written";

export interface CodeCacheEnv {
  readonly TSCSIM_CODE_CACHE?: string | undefined;
  readonly TSCSIM_CODE_CACHE_DEBUG?: string | undefined;
  readonly XDG_CACHE_HOME?: string | undefined;
  readonly NODE_OPTIONS?: string | undefined;
}

const OFF_VALUES = new Set(["off", "0", "false", "no"]);

/** Where tscsim keeps its code caches, or null when TSCSIM_CODE_CACHE turns them off or there is no home. */
export function codeCacheDir(env: CodeCacheEnv, home: string): string | null {
  if (env.TSCSIM_CODE_CACHE !== undefined && OFF_VALUES.has(env.TSCSIM_CODE_CACHE.toLowerCase())) return null;
  // The XDG base directory spec: a relative $XDG_CACHE_HOME is invalid and is ignored.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== "" && isAbsolute(xdg)) return join(xdg, "tscsim");
  return home === "" ? null : join(home, ".cache", "tscsim");
}

/**
 * The cache's name for a command line: the command (`run`, `compare`, ...), "help" when
 * help is asked for (a command's help compiles none of what the command runs), or "main"
 * (no command, --version, an option first). A word that is no command fails with exit 2
 * and writes no cache (see runWithCodeCache).
 */
export function cacheCommand(argv: readonly string[]): string {
  if (argv.includes("--help") || argv.includes("-h") || argv[0] === "help") return "help";
  const first = argv[0];
  return first !== undefined && /^[a-z]{1,24}$/.test(first) ? first : "main";
}

/** FNV-1a (32-bit) as 8 hex digits: a short, stable name for the flags a process runs under. */
export function fnv1aHex(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export interface CacheKey {
  /** The bundle's content hash (scripts/bundle-cli.mjs computes it). */
  readonly bundleHash: string;
  readonly command: string;
  readonly nodeVersion: string;
  readonly arch: string;
  /** Node's and V8's command-line flags (execArgv and NODE_OPTIONS). */
  readonly flags: string;
}

export function cacheFileName(key: CacheKey): string {
  return `cli-${key.bundleHash}-node${key.nodeVersion.replace(/^v/, "")}-${key.arch}-${fnv1aHex(key.flags)}-${key.command}.bin`;
}

const STALE_AFTER_MS = 24 * 3600 * 1000;

/**
 * Which caches a writer looks after: the CLI's files (`cli-`) or the sweep worker's
 * (`sweep-worker-`, src/sweep/worker-code-cache.ts). Each bundle has its own hash, so each
 * removes only stale files of its own family, never the other's current one.
 */
export interface CacheFamily {
  readonly prefix: string;
  /** Added to the temporary file's name (a worker thread's id), when the process has several writers. */
  readonly tmpTag?: string;
}
const CLI_FAMILY: CacheFamily = { prefix: "cli-" };

/**
 * Writes the cache atomically (a file of its own, then rename), so that concurrent
 * commands never read half a file; and removes other bundles' caches a day old (an
 * upgrade or a rebuild leaves them behind; a second installation in use keeps its own).
 */
export function writeCacheFile(dir: string, name: string, data: Uint8Array, bundleHash: string, nowMs: number, family: CacheFamily = CLI_FAMILY): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, name);
  // The sweep's worker threads write from one process: the thread makes the name unique.
  const tmp = `${file}.${process.pid}${family.tmpTag === undefined ? "" : `.${family.tmpTag}`}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  for (const other of readdirSync(dir)) {
    if (!other.startsWith(family.prefix) || other.startsWith(`${family.prefix}${bundleHash}-`)) continue;
    try {
      const path = join(dir, other);
      if (nowMs - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { force: true });
    } catch {
      // Another command removed it first, or it is not ours to remove.
    }
  }
}

export interface CodeCacheRun {
  /** The cache file, or null when off. */
  readonly file: string | null;
  readonly read: CacheRead;
  /** Set at exit. */
  write: CacheWrite;
}

// V8 checks a code cache's checksum only under --verify-snapshot-checksum (on in V8's
// debug builds only): without it, a corrupt file is deserialised as it is and can abort
// the process. The flag is on while the bundle compiles against the cache and while the
// cache is made (so that it carries a checksum), and off again between: V8 checks Node's
// own built-in modules' code caches against its flags too, and refuses them while the
// flag differs (about 40 M instructions of compiling them again).
const CHECKSUM_FLAG = "--verify-snapshot-checksum";
function withChecksums<T>(f: () => T): T {
  const already = process.execArgv.includes(CHECKSUM_FLAG) || (process.env.NODE_OPTIONS ?? "").includes(CHECKSUM_FLAG);
  if (already) return f();
  setFlagsFromString(CHECKSUM_FLAG);
  try {
    return f();
  } finally {
    setFlagsFromString("--no-verify-snapshot-checksum");
  }
}

// The CommonJS wrapper, on a line of its own so that the bundle's lines keep their numbers.
const WRAP_HEAD = "(function (exports, require, module, __filename, __dirname) {\n";
const WRAP_TAIL = "\n})";

/**
 * The CommonJS bundle at `bundlePath`, compiled in its wrapper with `cachedData` (a V8
 * code cache) when there is one. esbuild writes ASCII (it escapes the rest), so latin1
 * reads the same string without UTF-8 decoding (about 10 M instructions for ~0.5 MB).
 */
export function compileBundle(bundlePath: string, cachedData: Buffer | undefined): Script {
  const source = readFileSync(bundlePath, "latin1");
  return new Script(WRAP_HEAD + source + WRAP_TAIL, { filename: bundlePath, lineOffset: -1, ...(cachedData === undefined ? {} : { cachedData }) });
}

/** Runs a bundle compileBundle compiled, as Node runs a CommonJS module; returns its module.exports. */
export function runBundle(script: Script, bundlePath: string): Record<string, unknown> {
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;
  const module = { exports: {} as Record<string, unknown> };
  wrapper.call(module.exports, module.exports, createRequire(bundlePath), module, bundlePath, dirname(bundlePath));
  return module.exports;
}

/**
 * Compiles and runs the CommonJS bundle at `bundlePath` with the code cache `key`
 * names. Returns at once (the CLI carries on asynchronously); the cache is written at
 * exit after a miss, when the command succeeded (a failed command ran too little of
 * itself to be worth keeping).
 */
export function runWithCodeCache(bundlePath: string, bundleHash: string | null, argv: readonly string[], env: CodeCacheEnv): CodeCacheRun {
  const dir = bundleHash === null ? null : codeCacheDir(env, safeHome());
  const key: CacheKey | null =
    dir === null || bundleHash === null
      ? null
      : { bundleHash, command: cacheCommand(argv), nodeVersion: process.version, arch: process.arch, flags: `${process.execArgv.join("\0")}\0${env.NODE_OPTIONS ?? ""}` };
  const file = dir === null || key === null ? null : join(dir, cacheFileName(key));
  let cachedData: Buffer | undefined;
  if (file !== null) {
    try {
      cachedData = readFileSync(file);
    } catch {
      cachedData = undefined;
    }
  }
  const script = withChecksums(() => compileBundle(bundlePath, cachedData));
  const read: CacheRead = file === null ? "off" : cachedData === undefined ? "none" : script.cachedDataRejected === true ? "rejected" : "accepted";
  const run: CodeCacheRun = { file, read, write: read === "accepted" ? "kept" : "not-written" };
  if (dir !== null && key !== null && read !== "accepted" && read !== "off") {
    process.once("exit", (code) => {
      if (code !== 0) return;
      try {
        writeCacheFile(dir, cacheFileName(key), withChecksums(() => script.createCachedData()), key.bundleHash, Date.now());
        run.write = "written";
      } catch {
        run.write = "failed";
      }
    });
  }
  if (env.TSCSIM_CODE_CACHE_DEBUG === "1") {
    // Registered after the writer, so it reports what the writer did.
    process.once("exit", () => process.stderr.write(`tscsim: code cache ${run.read}, ${run.write}${file === null ? "" : ` (${file})`}\n`));
  }
  runBundle(script, bundlePath);
  return run;
}

export function safeHome(): string {
  try {
    return homedir();
  } catch {
    return "";
  }
}
