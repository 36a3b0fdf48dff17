// The wasm engine's deadline MSR writes and the two unmerged deadline proposals around
// them: src/sim/vcpu.ts's wrmsrTscDeadline / wrmsrPvDeadline and src/sim/lapic.ts's
// lazy TSC-deadline hooks (lazyClear, lazyRearm), step for step. The proposals'
// decisions themselves live in deadline_proposals.ts, shared with the TypeScript engine.
// Both proposals keep their state in the vCPU record's full layout (LAZY_*, PV_DEADLINE_NS):
// a scenario that turns one on runs with FULL_STRIDE records (src/sim/wasm-engine-tscdl.ts).

import { Count, count } from "./engine_metrics";
import { F_PENDING, HRTIMER_SEQ, R_NEXT, clear } from "./engine_record";
import { cancelHrtimer } from "./engine_lapic";
import { restartApicTimer, startSwTimer, writeTscDeadline, writeTscDeadlinePlain } from "./engine_lapic_start";
import { TraceExit, TraceKind, trace } from "./trace_log";
import { lazyClearArmed, lazyGuestWrite, lazyRearmIfLater, pvDeadlineFromReg } from "./deadline_proposals";
// The flags and the LAPIC's hooks into the proposals (a leaf below the LAPIC); re-exported for the paths above.
import { lazyOn, pvOn } from "./engine_proposals";
export { lazyOn, ctEngineDeadlineProposals } from "./engine_proposals";
import { X_MSR_WRITE, X_NONE } from "./engine_record";

/**
 * Vcpu.wrmsrTscDeadline of register R_NEXT in deadline mode (every guest program here sets
 * the mode first): with the lazy proposal the guest updates the shared page and traps only
 * when nothing is armed or the new deadline is earlier (X_NONE: no exit).
 */
// @ts-ignore: decorator
@inline
export function wrmsrTscDeadline(e: usize, v: i32): i32 {
  if (lazyOn && !lazyGuestWrite(v, R_NEXT)) return X_NONE;
  count(v, Count.ExitMsrWrite);
  trace(TraceKind.Exit, v, TraceExit.MsrWrite);
  // LapicTimer.writeTscDeadline: tdFromReg, lazyArm, the PV MSR disarmed, startApicTimer.
  writeTscDeadline(e, v);
  return X_MSR_WRITE;
}

/**
 * wrmsrTscDeadline in a guest step of a plain copy without a deadline proposal
 * (engine_program.ts hostPlainOf: no trace, no proposal, deadline mode): the exit, then
 * LapicTimer.writeTscDeadline's plain form.
 */
// @ts-ignore: decorator
@inline
export function wrmsrTscDeadlinePlain(e: usize, v: i32): i32 {
  count(v, Count.ExitMsrWrite);
  writeTscDeadlinePlain(e, v);
  return X_MSR_WRITE;
}

/**
 * Vcpu.wrmsrPvDeadline of register R_NEXT (kvmclock ns) + LapicTimer.writePvDeadline:
 * the exit is taken either way; without kvm.pvDeadline the MSR does nothing.
 */
export function wrmsrPvDeadline(e: usize, v: i32): i32 {
  count(v, Count.ExitMsrWrite);
  trace(TraceKind.Exit, v, TraceExit.MsrWrite);
  if (!pvOn) return X_MSR_WRITE;
  // host.cancelHrtimer, then the TSC form of the ns deadline, then startApicTimer.
  cancelHrtimer(e, v);
  pvDeadlineFromReg(v, R_NEXT);
  clear(e, F_PENDING);
  restartApicTimer(e, v);
  return X_MSR_WRITE;
}

/**
 * LapicTimer.lazyRearm, when the armed deadline fires (in deadline mode): if the guest has
 * since moved its deadline later, re-arm to it without injecting (true); else `armed` is
 * cleared and the caller injects (false).
 */
export function lazyRearm(e: usize, v: i32, onHv: bool): bool {
  if (!lazyRearmIfLater(v)) {
    lazyClearArmed(v);
    return false;
  }
  if (onHv) restartApicTimer(e, v);
  else startSwTimer(e, v);
  return true;
}
