// CLI start-up (issue #13 target 4): `tscsim --help` and the smallest honest run (one
// vCPU, 1 ms simulated) against bare `node -e 0`, through the package's bin (the bundle,
// dist/bundle/tscsim.cjs, with its V8 code cache in a directory of the bench's own,
// filled by the warm-up round), the same run with the code cache off (a first command,
// or TSCSIM_CODE_CACHE=off) and, for comparison, the unbundled dist/cli/main.js.
//  - wall time: rounds of one spawn of each command, the order rotated every round, pinned
//    to one CPU with taskset when there is one; medians, min and max per command, and the
//    overhead over `node -e 0` (median minus median);
//  - with --instructions (needs valgrind): instructions executed by each command once
//    (callgrind's Ir, every thread of the process), which do not depend on the machine's
//    load: the figure to choose between designs on a shared machine.
// Run after `npm run build`: `node --import tsx bench/startup.bench.ts [--rounds N]
// [--cpu N] [--instructions] [--out FILE]`. Writes bench/results/startup.json.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, writeJson } from "./report.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const rounds = Number(arg("--rounds") ?? 15);
const out = arg("--out") ?? join(root, "bench/results/startup.json");
const instructions = process.argv.includes("--instructions");
const hasTaskset = spawnSync("taskset", ["--version"]).status === 0;
const cpu = arg("--cpu") ?? (hasTaskset && os.availableParallelism() > 1 ? "1" : undefined);

/** Issue #13 target 4: at most this much over `node -e 0`. */
const TARGET_OVERHEAD_MS = 120;
const RUN_ARGS = ["run", "cyclictest", "--set", "vms.0.vcpus=1", "--set", "duration=1ms"];
const BIN = "dist/bundle/tscsim.cjs";
const UNBUNDLED = "dist/cli/main.js";

interface Case {
  id: string;
  args: string[];
  env?: Record<string, string>;
}
const CASES: Case[] = [
  { id: "node -e 0", args: ["-e", "0"] },
  { id: "tscsim --help", args: [BIN, "--help"] },
  { id: "tscsim run (1 vCPU, 1 ms)", args: [BIN, ...RUN_ARGS] },
  { id: "run, code cache off", args: [BIN, ...RUN_ARGS], env: { TSCSIM_CODE_CACHE: "off" } },
  { id: "unbundled --help", args: [UNBUNDLED, "--help"] },
  { id: "unbundled run (1 vCPU, 1 ms)", args: [UNBUNDLED, ...RUN_ARGS] },
];

for (const f of [BIN, UNBUNDLED]) {
  if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run npm run build first`);
}
// The release build, as users run it; the code cache in a directory of the bench's own.
const cacheHome = mkdtempSync(join(os.tmpdir(), "tscsim-startup-cache-"));
process.on("exit", () => rmSync(cacheHome, { recursive: true, force: true }));
const env = { ...process.env, TSCSIM_WASM: "", TSCSIM_CODE_CACHE: "", XDG_CACHE_HOME: cacheHome };

function spawnOnce(c: Case): number {
  const [cmd, args] = cpu === undefined ? [process.execPath, c.args] : ["taskset", ["-c", cpu, process.execPath, ...c.args]];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, env: { ...env, ...c.env }, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.id} failed (${r.status}): ${r.stderr.toString()}`);
  return ms;
}

function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/** Instructions executed (callgrind Ir, all threads), or null without valgrind. */
function instructionsOf(c: Case): number | null {
  const dir = mkdtempSync(join(os.tmpdir(), "tscsim-startup-"));
  try {
    const file = join(dir, "cg.out");
    const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${file}`, "--smc-check=all-non-file", process.execPath, ...c.args], { cwd: root, env: { ...env, ...c.env }, stdio: ["ignore", "ignore", "pipe"] });
    if (r.error !== undefined || r.status !== 0) return null;
    const m = /^summary:\s*(\d+)/m.exec(readFileSync(file, "utf8"));
    return m === null ? null : Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadBefore = loadAverage();
const t0 = performance.now();
for (const c of CASES) spawnOnce(c); // warm the page cache and fill the code cache
const samples = new Map<string, number[]>(CASES.map((c) => [c.id, []]));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < CASES.length; k++) {
    const c = CASES[(r + k) % CASES.length]!;
    samples.get(c.id)!.push(spawnOnce(c));
  }
}
const baseMs = median(samples.get("node -e 0")!);
const wall = CASES.map((c) => {
  const s = samples.get(c.id)!;
  const medianMs = median(s);
  return { id: c.id, argv: c.args, env: c.env ?? {}, medianMs, minMs: Math.min(...s), maxMs: Math.max(...s), overheadMs: medianMs - baseMs, samplesMs: s };
});
const counted = instructions ? CASES.map((c) => ({ id: c.id, instructions: instructionsOf(c) })) : null;
const baseIr = counted?.[0]?.instructions ?? null;
const targets = wall
  .filter((w) => w.id.startsWith("tscsim"))
  .map((w) => ({ target: `${w.id} ≤ ${TARGET_OVERHEAD_MS} ms over node -e 0 (wall, medians)`, overheadMs: Math.round(w.overheadMs * 10) / 10, met: w.overheadMs <= TARGET_OVERHEAD_MS }));

const report = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "", pinnedCpu: cpu ?? null, loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
  rounds,
  wall,
  instructions: counted?.map((c) => ({ ...c, overBaseline: c.instructions !== null && baseIr !== null ? c.instructions - baseIr : null })) ?? null,
  targets,
  elapsedSeconds: Math.round((performance.now() - t0) / 100) / 10,
};
writeJson(out, report);

const pad = (s: string) => s.padEnd(32);
console.log(`start-up, ${rounds} rounds${cpu === undefined ? "" : ` pinned to CPU ${cpu}`}, load ${loadBefore.join(" ")} → ${report.machine.loadAverageAfter.join(" ")}`);
for (const w of wall) console.log(`${pad(w.id)} median ${w.medianMs.toFixed(1)} ms  [${w.minMs.toFixed(1)} … ${w.maxMs.toFixed(1)}]  over node -e 0: ${w.overheadMs.toFixed(1)} ms`);
if (report.instructions !== null) for (const c of report.instructions) console.log(`${pad(c.id)} ${c.instructions === null ? "valgrind unavailable" : `${(c.instructions / 1e6).toFixed(1)} M instructions (+${((c.overBaseline ?? 0) / 1e6).toFixed(1)} M)`}`);
for (const t of targets) console.log(`${t.met ? "MET    " : "NOT MET"} ${t.target}: ${t.overheadMs} ms`);
console.log(`wrote ${out}`);
