// What a worker's report costs the thread that receives it (docs/performance.md, "Where a
// two-worker sweep's time goes"): a worker thread posts 1,000 run-like reports — a ~20 KB
// results line as a transferred buffer and the run's figures, as src/sweep/worker.ts did
// before its outbox (src/sweep/outbox.ts) —
// spaced by ~3 ms of busy work, one report per message or in groups; this thread handles
// each one as the sweep's main thread does (the per-run timeout's timer cleared and set,
// the line written to a file) or does nothing with it. Printed: this thread's CPU time per
// report (from /proc/thread-self/stat, 10 ms ticks), for
//   empty   — the message alone (the wake-up and its delivery);
//   handled — with the timer and the line's write(2), one report per message;
//   grouped — the same, 8 reports per message.
//
//   node bench/sweep-message-cost.mjs [--reports N]
//
// Linux only (procfs). Plain Node: it loads nothing of tscsim. Writes a temporary file only.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { MessageChannel, Worker } from "node:worker_threads";

const i = process.argv.indexOf("--reports");
const REPORTS = i < 0 ? 1000 : Number(process.argv[i + 1]);
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-message-cost-"));

/** This thread's CPU time, ms (utime + stime at 100 ticks/s). */
function threadCpuMs() {
  const stat = readFileSync("/proc/thread-self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const WORKER = `
const { workerData } = require("node:worker_threads");
const { port, reports, group } = workerData;
const text = "x".repeat(20000);
const encoder = new TextEncoder();
let pending = [];
let buffers = [];
for (let k = 0; k < reports; k++) {
  let x = 0;
  for (let j = 0; j < 3e6; j++) x += j; // a few ms of "run"
  const line = encoder.encode(text + x);
  const report = { k, next: k + 1 < reports, ok: { line, wallMs: 3, interrupts: 20000, events: 140000, workerHeapUsedBytes: 0, wasmMemoryBytes: 0 } };
  if (group === 1) port.postMessage(report, [line.buffer]);
  else {
    pending.push(report);
    buffers.push(line.buffer);
    if (pending.length === group || k + 1 === reports) {
      port.postMessage(pending, buffers);
      pending = [];
      buffers = [];
    }
  }
}
port.postMessage("end");
`;

function measure(variant, group) {
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    const fd = openSync(join(dir, "lines"), "w");
    let timer;
    const handle = (report) => {
      if (variant === "empty") return;
      clearTimeout(timer);
      timer = setTimeout(() => {}, 600_000);
      const bytes = report.ok.line;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    };
    const cpu0 = threadCpuMs();
    port1.on("message", (m) => {
      if (m === "end") {
        clearTimeout(timer);
        const cpuMs = threadCpuMs() - cpu0;
        port1.close();
        closeSync(fd);
        resolve(cpuMs);
        return;
      }
      if (Array.isArray(m)) for (const r of m) handle(r);
      else handle(m);
    });
    const w = new Worker(WORKER, { eval: true, workerData: { port: port2, reports: REPORTS, group }, transferList: [port2] });
    w.once("error", reject);
  });
}

const rows = [
  ["empty", "empty", 1],
  ["handled", "handled", 1],
  ["grouped (8)", "handled", 8],
];
process.stdout.write(`${REPORTS} reports; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
for (const [label, variant, group] of rows) {
  const cpuMs = await measure(variant, group);
  process.stdout.write(`${label.padEnd(12)} ${((1000 * cpuMs) / REPORTS).toFixed(0).padStart(5)} µs of this thread's CPU per report\n`);
}
rmSync(dir, { recursive: true, force: true });
