// cyclictest's file outputs from a run's per-vCPU latency histograms, one cyclictest
// thread per vCPU (in collector order: VM, then vCPU), so that the tools that read a real
// cyclictest's output (OSADL's plots, rteval, users' scripts) read tscsim's:
//
//  - the -h/--histogram output (rt-tests src/cyclictest/cyclictest.c, print_hist): a
//    "# Histogram" line, one line per µs bucket ("%06d " then "%06lu" per thread, tab
//    separated), then "# Total:" (" %09llu" each), "# Min Latencies:", "# Avg Latencies:",
//    "# Max Latencies:", "# Histogram Overflows:" (" %05lu" each), "# Histogram Overflow
//    at cycle number:" with a "# Thread N:" line each, and an empty line;
//  - the --json output (rt-tests src/lib/rt-utils.c, rt_write_json, around cyclictest's
//    write_stats): file_version, "cmdline:" and "rt_test_version:" (the colons inside
//    those two keys are rt-tests' own), start/end time, return_code, sysinfo, then
//    num_threads, resolution_in_ns and per thread its non-empty buckets, cycles, min, max,
//    avg, cpu and node.
//
// Buckets are µs, as cyclictest's without -N: a latency of d ns falls in bucket
// floor(d / 1000). The histograms hold ns with 3 significant digits; their slots are at
// most 8 ns wide up to 16,384 ns, and 8 divides 1000, so the µs buckets are exact up to
// 16 µs; above, a slot (0.1 % of its value) can straddle a µs boundary and is counted in
// the bucket of its midpoint. Min/Avg/Max come from the exact running values.

import type { Histogram } from "hdr-histogram-js";
import { microsecondBuckets } from "./html/latency-data.js";

/** One cyclictest thread: a vCPU's histogram and exact statistics (ns). */
export interface CyclictestThread {
  histogram: Histogram;
  /** Wake-ups (interrupts). */
  cycles: number;
  minNs: number;
  meanNs: number;
  maxNs: number;
  /** Shown as the thread's CPU (the vCPU index). */
  cpu: number;
}

/** Counts per µs bucket 0..size−1 and the overflows (latencies of `size` µs and more): the HTML report's 1-µs buckets. */
export function microsecondHistogram(h: Histogram, size: number): { buckets: number[]; overflows: number } {
  const buckets = new Array<number>(size).fill(0);
  let overflows = 0;
  for (const [us, c] of microsecondBuckets(h, 1)) {
    if (us < size) buckets[us]! += c;
    else overflows += c;
  }
  return { buckets, overflows };
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** cyclictest's per-thread statistics in µs, as print_hist prints them. */
function stats(t: CyclictestThread): { min: number; avg: number; max: number } {
  // cyclictest starts min at 1000000 and max at 0 and prints them unchanged without
  // wake-ups; its avg is 0 then.
  if (t.cycles === 0) return { min: 1000000, avg: 0, max: 0 };
  return { min: Math.max(0, Math.trunc(t.minNs / 1000)), avg: Math.max(0, Math.trunc(t.meanNs / 1000)), max: Math.max(0, Math.trunc(t.maxNs / 1000)) };
}

/** cyclictest -h SIZE's histogram text (with its final empty line). */
export function renderCyclictestHistogram(threads: readonly CyclictestThread[], size: number): string {
  const hs = threads.map((t) => microsecondHistogram(t.histogram, size));
  const out: string[] = ["# Histogram"];
  for (let i = 0; i < size; i++) out.push(`${pad(i, 6)} ${hs.map((h) => pad(h.buckets[i]!, 6)).join("\t")}`);
  const st = threads.map(stats);
  out.push(`# Total:${hs.map((h) => ` ${pad(h.buckets.reduce((a, b) => a + b, 0), 9)}`).join("")}`);
  out.push(`# Min Latencies:${st.map((s) => ` ${pad(s.min, 5)}`).join("")}`);
  out.push(`# Avg Latencies:${st.map((s) => ` ${pad(s.avg, 5)}`).join("")}`);
  out.push(`# Max Latencies:${st.map((s) => ` ${pad(s.max, 5)}`).join("")}`);
  out.push(`# Histogram Overflows:${hs.map((h) => ` ${pad(h.overflows, 5)}`).join("")}`);
  out.push("# Histogram Overflow at cycle number:");
  // cyclictest lists the wake-up numbers of the first overflows; a simulation's
  // histograms do not keep them, so every overflow is among the "others".
  hs.forEach((h, i) => out.push(`# Thread ${i}:${h.overflows > 0 ? ` # ${pad(h.overflows, 5)} others` : ""}`));
  out.push("");
  return out.join("\n") + "\n";
}

export interface CyclictestJsonMeta {
  /** The command line (rt-tests: the program's argv joined by spaces). */
  cmdline: string;
  /** tscsim's version, in rt_test_version's place. */
  version: string;
  /** Simulated time covered, ns: the start is the simulated epoch, the end that much later. */
  simulatedNs: number;
  /** The simulated kernel era, as sysinfo's release. */
  era: string;
}

/** RFC 2822 date as rt-tests' get_timestamp ("%a, %d %b %Y %T %z"), in UTC. */
function rfc2822(ms: number): string {
  const d = new Date(ms);
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()]!;
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()]!;
  const p2 = (n: number): string => String(n).padStart(2, "0");
  return `${day}, ${p2(d.getUTCDate())} ${mon} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

/** A C string literal's content as rt-tests prints it with %s inside quotes (escaped here so the file stays JSON). */
function str(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** rt-tests' --json file for the threads, with histograms of `size` µs buckets. */
export function renderCyclictestJson(threads: readonly CyclictestThread[], size: number, meta: CyclictestJsonMeta): string {
  const o: string[] = [];
  o.push("{");
  o.push('  "file_version": 1,');
  o.push(`  "cmdline:": "${str(meta.cmdline)}",`);
  o.push(`  "rt_test_version:": "${str(`tscsim-${meta.version}`)}",`);
  o.push(`  "start_time": "${rfc2822(0)}",`);
  o.push(`  "end_time": "${rfc2822(Math.floor(meta.simulatedNs / 1e6))}",`);
  o.push('  "return_code": 0,');
  o.push('  "sysinfo": {');
  o.push('    "sysname": "Linux",');
  o.push('    "nodename": "tscsim",');
  o.push(`    "release": "${str(meta.era)}",`);
  o.push(`    "version": "${str(`tscsim ${meta.version} simulated guest`)}",`);
  o.push('    "machine": "x86_64",');
  o.push('    "realtime": 0');
  o.push("  },");
  o.push(`  "num_threads": ${threads.length},`);
  o.push('  "resolution_in_ns": 0,');
  o.push('  "thread": {');
  threads.forEach((t, i) => {
    const { buckets } = microsecondHistogram(t.histogram, size);
    o.push(`    "${i}": {`);
    // write_stats: "{", then each non-empty bucket on its own line, a newline after the
    // last, and "      }," — an empty histogram reads `"histogram": {      },`.
    const entries = buckets.flatMap((c, j) => (c === 0 ? [] : [`        "${j}": ${c}`]));
    o.push(`      "histogram": {${entries.length > 0 ? `\n${entries.join(",\n")}\n` : ""}      },`);
    o.push(`      "cycles": ${t.cycles},`);
    const s = stats(t);
    o.push(`      "min": ${s.min},`);
    o.push(`      "max": ${s.max},`);
    // write_stats prints avg (a sum of µs) / cycles with %.2f; without wake-ups C prints
    // nan, which is not JSON: 0.00 here.
    o.push(`      "avg": ${t.cycles === 0 ? "0.00" : (t.meanNs / 1000).toFixed(2)},`);
    o.push(`      "cpu": ${t.cpu},`);
    o.push('      "node": 0');
    o.push(`    }${i === threads.length - 1 ? "" : ","}`);
  });
  o.push("  }");
  o.push("}");
  return o.join("\n") + "\n";
}
