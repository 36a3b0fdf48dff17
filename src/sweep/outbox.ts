// A batch's outbox: the runs' outcomes, written by the worker into memory it shares with
// the main thread (a SharedArrayBuffer per task), read by the main thread when it wakes.
//
// Why: on this kind of VM a message from a worker costs the receiving thread 70-120 us
// whatever it carries (bench/sweep-message-cost.mjs), and with one message per run that
// was ~45 % of the main thread's CPU in a two-worker sweep, taken from the workers on a
// two-CPU machine. The worker now posts a bare wake-up only now and then (worker.ts:
// after a window of time, on an error, when it is about to run out of runs), and each
// wake-up lets the main thread take every outcome published since the last.
//
// Why shared memory rather than one message carrying several runs: what the worker has
// finished must reach the results file even when the worker cannot post any more — it
// crashed, it is being killed for the next run's timeout, or the sweep is stopping
// (SIGINT) while it is in the middle of a long run. The main thread reads the outbox
// itself in each case, so nothing already computed is lost and nothing waits for the
// worker. The header also says which run is in progress (`begun` > `finished`), so a
// crash or a timeout blames that run, never an earlier one.
//
// Layout. A header of Int32 cells (below) and a byte ring of RING_BYTES (a power of two;
// newOutbox takes a smaller one, which tests use to fill the ring with a few outcomes).
// Entries are 8-byte aligned: a 16-byte head (size, kind, k, payload length), then for
// ok and error entries five float64 figures and the payload (the results line's bytes,
// newline included, or the error message in UTF-8). An entry never wraps: the worker
// fills the end of the ring with a SKIP entry and starts again at 0. A line too big for a
// quarter of the ring, or for the room the main thread has left, goes in a message of its
// own (transferred, not copied) and the ring holds a 16-byte EXTERNAL stub in its place,
// published after the message was posted, so the reader finds the message already queued.
// Only when even a stub does not fit does the worker wait (the ring full of unread
// outcomes: ~250 stubs after lines that filled the rest, or 32,768 stubs of big lines
// alone): it wakes the main thread and sleeps on `head` until a read frees room.
// Single producer (the worker), single consumer (the main thread): `tail` is published
// with Atomics.store after the entry's bytes are written; `head` is stored by the reader
// after it has written the lines out (their bytes are read in place, not copied).

import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { RunTaskResult } from "./run-task.js";

/** Runs begun (run k begun: k + 1). */
const H_BEGUN = 0;
/** Runs whose outcome is published. */
const H_FINISHED = 1;
/** Bytes published, modulo 2^32. */
const H_TAIL = 2;
/** Bytes the reader is done with, modulo 2^32. */
const H_HEAD = 3;
const HEADER_BYTES = 32;
/** Float64 index (bytes 16-23): when the run in progress began, epoch ms by the worker's clock. */
const BEGAN_F64 = 2;
/** Times the writer found no room for a stub and slept until the reader freed some (cell 6: bytes 24-27). */
const H_WAITS = 6;

/** The ring's size in a sweep, bytes. */
export const RING_BYTES = 1 << 19;
/** The smallest ring newOutbox makes: four stubs. */
export const MIN_RING_BYTES = 64;
/** The writer's longest sleep while it waits for room, ms: a safety net only (the reader's notify ends it). */
const WAIT_SLICE_MS = 100;

const KIND_OK = 0;
const KIND_ERROR = 1;
const KIND_EXTERNAL = 2;
const KIND_SKIP = 3;
const HEAD_BYTES = 16;
const FIGURES_BYTES = 40;
const ENTRY_BYTES = HEAD_BYTES + FIGURES_BYTES;
/** Room kept for EXTERNAL stubs (reserve()), as a share of the ring: 4096 bytes (256 stubs) in a sweep's. */
const STUB_ROOM_SHIFT = 7;

/** A run's outcome: the result, or why the run threw and how long it ran. */
export type RunOutcome = { k: number; ok: RunTaskResult } | { k: number; error: string; wallMs: number };

/** A new outbox whose ring holds `ringBytes` (a power of two, MIN_RING_BYTES to 1 GiB). */
export function newOutbox(ringBytes: number = RING_BYTES): SharedArrayBuffer {
  if (!Number.isInteger(ringBytes) || ringBytes < MIN_RING_BYTES || ringBytes > 1 << 30 || (ringBytes & (ringBytes - 1)) !== 0) {
    throw new RangeError(`sweep outbox: ring of ${ringBytes} bytes; a power of two from ${MIN_RING_BYTES} to 2^30 is allowed`);
  }
  return new SharedArrayBuffer(HEADER_BYTES + ringBytes);
}

/**
 * How the writer sleeps until the reader may have freed room: Atomics.wait's contract
 * (return at once if `cells[index]` is no longer `value`). Tests inject one that plays
 * the main thread's part in the same thread.
 */
export type OutboxWait = (cells: Int32Array, index: number, value: number, timeoutMs: number) => "ok" | "not-equal" | "timed-out";

const atomicsWait: OutboxWait = (cells, index, value, timeoutMs) => Atomics.wait(cells, index, value, timeoutMs);

const align8 = (n: number): number => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Both ends' views of an outbox: its header's cells (as i32 and f64) and its ring. */
abstract class OutboxViews {
  protected readonly cells: Int32Array;
  protected readonly f64: Float64Array;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;
  /** The ring's size (newOutbox's ringBytes) and its mask. */
  protected readonly ringBytes: number;
  protected readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.ringBytes = buffer.byteLength - HEADER_BYTES;
    this.mask = this.ringBytes - 1;
    this.cells = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.f64 = new Float64Array(buffer, 0, HEADER_BYTES / 8);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, this.ringBytes);
    this.view = new DataView(buffer, HEADER_BYTES, this.ringBytes);
  }
}

/** The worker's end. */
export class OutboxWriter extends OutboxViews {
  private tail = 0;
  /** The largest entry that goes in the ring (a quarter of it), and the room kept for stubs. */
  private readonly maxEntryBytes: number;
  private readonly stubRoomBytes: number;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
    /** How to sleep for room (Atomics.wait; tests inject their own). */
    private readonly wait: OutboxWait = atomicsWait,
  ) {
    super(buffer);
    this.tail = Atomics.load(this.cells, H_TAIL) >>> 0;
    this.maxEntryBytes = this.ringBytes / 4;
    this.stubRoomBytes = this.ringBytes >>> STUB_ROOM_SHIFT;
  }

  /** Run k begins (before it runs: a crash or a hang from here on is its own). */
  begin(k: number): void {
    this.f64[BEGAN_F64] = performance.timeOrigin + performance.now();
    Atomics.store(this.cells, H_BEGUN, k + 1);
  }

  /** Publishes run k's outcome; then the run counts as finished. */
  put(outcome: RunOutcome): void {
    const payload = "ok" in outcome ? outcome.ok.line : encoder.encode(outcome.error);
    const size = align8(ENTRY_BYTES + payload.length);
    if (size > this.maxEntryBytes || !this.reserve(size)) {
      // Too big for the ring, or no room yet: the outcome travels in a message, the ring
      // keeps its place in the order. The line's buffer changes hands (no copy).
      if ("ok" in outcome) this.port.postMessage(outcome, [outcome.ok.line.buffer as ArrayBuffer]);
      else this.port.postMessage(outcome);
      this.waitFor(HEAD_BYTES);
      this.writeHead(HEAD_BYTES, KIND_EXTERNAL, outcome.k, 0);
      this.publish(HEAD_BYTES, outcome.k);
      return;
    }
    const at = this.tail & this.mask;
    this.writeHead(size, "ok" in outcome ? KIND_OK : KIND_ERROR, outcome.k, payload.length);
    const v = this.view;
    if ("ok" in outcome) {
      const r = outcome.ok;
      v.setFloat64(at + 16, r.wallMs, true);
      v.setFloat64(at + 24, r.interrupts, true);
      v.setFloat64(at + 32, r.events, true);
      v.setFloat64(at + 40, r.workerHeapUsedBytes, true);
      v.setFloat64(at + 48, r.wasmMemoryBytes, true);
    } else {
      v.setFloat64(at + 16, outcome.wallMs, true);
    }
    this.bytes.set(payload, at + ENTRY_BYTES);
    this.publish(size, outcome.k);
  }

  /**
   * Room for `size` contiguous bytes at the tail (a SKIP entry first if the ring's end is
   * too near), without waiting, and the stub room besides (1/128 of the ring): a line goes
   * to the ring only while ~250 EXTERNAL stubs would still fit after it, so the worker
   * waits for room only when the main thread has left that many outcomes, each posted to
   * it, unread.
   */
  private reserve(size: number): boolean {
    if (this.free(Atomics.load(this.cells, H_HEAD)) < this.bytesNeeded(size) + this.stubRoomBytes) return false;
    this.skipIfNear(size);
    return true;
  }

  /**
   * Waits (rarely: the main thread has left the ring full, its last ~250 outcomes or more
   * each posted to it, unread) until `size` bytes fit.
   * The room is judged by the head loaded once, and the sleep is on that value: a read
   * that frees room after the look (even before the sleep begins) ends the sleep at once,
   * so no wake-up is lost and the sleep's time limit is only a safety net.
   */
  private waitFor(size: number): void {
    for (;;) {
      const head = Atomics.load(this.cells, H_HEAD);
      if (this.free(head) >= this.bytesNeeded(size)) {
        this.skipIfNear(size);
        return;
      }
      Atomics.add(this.cells, H_WAITS, 1);
      this.port.postMessage(null);
      this.wait(this.cells, H_HEAD, head, WAIT_SLICE_MS);
    }
  }

  /** Bytes of the ring not holding unread entries, with the reader's head at `head` (as stored). */
  private free(head: number): number {
    return this.ringBytes - ((this.tail - head) >>> 0);
  }

  /**
   * Bytes to take at the tail for `size` contiguous ones: `size`, or the rest of the ring
   * too (a SKIP entry) when its end is nearer than that.
   */
  private bytesNeeded(size: number): number {
    const toEnd = this.ringBytes - (this.tail & this.mask);
    return size <= toEnd ? size : toEnd + size;
  }

  /** A SKIP entry over the rest of the ring when `size` bytes do not fit before its end. */
  private skipIfNear(size: number): void {
    const at = this.tail & this.mask;
    const toEnd = this.ringBytes - at;
    if (size <= toEnd) return;
    this.view.setUint32(at, toEnd, true);
    this.view.setUint32(at + 4, KIND_SKIP, true);
    this.tail = (this.tail + toEnd) >>> 0;
  }

  private writeHead(size: number, kind: number, k: number, payloadBytes: number): void {
    const at = this.tail & this.mask;
    const v = this.view;
    v.setUint32(at, size, true);
    v.setUint32(at + 4, kind, true);
    v.setUint32(at + 8, k, true);
    v.setUint32(at + 12, payloadBytes, true);
  }

  private publish(size: number, k: number): void {
    this.tail = (this.tail + size) >>> 0;
    Atomics.store(this.cells, H_TAIL, this.tail | 0);
    Atomics.store(this.cells, H_FINISHED, k + 1);
  }
}

/** Where the worker is, as the outbox's header says. */
export interface WorkerPosition {
  /** Runs begun. */
  begun: number;
  /** Runs whose outcome is published. */
  finished: number;
  /** When the run in progress (begun > finished) began, epoch ms by the worker's clock. */
  beganEpochMs: number;
}

/** The main thread's end. */
export class OutboxReader extends OutboxViews {
  private head = 0;
  /** Outcomes that came as messages (EXTERNAL entries), in order. */
  private readonly external: RunOutcome[] = [];
  private draining = false;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    super(buffer);
    // 0 in a new outbox; as the header says otherwise, like the writer's tail (tests start
    // both near 2^32 to see the counters wrap, as a batch extended for 4 GiB of lines would).
    this.head = Atomics.load(this.cells, H_HEAD) >>> 0;
  }

  position(): WorkerPosition {
    const finished = Atomics.load(this.cells, H_FINISHED);
    const begun = Atomics.load(this.cells, H_BEGUN);
    return { begun, finished, beganEpochMs: this.f64[BEGAN_F64]! };
  }

  /** Times the writer has slept because the ring had no room for even a stub (tests, diagnostics). */
  writerWaits(): number {
    return Atomics.load(this.cells, H_WAITS);
  }

  /** A message from the worker: a wake-up (null) or an outcome too big for the ring. */
  message(m: unknown): void {
    if (m !== null && typeof m === "object") this.external.push(m as RunOutcome);
  }

  /**
   * Hands every published outcome to `take`, in run order, then frees their room. A line
   * in the ring is handed as a view into it, valid only until `take` returns (then
   * `flushed` is called: the lines must be written by then). Re-entry (a write that fails
   * and stops the sweep, which drains again) does nothing.
   */
  drain(take: (outcome: RunOutcome) => void, flushed: () => void = () => {}): number {
    if (this.draining) return 0;
    this.draining = true;
    let n = 0;
    try {
      const tail = Atomics.load(this.cells, H_TAIL) >>> 0;
      const v = this.view;
      while (this.head !== tail) {
        const at = this.head & this.mask;
        const size = v.getUint32(at, true);
        const kind = v.getUint32(at + 4, true);
        this.head = (this.head + size) >>> 0;
        if (kind === KIND_SKIP) continue;
        const k = v.getUint32(at + 8, true);
        n++;
        if (kind === KIND_EXTERNAL) {
          take(this.nextExternal(k));
          continue;
        }
        const payload = this.bytes.subarray(at + ENTRY_BYTES, at + ENTRY_BYTES + v.getUint32(at + 12, true));
        if (kind === KIND_ERROR) {
          take({ k, error: decoder.decode(payload), wallMs: v.getFloat64(at + 16, true) });
        } else {
          take({
            k,
            ok: { line: payload, wallMs: v.getFloat64(at + 16, true), interrupts: v.getFloat64(at + 24, true), events: v.getFloat64(at + 32, true), workerHeapUsedBytes: v.getFloat64(at + 40, true), wasmMemoryBytes: v.getFloat64(at + 48, true) },
          });
        }
      }
    } finally {
      // The lines handed over are written (or their write failed): the worker may reuse the room.
      try {
        flushed();
      } finally {
        Atomics.store(this.cells, H_HEAD, this.head | 0);
        Atomics.notify(this.cells, H_HEAD);
        this.draining = false;
      }
    }
    return n;
  }

  /**
   * After the worker has ended (crashed, killed, stopped): the outcome it posted whole
   * whose stub it never published, because it was stopped while it waited for room for
   * the stub. It had finished that run (its message is the whole outcome), so it goes to
   * `take` as the run after the last one drained, `next` (outcomes posted whole are in
   * run order; anything else is a bug). Call after draining, with every message received.
   * `flushed` is called after `take`, as by drain. Returns how many it took (0 or 1).
   */
  takeUnpublished(next: number, take: (outcome: RunOutcome) => void, flushed: () => void = () => {}): number {
    const got = this.external.shift();
    if (got === undefined) return 0;
    if (got.k !== next || this.external.length > 0) throw new Error(`sweep outbox: run ${next}'s outcome expected after the last published, run ${got.k}'s found (${this.external.length + 1} unpublished)`);
    try {
      take(got);
    } finally {
      flushed();
    }
    return 1;
  }

  /** The outcome of an EXTERNAL entry: its message was posted before the entry, so it is queued if not yet received. */
  private nextExternal(k: number): RunOutcome {
    while (this.external.length === 0) {
      const m = receiveMessageOnPort(this.port);
      if (m === undefined) throw new Error(`sweep outbox: run ${k}'s outcome is not on the port`);
      this.message(m.message);
    }
    const got = this.external.shift()!;
    if (got.k !== k) throw new Error(`sweep outbox: run ${k}'s outcome expected, run ${got.k}'s found`);
    return got;
  }
}
