// Instructions per interrupt of each wasm function on the engine's loop (bench/README.md,
// "Instruction counts"): callgrind over callgrind-run.mjs at two durations, the difference
// per function over the difference in interrupts. Repeatable under any load, and it says
// WHERE the wasm path does more work than the C model (whose functions callgrind_annotate
// names directly).
//
//   node bench/native/callgrind-functions.mjs [VCPUS] [--top N] [--keep DIR]
//   node bench/native/callgrind-functions.mjs 64 --row rearm-storm --durations 40e6,120e6
//
// --row takes another row of bench/callgrind-workload.mjs (cyclictest, rearm-storm,
// rearm-storm-lazy), with --durations its two measured durations (warm-up: the first).
//
// How a function is named: V8 (Node 20, x86-64) calls every wasm function through its
// module's jump table, one 5-byte slot per function, 12 slots to a 64-byte line, in
// function-index order. Callgrind has no symbol for JIT code and names each piece of it
// after the address it was called at, the function's slot, so a slot's cost is the
// function's own (self) cost. The slot gives the index; build/release.wat lists the
// functions in index order. Uses the built package (npm run build). A V8 with another
// slot size would need the constants below changed; the totals do not depend on them.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { functionNames } from "./wat-functions.mjs";

const SLOT_BYTES = 5;
const LINE_BYTES = 64;
const SLOTS_PER_LINE = 12;

const args = process.argv.slice(2);
const vcpus = Number(args.find((a) => /^\d+$/.test(a)) ?? 1024);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 40;
const keepAt = args.indexOf("--keep");
const rowAt = args.indexOf("--row");
const row = rowAt >= 0 ? args[rowAt + 1] : undefined;
const durAt = args.indexOf("--durations");
const DURATIONS = durAt >= 0 ? args[durAt + 1].split(",") : ["20e6", "100e6"];
const dir = keepAt >= 0 ? args[keepAt + 1] : mkdtempSync(join(os.tmpdir(), "tscsim-cg-"));
const runner = fileURLToPath(new URL(row === undefined ? "./callgrind-run.mjs" : "../callgrind-workload.mjs", import.meta.url));
/** The runner's arguments for one measured duration. */
const runnerArgs = (d) => (row === undefined ? [String(vcpus), d] : [row, String(vcpus), DURATIONS[0], d]);

/** Self cost per callgrind function name, and the interrupts the run reported. */
function selfCosts(file) {
  const names = new Map();
  const cost = new Map();
  let fn = "";
  let skip = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(c?fn)=\((\d+)\)(?: (.*))?$/.exec(line);
    if (m) {
      if (m[3] !== undefined) names.set(m[2], m[3]);
      if (m[1] === "fn") {
        fn = names.get(m[2]) ?? m[2];
        skip = false;
      }
      continue;
    }
    if (line.startsWith("calls=")) {
      skip = true; // the next cost line is the call's inclusive cost
      continue;
    }
    if (/^[0-9+\-*]/.test(line)) {
      if (skip) {
        skip = false;
        continue;
      }
      const parts = line.split(" ");
      if (parts.length >= 2) cost.set(fn, (cost.get(fn) ?? 0) + Number(parts[1]));
    }
  }
  return cost;
}

/** Per wasm function (by jump-table slot) and the rest, for one callgrind output. */
function byFunction(cost, names) {
  const jit = [...cost].map(([k, c]) => [/^0x([0-9a-f]+)(?:'\d+)?$/.exec(k), c]).filter(([m]) => m);
  // The jump table: the page of the most expensive JIT address (the hot functions' slots).
  const hottest = jit.reduce((a, b) => (b[1] > a[1] ? b : a));
  const base = BigInt("0x" + hottest[0][1]) & ~0xfffn;
  const out = new Map();
  const add = (k, c) => out.set(k, (out.get(k) ?? 0) + c);
  for (const [k, c] of cost) {
    const m = /^0x([0-9a-f]+)(?:'\d+)?$/.exec(k);
    if (!m) {
      add("(native) " + k.slice(0, 60), c);
      continue;
    }
    const off = Number(BigInt("0x" + m[1]) - base);
    if (off < 0 || off >= 0x10000) {
      add("(other JIT code)", c);
      continue;
    }
    const slot = Math.floor(off / LINE_BYTES) * SLOTS_PER_LINE + Math.floor((off % LINE_BYTES) / SLOT_BYTES);
    add(names[slot + 1] ?? `slot ${slot}`, c); // one import (abort) precedes the functions
  }
  return out;
}

const names = functionNames();
const runs = DURATIONS.map((d) => {
  const file = join(dir, `callgrind.${d}`);
  const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${file}`, "node", "--predictable", "--no-liftoff", "--hash-seed=1", "--random-seed=1", runner, ...runnerArgs(d)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`valgrind failed: ${r.stderr.slice(-500)}`);
  const interrupts = Number(/interrupts (\d+)/.exec(r.stdout)?.[1]);
  return { interrupts, costs: byFunction(selfCosts(file), names) };
});
const n = runs[1].interrupts - runs[0].interrupts;
const rows = [...new Set([...runs[0].costs.keys(), ...runs[1].costs.keys()])].map((k) => [k, ((runs[1].costs.get(k) ?? 0) - (runs[0].costs.get(k) ?? 0)) / n]);
const wasmRows = rows.filter(([k]) => !k.startsWith("("));
const sum = (xs) => xs.reduce((a, [, c]) => a + c, 0);
process.stdout.write(`${vcpus} vCPUs, per interrupt (${n} interrupts between the runs): all ${sum(rows).toFixed(0)} instructions, wasm functions ${sum(wasmRows).toFixed(0)}\n`);
for (const [k, c] of rows.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, top)) process.stdout.write(`${c.toFixed(1).padStart(9)}  ${k}\n`);
if (keepAt < 0) rmSync(dir, { recursive: true, force: true });
