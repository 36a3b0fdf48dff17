// The worker pool (piscina over worker_threads). The worker entry: in the built package,
// the bundled worker dist/bundle/sweep-worker.cjs (scripts/bundle-cli.mjs: one file for a
// thread to load instead of ~150 modules), or dist/sweep/worker.js next to this module
// where there is no bundle (a build by tsc alone); worker.ts when tscsim runs from its
// TypeScript sources (tsx, vitest). A worker thread does not inherit the parent's
// TypeScript loader (vitest's is not even a Node loader), so from sources each worker
// registers tsx's ESM hooks itself before piscina imports worker.ts: `--import` of a
// data: URL that calls tsx's `register()` (on Node 20, `--import tsx` itself registers
// nothing in a worker thread). From dist/ the workers get the parent's execArgv
// unchanged (piscina's default) and tsx is not needed.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import type { SweepSpec } from "./file.js";
import type { LineDetail } from "./line.js";
import type { BatchTask, WorkerData } from "./worker.js";

const fromSources = import.meta.url.endsWith(".ts");

/** file: URL of tsx's ESM API (a data: URL can only import absolute URLs), from tsx's export map. */
function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { exports: Record<string, { import?: { default?: string } }> };
  const entry = pkg.exports["./esm/api"]?.import?.default;
  if (entry === undefined) throw new Error(`tscsim: cannot find tsx's ESM API in ${pkgFile} (needed to run sweep workers from TypeScript sources)`);
  return pathToFileURL(join(dirname(pkgFile), entry)).href;
}

/** The worker entry file and the execArgv its threads need. */
function workerEntry(): { filename: string; execArgv: string[] | undefined } {
  if (!fromSources) {
    const bundled = fileURLToPath(new URL("../bundle/sweep-worker.cjs", import.meta.url));
    return { filename: existsSync(bundled) ? bundled : fileURLToPath(new URL("./worker.js", import.meta.url)), execArgv: undefined };
  }
  return { filename: fileURLToPath(new URL("./worker.ts", import.meta.url)), execArgv: ["--import", `data:text/javascript,import{register}from${JSON.stringify(tsxEsmApiUrl())};register();`] };
}

/** What every worker of a sweep's pool is given once: the base scenario, `set`, and what each line keeps. */
export function workerDataOf(spec: SweepSpec, detail: LineDetail): WorkerData {
  return { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set.map(([p, v]) => [p, v]), detail };
}

/** Tasks are batches of runs (batch.ts); the reply is the number of runs done. */
export type SweepPool = Piscina<BatchTask, number>;

export function createPool(workers: number, data: WorkerData): SweepPool {
  const { filename, execArgv } = workerEntry();
  return new Piscina<BatchTask, number>({
    filename,
    minThreads: workers,
    maxThreads: workers,
    // One simulation at a time per worker: the simulator's state lives in the worker's
    // wasm memory.
    concurrentTasksPerWorker: 1,
    // Workers stay up for the whole sweep (a worker's start-up loads and compiles wasm).
    idleTimeout: 60_000,
    workerData: data,
    ...(execArgv !== undefined ? { execArgv } : {}),
  });
}

/**
 * Resolves once every worker has loaded worker.ts and its wasm (worker.ts's `ping`);
 * rejects with why one cannot. One ping per worker, all at once: piscina hands each to a
 * different thread (one task per thread), so the threads load in parallel and each is
 * checked. (A sweep starts its runs sooner, when the first is up: startPool's firstReady.)
 */
export async function startWorkers(pool: SweepPool, workers: number): Promise<void> {
  await Promise.all(pings(pool, workers));
}

/** One ping per worker (startWorkers): piscina gives each to a different thread. */
function pings(pool: SweepPool, workers: number): Promise<unknown>[] {
  return Array.from({ length: workers }, () => (pool as Piscina).run(null, { name: "ping" }));
}

/**
 * A pool whose workers are loading while the main thread does something else (runner.ts
 * validates the grid meanwhile): then either taken by the sweep (`ready` awaited) or
 * discarded. Nothing is sent to a worker until the sweep takes the pool, so a discarded
 * pool has written nothing (a worker writes its code cache only after a batch).
 */
export interface StartingPool {
  readonly pool: SweepPool;
  readonly workers: number;
  /** Resolves once every worker is up (startWorkers); rejects with why one cannot start. */
  readonly ready: Promise<void>;
  /**
   * Resolves once one worker is up; rejects when none can start (with the first worker's
   * error). A sweep starts its runs then: each task goes to its own thread, so a worker
   * that is up does not wait for the others to load (they share the CPUs with this
   * thread's grid validation, and this VM's two CPUs differ in speed).
   */
  readonly firstReady: Promise<void>;
  /** Errors outside any task (piscina replaces the worker); set by whoever takes the pool. */
  onError: (err: Error) => void;
  /** Set by whoever takes the pool: `discard` then leaves it alone. */
  taken: boolean;
  /** Ends an untaken pool (once, however often called), when its workers are up or have failed to start (Node can abort the process when a thread is terminated while it loads its code). */
  discard(): Promise<void>;
}

export function startPool(workers: number, data: WorkerData): StartingPool {
  const pool = createPool(workers, data);
  const each = pings(pool, workers);
  const ready = Promise.all(each).then(() => {});
  const firstReady = Promise.any(each).then(
    () => {},
    (err: unknown) => {
      throw err instanceof AggregateError ? err.errors[0] : err;
    },
  );
  // Awaited by the sweep that takes the pool; a discarded pool's failure is of no interest.
  ready.catch(() => {});
  firstReady.catch(() => {});
  let discarded: Promise<void> | undefined;
  const starting: StartingPool = {
    pool,
    workers,
    ready,
    firstReady,
    onError: () => {},
    taken: false,
    discard() {
      if (starting.taken) return Promise.resolve();
      discarded ??= ready.catch(() => {}).then(() => pool.destroy());
      return discarded;
    },
  };
  // Registered at once: an 'error' event without a listener would throw.
  pool.on("error", (err: Error) => starting.onError(err));
  return starting;
}
