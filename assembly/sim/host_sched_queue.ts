// The host scheduler's per-CPU run queue (host_sched_state.ts has the layout): a binary
// min-heap of task indices keyed by (vruntime, task index) in the CPU's own slice of one
// array — CFS's rbtree of runnable entities ordered by vruntime (kernel/sched/fair.c
// __enqueue_entity, __dequeue_entity, __pick_first_entity), with the task index breaking
// ties so the order is total and deterministic. Push and pop cost O(log tasks-on-the-CPU).

import { T_VRUNTIME, C_HEAP_BASE, C_HEAP_SIZE, heapPtr, task, cpu } from "./host_sched_state";

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

/** Queues task t on CPU c's run queue (__enqueue_entity). */
export function heapPush(c: i32, t: i32): void {
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

/** Takes the leftmost task off CPU c's run queue, or -1 when empty (__pick_first_entity, __dequeue_entity). */
export function heapPop(c: i32): i32 {
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
