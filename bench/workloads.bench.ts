// Every built-in workload on the engine `auto` picks, against cyclictest (issue #13,
// target 1): guest timer interrupts delivered per wall-clock second at 64 and 1,024
// vCPUs, in one process, the workloads interleaved rep by rep so that a slower or faster
// phase of the machine touches every row alike. Each row's ratio to cyclictest is the
// median of its per-rep ratios (same rep, same process). Release wasm.
// Run with `node --expose-gc --import tsx bench/workloads.bench.ts` (npm run bench does);
// `--reps N` (default 7), `--only NAME,...` (rows to run besides cyclictest).
//
// Adding a workload is adding a row to WORKLOADS: a preset and the --set assignments that
// shape it, and its interrupt rate per vCPU (to size the simulated duration).

import os from "node:os";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../src/wasm.js";
import { median, refuseDebugWasm, writeJson } from "./report.js";
import { BENCH_RATES, buildShared, timedRun, type TimedRun } from "./cyclictest-case.js";
import { gcAndSettle } from "./settle.js";

refuseDebugWasm(wasmVariant);

export interface WorkloadRow {
  /** The row's name in the table and the JSON. */
  name: string;
  preset: string;
  /** `--set` assignments after the common ones (vCPUs, duration, TSC rates). */
  sets: readonly string[];
  /**
   * Interrupts per vCPU per simulated second, roughly: the duration is sized for about
   * TARGET_INTERRUPTS a run. 0 for a workload that takes none (its events are reported).
   */
  interruptsPerVcpuHz: number;
}

/** The baseline: the cyclictest preset at 1 ms, as bench/sim.bench.ts runs it. */
const CYCLICTEST: WorkloadRow = { name: "cyclictest", preset: "cyclictest", sets: ["vms.0.workload.interval=1ms", "vms.0.workload.printSummary=false"], interruptsPerVcpuHz: 1000 };

export const WORKLOADS: readonly WorkloadRow[] = [
  CYCLICTEST,
  { name: "cyclictest, PV deadline MSR", preset: "cyclictest", sets: [...CYCLICTEST.sets, "kvm.pvDeadline=true", "vms.0.workload.deadlineMsr=pv"], interruptsPerVcpuHz: 1000 },
  { name: "cyclictest, lazy TSC-deadline", preset: "cyclictest", sets: [...CYCLICTEST.sets, "kvm.lazyTscDeadline=true"], interruptsPerVcpuHz: 1000 },
  // kvm-unit-tests' defaults: re-armed 200,000 cycles (~95 µs at 2.1 GHz) after each interrupt, 10,000 samples at most.
  { name: "tscdeadline-latency", preset: "tscdeadline-latency", sets: [], interruptsPerVcpuHz: 10_000 },
  { name: "rearm-storm", preset: "s15-lazy-tscdeadline", sets: ["kvm.lazyTscDeadline=false"], interruptsPerVcpuHz: 8_000 },
  { name: "rearm-storm, lazy TSC-deadline", preset: "s15-lazy-tscdeadline", sets: [], interruptsPerVcpuHz: 8_000 },
  { name: "idle-tick (250 Hz)", preset: "s18-idle-tick", sets: [], interruptsPerVcpuHz: 250 },
  { name: "idle-tick nohz", preset: "s18-idle-tick", sets: ["vms.0.workload.nohz=true"], interruptsPerVcpuHz: 0 },
  // The LAPIC one-shot/periodic paths: S10's periodic timer (4,768 Hz) busy in the guest and
  // halting, and S08's 100 µs one-shot on the preemption timer.
  { name: "periodic s10 (busy)", preset: "s10-periodic-negative-delta", sets: [], interruptsPerVcpuHz: 4768 },
  { name: "periodic s10 (HLT)", preset: "s10-periodic-negative-delta", sets: ["vms.0.workload.wait=hlt"], interruptsPerVcpuHz: 4768 },
  { name: "oneshot (s08)", preset: "s08-hv-oneshot", sets: [], interruptsPerVcpuHz: 9000 },
];

const TARGET_INTERRUPTS = 200_000;
const VCPUS = [64, 1024] as const;
/** The target: each workload's interrupts/s at least this fraction of cyclictest's. */
const TARGET_RATIO = 0.8;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}
const REPS = Number(arg("--reps") ?? 7);
const WARMUPS = 2;
// Names are split at commas not followed by a space: "rearm-storm, lazy TSC-deadline" is one row.
const only = arg("--only")?.split(/,(?! )/);
const rows = WORKLOADS.filter((w) => w === CYCLICTEST || only === undefined || only.includes(w.name));

function durationNs(w: WorkloadRow, vcpus: number): number {
  // A workload without interrupts runs as long as cyclictest would.
  const hz = w.interruptsPerVcpuHz > 0 ? w.interruptsPerVcpuHz : CYCLICTEST.interruptsPerVcpuHz;
  return Math.round((TARGET_INTERRUPTS / (vcpus * hz)) * 1e9);
}

type Run = TimedRun;

function buildRow(w: WorkloadRow, vcpus: number): ReturnType<typeof buildShared> {
  return buildShared(w.preset, [`vms.0.vcpus=${vcpus}`, `duration=${durationNs(w, vcpus)}`, ...BENCH_RATES, ...w.sets], "auto");
}

function runOnce(w: WorkloadRow, vcpus: number): Run {
  return timedRun(buildRow(w, vcpus));
}

/** A timed run after a GC whose background sweep is waited out (bench/settle.ts): the row's own time only. */
async function runSettled(w: WorkloadRow, vcpus: number): Promise<Run> {
  const built = buildRow(w, vcpus);
  await gcAndSettle(gc);
  return timedRun(built);
}

const gc = (globalThis as { gc?: () => void }).gc;
const loadAtStart = os.loadavg()[0]!;
const spread = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
const results: Record<string, unknown>[] = [];
for (const vcpus of VCPUS) {
  for (let r = 0; r < WARMUPS; r++) for (const w of rows) runOnce(w, vcpus);
  const runs = rows.map(() => [] as Run[]);
  for (let r = 0; r < REPS; r++) {
    for (const [i, w] of rows.entries()) runs[i]!.push(await runSettled(w, vcpus));
  }
  const rateOf = (run: Run) => run.interrupts / (run.wallMs / 1000);
  const baseline = runs[0]!;
  rows.forEach((w, i) => {
    const rs = runs[i]!;
    const rates = rs.map(rateOf);
    const eventRates = rs.map((run) => run.events / (run.wallMs / 1000));
    // Same rep, same process: the ratio to that rep's cyclictest.
    const ratios = w.interruptsPerVcpuHz > 0 ? rs.map((run, k) => rateOf(run) / rateOf(baseline[k]!)) : [];
    const row = {
      workload: w.name,
      preset: w.preset,
      sets: w.sets,
      vcpus,
      engine: rs[0]!.engine,
      simulatedNs: durationNs(w, vcpus),
      interrupts: rs[0]!.interrupts,
      events: rs[0]!.events,
      wallMsMedian: median(rs.map((run) => run.wallMs)),
      interruptsPerSecondMedian: median(rates),
      interruptsPerSecondSpread: spread(rates),
      eventsPerSecondMedian: median(eventRates),
      ratioToCyclictestMedian: ratios.length > 0 ? median(ratios) : null,
      ratioToCyclictestSpread: ratios.length > 0 ? spread(ratios) : null,
      target: ratios.length === 0 ? "no interrupts: events/s only" : median(ratios) >= TARGET_RATIO ? "pass" : "miss",
    };
    results.push(row);
    const ratio = row.ratioToCyclictestMedian === null ? "     —" : `${row.ratioToCyclictestMedian.toFixed(2)}× [${row.ratioToCyclictestSpread!.min.toFixed(2)}–${row.ratioToCyclictestSpread!.max.toFixed(2)}]`;
    process.stdout.write(
      `${String(vcpus).padStart(5)} vCPUs  ${w.name.padEnd(32)} ${row.engine.padEnd(4)} ${(row.interruptsPerSecondMedian / 1e6).toFixed(2).padStart(5)} M int/s  ${(row.eventsPerSecondMedian / 1e6).toFixed(2).padStart(5)} M ev/s  ${ratio}  ${w === CYCLICTEST ? "" : row.target}\n`,
    );
  });
}

const out = new URL("./results/workloads.json", import.meta.url);
writeJson(fileURLToPath(out), {
  date: new Date().toISOString(),
  machine: { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, loadAverage1m: { atStart: loadAtStart, atEnd: os.loadavg()[0] } },
  method: `interleaved: per vCPU count, ${WARMUPS} untimed rounds, then ${REPS} rounds each running every row once, each run after a GC whose background sweep is waited out (bench/settle.ts); medians; ratios per round against that round's cyclictest`,
  common: "vms.0.tscKhz=2.1GHz, host.tscKhz=2994MHz, shared histograms (HostMetrics as tscsim run), engine auto",
  targetRatio: TARGET_RATIO,
  gcExposed: gc !== undefined,
  results,
});
process.stdout.write(`wrote ${out.pathname}\n`);
