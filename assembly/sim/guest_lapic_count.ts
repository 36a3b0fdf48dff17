// The `periodic` and `oneshot` workloads on the wasm engine: src/sim/workloads/lapic-count.ts's
// generator programs as a state machine, with the same exits in the same order. Each
// step does what the generator does between two yields and returns the exit of the
// yield that ends it. engine_guest.ts dispatches to it by the VM's workload.
//
//   TDCR write → LVTT write (periodic or one-shot mode) → [arm] → wait (HLT, or 10 µs of
//   guest work at a time when busy) until ...
//   periodic: arm once (TMICT write); every interrupt: latency against TMICT write + k
//             periods, lateness against the previous interrupt + the period.
//   oneshot:  arm (TMICT write) after each interrupt, after gapNs of work if any;
//             latency against the TMICT write's TSC + one period.
//
// Registers: R_NEXT the expected TSC (lapic-count.ts R_EXPECTED); R_NOW the handler's TSC,
// which in periodic mode also stays as the previous interrupt's (R_PREVIOUS there) until
// the next handler reads it: no third register.

import { rec, reg, guestTscNow } from "./vcpu_layout";
import { cyclesToNsSigned } from "./vcpu_timer";
import { Count, count, metricLatency } from "./engine_metrics";
import { metricPeriodLateness } from "./engine_lateness";
import { F_IN_HANDLER, F_TO_DELIVER, F_WAIT_IDLE, F_WAIT_POLL, STATE, S_GUEST } from "./engine_record";
import { F_HANDLER_DONE, F_IN_SERVICE, PHASE, R_NEXT, R_NOW, COMPUTE_LEFT_NS, X_APIC_WRITE, X_APIC_WRITE_TRACED, X_COMPUTE, X_HALT, X_IRET, X_NONE, apicv, clear, has, set, vmCell } from "./engine_record";
import { F_FIRED, TM_PERIODIC, VM_GAP_NS, VM_PERIOD_CYCLES, VM_WAIT_BUSY, timerMode, writeTmict } from "./engine_lapic_count";
import { TraceExit, TraceKind, trace } from "./trace_log";

// Phases (PHASE; 0 at the start).
const LC_TDCR: u8 = 0;
const LC_LVTT: u8 = 1;
const LC_ARM: u8 = 2;
const LC_WAIT: u8 = 3;

/** Guest work between checks when waiting busy (lapic-count.ts BUSY_STEP_NS). */
export const BUSY_STEP_NS: i64 = 10000;

/** Vcpu.writeApic's exit, counted and traced before the LAPIC work it does. */
// @ts-ignore: decorator
@inline
function apicWriteExit(v: i32): i32 {
  count(v, Count.ExitApicWrite);
  trace(TraceKind.Exit, v, TraceExit.ApicWrite);
  return X_APIC_WRITE_TRACED;
}

/** The main flow (GuestMachine.step). */
export function lapicCountStep(e: usize, v: i32): i32 {
  switch (load<u8>(e + PHASE)) {
    case LC_TDCR:
      // writeTdcr: no period runs yet, so update_target_expiration is not reached.
      store<u8>(e + PHASE, LC_LVTT);
      return apicWriteExit(v);
    case LC_LVTT:
      // writeLvtt: one-shot -> periodic (or one-shot again) with no timer started:
      // apic_update_lvtt has nothing to cancel, the (zero) period nothing to floor.
      store<u8>(e + PHASE, LC_ARM);
      return apicWriteExit(v);
    case LC_ARM:
      return arm(e, v);
    default: {
      // Waiting. One-shot: the interrupt came, so re-arm (after the gap's work, if any).
      if (timerMode(e) != TM_PERIODIC && has(e, F_FIRED)) {
        store<u8>(e + PHASE, LC_ARM);
        const gapNs = vmCell(e, VM_GAP_NS);
        if (gapNs <= 0) return arm(e, v);
        store<f64>(e + COMPUTE_LEFT_NS, gapNs);
        return X_COMPUTE;
      }
      if (vmCell(e, VM_WAIT_BUSY) == 0) return X_HALT;
      store<f64>(e + COMPUTE_LEFT_NS, f64(BUSY_STEP_NS));
      return X_COMPUTE;
    }
  }
}

/**
 * The vCPU's next step (its GUEST_RESUME in guest mode) only starts another 10 µs of busy
 * waiting: the workload waits busy, nothing is to be delivered or handled, no work is
 * left over, and a one-shot's interrupt has not come (engine_chain.ts skipBusySteps).
 */
export function busyWaiting(e: usize): bool {
  if (vmCell(e, VM_WAIT_BUSY) == 0 || load<u8>(e + PHASE) != LC_WAIT || load<u8>(e + STATE) != S_GUEST) return false;
  if (has(e, F_IN_HANDLER | F_TO_DELIVER | F_WAIT_POLL | F_WAIT_IDLE) || load<f64>(e + COMPUTE_LEFT_NS) != 0) return false;
  return timerMode(e) == TM_PERIODIC || !has(e, F_FIRED);
}

/** RDTSC, then the TMICT write that starts the count (periodic: once). */
function arm(e: usize, v: i32): i32 {
  const p = rec(v);
  store<u8>(e + PHASE, LC_WAIT);
  const now = guestTscNow(p);
  if (timerMode(e) == TM_PERIODIC) {
    store<u64>(reg(p, R_NEXT), now);
    store<u64>(reg(p, R_NOW), now);
  } else {
    store<u64>(reg(p, R_NEXT), now + u64(i64(vmCell(e, VM_PERIOD_CYCLES))));
    clear(e, F_FIRED);
  }
  const exit = apicWriteExit(v);
  writeTmict(e, v);
  return exit;
}

/** The interrupt handler (GuestMachine.interruptStep): measure, EOI, IRET. */
export function lapicCountInterruptStep(e: usize, v: i32): i32 {
  if (has(e, F_HANDLER_DONE)) {
    clear(e, F_HANDLER_DONE);
    return X_IRET;
  }
  const p = rec(v);
  const now = guestTscNow(p);
  const next = reg(p, R_NEXT);
  const prev = reg(p, R_NOW);
  if (timerMode(e) == TM_PERIODIC) {
    const periodCycles = vmCell(e, VM_PERIOD_CYCLES);
    store<u64>(next, load<u64>(next) + u64(i64(periodCycles)));
    const latency = f64(i64(now - load<u64>(next)));
    metricLatency(v, latency, cyclesToNsSigned(v, latency));
    const lateness = f64(i64(now - load<u64>(prev))) - periodCycles;
    metricPeriodLateness(v, cyclesToNsSigned(v, lateness));
  } else {
    const latency = f64(i64(now - load<u64>(next)));
    metricLatency(v, latency, cyclesToNsSigned(v, latency));
    set(e, F_FIRED);
  }
  store<u64>(prev, now);
  set(e, F_HANDLER_DONE);
  // eoi(): APICv virtualizes it; else an APIC-write exit.
  clear(e, F_IN_SERVICE);
  if (apicv) return X_NONE;
  count(v, Count.ExitApicWrite);
  return X_APIC_WRITE;
}
