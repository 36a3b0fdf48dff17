// The chaining's one question (engine_chain.ts flushChain): may vCPU e's thread event at
// `at` run now, before anything else of its own? Below engine_program.ts, which asks it
// too: a plain copy's guest runs its next step at once when the chain would run it next
// (runProgramOn's fused steps), without the trip through the chain's loop.

import { hostTscAtKept } from "./host_clock";
import { queueNextSeq, horizonNs } from "./event_queue";
import { logFull } from "./engine_metrics";
import { F_DEFERRED, F_HV_DEFERRED, HRTIMER_AT_NS, HRTIMER_SEQ, HV_AT_NS, HV_SEQ, STALL_AT_NS, STALL_SEQ, THREAD_SEQ, chaining, has, stallEveryNs } from "./engine_record";

/**
 * Queued seq s was pushed before seq p (reserved for a parked event) was taken: by age from
 * the next seq, as the queue orders ties (event_queue.ts; entries fewer than 2^32 pushes old).
 */
// @ts-ignore: decorator
@inline
function seqBefore(s: i64, p: u32): bool {
  const next = queueNextSeq();
  return u32(s) - next < p - next;
}

/**
 * Some live event of vCPU e comes before its thread's next event at `at`. Among events at
 * the same time, a thread event not yet pushed (parkedSeq < 0) comes after every queued
 * one; a parked one after those queued before its seq was reserved (seqBefore). The
 * held-back preemption timer (only with a thread event not yet pushed: it was loaded at a
 * VM entry of this event, before that event was scheduled) fires by `at` when the host TSC
 * at `at` has reached its TSC (nsWhenHostTscReaches is the least such ns), so its ns are
 * not needed. The next host stall (STALL_AT_NS, always queued) is ordered as the hrtimer
 * is, by its seq (STALL_SEQ).
 */
// @ts-ignore: decorator
@inline
export function ownEventAhead(e: usize, at: i64, parkedSeq: i64): bool {
  if (load<i64>(e + HRTIMER_SEQ) >= 0) {
    const t = load<i64>(e + HRTIMER_AT_NS);
    if (t < at || (t == at && (parkedSeq < 0 || seqBefore(load<i64>(e + HRTIMER_SEQ), u32(parkedSeq))))) return true;
  }
  if (has(e, F_HV_DEFERRED)) {
    // (At the instant the step runs at, if it does: its reads of the host TSC find it kept.)
    if (hostTscAtKept(at) >= load<u64>(e + HV_AT_NS)) return true;
  } else if (load<i64>(e + HV_SEQ) >= 0) {
    const t = load<i64>(e + HV_AT_NS);
    if (t < at || (t == at && (parkedSeq < 0 || seqBefore(load<i64>(e + HV_SEQ), u32(parkedSeq))))) return true;
  }
  if (stallEveryNs > 0) {
    const t = load<i64>(e + STALL_AT_NS);
    if (t < at || (t == at && (parkedSeq < 0 || seqBefore(load<i64>(e + STALL_SEQ), u32(parkedSeq))))) return true;
  }
  return false;
}

/**
 * A step of vCPU e's own at `at` may run ahead of the queue as far as the run goes: it lies
 * within the horizon (past it, it goes into the queue as the TypeScript engine's does:
 * whether the queue is empty at the end is a result), and the metric log has room (the
 * loop drains it between events). The chain's thread events (flushChain, chainTakesNow)
 * and the lazy copy's re-armed hrtimer (engine_lazy_rearm.ts) ask it alike.
 */
// @ts-ignore: decorator
@inline
export function withinRun(at: i64): bool {
  return at <= horizonNs && !logFull();
}

/**
 * A plain copy (no trace, no busy-waiting guest: flushChain's other tests are off) is about
 * to schedule vCPU e's thread event at `at` from inside a thread event of that vCPU: the
 * chain would take that event next, at once (flushChain's tests, for an event not parked),
 * so the caller may run it now instead, and then only moves the clock to `at`
 * (engine_events.ts runChainedAt), counted as the event the TypeScript engine pops.
 * What flushChain also does before it runs one holds already, and the debug build checks
 * it: nothing of the thread's is held back (F_DEFERRED: flushChain cleared it before this
 * event, and a step that schedules one ends the event), and the thread has no live event
 * (THREAD_SEQ -1: flushChain or the loop cleared it for this event, and under chaining
 * only flushChain sets it).
 */
// @ts-ignore: decorator
@inline
export function chainTakesNow(e: usize, at: i64): bool {
  assert(!has(e, F_DEFERRED) && load<i64>(e + THREAD_SEQ) == -1, "a fused step with a thread event live");
  return chaining && withinRun(at) && !ownEventAhead(e, at, -1);
}
