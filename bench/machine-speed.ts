// How steady is this machine? One bare thread per CPU, each pinned to its CPU, simulates
// the sweep bench's runs back to back (the sweep worker's bundled per-run code, as
// bench/sweep-raw-worker.mjs does) and reports its mean time per run in consecutive
// windows. Both CPUs run at once, as a two-worker sweep's do; compare the columns to see
// whether the CPUs' speeds move together (the host) or apart (each CPU's own neighbours).
//
// `node --import tsx bench/machine-speed.ts [--seconds S] [--window-ms W] [--out PATH]`
// (after `npm run build`; defaults 120 s, 2000 ms; Linux, taskset). Prints a row per
// window and a summary per CPU (median, 10th–90th percentiles, and the median of the
// relative change from one window to the next); --out writes the series as JSON.
// Nothing here is a target: it says whether bench/sweep.bench.ts's ratios can be read
// tightly on this machine right now.

import { writeFileSync } from "node:fs";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { parseSweep } from "../dist/sweep/file.js";
import { Grid } from "../dist/sweep/grid.js";
import { workerDataOf } from "../dist/sweep/pool.js";
import { median } from "./report.js";
import { benchGrid } from "./sweep-throughput.js";

function option(name: string, fallback: number, min: number, max: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(process.argv[at + 1]);
  if (!Number.isFinite(v) || v < min || v > max) {
    process.stderr.write(`bench: ${name} = ${process.argv[at + 1] ?? "(missing)"}: allowed a number ${min}..${max}\n`);
    process.exit(2);
  }
  return v;
}
const seconds = option("--seconds", 120, 1, 3600);
const windowMs = option("--window-ms", 2000, 100, 60_000);
const outAt = process.argv.indexOf("--out");
const outPath = outAt < 0 ? undefined : process.argv[outAt + 1];

// The sweep bench's grid, seeds cut to what a window needs: 40 runs spread over it, taken in turn.
const SWEEP = { ...benchGrid(), seeds: 5 };
const spec = parseSweep(SWEEP, "machine-speed");
const grid = new Grid(spec);
const runs = Array.from({ length: 40 }, (_, i) => {
  const { index, id, params, seed } = grid.runAt((i * 11) % grid.size);
  return { index, id, params, seed };
});
const cpus = os.availableParallelism();
const series = await Promise.all(
  Array.from({ length: cpus }, (_, cpu) =>
    new Promise<number[]>((resolve, reject) => {
      const w = new Worker(new URL("./machine-speed-worker.mjs", import.meta.url), { workerData: { ...workerDataOf(spec, "full"), runs, seconds, windowMs, cpu } });
      w.once("message", resolve);
      w.once("error", reject);
    }),
  ),
);
const rows = Math.min(...series.map((s) => s.length));
for (let i = 0; i < rows; i++) process.stdout.write(`${((i + 1) * windowMs / 1000).toFixed(1).padStart(7)} s  ${series.map((s) => s[i]!.toFixed(2).padStart(7)).join(" ")}  ms/run\n`);
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const summary = series.map((s, cpu) => {
  const steps = s.slice(1).map((x, i) => Math.abs(x - s[i]!) / s[i]!);
  return { cpu, windows: s.length, medianMsPerRun: median(s), p10MsPerRun: quantile(s, 0.1), p90MsPerRun: quantile(s, 0.9), medianStep: steps.length === 0 ? 0 : median(steps) };
});
for (const c of summary) {
  process.stdout.write(`CPU ${c.cpu}: median ${c.medianMsPerRun.toFixed(2)} ms/run, 10th–90th percentile ${c.p10MsPerRun.toFixed(2)}–${c.p90MsPerRun.toFixed(2)}, median change between windows ${(c.medianStep * 100).toFixed(1)} %\n`);
}
if (outPath !== undefined) writeFileSync(outPath, JSON.stringify({ date: new Date().toISOString(), seconds, windowMs, cpus, series, summary }, null, 1) + "\n");
