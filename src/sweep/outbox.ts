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
// Layout. A header of Int32 cells (below) and a byte ring of RING_BYTES (a power of two).
// Entries are 8-byte aligned: a 16-byte head (size, kind, k, payload length), then for
// ok and error entries five float64 figures and the payload (the results line's bytes,
// newline included, or the error message in UTF-8). An entry never wraps: the worker
// fills the end of the ring with a SKIP entry and starts again at 0. A line too big for a
// quarter of the ring, or for the room the main thread has left, goes in a message of its
// own (transferred, not copied) and the ring holds a 16-byte EXTERNAL stub in its place,
// published after the message was posted, so the reader finds the message already queued.
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

export const RING_BYTES = 1 << 19;
const MASK = RING_BYTES - 1;

const KIND_OK = 0;
const KIND_ERROR = 1;
const KIND_EXTERNAL = 2;
const KIND_SKIP = 3;
const HEAD_BYTES = 16;
const FIGURES_BYTES = 40;
const ENTRY_BYTES = HEAD_BYTES + FIGURES_BYTES;
/** Room kept for EXTERNAL stubs (reserve()). */
const STUB_ROOM = 4096;

/** A run's outcome: the result, or why the run threw and how long it ran. */
export type RunOutcome = { k: number; ok: RunTaskResult } | { k: number; error: string; wallMs: number };

export function newOutbox(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + RING_BYTES);
}

const align8 = (n: number): number => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Both ends' views of an outbox: its header's cells (as i32 and f64) and its ring. */
abstract class OutboxViews {
  protected readonly cells: Int32Array;
  protected readonly f64: Float64Array;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.f64 = new Float64Array(buffer, 0, HEADER_BYTES / 8);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, RING_BYTES);
    this.view = new DataView(buffer, HEADER_BYTES, RING_BYTES);
  }
}

/**
 * Bytes to take at `tail` for `size` contiguous ones: `size`, or the rest of the ring too
 * (a SKIP entry) when its end is nearer than that.
 */
function bytesNeeded(tail: number, size: number): number {
  const toEnd = RING_BYTES - (tail & MASK);
  return size <= toEnd ? size : toEnd + size;
}

/** The worker's end. */
export class OutboxWriter extends OutboxViews {
  private tail = 0;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    super(buffer);
    this.tail = Atomics.load(this.cells, H_TAIL) >>> 0;
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
    if (size > RING_BYTES / 4 || !this.reserve(size)) {
      // Too big for the ring, or no room yet: the outcome travels in a message, the ring
      // keeps its place in the order. The line's buffer changes hands (no copy).
      if ("ok" in outcome) this.port.postMessage(outcome, [outcome.ok.line.buffer as ArrayBuffer]);
      else this.port.postMessage(outcome);
      this.waitFor(HEAD_BYTES);
      this.writeHead(HEAD_BYTES, KIND_EXTERNAL, outcome.k, 0);
      this.publish(HEAD_BYTES, outcome.k);
      return;
    }
    const at = this.tail & MASK;
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
   * too near), without waiting, and STUB_ROOM besides: a line goes to the ring only while
   * ~250 EXTERNAL stubs would still fit after it, so the worker waits for room only when
   * the main thread has left that many outcomes, each posted to it, unread.
   */
  private reserve(size: number): boolean {
    if (RING_BYTES - this.used() < bytesNeeded(this.tail, size) + STUB_ROOM) return false;
    this.skipIfNear(size);
    return true;
  }

  /** Waits (rarely: the main thread has left thousands of stubs unread) until `size` bytes fit. */
  private waitFor(size: number): void {
    for (;;) {
      if (RING_BYTES - this.used() >= bytesNeeded(this.tail, size)) {
        this.skipIfNear(size);
        return;
      }
      this.port.postMessage(null);
      Atomics.wait(this.cells, H_HEAD, Atomics.load(this.cells, H_HEAD), 100);
    }
  }

  private used(): number {
    return (this.tail - Atomics.load(this.cells, H_HEAD)) >>> 0;
  }

  /** A SKIP entry over the rest of the ring when `size` bytes do not fit before its end. */
  private skipIfNear(size: number): void {
    const at = this.tail & MASK;
    const toEnd = RING_BYTES - at;
    if (size <= toEnd) return;
    this.view.setUint32(at, toEnd, true);
    this.view.setUint32(at + 4, KIND_SKIP, true);
    this.tail = (this.tail + toEnd) >>> 0;
  }

  private writeHead(size: number, kind: number, k: number, payloadBytes: number): void {
    const at = this.tail & MASK;
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
  }

  position(): WorkerPosition {
    const finished = Atomics.load(this.cells, H_FINISHED);
    const begun = Atomics.load(this.cells, H_BEGUN);
    return { begun, finished, beganEpochMs: this.f64[BEGAN_F64]! };
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
        const at = this.head & MASK;
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
