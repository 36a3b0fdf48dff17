// A TCP_RR-like timer pattern on the wasm engine: src/sim/workloads/rearm-storm.ts's
// GuestMachine, mirrored step for step. Each period the guest arms a TSC deadline an
// interval ahead and rewrites it `rewrites` times, `spacing` of guest work apart, each
// further out; then it HLTs until the interrupt.
// State: the phase in PHASE, the periods armed in ST_LOOPS, the interrupts handled are the
// vCPU's interrupt count (one metricLatency each), the rewrites in a side array.

import { rec, reg, guestTscNowKept } from "./vcpu_layout";
import { cyclesToNsSigned } from "./vcpu_timer";
import { Count, count, countOf, metricLatency } from "./engine_metrics";
import { COMPUTE_LEFT_NS, F_HANDLER_DONE, PHASE, R_NEXT, R_NOW, ST_LOOPS, VM_RS_INTERVAL_CYCLES, VM_RS_REWRITES, VM_RS_SPACING_NS, X_COMPUTE, X_HALT, X_IRET, X_MSR_WRITE, X_NONE, clear, has, set, vmCell } from "./engine_record";
import { guestEoi, setTscDeadlineMode } from "./engine_lapic";
import { wrmsrTscDeadline } from "./engine_deadline";
import { writeTscDeadlineStorm, writeTscDeadlineStormLazy } from "./engine_lapic_start";
import { lazyGuestWriteValue } from "./deadline_proposals";
import { rewritesCell } from "./guest_tscdl_state";

const PH_SET_MODE: u8 = 0;
const PH_ARM: u8 = 1;
const PH_WORK: u8 = 2;
const PH_REWRITE: u8 = 3;

/** writeDeadline: R_NEXT = now + interval (the guest's cycles at the VM's rate) to the MSR. */
function writeDeadline(e: usize, v: i32): i32 {
  return writeDeadlineOn(e, v, false);
}

/**
 * writeDeadline; `plain` (a constant at each call) folds the proposals' and the trace's
 * tests away; `lazy` (a constant, with plain): rearm-storm's lazy copy, with
 * wrmsrTscDeadline's lazy steps (engine_deadline.ts) kept and the PV proposal off: the
 * guest updates the shared page, and traps only when nothing is armed or the new deadline
 * is earlier.
 */
// @ts-ignore: decorator
@inline
function writeDeadlineOn(e: usize, v: i32, plain: bool, lazy: bool = false): i32 {
  const p = rec(v);
  const guest = guestTscNowKept(p);
  const value = guest + u64(i64(vmCell(e, VM_RS_INTERVAL_CYCLES)));
  store<u64>(reg(p, R_NEXT), value);
  if (!plain) return wrmsrTscDeadline(e, v);
  if (lazy && !lazyGuestWriteValue(p, value)) return X_NONE;
  count(v, Count.ExitMsrWrite);
  // The preemption timer's arm reads the guest TSC in this same instant: this value.
  if (lazy) writeTscDeadlineStormLazy(e, v, guest, p);
  else writeTscDeadlineStorm(e, v, guest, p);
  return X_MSR_WRITE;
}

/** GuestMachine.step. */
export function rearmStormStep(e: usize, v: i32): i32 {
  return rearmStormStepOn(e, v, false);
}

/**
 * GuestMachine.step; `plain` (a constant at each call): engine_loop.ts's rearm-storm copy,
 * whose deadline writes are writeDeadlineOn's plain form, inlined at one place (both
 * phases that write fall through to it): no call per write; `lazy` (a constant, with
 * plain): its lazy copy's (writeDeadlineOn's).
 */
// @ts-ignore: decorator
@inline
export function rearmStormStepOn(e: usize, v: i32, plain: bool, lazy: bool = false): i32 {
  switch (load<u8>(e + PHASE)) {
    case PH_SET_MODE:
      store<u8>(e + PHASE, PH_ARM);
      return setTscDeadlineMode(e, v);
    case PH_ARM:
      store<u32>(rewritesCell(v), 0);
      store<f64>(e + ST_LOOPS, load<f64>(e + ST_LOOPS) + 1);
      store<u8>(e + PHASE, PH_WORK);
      if (!plain) return writeDeadline(e, v);
      break;
    case PH_WORK:
      if (f64(load<u32>(rewritesCell(v))) < vmCell(e, VM_RS_REWRITES)) {
        store<u8>(e + PHASE, PH_REWRITE);
        store<f64>(e + COMPUTE_LEFT_NS, vmCell(e, VM_RS_SPACING_NS));
        return X_COMPUTE;
      }
      store<u8>(e + PHASE, PH_ARM);
      return countOf(v, Count.Interrupts) >= load<f64>(e + ST_LOOPS) ? X_NONE : X_HALT;
    default:
      store<u32>(rewritesCell(v), load<u32>(rewritesCell(v)) + 1);
      store<u8>(e + PHASE, PH_WORK);
      if (!plain) return writeDeadline(e, v);
  }
  return writeDeadlineOn(e, v, true, lazy);
}

/** GuestMachine.interruptStep: the latency against the last deadline written. */
export function rearmStormInterruptStep(e: usize, v: i32): i32 {
  if (has(e, F_HANDLER_DONE)) {
    clear(e, F_HANDLER_DONE);
    return X_IRET;
  }
  const p = rec(v);
  const now = guestTscNowKept(p);
  store<u64>(reg(p, R_NOW), now);
  const latency = f64(i64(now - load<u64>(reg(p, R_NEXT))));
  metricLatency(v, latency, cyclesToNsSigned(v, latency));
  set(e, F_HANDLER_DONE);
  return guestEoi(e, v);
}
