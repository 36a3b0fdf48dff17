// The hrtimer's callback in rearm-storm's lazy copy (engine_program.ts
// COPY_REARM_STORM_LAZY): src/sim/vcpu.ts's Vcpu.hrtimerCallback + LapicTimer.hrtimerFired
// with the lazy TSC-deadline proposal's re-arm (seed 004: at the armed deadline's expiry,
// a later deadline the guest wrote on the shared page is armed instead of injecting).
// The re-armed hrtimer is held back: when nothing else of the vCPU's own comes first, its
// callback runs at once, at its time, instead of a trip through the queue (chaining, as
// engine_chain.ts does for the thread's events; the vCPUs of such a run do not act on one
// another). Above the LAPIC (engine_lapic*.ts) and the proposals (deadline_proposals.ts);
// the loop (engine_loop.ts) calls it.

import { simNowNs } from "./host_clock";
import { metricCallback } from "./engine_metrics";
import { F_DEFERRED, F_HV_DEFERRED, HRTIMER_AT_NS, HRTIMER_SEQ, HV_SEQ, NEXT_AT_NS, STALL_AT_NS, STATE, S_DONE, THREAD_SEQ, chaining, has, stallEveryNs, startNs } from "./engine_record";
import { expiredByHrtimerPlain } from "./engine_lapic";
import { pushHeldHrtimer, startSwTimerLazyHeld } from "./engine_lapic_start";
import { lazyClearArmed, lazyRearmIfLater } from "./deadline_proposals";
import { runChainedAt } from "./engine_events";
import { withinRun } from "./engine_chain_ahead";

/**
 * hrtimerCallback (apic_timer_fn) in rearm-storm's lazy copy: hrtimerCallbackPlain's steps (no trace,
 * TSC-deadline mode, no posted timer interrupts; engine_host.ts) with the lazy re-arm first
 * (engine_deadline.ts lazyRearm: lazyRearmIfLater, then startSwTimer for the later
 * deadline, engine_lapic_start.ts startSwTimerLazyHeld). A re-armed hrtimer whose callback
 * runs at once (rearmedRunsNow) is counted as the event the TypeScript engine pops.
 */
// @ts-ignore: decorator
@inline
export function hrtimerCallbackLazy(e: usize, v: i32): void {
  for (;;) {
    store<i64>(e + HRTIMER_SEQ, -1);
    metricCallback(v, f64(simNowNs - startNs));
    if (!lazyRearmIfLater(v)) {
      lazyClearArmed(v);
      expiredByHrtimerPlain(e, v);
      return;
    }
    if (!startSwTimerLazyHeld(e, v)) return;
    const at = load<i64>(e + HRTIMER_AT_NS);
    if (!rearmedRunsNow(e, at)) {
      pushHeldHrtimer(e, v);
      return;
    }
    runChainedAt(at);
  }
}

/**
 * The re-armed hrtimer at `at` may run now: chaining is on (engine_loop.ts ctEngineStart),
 * it lies within the horizon (past it, it stays in the queue as the TypeScript engine's
 * does), the metric log has room, and no live event of the vCPU's own comes first. In the
 * TypeScript engine it is pushed now, after each of those: the thread's event (queued,
 * held back or parked at NEXT_AT_NS), the preemption timer's, a host stall's, so each of
 * them at the same time comes first too.
 */
// @ts-ignore: decorator
@inline
function rearmedRunsNow(e: usize, at: i64): bool {
  if (!chaining || !withinRun(at)) return false;
  if ((has(e, F_DEFERRED) || load<i64>(e + THREAD_SEQ) >= 0) && load<i64>(e + NEXT_AT_NS) <= at) return false;
  if (has(e, F_HV_DEFERRED) || load<i64>(e + HV_SEQ) >= 0) return false;
  if (stallEveryNs > 0 && load<i64>(e + STALL_AT_NS) <= at) return false;
  return load<u8>(e + STATE) != S_DONE;
}
