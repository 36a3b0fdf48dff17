// TSCSIM_SWEEP_TIMING=1: one line on stderr per step of a sweep's start and end, with the
// time since the process started (performance.now()) and the same instant as ms since the
// Unix epoch (performance.timeOrigin + now, comparable with another process's clock), to
// see where the wait for the first results line goes (docs/performance.md, "What a sweep
// pays once"). bench/sweep.bench.ts times a sweep's steady state from its "first line
// written" and "last line written" lines, and takes its CPU time from "process CPU", so it
// need not watch the results file while the sweep runs. Off by default; it changes nothing
// but stderr. Each worker also says which OS thread it is, once loaded (sweepWorkerThread).

import { readlinkSync } from "node:fs";

const on = process.env.TSCSIM_SWEEP_TIMING === "1";

/** Says that `step` is done, when TSCSIM_SWEEP_TIMING=1: `tscsim: sweep timing <ms> ms (<epoch ms> epoch ms) <step>`. */
export function sweepTiming(step: string): void {
  if (!on) return;
  const now = performance.now();
  process.stderr.write(`tscsim: sweep timing ${now.toFixed(1)} ms (${(performance.timeOrigin + now).toFixed(1)} epoch ms) ${step}\n`);
}

/** The process's CPU time so far (every thread, the workers' included), as a last step, when TSCSIM_SWEEP_TIMING=1. */
export function sweepTimingCpu(): void {
  if (!on) return;
  const cpu = process.cpuUsage();
  sweepTiming(`process CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms`);
}

/**
 * Says which OS thread this sweep worker is, once loaded, when TSCSIM_SWEEP_TIMING=1 and
 * /proc says it (Linux: /proc/thread-self links to <pid>/task/<tid>): `tscsim: sweep
 * worker thread <tid>`, so that a benchmark can pin it to a CPU (bench/sweep.bench.ts
 * does, with `taskset -p`) or a profiler find it. Not a timing stamp: a worker's clock
 * starts with the worker, not the process.
 */
export function sweepWorkerThread(): void {
  if (!on) return;
  let tid: string | undefined;
  try {
    tid = /task\/(\d+)$/.exec(readlinkSync("/proc/thread-self"))?.[1];
  } catch {
    return;
  }
  if (tid !== undefined) process.stderr.write(`tscsim: sweep worker thread ${tid}\n`);
}
