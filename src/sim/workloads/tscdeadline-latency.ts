// kvm-unit-tests x86/tscdeadline_latency.c, re-stated (spec §8.1): TSC-deadline timer on
// vector 0xEF re-armed `delta` cycles after each interrupt; the ISR records
// now - exptime for every interrupt after the first; breakmax stops re-arming.
// A GuestMachine: it runs on every simulated interrupt, so it must not allocate.

import { Exit, type GuestCtx, type GuestMachine } from "../guest.js";
import type { WorkloadParams } from "../../scenario/types.js";
import { APIC_LVTT, LVTT_TSCDEADLINE } from "../apic-regs.js";

const VECTOR = 0xef;
/** TABLE_SIZE of the test: at most this many samples. */
export const TABLE_SIZE = 10000;

const R_EXPTIME = 0;
const R_NOW = 1;

/** The workload's scenario parameters (src/scenario/types.ts). */
export type TscdeadlineLatencyParams = WorkloadParams<"tscdeadline-latency">;

const enum Phase {
  SetMode = 0,
  FirstDeadline = 1,
  HaltLoop = 2,
}

const enum HandlerPhase {
  Start = 0,
  Rearm = 1,
  Eoi = 2,
  Return = 3,
}

export function tscdeadlineLatency(params: TscdeadlineLatencyParams, vcpus: number): GuestMachine {
  const size = Math.min(params.size, TABLE_SIZE);
  const phase = new Uint8Array(vcpus);
  const hphase = new Uint8Array(vcpus);
  const count = new Float64Array(vcpus);
  const hitmax = new Uint8Array(vcpus);
  // The samples themselves are kept only to be printed.
  const samples = new Float64Array(params.printLatencies ? vcpus * size : 0);
  const used = new Uint32Array(vcpus);
  return {
    machine: true,
    step(g: GuestCtx): Exit {
      const v = g.vcpu;
      switch (phase[v]) {
        case Phase.SetMode:
          phase[v] = Phase.FirstDeadline;
          return g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | VECTOR);
        case Phase.FirstDeadline:
          // First deadline: rdmsr(IA32_TSC) + delta.
          g.rdtscTo(R_EXPTIME);
          g.regAdd(R_EXPTIME, R_EXPTIME, params.deltaCycles);
          phase[v] = Phase.HaltLoop;
          return g.wrmsrTscDeadline(R_EXPTIME);
        default:
          // The test checks its condition before each HLT (2019 fix).
          if (hitmax[v] === 1 || used[v]! >= size) return Exit.Done;
          // The variant without hlt spins on its condition in guest mode (idle "poll").
          return params.idle === "poll" ? g.idlePoll() : g.hlt();
      }
    },
    interruptStep(g: GuestCtx): Exit {
      const v = g.vcpu;
      switch (hphase[v]) {
        case HandlerPhase.Start: {
          g.rdtscTo(R_NOW);
          count[v]!++;
          hphase[v] = HandlerPhase.Rearm;
          if (count[v]! > 1) {
            const latency = g.regDiff(R_NOW, R_EXPTIME);
            if (used[v]! < size) {
              if (params.printLatencies) samples[v * size + used[v]!] = latency;
              used[v]!++;
              g.recordLatency(latency);
            }
            if (params.breakmaxCycles !== 0 && latency > params.breakmaxCycles) {
              hitmax[v] = 1;
              hphase[v] = HandlerPhase.Return;
              return g.eoi();
            }
          }
          return Exit.None;
        }
        case HandlerPhase.Rearm:
          g.regAdd(R_EXPTIME, R_NOW, params.deltaCycles);
          hphase[v] = HandlerPhase.Eoi;
          return g.wrmsrTscDeadline(R_EXPTIME);
        case HandlerPhase.Eoi:
          hphase[v] = HandlerPhase.Return;
          return g.eoi();
        default:
          hphase[v] = HandlerPhase.Start;
          return Exit.Iret;
      }
    },
    finish(g: GuestCtx): void {
      if (!params.printLatencies) return;
      const v = g.vcpu;
      const n = used[v]!;
      for (let i = 0; i < n; i++) {
        const last = i === n - 1;
        g.print(`${last && hitmax[v] === 1 ? `hit max: ${params.breakmaxCycles} < ` : ""}latency: ${samples[v * size + i]}`);
      }
    },
  };
}
