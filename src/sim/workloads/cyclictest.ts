// cyclictest's measuring thread as the guest kernel sees it: an absolute TSC deadline
// every interval (next = previous + interval, no drift), HLT until the interrupt; the
// latency is the guest TSC in the handler minus the deadline; after the wake-up the
// thread works for `workNs` in guest mode before it re-arms. (The real tool measures
// in its thread after the wake-up; the handler is where the timer path ends.)
// A GuestMachine: it runs on every simulated interrupt, so it must not allocate.

import { Exit, type GuestCtx, type GuestMachine } from "../guest.js";
import type { WorkloadParams } from "../../scenario/types.js";
import { APIC_LVTT, LVTT_TSCDEADLINE } from "../apic-regs.js";
import { renderCyclictestLine } from "../../report/cyclictest.js";
import { guestCyclesOfNs } from "../guest-time.js";

const VECTOR = 0xec;
const R_NEXT = 0;
const R_NOW = 1;

/** The workload's scenario parameters (src/scenario/types.ts). */
export type CyclictestParams = WorkloadParams<"cyclictest">;

const enum Phase {
  SetMode = 0,
  Start = 1,
  Arm = 2,
  Halt = 3,
  Work = 4,
}

/** Per-vCPU statistics (µs) for the summary line. */
const ST_COUNT = 0;
const ST_MIN = 1;
const ST_MAX = 2;
const ST_SUM = 3;
const ST_ACT = 4;
const ST_LOOPS = 5;
const ST_WIDTH = 6;

/** The thread's statistics in integer µs, as cyclictest keeps them. */
export interface CyclictestStatsUs {
  count: number;
  min: number;
  act: number;
  sum: number;
  max: number;
}

/** cyclictest's Min/Act/Avg/Max line for thread `thread` (both engines print it). */
export function cyclictestSummaryLine(thread: number, intervalNs: number, s: CyclictestStatsUs): string {
  return renderCyclictestLine({
    thread,
    tid: 1000 + thread,
    priority: 99,
    intervalUs: Math.round(intervalNs / 1000),
    cycles: s.count,
    min: s.min,
    act: s.act,
    avg: s.count > 0 ? Math.trunc(s.sum / s.count) : 0,
    max: s.max,
  });
}

export function cyclictest(params: CyclictestParams, vcpus: number): GuestMachine {
  const phase = new Uint8Array(vcpus);
  const pv = params.deadlineMsr === "pv";
  // Guest idle=poll: the thread's CPU spins in guest mode until the interrupt.
  const poll = params.idle === "poll";
  // The guest's TSC calibration, fixed at boot: stale after a migration to another TSC rate.
  let bootKhz = 0;
  let intervalCycles = 0;
  const handlerDone = new Uint8Array(vcpus);
  const stats = new Float64Array(vcpus * ST_WIDTH);
  // cyclictest's initial min and max.
  for (let v = 0; v < vcpus; v++) stats[v * ST_WIDTH + ST_MIN] = 1000000;
  return {
    machine: true,
    step(g: GuestCtx): Exit {
      const v = g.vcpu;
      switch (phase[v]) {
        case Phase.SetMode:
          if (bootKhz === 0) {
            bootKhz = g.tscKhz;
            intervalCycles = guestCyclesOfNs(params.intervalNs, bootKhz);
          }
          phase[v] = Phase.Start;
          return g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | VECTOR);
        case Phase.Start:
          if (pv) g.kvmclockTo(R_NEXT);
          else g.rdtscTo(R_NEXT);
          phase[v] = Phase.Arm;
          return Exit.None;
        case Phase.Arm: {
          const loops = stats[v * ST_WIDTH + ST_LOOPS]!;
          if (params.loops !== 0 && loops >= params.loops) return Exit.Done;
          stats[v * ST_WIDTH + ST_LOOPS] = loops + 1;
          phase[v] = Phase.Halt;
          if (pv) {
            g.regAdd(R_NEXT, R_NEXT, params.intervalNs);
            return g.wrmsrPvDeadline(R_NEXT);
          }
          // The guest converts the interval with the calibration it booted with.
          g.regAdd(R_NEXT, R_NEXT, intervalCycles);
          return g.wrmsrTscDeadline(R_NEXT);
        }
        case Phase.Work:
          phase[v] = Phase.Arm;
          return g.compute(params.workNs);
        default:
          // After the wake-up the thread works (workNs), then re-arms.
          phase[v] = params.workNs > 0 ? Phase.Work : Phase.Arm;
          // The guest sleeps only while this period's wake-up is still to come (an
          // already-expired deadline may have been delivered on the WRMSR's re-entry).
          if (stats[v * ST_WIDTH + ST_COUNT]! >= stats[v * ST_WIDTH + ST_LOOPS]!) return Exit.None;
          return poll ? g.idlePoll() : g.hlt();
      }
    },
    interruptStep(g: GuestCtx): Exit {
      const v = g.vcpu;
      if (handlerDone[v] === 1) {
        handlerDone[v] = 0;
        return Exit.Iret;
      }
      let us: number;
      if (pv) {
        // The deadline is in kvmclock ns: measure against kvmclock.
        g.kvmclockTo(R_NOW);
        const ns = g.regDiff(R_NOW, R_NEXT);
        g.recordLatencyNs(ns);
        us = Math.trunc(ns / 1000);
      } else {
        g.rdtscTo(R_NOW);
        const latency = g.regDiff(R_NOW, R_NEXT);
        g.recordLatency(latency);
        // cyclictest's integer µs (truncated toward zero) by the guest's own calibration.
        us = Math.trunc((latency * 1000) / bootKhz);
      }
      const o = v * ST_WIDTH;
      stats[o + ST_COUNT]!++;
      stats[o + ST_ACT] = us;
      stats[o + ST_SUM]! += us;
      if (us < stats[o + ST_MIN]!) stats[o + ST_MIN] = us;
      if (us > stats[o + ST_MAX]!) stats[o + ST_MAX] = us;
      handlerDone[v] = 1;
      return g.eoi();
    },
    finish(g: GuestCtx): void {
      if (!params.printSummary) return;
      const o = g.vcpu * ST_WIDTH;
      g.print(
        cyclictestSummaryLine(g.vcpu, params.intervalNs, {
          count: stats[o + ST_COUNT]!,
          min: stats[o + ST_MIN]!,
          act: stats[o + ST_ACT]!,
          sum: stats[o + ST_SUM]!,
          max: stats[o + ST_MAX]!,
        }),
      );
    },
  };
}
