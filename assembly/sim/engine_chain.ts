// The wasm engine's chaining: after an event of a vCPU, its thread's next events run at
// once while nothing else of its own comes first (flushChain), instead of a trip through
// the event queue each; a busy-waiting guest's steps are taken at once (skipBusySteps).
// engine_loop.ts calls it after each event it pops; it runs the vCPU's thread events
// (engine_program.ts onThreadEvent) in the copy the loop runs.

import { setNowNs, nsWhenHostTscReaches } from "./host_clock";
import { queuePushAs, queueReserveSeq, horizonNs } from "./event_queue";
import { EV_HRTIMER, F_HRTIMER_HELD, F_HV_DEFERRED, F_DEFERRED, NEXT_AT_NS, NEXT_KIND, HRTIMER_AT_NS, HV_AT_NS, STALL_AT_NS, STALL_SEQ, pushDeferred, pushHv, COMPUTE_END_NS, EV_GUEST_RESUME, HRTIMER_SEQ, HV_SEQ, STATE, S_DONE, THREAD_SEQ, THREAD_PARKED, clear, eng, has, payloadOf, stallEveryNs } from "./engine_record";
import { traceFull } from "./trace_log";
import { BUSY_STEP_NS, busyWaiting } from "./guest_lapic_count";
import { chainedUntilNs, events, runChainedAt } from "./engine_events";
import { COPY_GENERAL, onThreadEventCopy, onThreadEventOn } from "./engine_program";
import { ownEventAhead, withinRun } from "./engine_chain_ahead";

/**
 * The earliest live event vCPU e has in the queue or held back (its hrtimer, preemption
 * timer, stall). A held-back preemption timer keeps its host TSC (engine_host.ts reenter):
 * its ns are taken here, for the busy steps only; ownEventAhead answers the loop's question.
 */
function ownEarliestNs(e: usize): i64 {
  let t = i64.MAX_VALUE;
  if (load<i64>(e + HRTIMER_SEQ) >= 0) t = load<i64>(e + HRTIMER_AT_NS);
  const hvNs = has(e, F_HV_DEFERRED) ? nsWhenHostTscReaches(load<u64>(e + HV_AT_NS)) : load<i64>(e + HV_SEQ) >= 0 ? load<i64>(e + HV_AT_NS) : i64.MAX_VALUE;
  if (hvNs < t) t = hvNs;
  if (stallEveryNs > 0 && load<i64>(e + STALL_AT_NS) < t) t = load<i64>(e + STALL_AT_NS);
  return t;
}

/**
 * After an event of vCPU v: while its thread's next event comes before anything else
 * of its own in the queue, run it now, at its time, instead of queueing it. The vCPUs of
 * a cyclictest scenario do not act on one another (no IPIs; with a per-vCPU advance,
 * nothing they share depends on their order), so this changes no result, only how many
 * trips through the heap an interrupt takes: the differential test holds it to the
 * TypeScript engine, which queues every event. Counted as events all the same.
 * `copy` (a constant at each call): the copy of onThreadEvent the loop runs (engine_program.ts).
 */
// @ts-ignore: decorator
@inline
export function flushChain(v: i32, traced: bool, busyAny: bool, copy: i32): void {
  const e = eng(v);
  let park = false;
  while (has(e, F_DEFERRED)) {
    const at = load<i64>(e + NEXT_AT_NS);
    if (!withinRun(at) || (traced && traceFull())) break;
    const threadSeq = load<i64>(e + THREAD_SEQ);
    if (ownEventAhead(e, at, threadSeq >= THREAD_PARKED ? i64(u32(threadSeq)) : -1)) {
      park = true;
      break;
    }
    if (busyAny && u32(load<u8>(e + NEXT_KIND)) == EV_GUEST_RESUME && busyWaiting(e)) {
      skipBusySteps(e, at, ownEarliestNs(e));
      continue;
    }
    clear(e, F_DEFERRED);
    runChainedAt(at);
    store<i64>(e + THREAD_SEQ, -1);
    if (load<u8>(e + STATE) == S_DONE) break;
    // NEXT_KIND is a byte (a wider load would also read ST_LOOPS, and miss the store just made).
    // Inlined in the plain copies; a call in the general one.
    if (copy != COPY_GENERAL) onThreadEventOn(e, v, u32(load<u8>(e + NEXT_KIND)), copy);
    else onThreadEventCopy(e, v, u32(load<u8>(e + NEXT_KIND)), copy);
  }
  // Into the queue in the order the TypeScript engine pushed them: the preemption timer
  // was loaded at a VM entry before the thread's next event was scheduled.
  if (has(e, F_HV_DEFERRED)) pushHv(e, v, nsWhenHostTscReaches(load<u64>(e + HV_AT_NS)));
  // A held-back periodic restart still armed (the chain stopped before an entry cancelled
  // it, or it runs on the hrtimer alone): into the queue with the seq reserved for it at
  // the callback, the seq the TypeScript engine's push gave it.
  if (copy == COPY_GENERAL && has(e, F_HRTIMER_HELD)) {
    clear(e, F_HRTIMER_HELD);
    queuePushAs(load<i64>(e + HRTIMER_AT_NS), u32(load<i64>(e + HRTIMER_SEQ)), payloadOf(EV_HRTIMER, v));
  }
  if (!has(e, F_DEFERRED)) return;
  // Behind a timer of its own in the queue, the thread's next event waits in the record
  // (parked), with the seq a push now would give it: that timer comes first, and each
  // event of the vCPU flushes again. Usually the timer's callback replaces it (a halt poll
  // the wake-up ends, work the interrupt cuts short): then it never reaches the queue, and
  // is counted as the stale pop it is for the TypeScript engine (engine_record.ts
  // schedule, cancelThreadEvent). Behind a host stall too: its seq is kept (STALL_SEQ).
  const threadSeq = load<i64>(e + THREAD_SEQ);
  if (threadSeq >= THREAD_PARKED) {
    if (park) return;
    // Parked, but the log must be drained first: into the queue in its place.
    clear(e, F_DEFERRED);
    store<i64>(e + THREAD_SEQ, i64(u32(threadSeq)));
    queuePushAs(load<i64>(e + NEXT_AT_NS), u32(threadSeq), payloadOf(load<u8>(e + NEXT_KIND), v));
  } else if (park) {
    store<i64>(e + THREAD_SEQ, THREAD_PARKED + i64(queueReserveSeq()));
  } else {
    pushDeferred(e, v);
  }
}

/**
 * A busy-waiting guest's steps (guest_lapic_count.ts busyWaiting) up to the vCPU's next
 * own event, at once: each would run at its time, do nothing but start the next 10 µs of
 * work (Vcpu.enterCompute) and count as an event, so n of them leave the clock at the
 * last one's time, the work's end 10 µs later and the next step queued after it.
 */
function skipBusySteps(e: usize, at: i64, ownEarliest: i64): void {
  const limit = ownEarliest - 1 < horizonNs ? ownEarliest - 1 : horizonNs;
  const n = (limit - at) / BUSY_STEP_NS + 1;
  const last = at + (n - 1) * BUSY_STEP_NS;
  setNowNs(last);
  if (last > chainedUntilNs) chainedUntilNs = last;
  events += n;
  store<f64>(e + COMPUTE_END_NS, f64(last) + f64(BUSY_STEP_NS));
  store<i64>(e + NEXT_AT_NS, last + BUSY_STEP_NS);
  store<i64>(e + THREAD_SEQ, -1);
}
