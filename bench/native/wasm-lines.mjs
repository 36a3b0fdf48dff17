// Instructions per interrupt of the wasm engine by AssemblyScript source line (bench/README.md,
// "Per source line"): one callgrind run with --dump-instr=yes over bench/callgrind-workload.mjs,
// under `node --print-wasm-code`, which prints each function's machine code at the addresses
// callgrind counts and the table from machine-code offsets to wasm byte offsets ("source
// positions"); build/release.wasm.map takes a wasm byte offset to its file and line.
//
//   node bench/native/wasm-lines.mjs ROW VCPUS [--durations WARM,MEASURED] [--top N]
//        [--function NAME] [--min PER_INTERRUPT] [--keep DIR]
//   node bench/native/wasm-lines.mjs rearm-storm 64 --function runProgramRearmStorm
//
// ROW: a row of bench/callgrind-workload.mjs (cyclictest, rearm-storm, rearm-storm-lazy,
// cyclictest-pv, cyclictest-lazy, periodic-busy, periodic-hlt). Counts are over the whole
// run (its four warm-up runs and the measured one, which should dominate: a short warm-up,
// a long measured duration) per interrupt of all five runs. --function NAME lists that function's executed instructions
// (at least --min per interrupt, default 0.2) with the line each is charged to.
//
// How an instruction is charged to a line: V8 records a source position only at some
// instructions (calls, memory accesses that may trap, stack checks), so an instruction is
// charged to the first recorded position at or after it in the same function. Between two
// recorded positions the charge is approximate (the arithmetic before a load is charged to
// the load's line): read the output as "this region of the source". Counts are exact
// instructions, not time: a divide counts one. Uses the built package (npm run build).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { functionNames } from "./wat-functions.mjs";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const positional = args.filter((a, i) => !a.startsWith("--") && (i === 0 || !args[i - 1].startsWith("--")));
const row = positional[0] ?? "rearm-storm";
const vcpus = Number(positional[1] ?? 64);
const [warmNs, measuredNs] = opt("--durations", "10e6,200e6").split(",");
const top = Number(opt("--top", 40));
const fnName = opt("--function", undefined);
const minPerInterrupt = Number(opt("--min", 0.2));
const keep = opt("--keep", undefined);
const dir = keep ?? mkdtempSync(join(os.tmpdir(), "tscsim-wasm-lines-"));
const build = fileURLToPath(new URL("../../build/", import.meta.url));
const runner = fileURLToPath(new URL("../callgrind-workload.mjs", import.meta.url));

/** Unsigned LEB128 at p: [value, next p]. */
function leb(bytes, p) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[p++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, p];
  }
}

/** The module offset of each defined function's body, and how many functions are imported. */
function bodyStarts() {
  const bytes = readFileSync(join(build, "release.wasm"));
  const starts = [];
  let imports = 0;
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    let size;
    [size, p] = leb(bytes, p);
    const end = p + size;
    if (id === 2) {
      let [n, q] = leb(bytes, p);
      for (let i = 0; i < n; i++) {
        let len;
        [len, q] = leb(bytes, q);
        q += len;
        [len, q] = leb(bytes, q);
        q += len;
        const kind = bytes[q++];
        let x;
        if (kind === 0) {
          [x, q] = leb(bytes, q);
          imports++;
        } else if (kind === 1) {
          q++;
          let flags;
          [flags, q] = leb(bytes, q);
          [x, q] = leb(bytes, q);
          if (flags & 1) [x, q] = leb(bytes, q);
        } else if (kind === 2) {
          let flags;
          [flags, q] = leb(bytes, q);
          [x, q] = leb(bytes, q);
          if (flags & 1) [x, q] = leb(bytes, q);
        } else q += 2;
      }
    } else if (id === 10) {
      let [n, q] = leb(bytes, p);
      for (let i = 0; i < n; i++) {
        let size2;
        [size2, q] = leb(bytes, q);
        starts.push(q);
        q += size2;
      }
    }
    p = end;
  }
  return { starts, imports };
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** The source map's segments (a wasm map has one line: the column is the module offset), sorted. */
function sourceMap() {
  const map = JSON.parse(readFileSync(join(build, "release.wasm.map"), "utf8"));
  const segments = [];
  let column = 0;
  let source = 0;
  let line = 0;
  for (const seg of map.mappings.split(";")[0].split(",")) {
    if (seg === "") continue;
    const fields = [];
    let value = 0;
    let shift = 0;
    for (const ch of seg) {
      const d = B64.indexOf(ch);
      value += (d & 31) * 2 ** shift;
      shift += 5;
      if (!(d & 32)) {
        fields.push(value % 2 ? -(value - 1) / 2 : value / 2);
        value = 0;
        shift = 0;
      }
    }
    column += fields[0];
    if (fields.length >= 4) {
      source += fields[1];
      line += fields[2];
      segments.push([column, source, line + 1]);
    }
  }
  segments.sort((a, b) => a[0] - b[0]);
  return { segments, sources: map.sources };
}

/** Index of the last element of sorted `xs` whose key is <= x (-1 if none). */
function floorIndex(xs, x, key) {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(xs[mid]) <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Per function index: its instructions [address, pc offset, text] and source positions [pc, wasm offset]. */
function parsePrintout(text) {
  const fns = new Map();
  let cur;
  let inPositions = false;
  for (const line of text.split("\n")) {
    const idx = /^index: (\d+)/.exec(line);
    if (idx) {
      cur = { instructions: [], positions: [] };
      fns.set(Number(idx[1]), cur);
      inPositions = false;
      continue;
    }
    if (cur === undefined) continue;
    if (line.startsWith("Source positions:")) {
      inPositions = true;
      continue;
    }
    if (inPositions) {
      const m = /^\s+([0-9a-f]+)\s+(\d+)\s*$/.exec(line);
      if (m) cur.positions.push([parseInt(m[1], 16), Number(m[2])]);
      else if (line.trim() !== "" && !line.includes("pc offset")) inPositions = false;
      continue;
    }
    const m = /^0x([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+(.*)$/.exec(line);
    if (m) cur.instructions.push([BigInt("0x" + m[1]), parseInt(m[2], 16), m[3].trim()]);
  }
  for (const f of fns.values()) f.positions.sort((a, b) => a[0] - b[0]);
  return fns;
}

/** Self instructions per instruction address, from a callgrind output with --dump-instr=yes. */
function costsByAddress(file) {
  const cost = new Map();
  let addr = 0n;
  let skip = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("calls=")) {
      skip = true; // the next cost line is the call's inclusive cost
      continue;
    }
    if (!/^[0-9+\-*]/.test(line)) {
      if (line !== "") skip = false;
      continue;
    }
    const parts = line.split(" ");
    const p = parts[0];
    if (p.startsWith("0x")) addr = BigInt(p);
    else if (p.startsWith("+")) addr += BigInt(p.slice(1));
    else if (p.startsWith("-")) addr -= BigInt(p.slice(1));
    if (skip) {
      skip = false;
      continue;
    }
    const ir = Number(parts[parts.length - 1]);
    cost.set(addr, (cost.get(addr) ?? 0) + ir);
  }
  return cost;
}

const file = join(dir, "callgrind.out");
const r = spawnSync(
  "valgrind",
  ["--tool=callgrind", "--dump-instr=yes", `--callgrind-out-file=${file}`, "node", "--predictable", "--no-liftoff", "--hash-seed=1", "--random-seed=1", "--print-wasm-code", runner, row, String(vcpus), warmNs, measuredNs],
  { encoding: "utf8", maxBuffer: 1 << 30 },
);
if (r.status !== 0) {
  process.stderr.write(`wasm-lines: valgrind failed (is valgrind installed? npm run build done?): ${(r.stderr ?? "").slice(-400)}\n`);
  process.exit(1);
}
const interrupts = Number(/all runs: interrupts (\d+)/.exec(r.stdout)?.[1]);
const names = functionNames();
const { starts, imports } = bodyStarts();
const { segments, sources } = sourceMap();
const fns = parsePrintout(r.stdout);
const cost = costsByAddress(file);
const sourceLines = new Map();
const lineText = (loc) => {
  const [path, line] = loc.split(":");
  if (!sourceLines.has(path)) {
    try {
      sourceLines.set(path, readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8").split("\n"));
    } catch {
      sourceLines.set(path, []);
    }
  }
  return (sourceLines.get(path)[Number(line) - 1] ?? "").trim();
};
/** file:line of a wasm byte offset within function `index`'s body. */
const locate = (index, wasmOffset) => {
  const i = floorIndex(segments, starts[index - imports] + wasmOffset, (s) => s[0]);
  return i < 0 ? "?" : `${sources[segments[i][1]]}:${segments[i][2]}`;
};
const byLine = new Map();
const byFn = new Map();
const listing = [];
let wasmTotal = 0;
for (const [index, f] of fns) {
  const name = names[index] ?? `function ${index}`;
  for (const [address, pc, text] of f.instructions) {
    const c = cost.get(address);
    if (c === undefined) continue;
    const j = f.positions.findIndex(([p]) => p >= pc);
    const pos = j >= 0 ? f.positions[j][1] : f.positions.at(-1)?.[1];
    const loc = pos === undefined ? "?" : locate(index, pos);
    byLine.set(loc, (byLine.get(loc) ?? 0) + c);
    byFn.set(name, (byFn.get(name) ?? 0) + c);
    wasmTotal += c;
    if (fnName !== undefined && name.endsWith(`/${fnName}`)) listing.push([pc, c / interrupts, text, loc]);
  }
}
const out = [];
out.push(`${row}, ${vcpus} vCPUs, warm-up ${warmNs} ns x4 + ${measuredNs} ns: ${interrupts} interrupts; wasm ${(wasmTotal / interrupts).toFixed(0)} instructions per interrupt`);
out.push("", "per function (instructions per interrupt):");
for (const [k, c] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(`${(c / interrupts).toFixed(1).padStart(9)}  ${k}`);
out.push("", "per source line (approximate between recorded positions):");
for (const [k, c] of [...byLine].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`${(c / interrupts).toFixed(1).padStart(9)}  ${k.padEnd(42)} ${lineText(k).slice(0, 70)}`);
if (fnName !== undefined) {
  out.push("", `${fnName}: executed instructions (>= ${minPerInterrupt} per interrupt), pc offset, line charged`);
  for (const [pc, c, text, loc] of listing.sort((a, b) => a[0] - b[0])) if (c >= minPerInterrupt) out.push(`${c.toFixed(2).padStart(7)} ${pc.toString(16).padStart(6)}  ${text.slice(0, 52).padEnd(52)} ${loc}`);
}
process.stdout.write(out.join("\n") + "\n");
if (keep === undefined) rmSync(dir, { recursive: true, force: true });
