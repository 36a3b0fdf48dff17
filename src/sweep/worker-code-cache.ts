// The sweep worker's V8 code cache: what src/cli/code-cache.ts does for the CLI, for the
// bundled pool worker (dist/bundle/sweep-worker-code.cjs, scripts/bundle-cli.mjs). Every
// worker thread of every sweep used to parse and compile the same ~0.25 MB of JavaScript,
// and compile lazily, on its first run, every function a run calls; with the cache V8
// takes their bytecode as it is (docs/performance.md, "What a sweep pays once").
//
// Same place ($XDG_CACHE_HOME/tscsim or ~/.cache/tscsim), same switch
// (TSCSIM_CODE_CACHE=off), same key (the bundle's content hash, Node's version, the CPU
// architecture, Node's flags), same rule: anything that goes wrong leaves the worker
// compiling its code as it would without a cache, and nothing a sweep writes changes.
// Two differences, because workers are threads of one process:
//  - The CLI has V8 check its cache's checksum by turning on --verify-snapshot-checksum
//    while it compiles; V8's flags belong to the process, and a worker turning them on and
//    off would do it under the other workers' feet. The file carries a CRC-32 of the
//    cache instead (node:zlib's, which a sweep worker loads anyway to compress its
//    histograms), checked before V8 sees a byte of it: ~0.2 M instructions for the ~0.5 MB
//    cache, where a SHA-256 (node:crypto) took 17 M. A Node without zlib.crc32 (before
//    20.15) runs the worker without a cache.
//  - A worker is ended by the pool (terminated), not by exiting, so it cannot write its
//    cache at exit: it writes it when its first batch of runs has returned (the bytecode
//    of everything a run calls is in it by then), once, and only after a miss.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import * as zlib from "node:zlib";
import { codeCacheDir, compileBundle, fnv1aHex, runBundle, safeHome, writeCacheFile, type CacheRead, type CacheWrite, type CodeCacheEnv } from "../cli/code-cache.js";

const PREFIX = "sweep-worker-";
/** A cache file: this line, the CRC-32 of the V8 cache (4 bytes, big-endian), then the V8 cache. */
const MAGIC = Buffer.from("tscsim sweep-worker code cache 1\n", "latin1");
const DIGEST_BYTES = 4;
/** zlib.crc32 arrived in Node 20.15 and 22.2; @types/node may predate it. */
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
/** Whether this Node can check a cache file (without it, no cache). */
export const canCheckCache = typeof crc32 === "function";

export function workerCacheFileName(bundleHash: string, nodeVersion: string, arch: string, flags: string): string {
  return `${PREFIX}${bundleHash}-node${nodeVersion.replace(/^v/, "")}-${arch}-${fnv1aHex(flags)}.bin`;
}

function digest(data: Uint8Array): Buffer {
  const d = Buffer.alloc(DIGEST_BYTES);
  d.writeUInt32BE(crc32!(data) >>> 0);
  return d;
}

/** The cache file's bytes for a V8 cache. */
export function sealCache(v8Cache: Uint8Array): Buffer {
  return Buffer.concat([MAGIC, digest(v8Cache), v8Cache]);
}

/** The V8 cache a file holds, or null when it is not one of ours whole (wrong header, cut short, a changed byte). */
export function unsealCache(file: Buffer): Buffer | null {
  const head = MAGIC.length + DIGEST_BYTES;
  if (file.length <= head || !file.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const v8Cache = file.subarray(head);
  return digest(v8Cache).equals(file.subarray(MAGIC.length, head)) ? v8Cache : null;
}

export interface LoadedWorker {
  /** The bundle's module.exports. */
  readonly exports: Record<string, unknown>;
  readonly read: CacheRead;
  /** Writes the cache after a miss (once; later calls do nothing); says what became of it. */
  save(): CacheWrite;
}

/**
 * Compiles and runs the worker bundle (a CommonJS file) with its code cache; returns what
 * the bundle exports. `bundleHash` null (no build hash) or no zlib.crc32: no cache.
 */
export function loadWorkerBundle(bundlePath: string, bundleHash: string | null, env: CodeCacheEnv): LoadedWorker {
  const dir = bundleHash === null || !canCheckCache ? null : codeCacheDir(env, safeHome());
  const name = dir === null || bundleHash === null ? null : workerCacheFileName(bundleHash, process.version, process.arch, `${process.execArgv.join("\0")}\0${env.NODE_OPTIONS ?? ""}`);
  let cachedData: Buffer | undefined;
  let corrupt = false;
  if (dir !== null && name !== null) {
    try {
      const sealed = unsealCache(readFileSync(join(dir, name)));
      corrupt = sealed === null;
      cachedData = sealed ?? undefined;
    } catch {
      cachedData = undefined;
    }
  }
  const script = compileBundle(bundlePath, cachedData);
  const read: CacheRead = name === null ? "off" : corrupt || script.cachedDataRejected === true ? "rejected" : cachedData === undefined ? "none" : "accepted";
  const debug = env.TSCSIM_CODE_CACHE_DEBUG === "1";
  if (debug) process.stderr.write(`tscsim: sweep worker code cache ${read}\n`);
  let write: CacheWrite = read === "accepted" ? "kept" : "not-written";
  const save = (): CacheWrite => {
    if (dir === null || name === null || bundleHash === null || write !== "not-written") return write;
    try {
      writeCacheFile(dir, name, sealCache(script.createCachedData()), bundleHash, Date.now(), { prefix: PREFIX, tmpTag: String(threadId) });
      write = "written";
    } catch {
      write = "failed";
    }
    if (debug) process.stderr.write(`tscsim: sweep worker code cache ${write}\n`);
    return write;
  };
  return { exports: runBundle(script, bundlePath), read, save };
}
