// The event loop's counters (engine_loop.ts), in a leaf: dropHv (engine_leave_guest.ts)
// counts a preemption-timer event it drops after chaining held it back, and must not
// import the loop that runs the guest.

import { horizonNs } from "./event_queue";
import { hostKhz, hostTscAt, hostTscBase, nsWhenHostTscReaches, setNowNs } from "./host_clock";

/**
 * Events run (ctEngineEvents), counting the TypeScript engine's stale pops the wasm engine
 * skips. An integer: V8 adds 1 to an f64 global by building the constant 1.0 each time
 * (three instructions more, about 20 times an interrupt).
 */
export let events: i64 = 0;

/** The latest time a chained step ran at (the clock's end value when it ran last). */
export let chainedUntilNs: i64 = 0;

/**
 * The latest host TSC a held-back preemption timer that was dropped would have fired at
 * (0: none). Its ns are taken once, when the run ends (chainedEndNs): nsWhenHostTscReaches
 * is monotone, so the ns of the greatest TSC are the greatest ns.
 */
export let chainedUntilTsc: u64 = 0;

/** The host TSC at the horizon (horizonTscExact: computed without overflow). */
let horizonTsc: u64 = 0;
let horizonTscExact = false;

/** Resets the counters (ctEngineStart). */
export function eventsReset(): void {
  events = 0;
  chainedUntilNs = 0;
  chainedUntilTsc = 0;
}

/** Takes the host TSC at the horizon (each ctEngineRun: the host may have moved the horizon). */
export function noteHorizon(): void {
  const q = u64(horizonNs) / 1000000;
  // hostTscAt(horizon) = base + q * khz + (r * khz) / 10^6 < 2^64 when q < (2^64 - base) / khz - 1.
  horizonTscExact = horizonNs >= 0 && q < (u64.MAX_VALUE - hostTscBase) / hostKhz - 1;
  horizonTsc = horizonTscExact ? hostTscAt(horizonNs) : 0;
}

/**
 * A preemption timer firing at host TSC fireTsc comes after the horizon (it would never
 * be popped): nsWhenHostTscReaches(fireTsc) > horizonNs, compared in TSC.
 */
// @ts-ignore: decorator
@inline
export function firesAfterHorizon(fireTsc: u64): bool {
  return horizonTscExact ? fireTsc > horizonTsc : nsWhenHostTscReaches(fireTsc) > horizonNs;
}

/**
 * An event run at once at `at` instead of through the queue (engine_chain.ts flushChain,
 * engine_lazy_rearm.ts): the clock moves to it, the clock's end value follows, and it is
 * counted as the event the TypeScript engine pops.
 */
// @ts-ignore: decorator
@inline
export function runChainedAt(at: i64): void {
  setNowNs(at);
  if (at > chainedUntilNs) chainedUntilNs = at;
  events++;
}

/** A dropped event the TypeScript engine pops (and counts) at host TSC fireTsc, unless past the horizon. */
// @ts-ignore: decorator
@inline
export function countDroppedAtTsc(fireTsc: u64): void {
  if (firesAfterHorizon(fireTsc)) return;
  events++;
  if (fireTsc > chainedUntilTsc) chainedUntilTsc = fireTsc;
}

/** A dropped event the TypeScript engine pops (and counts) at atNs, unless past the horizon. */
// @ts-ignore: decorator
@inline
export function countDroppedAtNs(atNs: i64): void {
  if (atNs > horizonNs) return;
  events++;
  if (atNs > chainedUntilNs) chainedUntilNs = atNs;
}

/** The clock's end value for the chained steps and the dropped events: the later of their ns. */
export function chainedEndNs(): i64 {
  const tscNs = chainedUntilTsc == 0 ? 0 : nsWhenHostTscReaches(chainedUntilTsc);
  return tscNs > chainedUntilNs ? tscNs : chainedUntilNs;
}
