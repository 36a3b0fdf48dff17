// The discrete-event queue: a 4-ary min-heap in linear memory ordered by (time, seq),
// seq a monotonically increasing integer, so ties never depend on anything but
// insertion order (architecture.md, "Determinism"). Entries are 16 bytes:
// time i64 | seq u32 | payload u32. seq is the push count's low 32 bits; ties are ordered
// by age, nextSeq - seq (mod 2^32), so the order stays the push order when the count
// passes 2^32 (after ~4·10^9 pushes, minutes of a large run), for every entry pushed
// fewer than 2^32 pushes ago. Four children per node halve the depth of a binary
// heap; the array is placed so that each node's four children share one 64-byte cache
// line, the least of them is picked without branches (which child wins is random, so a
// branch mispredicts often), and the three entries past the end hold a sentinel that is
// never the least, so the last node's missing children need no bounds checks.

import { simNowNs, setNowNs } from "./host_clock";

/** Entry 0 of the heap (entry 1, the first child of the root, is 64-byte aligned). */
let heapPtr: usize = 0;
/** The allocation heapPtr lies in. */
let blockPtr: usize = 0;
let capacity: i32 = 0;
let size: i32 = 0;
let nextSeq: u32 = 0;

/** Seq and payload of the last popped event. */
let poppedSeq: u32 = 0;
export let horizonNs: i64 = i64.MAX_VALUE;
let poppedPayload: u32 = 0;
let pushedSeq: u32 = 0;

const SENTINELS: i32 = 3;

/** Space for `cap` entries plus the sentinels, placed for aligned child groups. */
function allocHeap(cap: i32): void {
  blockPtr = heap.alloc(queueBytes(cap));
  // heapPtr + 16 (entry 1) on a 64-byte boundary.
  heapPtr = ((blockPtr + 16 + 63) & ~usize(63)) - 16;
}

// @ts-ignore: decorator
@inline
function setSentinel(i: i32): void {
  const p = heapPtr + (usize(i) << 4);
  store<i64>(p, i64.MAX_VALUE);
  store<u32>(p, u32.MAX_VALUE, 8);
}

/** Frees the queue's space (simMemoryReserve); queueReset allocates it again. */
export function queueRelease(): void {
  if (blockPtr != 0) heap.free(blockPtr);
  blockPtr = 0;
  capacity = 0;
  size = 0;
}

/** Bytes the queue takes for `cap` entries. */
export function queueBytes(cap: i32): usize {
  return (usize(cap + SENTINELS) << 4) + 64;
}

export function queueReset(initialCapacity: i32): void {
  queueRelease();
  capacity = max(initialCapacity, 16);
  allocHeap(capacity);
  size = 0;
  nextSeq = 0;
  for (let i = 0; i < SENTINELS; i++) setSentinel(i);
}

// @ts-ignore: decorator
@inline
function timeAt(i: i32): i64 {
  return load<i64>(heapPtr + (usize(i) << 4));
}

/** The entry at index i of the heap at hp (the hot paths keep heapPtr in a local: V8 reloads a global after every store). */
// @ts-ignore: decorator
@inline
function entryAt(hp: usize, i: i32): usize {
  return hp + (usize(i) << 4);
}

// Ties in time are ordered by age: seq - nextSeq (mod 2^32), the older an entry, the
// smaller (ages 1 .. 2^32 - 1). The pop compares (time, age) pairs with nextSeq in a local.

/** Doubles the heap when it is full (before a push). */
// @ts-ignore: decorator
@inline
function ensureRoom(): void {
  if (size == capacity) {
    const oldHeap = heapPtr;
    const oldBlock = blockPtr;
    capacity <<= 1;
    allocHeap(capacity);
    memory.copy(heapPtr, oldHeap, usize(size + SENTINELS) << 4);
    heap.free(oldBlock);
  }
}

/**
 * Sifts a new entry (timeNs, seq, payload) up from the end of the heap (room ensured).
 * `youngest` (a constant at each call): seq is the last one taken, so on a tie in time the
 * entry never goes first and only an earlier time moves it up (queuePush); otherwise ties
 * are decided by age, as the pop decides them (queuePushAs).
 */
// @ts-ignore: decorator
@inline
function insert(timeNs: i64, seq: u32, payload: u32, youngest: bool): void {
  const hp = heapPtr;
  const ns = nextSeq;
  const age = seq - ns;
  const n = size;
  size = n + 1;
  let i = n;
  while (i > 0) {
    const parent = (i - 1) >> 2;
    const pp = entryAt(hp, parent);
    const pt = load<i64>(pp);
    if (youngest) {
      if (timeNs >= pt) break;
    } else if (!(timeNs < pt || (timeNs == pt && age < load<u32>(pp, 8) - ns))) break;
    const dst = entryAt(hp, i);
    store<i64>(dst, pt);
    store<i64>(dst, load<i64>(pp, 8), 8);
    i = parent;
  }
  const p = entryAt(hp, i);
  store<i64>(p, timeNs);
  store<u32>(p, seq, 8);
  store<u32>(p, payload, 12);
  // The entry past the end was a sentinel and became an entry; keep three past the end.
  const sp = entryAt(hp, n + SENTINELS);
  store<i64>(sp, i64.MAX_VALUE);
  store<u32>(sp, u32.MAX_VALUE, 8);
}

/** Schedules `payload` at absolute time timeNs; returns its seq (for cancellation checks). */
export function queuePush(timeNs: i64, payload: u32): u32 {
  return queuePushInline(timeNs, payload);
}

/** queuePush, inlined where the engine starts the hrtimer (engine_lapic_start.ts startSwTimerOn) */
// @ts-ignore: decorator
@inline
export function queuePushInline(timeNs: i64, payload: u32): u32 {
  // Never at the sentinels' time (a saturated conversion gives i64.MAX_VALUE): they must
  // lose every comparison on time, as their seq is not the youngest.
  if (timeNs == i64.MAX_VALUE) timeNs = i64.MAX_VALUE - 1;
  ensureRoom();
  const seq = nextSeq++;
  insert(timeNs, seq, payload, true);
  pushedSeq = seq;
  return seq;
}

/** The seq the next push takes. */
export function queueNextSeq(): u32 {
  return nextSeq;
}

/**
 * Takes the next seq without pushing: an event held back outside the queue keeps its
 * place among equal times (queuePushAs), as if it had been pushed now.
 */
export function queueReserveSeq(): u32 {
  return nextSeq++;
}

/**
 * Schedules `payload` at timeNs with a seq queueReserveSeq gave earlier: among equal
 * times it goes after the entries pushed before that seq was taken and before the later
 * ones. (queuePush's new entry is the youngest; this one may not be.)
 */
export function queuePushAs(timeNs: i64, seq: u32, payload: u32): void {
  if (timeNs == i64.MAX_VALUE) timeNs = i64.MAX_VALUE - 1;
  ensureRoom();
  insert(timeNs, seq, payload, false);
}

/** Schedules `payload` deltaNs after now (JS-friendly: a small f64 delay). */
export function queuePushIn(deltaNs: f64, payload: u32): u32 {
  return queuePush(simNowNs + i64(deltaNs), payload);
}

/** Events after this time are not popped (the end of the simulated run). */
export function queueSetHorizon(untilNs: i64): void {
  horizonNs = untilNs;
}

/**
 * Pops the earliest event, advances the clock to it and returns its payload (< 2^31), or
 * -1 when the queue is empty or the next event lies after the horizon.
 */
export function queuePop(): i32 {
  const n = size;
  if (n == 0) return -1;
  // The globals in locals: V8 reloads a global after every store to memory.
  const hp = heapPtr;
  const t = load<i64>(hp);
  if (t > horizonNs) return -1;
  const ns = nextSeq;
  const payload = load<u32>(hp, 12);
  poppedSeq = load<u32>(hp, 8);
  poppedPayload = payload;
  const last = n - 1;
  size = last;
  if (last > 0) {
    const lastP = entryAt(hp, last);
    const lt = load<i64>(lastP);
    const ls = load<u32>(lastP, 8);
    const lp = load<u32>(lastP, 12);
    // Its slot is past the end now: a sentinel, so the walk below never picks it.
    store<i64>(lastP, i64.MAX_VALUE);
    store<u32>(lastP, u32.MAX_VALUE, 8);
    // Bottom-up (Wegener): the hole left at the root goes down the path of least children
    // to a leaf without comparing them with the last entry, which then rises from there.
    // The last entry is usually among the latest (it was pushed last), so it rises a step
    // or none: about one comparison instead of one per level on the way down.
    let i = 0;
    let hole = hp;
    for (;;) {
      const first = (i << 2) + 1;
      if (first >= last) break;
      // The least of the four children (sentinels past the end), as a tournament: the two
      // pairs' winners are independent, so the CPU compares them at once (a chain of three
      // dependent selects was the critical path of a pop). Times decide without branches;
      // a tie in time (rare: the ages are read only then) is one well-predicted branch.
      const c0 = entryAt(hp, first);
      const t0 = load<i64>(c0);
      const t1 = load<i64>(c0, 16);
      const t2 = load<i64>(c0, 32);
      const t3 = load<i64>(c0, 48);
      let take1 = t1 < t0;
      if (t1 == t0) take1 = load<u32>(c0, 24) - ns < load<u32>(c0, 8) - ns;
      let take3 = t3 < t2;
      if (t3 == t2) take3 = load<u32>(c0, 56) - ns < load<u32>(c0, 40) - ns;
      const ka = select<i32>(1, 0, take1);
      const ta = select<i64>(t1, t0, take1);
      const kb = select<i32>(3, 2, take3);
      const tb = select<i64>(t3, t2, take3);
      let takeB = tb < ta;
      if (tb == ta) takeB = load<u32>(c0 + (usize(kb) << 4), 8) - ns < load<u32>(c0 + (usize(ka) << 4), 8) - ns;
      const k = select<i32>(kb, ka, takeB);
      const c = first + k;
      const src = c0 + (usize(k) << 4);
      store<i64>(hole, load<i64>(src));
      store<i64>(hole, load<i64>(src, 8), 8);
      hole = src;
      i = c;
    }
    const lage = ls - ns;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pp = entryAt(hp, parent);
      const pt = load<i64>(pp);
      if (!(lt < pt || (lt == pt && lage < load<u32>(pp, 8) - ns))) break;
      store<i64>(hole, pt);
      store<i64>(hole, load<i64>(pp, 8), 8);
      hole = pp;
      i = parent;
    }
    store<i64>(hole, lt);
    store<u32>(hole, ls, 8);
    store<u32>(hole, lp, 12);
  } else {
    store<i64>(hp, i64.MAX_VALUE);
    store<u32>(hp, u32.MAX_VALUE, 8);
  }
  // Events come out in time order; the clock may only stand later than this event when
  // the cyclictest engine ran a vCPU's own next steps ahead (engine_loop.ts).
  setNowNs(t);
  return i32(payload);
}

/** Sets the next seq (tests: the push count passing 2^32 without 4·10^9 pushes); only with the queue empty. */
export function queueSetNextSeq(seq: u32): void {
  assert(size == 0, "queueSetNextSeq on a non-empty queue");
  nextSeq = seq;
}

export function queueSize(): i32 {
  return size;
}

export function queuePoppedSeq(): u32 {
  return poppedSeq;
}

export function queuePushedSeq(): u32 {
  return pushedSeq;
}

/** Time of the earliest event, or i64.MAX_VALUE when empty. */
export function queuePeekNs(): i64 {
  return size == 0 ? i64.MAX_VALUE : timeAt(0);
}
