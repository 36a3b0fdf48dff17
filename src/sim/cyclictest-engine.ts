// The wasm cyclictest engine's host side (assembly/sim/cyclictest_engine.ts): decides
// whether a scenario is inside its scope, configures it, runs it while draining its
// metric log into the collectors, and hands over its counters and cyclictest summary
// lines at the end. The TypeScript state machine (vcpu.ts, lapic.ts) is the other
// backend; outside this scope the engine uses that one (architecture.md, "One factory,
// two backends"). test/sim/engine-differential.test.ts holds the two to identical results.

import { wasm } from "../wasm.js";
import type { ScenarioConfig, WorkloadParams } from "../scenario/types.js";
import type { EraPolicy } from "./eras.js";
import type { MetricsSink } from "./metrics-sink.js";
import { renderCyclictestLine } from "../report/cyclictest.js";

const U32_MAX = 0xffffffff;
const COUNTERS = 15;
const LOG_RECORD_F64 = 3;
const LOG_CAPACITY = 4096;

/**
 * Why the scenario needs the TypeScript engine, or null when the wasm engine runs it:
 * every VM runs the built-in cyclictest through IA32_TSC_DEADLINE with the CPUID bit,
 * without pauses, migrations or the lazy/PV deadline proposals.
 */
export function cyclictestEngineExclusion(config: ScenarioConfig): string | null {
  const { kvm } = config;
  if (kvm.lazyTscDeadline) return "kvm.lazyTscDeadline is on";
  if (kvm.pvDeadline) return "kvm.pvDeadline is on";
  for (const [i, hp] of [["kvm.haltPoll.maxNs", kvm.haltPoll.maxNs], ["kvm.haltPoll.growStartNs", kvm.haltPoll.growStartNs], ["kvm.haltPoll.grow", kvm.haltPoll.grow], ["kvm.haltPoll.shrink", kvm.haltPoll.shrink]] as const) {
    if (!Number.isInteger(hp) || hp < 0 || hp > U32_MAX) return `${i} is outside u32`;
  }
  for (const [i, vm] of config.vms.entries()) {
    if (vm.workload.kind !== "cyclictest") return `vms.${i}.workload.kind is ${vm.workload.kind}`;
    if (vm.workload.deadlineMsr !== "tsc") return `vms.${i}.workload.deadlineMsr is ${vm.workload.deadlineMsr}`;
    if (!vm.tscDeadline) return `vms.${i}.tscDeadline is false`;
    if (vm.pauses.length > 0) return `vms.${i}.pauses is not empty`;
    if (vm.migrations.length > 0) return `vms.${i}.migrations is not empty`;
  }
  return null;
}

export interface CyclictestEngineSetup {
  config: ScenarioConfig;
  era: EraPolicy;
  hvTimer: boolean;
  startNs: number;
  /** Halt polling allowed, per VM (kvm_arch_no_poll is false). */
  pollAllowed: readonly boolean[];
  /** VM index of each vCPU, in engine order. */
  vmOf: readonly number[];
  /** vCPU index within its VM, in engine order. */
  vcpuInVm: readonly number[];
  sinks: readonly MetricsSink[];
}

export class CyclictestEngine {
  constructor(private readonly s: CyclictestEngineSetup) {
    const { config, era } = s;
    const { kvm, host } = config;
    const stalls = host.stalls;
    wasm.ctEngineConfigure(
      era.code,
      kvm.timerAdvance.kind === "adaptive",
      era.globalAdvance,
      era.expireWithinAdvance,
      s.hvTimer,
      era.hvBusyWaitEveryMode,
      kvm.apicv,
      host.preemptionTimerRate,
      host.hz,
      BigInt(s.startNs),
      stalls === null ? 0 : stalls.everyNs,
      stalls === null ? 0 : stalls.lengthNs,
    );
    const hp = kvm.haltPoll;
    wasm.ctEngineHaltPoll(hp.dynamic, hp.maxNs, hp.grow, hp.growStartNs, hp.shrink);
    wasm.ctEngineInit(s.vmOf.length, config.vms.length);
    wasm.engineMetricsInit(s.vmOf.length);
    config.vms.forEach((vm, i) => {
      const w = vm.workload as WorkloadParams<"cyclictest">;
      // The guest converts the interval with the calibration it booted with (cyclictest.ts).
      wasm.ctEngineSetVm(i, Math.floor((w.intervalNs * vm.tscKhz) / 1e6), w.loops, vm.tscKhz, s.pollAllowed[i]!, w.workNs);
    });
    s.vmOf.forEach((vm, v) => wasm.ctEngineSetVcpu(v, vm));
  }

  /** Every vCPU's first events, in index order (Vcpu.start). */
  start(): void {
    wasm.ctEngineStart();
  }

  /** Runs to the horizon (after start); returns the events popped. */
  run(): number {
    const sinks = this.s.sinks;
    for (;;) {
      const more = wasm.ctEngineRun();
      this.drain(sinks);
      if (more === 0) break;
    }
    this.handOver();
    return wasm.ctEngineEvents();
  }

  /** Replays the logged MetricsSink calls in the order the engine made them. */
  private drain(sinks: readonly MetricsSink[]): void {
    const n = wasm.engineLogCount();
    if (n === 0) return;
    const log = new Float64Array(wasm.memory.buffer, wasm.engineLogPtr(), LOG_CAPACITY * LOG_RECORD_F64);
    for (let i = 0, o = 0; i < n; i++, o += LOG_RECORD_F64) {
      const code = log[o]!;
      const type = code % 4;
      const sink = sinks[(code - type) / 4]!;
      if (type === 0) sink.recordLatency(log[o + 1]!, log[o + 2]!);
      else if (type === 1) sink.recordAdvance(log[o + 1]!, log[o + 2]!);
      else sink.hrtimerCallback(log[o + 1]!);
    }
    wasm.engineLogClear();
  }

  /** The counters each vCPU accumulated in wasm, added to its sink. */
  private handOver(): void {
    const n = this.s.sinks.length;
    const counters = new Float64Array(wasm.memory.buffer, wasm.engineCountersPtr(), n * COUNTERS);
    this.s.sinks.forEach((sink, v) => sink.addCounts(counters.subarray(v * COUNTERS, (v + 1) * COUNTERS)));
  }

  /** cyclictest's summary line for vCPU v (engine order), as workloads/cyclictest.ts prints it. */
  summaryLine(v: number): string {
    const vm = this.s.config.vms[this.s.vmOf[v]!]!;
    const w = vm.workload as WorkloadParams<"cyclictest">;
    const st = new Float64Array(wasm.memory.buffer, wasm.ctEngineStatsPtr(v), 6);
    const [count, , min, max, act, sum] = st as unknown as [number, number, number, number, number, number];
    const thread = this.s.vcpuInVm[v]!;
    return renderCyclictestLine({
      thread,
      tid: 1000 + thread,
      priority: 99,
      intervalUs: Math.round(w.intervalNs / 1000),
      cycles: count,
      min,
      act,
      avg: count > 0 ? Math.trunc(sum / count) : 0,
      max,
    });
  }
}
