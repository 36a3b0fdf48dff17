// Pinning one OS thread to one CPU, and reading one thread's CPU time, for
// bench/sweep.bench.ts and its bare threads (bench/sweep-raw-worker.mjs). Plain JavaScript
// so that a bare thread needs no TypeScript loader. Linux: taskset (util-linux) and /proc.
//
// Why pin: this VM's two CPUs differ in speed by up to 1.45× on the sweep's work, and a
// lone thread runs on whichever the scheduler picks (and may move). The single bare
// thread and the 1-worker sweep's worker are pinned to the same CPU so that the ceiling
// and the speed-up compare like with like (the CPU's speed cancels in the ratio); main
// threads and V8's helper threads stay free, as in a user's sweep.

import { spawnSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";

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

/**
 * CPU time (user + system) thread `tid` of process `pid` has used, ms; null if there is no
 * such thread (it has exited) or no /proc. Resolution 10 ms (USER_HZ 100). Time the host
 * takes from this VM's CPU is not steal the guest sees here (under 0.2 %): it is charged to
 * the running thread, so a thread's CPU over its wall time says how long it waited for a
 * CPU inside this machine (other threads, other processes), not how fast the CPU was.
 */
export function threadCpuMs(tid, pid = "self") {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
