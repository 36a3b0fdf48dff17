// One pinned thread of bench/machine-speed.ts: the sweep worker's bundled per-run code on
// the given runs, in turn, for `seconds`; replies with the mean ms per run of each
// `windowMs` window (after 20 untimed cold-start runs).

import { parentPort, workerData } from "node:worker_threads";
import { ownThreadId, pinThread } from "./pin-thread.mjs";
import { loadRunCode } from "./run-code.mjs";

const { runs, seconds, windowMs, cpu } = workerData;
pinThread(ownThreadId(), cpu);
const { run } = loadRunCode(workerData);
for (let k = 0; k < 20; k++) run(runs[k % runs.length]);
const out = [];
const t0 = performance.now();
let windowStart = t0;
let inWindow = 0;
for (let i = 0; performance.now() - t0 < seconds * 1000; i++) {
  run(runs[i % runs.length]);
  inWindow++;
  const now = performance.now();
  if (now - windowStart >= windowMs) {
    out.push((now - windowStart) / inWindow);
    windowStart = now;
    inWindow = 0;
  }
}
parentPort.postMessage(out);
