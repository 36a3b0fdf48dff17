// Runs one validated scenario and assembles its result (issue #3 §7, §8).

import type { ScenarioConfig } from "../scenario/types.js";
import type { RunResult } from "../metrics/types.js";
import { VcpuResultList, type StreamedRunResult } from "../metrics/vcpu-result-list.js";
import { HostMetrics } from "../metrics/index.js";
import { aggregateHost } from "../metrics/aggregate.js";
import { defaultMetricsOptions } from "../metrics/host-metrics.js";
import { Simulation, type EngineChoice, type SimulationProgress } from "./engine.js";
import type { AnyGuestProgram } from "./guest.js";
import { buildInfo } from "../build-info.js";
import { encodeRunHistograms, runHistograms, type RunHistograms } from "../report/hdr.js";

export interface RunOptions {
  /** Per-vCPU latency histograms (default: defaultMetricsOptions, up to 64 vCPUs). */
  perVcpuHistograms?: boolean;
  /** Custom guest programs by VM index, replacing the configured workloads. */
  programs?: readonly (AnyGuestProgram | undefined)[];
  /** The backend (SimulationOptions.engine); default "auto". Results are the same. */
  engine?: EngineChoice;
  /**
   * Carry the latency histograms in the result (`histograms`: HdrHistogram's compressed
   * base64 encoding, all vCPUs and per VM). Default false for a run, true in sweeps.
   */
  histograms?: boolean;
  /** Told how far the run has got now and then (SimulationOptions.progress). */
  progress?: SimulationProgress;
  /** Called once the simulation has run, before its result is assembled (benchmarks time the two apart). */
  onSimulated?: () => void;
}

export interface ScenarioRun {
  result: RunResult;
  /** Lines printed by guest programs that asked for output, per vCPU. */
  output: { vm: number; vcpu: number; lines: string[] }[];
  /** The run's ns latency histograms in memory (for .hgrm, cyclictest -h and reports). */
  histograms: RunHistograms;
}

export type { StreamedRunResult };

/** ScenarioRun with a StreamedRunResult: what `tscsim run` writes, at any vCPU count. */
export interface StreamedScenarioRun extends Omit<ScenarioRun, "result" | "output"> {
  result: StreamedRunResult;
  /** ScenarioRun.output made as it is read (read it once, before the next simulation). */
  output: Iterable<ScenarioRun["output"][number]>;
}

/** The result with every vCPU's result built (the RunResult of the library API). */
export function materialized(result: StreamedRunResult): RunResult {
  return { ...result, vcpus: result.vcpus.toArray() };
}

export function runScenario(config: ScenarioConfig, options: RunOptions = {}): ScenarioRun {
  const run = runScenarioStreamed(config, options);
  return { ...run, result: materialized(run.result), output: [...run.output] };
}

/**
 * runScenario without building the per-vCPU results up front: at 10^6 vCPUs they would
 * take more memory than the simulation (issue #13 target 3).
 */
export function runScenarioStreamed(config: ScenarioConfig, options: RunOptions = {}): StreamedScenarioRun {
  const total = config.vms.reduce((n, vm) => n + vm.vcpus, 0);
  const perVcpuHistograms = options.perVcpuHistograms ?? defaultMetricsOptions(total).perVcpuHistograms;
  // HostMetrics' default advance series follows perVcpuHistograms.
  const host = new HostMetrics({ perVcpuHistograms });
  const sim = new Simulation(config, host, options.programs, { engine: options.engine ?? "auto", engineTotalsUntilRead: true, ...(options.progress === undefined ? {} : { progress: options.progress }) });
  const started = performance.now();
  sim.run();
  const wallMs = performance.now() - started;
  options.onSimulated?.();
  const histograms = runHistograms(host);
  const result: StreamedRunResult = {
    tscsim: buildInfo(),
    scenario: config.name,
    seed: config.seed,
    era: config.kvm.era,
    simulatedNs: sim.simulatedNs,
    wallMs,
    events: sim.events,
    ...aggregateHost(host),
    vcpus: new VcpuResultList(host),
    ...(options.histograms === true ? { histograms: encodeRunHistograms(histograms) } : {}),
  };
  const hostSched = sim.schedResult();
  if (hostSched !== null) result.hostSched = hostSched;
  const output = sim.outputsAsRead();
  return { result, output, histograms };
}
