// Instructions per interrupt of a native C model (bench/README.md, "Instruction counts"),
// per C function: callgrind over the model at 1 and 3 timed runs of one input (each after
// its untimed warm-up run), the difference per function (callgrind_annotate: each
// function's own instructions, those of the functions gcc inlined into it included) over
// the two extra runs' interrupts.
// Repeatable under any load. The input is a row of bench/workloads.bench.ts built as there.
//
//   node --import tsx bench/native/callgrind-model.ts ROW VCPUS DURATION_NS [--top N]
//   (ROW: cyclictest or rearm-storm; e.g. rearm-storm 64 120e6, cyclictest 64 1200e6)

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { NATIVE_CFLAGS } from "../../src/bench/native.js";
import { BENCH_RATES, buildShared } from "../cyclictest-case.js";
import { MODEL_SOURCES, runModel, snapshot, type ModelWorkload } from "./model.js";

const ROWS: Record<string, [string, string[]]> = {
  cyclictest: ["cyclictest", ["vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"]],
  "rearm-storm": ["s15-lazy-tscdeadline", ["kvm.lazyTscDeadline=false"]],
};
const [rowName = "rearm-storm", vcpusArg = "64", durationArg = "120e6"] = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--top");
const topAt = process.argv.indexOf("--top");
const top = topAt >= 0 ? Number(process.argv[topAt + 1]) : 25;
const row = ROWS[rowName];
if (row === undefined) {
  process.stderr.write(`callgrind-model: ROW = "${rowName}": allowed one of ${Object.keys(ROWS).join(", ")}\n`);
  process.exit(2);
}
const vcpus = Number(vcpusArg);
const durationNs = Number(durationArg);

const dir = mkdtempSync(join(os.tmpdir(), "tscsim-cg-model-"));
const binary = join(dir, "model");
const source = MODEL_SOURCES[rowName as ModelWorkload];
// -g for the function names; the same optimisation as the bench. Inlined functions are counted in their callers.
const cc = spawnSync("gcc", [...NATIVE_CFLAGS, "-g", "-o", binary, source, "-lm"], { encoding: "utf8" });
if (cc.error || cc.status !== 0) {
  process.stderr.write(`callgrind-model: gcc failed: ${cc.error?.message ?? cc.stderr}\n`);
  process.exit(1);
}
const { sim, host } = buildShared(row[0], [`vms.0.vcpus=${vcpus}`, `duration=${durationNs}`, ...BENCH_RATES, ...row[1]], "wasm");
const input = join(dir, "input.bin");
writeFileSync(input, snapshot(sim, host));
const { interrupts, events } = runModel(binary, input, 1);

/** Instructions per function (own cost) of the model at `reps` timed runs. */
function perFunction(reps: number): Map<string, number> {
  const out = join(dir, `cg-${reps}.out`);
  const vg = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, binary, input, String(reps)], { encoding: "utf8" });
  if (vg.error || vg.status !== 0) throw new Error(`valgrind failed: ${vg.error?.message ?? vg.stderr}`);
  const an = spawnSync("callgrind_annotate", ["--auto=no", "--threshold=100", out], { encoding: "utf8", maxBuffer: 64 << 20 });
  const m = new Map<string, number>();
  for (const line of an.stdout.split("\n")) {
    // "  123,456 (12.34%)  file.c:function [binary]" (older callgrind_annotate: without the percentage)
    const hit = /^\s*([\d,]+)\s+(?:\([\d.]+%\)\s+)?(\S.*?)(?:\s+\[.*\])?$/.exec(line);
    if (hit === null || hit[2]!.startsWith("PROGRAM TOTALS") || !hit[2]!.includes(":")) continue;
    // By function: with -O2, a function inlined into another is named after its caller, its
    // lines after their own file (file:caller); the clones gcc makes keep their caller's name.
    const name = hit[2]!.replace(/^.*:/, "").replace(/\.(constprop|isra|part)\.\d+/g, "");
    m.set(name, (m.get(name) ?? 0) + Number(hit[1]!.replace(/,/g, "")));
  }
  return m;
}
const one = perFunction(1);
const three = perFunction(3);
const perInterrupt = [...three].map(([name, ir]) => [name, (ir - (one.get(name) ?? 0)) / (2 * interrupts)] as const).filter(([, x]) => Math.abs(x) >= 0.05);
perInterrupt.sort((a, b) => b[1] - a[1]);
const total = perInterrupt.reduce((s, [, x]) => s + x, 0);
process.stdout.write(`${rowName}, ${vcpus} vCPUs, ${durationNs} ns simulated: ${interrupts} interrupts, ${events} events (${(events / interrupts).toFixed(1)} per interrupt)\n`);
process.stdout.write(`model: ${total.toFixed(0)} instructions per interrupt (${((total * interrupts) / events).toFixed(0)} per event)\n`);
for (const [name, x] of perInterrupt.slice(0, top)) process.stdout.write(`${x.toFixed(1).padStart(10)}  ${((100 * x) / total).toFixed(1).padStart(5)} %  ${name}\n`);
rmSync(dir, { recursive: true, force: true });
