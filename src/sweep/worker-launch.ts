// The sweep's pool worker as built (dist/bundle/sweep-worker.cjs, scripts/bundle-cli.mjs):
// runs the worker's bundle beside it, dist/bundle/sweep-worker-code.cjs (worker.ts and
// what it imports, one CommonJS file), with a V8 code cache (worker-code-cache.ts), and
// hands piscina the same exports worker.ts has. Meant to run only as built, beside the
// bundle: the build fills in the bundle's content hash (without one, no cache).
// CommonJS so that piscina loads it with require(): an ES module would start Node's ES
// module loader in every worker thread.

import { fileURLToPath } from "node:url";
import type { BatchTask } from "./worker.js";
import { loadWorkerBundle } from "./worker-code-cache.js";

declare const TSCSIM_WORKER_BUNDLE_HASH: string | undefined;

type WorkerModule = typeof import("./worker.js");

const loaded = loadWorkerBundle(fileURLToPath(new URL("./sweep-worker-code.cjs", import.meta.url)), typeof TSCSIM_WORKER_BUNDLE_HASH === "string" ? TSCSIM_WORKER_BUNDLE_HASH : null, process.env);
const worker = loaded.exports as unknown as WorkerModule;

/** worker.ts's ping: the worker is loaded. */
export function ping(): true {
  return worker.ping();
}

/**
 * worker.ts's task. When the first batch has returned, every function a run calls has
 * been compiled: the cache is written then (after a miss; once per worker).
 */
export default function runBatch(task: BatchTask): number {
  const runs = worker.default(task);
  loaded.save();
  return runs;
}
