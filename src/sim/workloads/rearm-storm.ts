// A TCP_RR-like timer pattern (seed 004, scenario S15): each period the guest arms a
// TSC deadline `interval` ahead, then, before it expires, rewrites it `rewrites` times,
// each `spacing` of guest work later and pushed further out (as a network stack
// re-arming its retransmit timer does); then it HLTs until the interrupt. The latency
// is the guest TSC in the handler minus the last deadline written.
// A GuestMachine: it runs on every simulated interrupt, so it must not allocate.

import { Exit, type GuestCtx, type GuestMachine } from "../guest.js";
import { APIC_LVTT, LVTT_TSCDEADLINE } from "../apic-regs.js";
import type { WorkloadParams } from "../../scenario/types.js";
import { guestCyclesOfNs } from "../guest-time.js";

const VECTOR = 0xee;
const R_DEADLINE = 0;
const R_NOW = 1;

export type RearmStormParams = WorkloadParams<"rearm-storm">;

const enum Phase {
  SetMode = 0,
  Arm = 1,
  Work = 2,
  Rewrite = 3,
}

export function rearmStorm(params: RearmStormParams, vcpus: number): GuestMachine {
  const phase = new Uint8Array(vcpus);
  const rewritten = new Uint32Array(vcpus);
  const handlerDone = new Uint8Array(vcpus);
  /** Periods armed and interrupts handled: the guest halts only while one is due. */
  const armed = new Float64Array(vcpus);
  const fired = new Float64Array(vcpus);
  /** Write register R_DEADLINE = now + interval (in the guest's cycles) to the MSR. */
  const writeDeadline = (g: GuestCtx): Exit => {
    g.rdtscTo(R_DEADLINE);
    g.regAdd(R_DEADLINE, R_DEADLINE, guestCyclesOfNs(params.intervalNs, g.tscKhz));
    return g.wrmsrTscDeadline(R_DEADLINE);
  };
  return {
    machine: true,
    step(g: GuestCtx): Exit {
      const v = g.vcpu;
      switch (phase[v]) {
        case Phase.SetMode:
          phase[v] = Phase.Arm;
          return g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | VECTOR);
        case Phase.Arm:
          rewritten[v] = 0;
          armed[v]!++;
          phase[v] = Phase.Work;
          return writeDeadline(g);
        case Phase.Work:
          if (rewritten[v]! < params.rewrites) {
            phase[v] = Phase.Rewrite;
            return g.compute(params.spacingNs);
          }
          phase[v] = Phase.Arm;
          return fired[v]! >= armed[v]! ? Exit.None : g.hlt();
        default:
          rewritten[v]!++;
          phase[v] = Phase.Work;
          return writeDeadline(g);
      }
    },
    interruptStep(g: GuestCtx): Exit {
      const v = g.vcpu;
      if (handlerDone[v] === 1) {
        handlerDone[v] = 0;
        return Exit.Iret;
      }
      g.rdtscTo(R_NOW);
      g.recordLatency(g.regDiff(R_NOW, R_DEADLINE));
      fired[v]!++;
      handlerDone[v] = 1;
      return g.eoi();
    },
  };
}
