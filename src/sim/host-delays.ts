// Host-side latencies (scenario host.delays): each kind's distribution compiled once into
// a small program in wasm memory, drawn from the vCPU's own stream for that kind
// (seed, vm, vcpu, purpose), so adding a vCPU never changes another vCPU's draws
// (architecture.md). Both engines (the TypeScript state machine and the wasm cyclictest
// engine) draw through wasm, so they see the same delays. distributions.ts keeps the
// reference samplers and the parameter validation.

import type { DelayDist, HostDelays as HostDelaysConfig } from "../scenario/types.js";
import { DELAY_NAMES } from "../scenario/delays.js";
import { compileDelay, lognormalParams } from "./distributions.js";
import { Purpose, deriveStreamState } from "./rng.js";
import { ZIGGURAT_TABLE_CELLS, zigguratTables } from "./ziggurat.js";
import { wasm } from "../wasm.js";
import type { VcpuIds } from "./vcpu-ids.js";

/** Delay kinds in stream order (the scenario's DELAY_NAMES): a kind's index is its number in wasm (sampleDelay). */
export const DELAY_KINDS = DELAY_NAMES;
const STREAMS_PER_VCPU = DELAY_KINDS.length;

/** Program node codes: assembly/sim/delay_samplers.ts DelayNode. */
const { DelayNode } = wasm;
const NODE = {
  fixed: DelayNode.Fixed,
  uniform: DelayNode.Uniform,
  normal: DelayNode.Normal,
  lognormal: DelayNode.Lognormal,
  empirical: DelayNode.Empirical,
  mixture: DelayNode.Mixture,
} as const;

/** Appends the program of `d` (already validated by compileDelay) to `out`; returns its first cell. */
export function emit(d: DelayDist, out: number[]): number {
  const at = out.length;
  switch (d.dist) {
    case "fixed":
      out.push(NODE.fixed, Math.round(d.valueNs));
      break;
    case "uniform": {
      const minNs = Math.round(d.minNs);
      out.push(NODE.uniform, minNs, Math.round(d.maxNs) - minNs + 1);
      break;
    }
    case "normal":
      out.push(NODE.normal, d.meanNs, d.sdNs);
      break;
    case "lognormal": {
      const { mu, sigma } = lognormalParams(d);
      out.push(NODE.lognormal, mu, sigma);
      break;
    }
    case "empirical":
      // One push per sample: spreading up to MAX_EMPIRICAL_SAMPLES arguments overflows the stack.
      out.push(NODE.empirical, d.samplesNs.length);
      for (const sample of d.samplesNs) out.push(Math.round(sample));
      break;
    case "mixture": {
      const n = d.parts.length;
      out.push(NODE.mixture, n);
      let acc = 0;
      for (const p of d.parts) out.push((acc += p.weight));
      const slots = out.length;
      for (let i = 0; i < n; i++) out.push(0);
      d.parts.forEach((p, i) => (out[slots + i] = emit(p.part, out)));
      break;
    }
  }
  return at;
}

/** Every delay kind's distribution as one program of f64 cells for the wasm samplers, and where each kind's starts. */
export interface DelayProgram {
  cells: number[];
  roots: number[];
}

/** host.delays compiled into a DelayProgram; bad input throws InputRangeError naming the field. */
export function delayProgram(config: HostDelaysConfig): DelayProgram {
  const cells: number[] = [];
  const roots = DELAY_KINDS.map((kind) => {
    // Validation with field names (InputRangeError) happens here, before anything is written.
    compileDelay(config[kind], `host.delays.${kind}`);
    return emit(config[kind], cells);
  });
  return { cells, roots };
}

/** The ziggurat's tables are in this thread's wasm instance (they never change; the block lives as long as it). */
let zigguratLoaded = false;

export class HostDelaySamplers {
  /**
   * Loads `program` into wasm and seeds each vCPU's streams from (seed, vm, vcpu, purpose);
   * then one stream per `extra` key (the wasm engine's background tasks), from index
   * count × kinds on.
   */
  constructor({ cells: program, roots }: DelayProgram, seed: number, ids: Pick<VcpuIds, "count" | "vmOf" | "vcpuInVm">, extra: readonly { vm: number; vcpu: number; purpose: number }[] = []) {
    if (!zigguratLoaded) {
      new Float64Array(wasm.memory.buffer, wasm.delayZigguratInit(), ZIGGURAT_TABLE_CELLS).set(zigguratTables());
      zigguratLoaded = true;
    }
    const programPtr = wasm.delayProgramInit(program.length);
    new Float64Array(wasm.memory.buffer, programPtr, program.length).set(program);
    roots.forEach((node, kind) => wasm.delaySetRoot(kind, node));
    const streams = Math.max(1, ids.count * STREAMS_PER_VCPU + extra.length);
    const statePtr = wasm.rngStreamsInit(streams);
    const state = new Int32Array(wasm.memory.buffer, statePtr, streams * 4);
    for (let i = 0; i < ids.count; i++) {
      const vm = ids.vmOf(i);
      const vcpu = ids.vcpuInVm(i);
      DELAY_KINDS.forEach((kind, k) => deriveStreamState(seed, vm, vcpu, Purpose[kind], state, (i * STREAMS_PER_VCPU + k) * 4));
    }
    extra.forEach((key, k) => deriveStreamState(seed, key.vm, key.vcpu, key.purpose, state, (ids.count * STREAMS_PER_VCPU + k) * 4));
  }

  hrtimer(v: number): number {
    return wasm.sampleDelay(0, v);
  }
  wakeup(v: number): number {
    return wasm.sampleDelay(1, v);
  }
  vmExit(v: number): number {
    return wasm.sampleDelay(2, v);
  }
  vmEntry(v: number): number {
    return wasm.sampleDelay(3, v);
  }
  irqDispatch(v: number): number {
    return wasm.sampleDelay(4, v);
  }
  msrExit(v: number): number {
    return wasm.sampleDelay(5, v);
  }
  cpuIdleExit(v: number): number {
    return wasm.sampleDelay(6, v);
  }
}
