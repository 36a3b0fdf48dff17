// The host scheduler's decisions (scenario host.cpus / host.load / host.sched / host.outer):
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
const T_VRUNTIME = 0;
const T_EXEC_START = 8;
const T_ENQUEUED_AT = 16;
const T_WAIT_SUM = 24;
const T_CPU = 32;
const T_STATE = 36;
const T_WAITS = 40;
const T_STRIDE: usize = 48;

// CPU record.
const C_CURR = 0;
const C_HEAP_BASE = 4;
const C_HEAP_SIZE = 8;
const C_ACTIVITY = 12;
const C_MIN_VRUNTIME = 16;
const C_LAST_NS = 24;
// Steal average (s390 avg_steal_timer, steal_average.ts): value, the end of the current
// tick, steal so far in it, steal start (-1 when not stolen).
export const C_STEAL_AVG = 32;
export const C_TICK_END = 40;
export const C_TICK_STEAL = 48;
export const C_STEAL_START = 56;
const C_STRIDE: usize = 64;

let block: usize = 0;
let tasksPtr: usize = 0;
let cpusPtr: usize = 0;
let heapPtr: usize = 0;
let timePtr: usize = 0;
let nTasks: i32 = 0;
let nCpus: i32 = 0;
let latencyNs: f64 = 6e6;
let minGranularityNs: f64 = 75e4;
let wakeupGranularityNs: f64 = 1e6;
let tickNs: f64 = 1e6;
let lastWaitNs: f64 = 0;
/** s390's steal average since 367c50f78451: (avg + tick's steal) / 2; before it avg / 2 + tick's steal. */
let stealAvgMean: bool = true;

// @ts-ignore: decorator
@inline
function task(t: i32): usize {
  return tasksPtr + usize(t) * T_STRIDE;
}
// @ts-ignore: decorator
@inline
function cpu(c: i32): usize {
  return cpusPtr + usize(c) * C_STRIDE;
}

/** CPU c's record (steal_average.ts keeps its fields there). */
export function cpuRecord(c: i32): usize {
  return cpu(c);
}

/** The scheduler tick (1/HZ) in ns. */
export function schedTickNs(): f64 {
  return tickNs;
}

/** The steal average's form: the mean (since 367c50f78451) or halve-and-add. */
export function stealAverageIsMean(): bool {
  return stealAvgMean;
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

// ---- the run queue: a binary heap keyed by (vruntime, task) ----

// @ts-ignore: decorator
@inline
function before(a: i32, b: i32): bool {
  const va = load<f64>(task(a), T_VRUNTIME);
  const vb = load<f64>(task(b), T_VRUNTIME);
  return va < vb || (va == vb && a < b);
}

// @ts-ignore: decorator
@inline
function slot(base: i32, i: i32): usize {
  return heapPtr + (usize(base + i) << 2);
}

function heapPush(c: i32, t: i32): void {
  const p = cpu(c);
  const base = load<i32>(p, C_HEAP_BASE);
  let i = load<i32>(p, C_HEAP_SIZE);
  store<i32>(p, i + 1, C_HEAP_SIZE);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pt = load<i32>(slot(base, parent));
    if (!before(t, pt)) break;
    store<i32>(slot(base, i), pt);
    i = parent;
  }
  store<i32>(slot(base, i), t);
}

function heapPop(c: i32): i32 {
  const p = cpu(c);
  const base = load<i32>(p, C_HEAP_BASE);
  const size = load<i32>(p, C_HEAP_SIZE) - 1;
  const top = load<i32>(slot(base, 0));
  store<i32>(p, size, C_HEAP_SIZE);
  if (size > 0) {
    const last = load<i32>(slot(base, size));
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const other = child + 1;
      if (other < size && before(load<i32>(slot(base, other)), load<i32>(slot(base, child)))) child = other;
      const ct = load<i32>(slot(base, child));
      if (!before(ct, last)) break;
      store<i32>(slot(base, i), ct);
      i = child;
    }
    store<i32>(slot(base, i), last);
  }
  return top;
}

/** The queued task with the least vruntime (the leftmost entity), or -1. */
export function schedLeftmost(c: i32): i32 {
  const p = cpu(c);
  return load<i32>(p, C_HEAP_SIZE) == 0 ? -1 : load<i32>(slot(load<i32>(p, C_HEAP_BASE), 0));
}

// ---- accounting ----

// @ts-ignore: decorator
@inline
function addCpuNs(c: i32, a: i32, ns: f64): void {
  const q = timePtr + ((usize(c) * usize(ACTIVITIES) + usize(a)) << 3);
  store<f64>(q, load<f64>(q) + ns);
}

/** update_min_vruntime: monotonic, follows min(curr, leftmost). */
function updateMinVruntime(c: i32): void {
  const p = cpu(c);
  const curr = load<i32>(p, C_CURR);
  const left = schedLeftmost(c);
  let v = load<f64>(p, C_MIN_VRUNTIME);
  if (curr >= 0 && left >= 0) v = max(v, min(load<f64>(task(curr), T_VRUNTIME), load<f64>(task(left), T_VRUNTIME)));
  else if (curr >= 0) v = max(v, load<f64>(task(curr), T_VRUNTIME));
  else if (left >= 0) v = max(v, load<f64>(task(left), T_VRUNTIME));
  store<f64>(p, v, C_MIN_VRUNTIME);
}

/** update_curr: charges the time since the last update to the current task's vruntime and to the CPU's current activity. */
export function schedAccount(c: i32, nowNs: f64): void {
  const p = cpu(c);
  const delta = nowNs - load<f64>(p, C_LAST_NS);
  if (delta <= 0) return;
  store<f64>(p, nowNs, C_LAST_NS);
  addCpuNs(c, load<i32>(p, C_ACTIVITY), delta);
  const curr = load<i32>(p, C_CURR);
  if (curr >= 0) {
    const q = task(curr);
    store<f64>(q, load<f64>(q, T_VRUNTIME) + delta, T_VRUNTIME);
    updateMinVruntime(c);
  }
}

/** The CPU's activity from now on (the time before it goes to the previous one). */
export function schedSetActivity(c: i32, activity: i32, nowNs: f64): void {
  schedAccount(c, nowNs);
  store<i32>(cpu(c), activity, C_ACTIVITY);
}

export function schedActivity(c: i32): i32 {
  return load<i32>(cpu(c), C_ACTIVITY);
}

/** Moves `ns` of the CPU's time from one activity to another (the busy-wait inside an entry path). */
export function schedMoveCpuNs(c: i32, from: i32, to: i32, ns: f64): void {
  addCpuNs(c, from, -ns);
  addCpuNs(c, to, ns);
}

export function schedCpuNs(c: i32, activity: i32): f64 {
  return load<f64>(timePtr + ((usize(c) * usize(ACTIVITIES) + usize(activity)) << 3));
}

// ---- the decisions ----

/** How schedEnqueue places a task's vruntime (place_entity). */
export enum Placement {
  /** Back in the queue as it is (a preempted task). */
  Requeue = 0,
  /** A wake-up after sleeping: GENTLE_FAIR_SLEEPERS, no further back than min_vruntime − sched_latency/2, never moved forward. */
  Wakeup = 1,
  /** A new task's first run (place_entity with initial, START_DEBIT): no earlier than min_vruntime + its slice. */
  Initial = 2,
}

/** enqueue_entity for a task becoming runnable at nowNs, placed as `placement` says. */
export function schedEnqueue(t: i32, nowNs: f64, placement: i32): void {
  const q = task(t);
  const c = load<i32>(q, T_CPU);
  schedAccount(c, nowNs);
  if (placement == Placement.Wakeup) {
    const floor = load<f64>(cpu(c), C_MIN_VRUNTIME) - latencyNs / 2;
    if (load<f64>(q, T_VRUNTIME) < floor) store<f64>(q, floor, T_VRUNTIME);
  } else if (placement == Placement.Initial) {
    // sched_vslice of the task as if it were queued: the slice with one more runnable.
    const p = cpu(c);
    const nr = f64(load<i32>(p, C_HEAP_SIZE) + (load<i32>(p, C_CURR) >= 0 ? 1 : 0) + 1);
    const period = nr > latencyNs / minGranularityNs ? nr * minGranularityNs : latencyNs;
    const floor = load<f64>(p, C_MIN_VRUNTIME) + period / nr;
    if (load<f64>(q, T_VRUNTIME) < floor) store<f64>(q, floor, T_VRUNTIME);
  }
  store<i32>(q, TaskState.Queued, T_STATE);
  store<f64>(q, nowNs, T_ENQUEUED_AT);
  heapPush(c, t);
  updateMinVruntime(c);
}

/**
 * check_preempt_wakeup / wakeup_preempt_entity: the woken task `t` preempts the current
 * one when the current task's vruntime leads by more than the wake-up granularity (an
 * idle CPU always runs it).
 */
export function schedWakeupPreempts(t: i32): bool {
  const c = load<i32>(task(t), T_CPU);
  const curr = load<i32>(cpu(c), C_CURR);
  if (curr < 0) return true;
  return load<f64>(task(curr), T_VRUNTIME) - load<f64>(task(t), T_VRUNTIME) > wakeupGranularityNs;
}

/** sched_slice with equal weights: the period (latency, or nr × min granularity past sched_nr_latency) over nr_running. */
export function schedSliceNs(c: i32): f64 {
  const p = cpu(c);
  const nr = f64(load<i32>(p, C_HEAP_SIZE) + (load<i32>(p, C_CURR) >= 0 ? 1 : 0));
  if (nr <= 1) return latencyNs;
  const period = nr > latencyNs / minGranularityNs ? nr * minGranularityNs : latencyNs;
  return period / nr;
}

/**
 * check_preempt_tick at a scheduler tick: the current task has run its slice, or has run
 * at least the minimum granularity and leads the leftmost queued task by more than a slice.
 */
export function schedTickPreempts(c: i32, nowNs: f64): bool {
  schedAccount(c, nowNs);
  const p = cpu(c);
  const curr = load<i32>(p, C_CURR);
  const left = schedLeftmost(c);
  if (curr < 0 || left < 0) return false;
  const ran = nowNs - load<f64>(task(curr), T_EXEC_START);
  const slice = schedSliceNs(c);
  if (ran > slice) return true;
  if (ran < minGranularityNs) return false;
  return load<f64>(task(curr), T_VRUNTIME) - load<f64>(task(left), T_VRUNTIME) > slice;
}

/** The next scheduler tick after nowNs (ticks at multiples of 1/HZ). */
export function schedNextTickNs(nowNs: f64): f64 {
  return (Math.floor(nowNs / tickNs) + 1) * tickNs;
}

/**
 * put_prev_entity then pick_next_entity: the current task leaves the CPU (back into the
 * queue when still runnable, else to sleep) and the leftmost queued task runs. Returns
 * it, or -1 (the CPU goes idle). The picked task's wait is schedLastWaitNs.
 */
export function schedSwitch(c: i32, nowNs: f64, prevRunnable: bool): i32 {
  schedAccount(c, nowNs);
  const p = cpu(c);
  const prev = load<i32>(p, C_CURR);
  if (prev >= 0) {
    store<i32>(p, -1, C_CURR);
    const q = task(prev);
    if (prevRunnable) {
      store<i32>(q, TaskState.Queued, T_STATE);
      store<f64>(q, nowNs, T_ENQUEUED_AT);
      heapPush(c, prev);
    } else store<i32>(q, TaskState.Sleeping, T_STATE);
  }
  if (load<i32>(p, C_HEAP_SIZE) == 0) {
    lastWaitNs = 0;
    updateMinVruntime(c);
    return -1;
  }
  const next = heapPop(c);
  const q = task(next);
  store<i32>(p, next, C_CURR);
  store<i32>(q, TaskState.Running, T_STATE);
  store<f64>(q, nowNs, T_EXEC_START);
  lastWaitNs = nowNs - load<f64>(q, T_ENQUEUED_AT);
  store<f64>(q, load<f64>(q, T_WAIT_SUM) + lastWaitNs, T_WAIT_SUM);
  store<i32>(q, load<i32>(q, T_WAITS) + 1, T_WAITS);
  updateMinVruntime(c);
  return next;
}

export function schedLastWaitNs(): f64 {
  return lastWaitNs;
}
export function schedCurr(c: i32): i32 {
  return load<i32>(cpu(c), C_CURR);
}
export function schedQueued(c: i32): i32 {
  return load<i32>(cpu(c), C_HEAP_SIZE);
}
export function schedTaskCpu(t: i32): i32 {
  return load<i32>(task(t), T_CPU);
}
export function schedTaskState(t: i32): i32 {
  return load<i32>(task(t), T_STATE);
}
export function schedTaskVruntime(t: i32): f64 {
  return load<f64>(task(t), T_VRUNTIME);
}
export function schedTaskWaitSumNs(t: i32): f64 {
  return load<f64>(task(t), T_WAIT_SUM);
}
export function schedTaskWaits(t: i32): i32 {
  return load<i32>(task(t), T_WAITS);
}
