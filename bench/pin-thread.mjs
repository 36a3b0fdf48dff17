// Pinning one OS thread to one CPU, for bench/sweep.bench.ts and its bare threads
// (bench/sweep-raw-worker.mjs). Plain JavaScript so that a bare thread needs no
// TypeScript loader. Linux: taskset (util-linux) and /proc/thread-self.
//
// Why pin: this VM's two CPUs differ in speed by up to 1.45× on the sweep's work, and a
// lone thread runs on whichever the scheduler picks (and may move). The single bare
// thread and the 1-worker sweep's worker are pinned to the same CPU so that the ceiling
// and the speed-up compare like with like (the CPU's speed cancels in the ratio); main
// threads and V8's helper threads stay free, as in a user's sweep.

import { spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";

/** The calling thread's OS thread id (/proc/thread-self links to <pid>/task/<tid>). */
export function ownThreadId() {
  const tid = /task\/(\d+)$/.exec(readlinkSync("/proc/thread-self"))?.[1];
  if (tid === undefined) throw new Error("bench: /proc/thread-self names no thread");
  return Number(tid);
}

/** Pins thread `tid` (an OS thread id) to CPU `cpu`; throws if it cannot. */
export function pinThread(tid, cpu) {
  const r = spawnSync("taskset", ["-p", "-c", String(cpu), String(tid)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench: taskset -p -c ${cpu} ${tid} failed (${r.error?.message ?? r.stderr.trim()}): taskset is in util-linux`);
}
