// Host-side latencies (scenario host.delays): one compiled sampler per kind, shared by
// every vCPU, drawing from the vCPU's own stream for that purpose (seed, vm, vcpu,
// purpose), so adding a vCPU never changes another vCPU's draws (architecture.md).

import type { HostDelays as HostDelaysConfig } from "../scenario/types.js";
import { compileDelay, type DelaySampler } from "./distributions.js";
import { Purpose, RngBank } from "./rng.js";

const KINDS = ["hrtimer", "wakeup", "vmExit", "vmEntry", "irqDispatch", "msrExit"] as const;
const STREAMS_PER_VCPU = KINDS.length;

export class HostDelaySamplers {
  private readonly bank: RngBank;
  private readonly hrtimerS: DelaySampler;
  private readonly wakeupS: DelaySampler;
  private readonly vmExitS: DelaySampler;
  private readonly vmEntryS: DelaySampler;
  private readonly irqDispatchS: DelaySampler;
  private readonly msrExitS: DelaySampler;

  /** ids[i] = [vm, vcpu in vm] of vCPU i. */
  constructor(config: HostDelaysConfig, seed: number, ids: readonly (readonly [number, number])[]) {
    this.hrtimerS = compileDelay(config.hrtimer, "host.delays.hrtimer");
    this.wakeupS = compileDelay(config.wakeup, "host.delays.wakeup");
    this.vmExitS = compileDelay(config.vmExit, "host.delays.vmExit");
    this.vmEntryS = compileDelay(config.vmEntry, "host.delays.vmEntry");
    this.irqDispatchS = compileDelay(config.irqDispatch, "host.delays.irqDispatch");
    this.msrExitS = compileDelay(config.msrExit, "host.delays.msrExit");
    this.bank = new RngBank(Math.max(1, ids.length * STREAMS_PER_VCPU));
    ids.forEach(([vm, vcpu], i) => {
      KINDS.forEach((kind, k) => this.bank.seed(i * STREAMS_PER_VCPU + k, seed, vm, vcpu, Purpose[kind]));
    });
  }

  hrtimer(v: number): number {
    return this.hrtimerS.sampleNs(this.bank.select(v * STREAMS_PER_VCPU));
  }
  wakeup(v: number): number {
    return this.wakeupS.sampleNs(this.bank.select(v * STREAMS_PER_VCPU + 1));
  }
  vmExit(v: number): number {
    return this.vmExitS.sampleNs(this.bank.select(v * STREAMS_PER_VCPU + 2));
  }
  vmEntry(v: number): number {
    return this.vmEntryS.sampleNs(this.bank.select(v * STREAMS_PER_VCPU + 3));
  }
  irqDispatch(v: number): number {
    return this.irqDispatchS.sampleNs(this.bank.select(v * STREAMS_PER_VCPU + 4));
  }
  msrExit(v: number): number {
    return this.msrExitS.sampleNs(this.bank.select(v * STREAMS_PER_VCPU + 5));
  }
}
