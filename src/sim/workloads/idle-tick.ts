// An idle guest (scenario S18): the periodic scheduler tick at CONFIG_HZ, armed as a TSC
// deadline each tick, with HLT in between; or nohz idle, where no timer is armed at all.

import { Exit, type GuestCtx, type GuestMachine } from "../guest.js";
import type { WorkloadParams } from "../../scenario/types.js";
import { cyclictest } from "./cyclictest.js";

export type IdleTickParams = WorkloadParams<"idle-tick">;

export function idleTick(params: IdleTickParams, vcpus: number): GuestMachine {
  if (!params.nohz) {
    return cyclictest({ intervalNs: Math.round(1e9 / params.hz), loops: 0, printSummary: false, deadlineMsr: "tsc", workNs: 0, idle: "halt" }, vcpus);
  }
  return {
    machine: true,
    step(g: GuestCtx): Exit {
      return g.hlt();
    },
    interruptStep(): Exit {
      return Exit.Iret;
    },
  };
}
