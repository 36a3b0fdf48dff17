// The steal a host CPU sees when it is itself a vCPU of an outer hypervisor (scenario
// host.outer): s390's avg_steal_timer, the figure its kvm_arch_no_poll compares with
// halt_poll_max_steal. Kept per CPU in the scheduler's CPU records (host_sched.ts).

import { C_STEAL_AVG, C_STEAL_START, C_TICK_END, C_TICK_STEAL, cpu, stealAvgMean, tickNs } from "./host_sched_state";

/**
 * Folds the ticks that ended by nowNs into the average (s390's vtime_flush): before
 * 367c50f78451 avg_steal_timer / 2 + the tick's steal (152e9b8676c6; a CPU stolen all the
 * time averages two ticks), since then (avg_steal_timer + the tick's steal) / 2.
 */
function stealRoll(c: i32, nowNs: f64): void {
  const p = cpu(c);
  const tick = tickNs;
  const mean = stealAvgMean;
  let end = load<f64>(p, C_TICK_END);
  if (end > nowNs) return;
  let avg = load<f64>(p, C_STEAL_AVG);
  let inTick = load<f64>(p, C_TICK_STEAL);
  const start = load<f64>(p, C_STEAL_START);
  let rounds = 0;
  while (end <= nowNs) {
    if (start >= 0) inTick += end - max(start, end - tick);
    avg = mean ? (avg + inTick) / 2 : avg / 2 + inTick;
    inTick = 0;
    end += tick;
    // After 64 halvings the past is gone; jump to the last tick.
    if (++rounds == 64 && end <= nowNs) {
      const skip = Math.floor((nowNs - end) / tick) + 1;
      end += skip * tick;
      avg = start >= 0 ? (mean ? tick : 2 * tick) : 0;
    }
  }
  if (start >= 0) store<f64>(p, max(start, end - tick), C_STEAL_START);
  store<f64>(p, avg, C_STEAL_AVG);
  store<f64>(p, inTick, C_TICK_STEAL);
  store<f64>(p, end, C_TICK_END);
}

/** The CPU is runnable but not running on the outer level from nowNs (stolen) or runs again. */
export function schedSetStolen(c: i32, stolen: bool, nowNs: f64): void {
  stealRoll(c, nowNs);
  const p = cpu(c);
  const start = load<f64>(p, C_STEAL_START);
  if (stolen) {
    if (start < 0) store<f64>(p, nowNs, C_STEAL_START);
  } else if (start >= 0) {
    store<f64>(p, load<f64>(p, C_TICK_STEAL) + (nowNs - start), C_TICK_STEAL);
    store<f64>(p, -1, C_STEAL_START);
  }
}

/** kvm_arch_no_poll (s390): avg_steal_timer × 100 / one tick, as a percentage (it can pass 100). */
export function schedStealPercent(c: i32, nowNs: f64): f64 {
  stealRoll(c, nowNs);
  return (load<f64>(cpu(c), C_STEAL_AVG) * 100) / tickNs;
}
