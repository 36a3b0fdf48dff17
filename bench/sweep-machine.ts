// What the machine allows at the moment, for bench/sweep.bench.ts: the CPU that other
// processes use, and the parallelism a pure-CPU loop gets on N threads (the machine is
// shared, so "2 cores" may be 1.2 at that moment).

import { readFileSync } from "node:fs";
import os from "node:os";
import { Worker } from "node:worker_threads";

/** System-wide CPU time (all cores) from /proc/stat, in seconds; null where there is none. */
export function systemCpu(): { busyS: number } | null {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
    return { busyS: busy / 100 }; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * Watches a measurement: load averages, and the cores' worth of CPU that other
 * processes used meanwhile — system-wide busy time minus this process's and minus
 * `childCpuS()` (the sweep process's own CPU time, from its last timing line).
 */
export function watch(childCpuS: () => number = () => 0): () => { loadavgStart: number[]; loadavgEnd: number[]; otherCpuCores: number | null } {
  const loadavgStart = os.loadavg();
  const sys0 = systemCpu();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wallS = (performance.now() - t0) / 1000;
    const sys1 = systemCpu();
    const own = process.cpuUsage(own0);
    const ownS = (own.user + own.system) / 1e6;
    const otherCpuCores = sys0 === null || sys1 === null ? null : Math.max(0, (sys1.busyS - sys0.busyS - ownS - childCpuS()) / wallS);
    return { loadavgStart, loadavgEnd: os.loadavg(), otherCpuCores };
  };
}

/** Wall time of `threads` threads each running the same fixed CPU loop. */
async function spin(threads: number): Promise<number> {
  const code = "let x=0;for(let i=0;i<2e8;i++)x=(x+i*7)%1000003;require('node:worker_threads').parentPort.postMessage(x)";
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once("message", () => void w.terminate().then(() => resolve()));
      w.once("error", reject);
    })),
  );
  return performance.now() - t0;
}

/** Speed-up of N threads over 1 on a pure-CPU loop: the parallelism the machine gives right now. */
export async function machineParallelism(threads: number): Promise<{ oneThreadMs: number; nThreadsMs: number; speedup: number }> {
  const oneThreadMs = await spin(1);
  const nThreadsMs = await spin(threads);
  return { oneThreadMs, nThreadsMs, speedup: (threads * oneThreadMs) / nThreadsMs };
}
