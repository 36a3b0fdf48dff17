// The host scheduler's state for its decisions (scenario host.cpus / host.load / host.sched / host.outer):
// per-CPU run queues ordered by virtual runtime, CFS's wake-up preemption rule and its
// tick-driven slice check, and the time each CPU spends in each activity. Restated from
// kernel/sched/fair.c (CFS, v2.6.23..v6.5: update_curr, place_entity, wakeup_preempt_entity,
// check_preempt_tick, sched_slice, pick_next_entity) with every task at nice 0 (equal
// weights, so vruntime advances at the rate of real time) and without migration between
// CPUs (each task stays on the CPU it is pinned to).
//
// State lives in linear memory; nothing here allocates per event. Each CPU's run queue is
// a binary min-heap of task indices keyed by (vruntime, task index) in its own slice of
// one array: a task never changes CPU, so the slice's size is the number of tasks pinned
// to that CPU and the whole array holds exactly one entry per task. Push and pop cost
// O(log tasks-on-the-CPU): 10^5 vCPUs on 10^4 CPUs is 10 per queue.
//
// The TypeScript orchestration (src/sim/host-sched.ts) calls these in event order; both
// engines are to call the same functions.
//
// This file: the scheduler's state — tasks, CPUs, the run-queue array and the per-activity
// time, their layout and allocation. The run queue's heap is host_sched_queue.ts; the
// accounting and the decisions, host_sched.ts. A leaf: it imports nothing.

/** What a CPU is doing, for its utilisation split (schedCpuNs). */
export enum Activity {
  Idle = 0,
  /** A vCPU thread in guest mode. */
  Guest = 1,
  /** kvm_wait_lapic_expire's busy-wait. */
  BusyWait = 2,
  /** kvm_vcpu_halt's poll loop. */
  HaltPoll = 3,
  /** A vCPU thread in the host: exit handling, wake-up, the entry path. */
  Host = 4,
  /** Another task (host.load, or an outer tenant). */
  Load = 5,
  /** Outer level: one of the inner host's CPUs runs here. */
  InnerCpu = 6,
  /** Inner level: the CPU has work but the outer level is not running it. */
  Steal = 7,
}
export const ACTIVITIES: i32 = 8;

/** A task's scheduling state. */
export enum TaskState {
  Sleeping = 0,
  Queued = 1,
  Running = 2,
}

// Task record (f64 for ns: exact to 2^53 ns, 104 days).
export const T_VRUNTIME = 0;
export const T_EXEC_START = 8;
export const T_ENQUEUED_AT = 16;
export const T_WAIT_SUM = 24;
export const T_CPU = 32;
export const T_STATE = 36;
export const T_WAITS = 40;
export const T_STRIDE: usize = 48;

// CPU record.
export const C_CURR = 0;
export const C_HEAP_BASE = 4;
export const C_HEAP_SIZE = 8;
export const C_ACTIVITY = 12;
export const C_MIN_VRUNTIME = 16;
export const C_LAST_NS = 24;
// Steal average (s390 avg_steal_timer, steal_average.ts): value, the end of the current
// tick, steal so far in it, steal start (-1 when not stolen).
export const C_STEAL_AVG = 32;
export const C_TICK_END = 40;
export const C_TICK_STEAL = 48;
export const C_STEAL_START = 56;
export const C_STRIDE: usize = 64;

export let block: usize = 0;
export let tasksPtr: usize = 0;
export let cpusPtr: usize = 0;
export let heapPtr: usize = 0;
export let timePtr: usize = 0;
export let nTasks: i32 = 0;
export let nCpus: i32 = 0;
export let latencyNs: f64 = 6e6;
export let minGranularityNs: f64 = 75e4;
export let wakeupGranularityNs: f64 = 1e6;
export let tickNs: f64 = 1e6;
/** s390's steal average since 367c50f78451: (avg + tick's steal) / 2; before it avg / 2 + tick's steal. */
export let stealAvgMean: bool = true;

// @ts-ignore: decorator
@inline
export function task(t: i32): usize {
  return tasksPtr + usize(t) * T_STRIDE;
}
// @ts-ignore: decorator
@inline
export function cpu(c: i32): usize {
  return cpusPtr + usize(c) * C_STRIDE;
}

/** Frees the previous scheduler's state. */
export function schedRelease(): void {
  if (block != 0) heap.free(block);
  block = 0;
  nTasks = 0;
  nCpus = 0;
}

/**
 * A scheduler for `tasks` tasks on `cpus` CPUs. sysctl_sched_latency, _min_granularity,
 * _wakeup_granularity in ns; `tick` the scheduler tick (1/HZ) in ns. Tasks start
 * sleeping, on CPU 0, with vruntime 0; schedSetTaskCpu places them, then schedLayout.
 */
export function schedInit(cpus: i32, tasks: i32, latency: f64, minGranularity: f64, wakeupGranularity: f64, tick: f64, startNs: f64, stealMean: bool): void {
  schedRelease();
  stealAvgMean = stealMean;
  nCpus = cpus;
  nTasks = tasks;
  latencyNs = latency;
  minGranularityNs = minGranularity;
  wakeupGranularityNs = wakeupGranularity;
  tickNs = tick;
  const taskBytes = usize(max(tasks, 1)) * T_STRIDE;
  const cpuBytes = usize(max(cpus, 1)) * C_STRIDE;
  const heapBytes = usize(max(tasks, 1)) << 2;
  const timeBytes = usize(max(cpus, 1)) * usize(ACTIVITIES) << 3;
  block = heap.alloc(taskBytes + cpuBytes + heapBytes + timeBytes + 16);
  tasksPtr = (block + 7) & ~usize(7);
  cpusPtr = tasksPtr + taskBytes;
  timePtr = cpusPtr + cpuBytes;
  heapPtr = timePtr + timeBytes;
  memory.fill(tasksPtr, 0, taskBytes + cpuBytes + timeBytes + heapBytes);
  for (let c = 0; c < cpus; c++) {
    const p = cpu(c);
    store<i32>(p, -1, C_CURR);
    store<f64>(p, startNs, C_LAST_NS);
    store<f64>(p, startNs + tick, C_TICK_END);
    store<f64>(p, -1, C_STEAL_START);
  }
}

export function schedSetTaskCpu(t: i32, c: i32): void {
  store<i32>(task(t), c, T_CPU);
}

/** Gives each CPU its slice of the heap array (after every schedSetTaskCpu). */
export function schedLayout(): void {
  for (let t = 0; t < nTasks; t++) {
    const p = cpu(load<i32>(task(t), T_CPU));
    store<i32>(p, load<i32>(p, C_HEAP_SIZE) + 1, C_HEAP_SIZE);
  }
  let base = 0;
  for (let c = 0; c < nCpus; c++) {
    const p = cpu(c);
    store<i32>(p, base, C_HEAP_BASE);
    base += load<i32>(p, C_HEAP_SIZE);
    store<i32>(p, 0, C_HEAP_SIZE);
  }
}
