// The wasm engine's TSC-deadline workloads and deadline proposals, host side: which VMs'
// workloads it runs (cyclictest on either deadline MSR, tscdeadline-latency, rearm-storm,
// idle-tick), the per-VM cells their guest programs read (assembly/sim/guest_*.ts), the
// side arrays they need (assembly/sim/guest_tscdl_state.ts), and the lines they print,
// rendered here from what the engine kept, as the TypeScript programs print them.

import { wasm } from "../wasm.js";
import type { ScenarioConfig, VmConfig, Workload } from "../scenario/types.js";
import { guestCyclesOfNs } from "./guest-time.js";
import { TABLE_SIZE } from "./workloads/tscdeadline-latency.js";
import type { VcpuIds } from "./vcpu-ids.js";

/** Why the wasm engine cannot run VM i's workload (its part of wasmEngineExclusion), or null. */
export function tscdlVmExclusion(i: number, vm: VmConfig): string | null {
  const w = vm.workload;
  if (w.kind === "periodic" || w.kind === "oneshot") return `vms.${i}.workload.kind is ${w.kind}`;
  // Without the CPUID bit LVTT cannot enter deadline mode. Only idle-tick's nohz (which
  // arms no timer and never writes LVTT) passes validation so (schema.ts needsTscDeadline):
  // the bit changes nothing there. Any other such VM stays on the TypeScript engine.
  if (!vm.tscDeadline && !(w.kind === "idle-tick" && w.nohz)) return `vms.${i}.tscDeadline is false`;
  return null;
}

/** The deadline proposals keep their state in the vCPU records' full layout. */
export function needsFullRecords(config: ScenarioConfig): boolean {
  return config.kvm.lazyTscDeadline || config.kvm.pvDeadline;
}

/** Samples a tscdeadline-latency vCPU keeps for printing (0 when it does not print them). */
function samplesPerVcpu(w: Workload): number {
  return w.kind === "tscdeadline-latency" && w.printLatencies ? Math.min(w.size, TABLE_SIZE) : 0;
}

/**
 * Before simMemoryReserve, for either engine: what the wasm engine's TSC-deadline programs
 * will allocate (nothing on the TypeScript engine), so that memory grows once.
 */
export function planGuestState(config: ScenarioConfig, onWasm: boolean): void {
  if (!onWasm) {
    wasm.guestStatePlan(0, false, false, false);
    return;
  }
  const samples = config.vms.reduce((n, vm) => n + vm.vcpus * samplesPerVcpu(vm.workload), 0);
  const rewrites = config.vms.some((vm) => vm.workload.kind === "rearm-storm");
  const pvStats = config.vms.some((vm) => vm.workload.kind === "cyclictest" && vm.workload.deadlineMsr === "pv");
  wasm.guestStatePlan(samples, rewrites, pvStats, needsFullRecords(config));
}

/** What ctEngineSetVm takes besides the exit policy, for the VM's workload. */
export interface EngineVmParams {
  code: number;
  intervalNs: number;
  loops: number;
  workNs: number;
  idlePoll: boolean;
}

/** The parameters ctEngineSetVm takes for a workload (idle-tick's HZ tick is cyclictest's). */
export function engineVmParams(w: Workload): EngineVmParams {
  switch (w.kind) {
    case "cyclictest":
      return { code: w.deadlineMsr === "pv" ? wasm.WK_CYCLICTEST_PV.value : wasm.WK_CYCLICTEST.value, intervalNs: w.intervalNs, loops: w.loops, workNs: w.workNs, idlePoll: w.idle === "poll" };
    case "idle-tick":
      // workloads/idle-tick.ts: the tick is cyclictest every 1/HZ s, forever, halting.
      if (!w.nohz) return { code: wasm.WK_CYCLICTEST.value, intervalNs: Math.round(1e9 / w.hz), loops: 0, workNs: 0, idlePoll: false };
      return { code: wasm.WK_IDLE_NOHZ.value, intervalNs: 0, loops: 0, workNs: 0, idlePoll: false };
    case "tscdeadline-latency":
      return { code: wasm.WK_TSCDEADLINE_LATENCY.value, intervalNs: 0, loops: 0, workNs: 0, idlePoll: w.idle === "poll" };
    case "rearm-storm":
      return { code: wasm.WK_REARM_STORM.value, intervalNs: 0, loops: 0, workNs: 0, idlePoll: false };
    default:
      throw new Error(`workload ${w.kind} is outside the wasm engine's scope (wasmEngineExclusion)`);
  }
}

/**
 * Sets the cells of VM i's workload (indices 10-17), after ctEngineSetVm; every cell the
 * VM's program reads is set (cells are not zeroed). `sampleBase` is the VM's first sample
 * cell when it prints its samples (the sum of the earlier printing VMs' cells).
 */
export function setTscdlCells(i: number, vm: VmConfig, firstVcpu: number, sampleBase: number): number {
  const w = vm.workload;
  const cell = (c: { value: number }, x: number): void => wasm.ctEngineSetVmCell(i, c.value, x);
  cell(wasm.VM_CT_INTERVAL_NS, w.kind === "cyclictest" ? w.intervalNs : 0);
  if (w.kind === "tscdeadline-latency") {
    const size = Math.min(w.size, TABLE_SIZE);
    cell(wasm.VM_TDL_DELTA_CYCLES, w.deltaCycles);
    cell(wasm.VM_TDL_SIZE, size);
    cell(wasm.VM_TDL_BREAKMAX_CYCLES, w.breakmaxCycles);
    cell(wasm.VM_TDL_SAMPLES_BASE, w.printLatencies ? sampleBase : -1);
    cell(wasm.VM_TDL_FIRST_VCPU, firstVcpu);
    return sampleBase + vm.vcpus * samplesPerVcpu(w);
  }
  if (w.kind === "rearm-storm") {
    // The guest converts with its VM's rate (workloads/rearm-storm.ts: g.tscKhz).
    cell(wasm.VM_RS_INTERVAL_CYCLES, guestCyclesOfNs(w.intervalNs, vm.tscKhz));
    cell(wasm.VM_RS_REWRITES, w.rewrites);
    cell(wasm.VM_RS_SPACING_NS, w.spacingNs);
  }
  return sampleBase;
}

/**
 * tscdeadline-latency's printed lines for vCPU v (engine order), as the TypeScript
 * program's finish prints them: one per sample, the last prefixed when breakmax stopped it.
 */
export function tdlLines(config: ScenarioConfig, ids: VcpuIds, sampleBases: readonly number[], v: number): string[] {
  const vm = ids.vmOf(v);
  const w = config.vms[vm]!.workload;
  if (w.kind !== "tscdeadline-latency" || !w.printLatencies) return [];
  const size = Math.min(w.size, TABLE_SIZE);
  // The samples recorded are the vCPU's interrupts (ctEngineStats' count).
  const n = new Float64Array(wasm.memory.buffer, wasm.ctEngineStats(v), 1)[0]!;
  const hitMax = wasm.ctEngineTdlHitMax(v);
  const samples = new Float64Array(wasm.memory.buffer, wasm.ctEngineSamplesPtr() + (sampleBases[vm]! + ids.vcpuInVm(v) * size) * 8, n);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`${i === n - 1 && hitMax ? `hit max: ${w.breakmaxCycles} < ` : ""}latency: ${samples[i]}`);
  return lines;
}
