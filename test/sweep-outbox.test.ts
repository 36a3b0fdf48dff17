// The sweep outbox's overflow paths (src/sweep/outbox.ts), in this thread and
// deterministically: a ring full of unread outcomes (lines go whole in messages, and once
// not even their 16-byte stubs fit, the writer wakes the reader and sleeps until a read
// frees room), outcomes bigger than the whole ring, and the SKIP entry at the ring's end
// when the reader is slow.
//
// The writer's sleep is injected (OutboxWriter's `wait`, Atomics.wait's contract): while
// the writer "sleeps", the test plays the main thread as batch.ts does — on each message
// on the port it takes the message and drains the outbox, which stores the head and
// notifies. A sleep that nothing would end but its time limit (no read pending, the head
// unchanged) is a lost wake-up, counted; on a real machine it costs up to 100 ms, and it
// is a deadlock without the limit. Small rings (newOutbox's ringBytes) fill with a few
// outcomes. No real time passes anywhere.

import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { MIN_RING_BYTES, newOutbox, OutboxReader, OutboxWriter, RING_BYTES, type OutboxWait, type RunOutcome } from "../src/sweep/outbox.js";

/** Header cells (outbox.ts): tail and head, bytes modulo 2^32. */
const H_TAIL = 2;
const H_HEAD = 3;
/** An entry's fixed part (head and figures) and a stub, bytes. */
const ENTRY_BYTES = 56;
const STUB_BYTES = 16;

/** What a run's outcome is made of: an ok line of `bytes` bytes, or an error message of that many characters. */
interface OutcomeSpec {
  error: boolean;
  bytes: number;
}

/** Outcome k, its bytes a function of k and position (so a byte out of place shows). */
function outcomeOf(k: number, { error, bytes }: OutcomeSpec): RunOutcome {
  if (error) return { k, error: `${k}:${"x".repeat(bytes)}`.slice(0, Math.max(bytes, `${k}:`.length)), wallMs: k + 0.25 };
  const line = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) line[i] = (k * 131 + i * 7) & 0xff;
  return { k, ok: { line, wallMs: k + 0.5, interrupts: 3 * k, events: k + 1, workerHeapUsedBytes: bytes, wasmMemoryBytes: 65536 } };
}

/** An outcome as the reader handed it, in full (a line's bytes are copied: they are valid only during `take`). */
function copyOf(o: RunOutcome): unknown {
  if ("error" in o) return { k: o.k, error: o.error, wallMs: o.wallMs };
  return { k: o.k, ok: { ...o.ok, line: Array.from(o.ok.line) } };
}

/** What the main thread did while the writer slept: read (which notifies), was busy, or found nothing to read. */
type SleepTurn = "read" | "busy" | "idle";

/**
 * A writer and a reader on one outbox, the main thread played by the test: `handle()`
 * takes one message and drains (batch.ts: port1's "message" handler), `tick()` drains
 * without a message (batch.ts: its READ_EVERY_MS timer). `onPost` runs right after each
 * message the writer posts (the main thread may act before the writer's next step),
 * `onSleep` when the writer sleeps.
 */
function harness(ringBytes: number, startAt = 0) {
  const outbox = newOutbox(ringBytes);
  const cells = new Int32Array(outbox, 0, 8);
  // Where the byte counters (modulo 2^32) start: 0 in a sweep.
  Atomics.store(cells, H_TAIL, startAt | 0);
  Atomics.store(cells, H_HEAD, startAt | 0);
  const { port1, port2 } = new MessageChannel();
  const got: unknown[] = [];
  const stats = { posts: 0, sleeps: 0, notEqual: 0, lost: 0, maxUsed: 0 };
  const used = (): number => (Atomics.load(cells, H_TAIL) - Atomics.load(cells, H_HEAD)) >>> 0;
  const tailAt = (): number => (Atomics.load(cells, H_TAIL) >>> 0) & (ringBytes - 1);
  const reader = new OutboxReader(outbox, port1);
  const drain = (): void => {
    reader.drain((o) => got.push(copyOf(o)));
  };
  const h = {
    got,
    stats,
    reader,
    used,
    tailAt,
    /** The main thread takes one message (a wake-up or an outcome sent whole) and reads the outbox; false if none was pending. */
    handle(): boolean {
      const m = receiveMessageOnPort(port1);
      if (m === undefined) return false;
      reader.message(m.message);
      drain();
      return true;
    },
    handleAll(): number {
      let n = 0;
      while (h.handle()) n++;
      return n;
    },
    tick: drain,
    onPost: (): void => {},
    onSleep: (): SleepTurn => (h.handleAll() > 0 ? "read" : "idle"),
    /** Everything left: the messages, then the ring (in-ring outcomes come with no message). */
    finish(): void {
      h.handleAll();
      drain();
    },
    close(): void {
      port1.close();
      port2.close();
    },
    writer: undefined as unknown as OutboxWriter,
  };
  // The writer's port: the real one, and the main thread's chance to act right after each post.
  const port = {
    postMessage(m: unknown, transfer?: ArrayBuffer[]) {
      port2.postMessage(m, transfer);
      stats.posts++;
      stats.maxUsed = Math.max(stats.maxUsed, used());
      h.onPost();
    },
  } as unknown as MessagePort;
  const wait: OutboxWait = (c, index, value) => {
    expect(c.buffer).toBe(outbox);
    expect(index).toBe(H_HEAD);
    // Atomics.wait's check: the head moved since the writer looked (a read freed room): no sleep.
    if (Atomics.load(cells, H_HEAD) !== value) {
      stats.notEqual++;
      return "not-equal";
    }
    stats.sleeps++;
    // A sleep only ever when not even a stub fits (with a SKIP first if the end is near).
    const toEnd = ringBytes - tailAt();
    expect(ringBytes - used()).toBeLessThan(STUB_BYTES <= toEnd ? STUB_BYTES : toEnd + STUB_BYTES);
    const turn = h.onSleep();
    if (turn === "read") return "ok";
    // Nothing for the main thread to read and nothing read: only the sleep's time limit
    // (or the main thread's timer) would end this sleep.
    if (turn === "idle") stats.lost++;
    return "timed-out";
  };
  h.writer = new OutboxWriter(outbox, port, wait);
  return h;
}

describe("sweep outbox: the ring full, outcomes bigger than it, the skip at its end", () => {
  test("newOutbox takes power-of-two rings from MIN_RING_BYTES; the default is RING_BYTES", () => {
    expect(newOutbox().byteLength - RING_BYTES).toBe(32);
    expect(newOutbox(MIN_RING_BYTES).byteLength).toBe(32 + MIN_RING_BYTES);
    for (const bad of [0, 32, 100, MIN_RING_BYTES + 8, 2 ** 31, 1.5]) expect(() => newOutbox(bad)).toThrow(/power of two/);
  });

  test("the ring full of unread stubs: the writer wakes the reader and sleeps; a read lets it go on; nothing lost, nothing twice", () => {
    // A 256-byte ring holds 16 stubs. Lines of 300 bytes are bigger than the whole ring:
    // each goes whole in a message, the ring keeps a stub in its place. The main thread
    // reads nothing until the writer sleeps.
    const h = harness(256);
    const specs = Array.from({ length: 40 }, () => ({ error: false, bytes: 300 }));
    const sleptAt: number[] = [];
    h.onSleep = () => {
      sleptAt.push(h.stats.posts);
      expect(h.used()).toBe(256);
      return h.handleAll() > 0 ? "read" : "idle";
    };
    for (let k = 0; k < specs.length; k++) {
      h.writer.begin(k);
      h.writer.put(outcomeOf(k, specs[k]!));
      expect(h.used()).toBeLessThanOrEqual(256);
    }
    h.finish();
    expect(h.got).toEqual(specs.map((s, k) => copyOf(outcomeOf(k, s))));
    // It slept at the 17th outcome (16 stubs unread), after posting it and a wake-up, and
    // again 16 outcomes later.
    expect(sleptAt).toEqual([17 + 1, 17 + 1 + 16 + 1]);
    expect(h.stats).toMatchObject({ sleeps: 2, notEqual: 0, lost: 0, maxUsed: 256 });
    expect(h.reader.writerWaits()).toBe(2);
    expect(h.reader.position()).toMatchObject({ begun: 40, finished: 40 });
    h.close();
  });

  test("a busy main thread: the writer sleeps again, with a wake-up each time, until a read frees room", () => {
    // 64 bytes: four stubs. The fifth outcome's stub waits through three sleeps that the
    // busy main thread lets run out and a fourth that its read ends.
    const h = harness(64);
    let busy = 3;
    h.onSleep = () => (busy-- > 0 ? "busy" : h.handleAll() > 0 ? "read" : "idle");
    const specs = Array.from({ length: 6 }, (_, k) => ({ error: k % 2 === 1, bytes: 100 }));
    for (let k = 0; k < specs.length; k++) h.writer.put(outcomeOf(k, specs[k]!));
    h.finish();
    expect(h.got).toEqual(specs.map((s, k) => copyOf(outcomeOf(k, s))));
    expect(h.stats).toMatchObject({ sleeps: 4, lost: 0 });
    // Six outcomes sent whole and four wake-ups.
    expect(h.stats.posts).toBe(10);
    expect(h.reader.writerWaits()).toBe(4);
    h.close();
  });

  test("a read between the writer's look and its sleep is no lost wake-up: the sleep does not begin", () => {
    // The main thread takes the writer's wake-up the instant it is posted, before the
    // writer sleeps: the head has moved, so Atomics.wait's value check must end the
    // sleep at once. (A writer that loaded the head for the sleep after posting the
    // wake-up would sleep with nothing left to wake it.)
    const h = harness(64);
    let wakeUps = 0;
    h.onPost = () => {
      // Only the wake-ups (the writer counts each before posting it) are read at once.
      if (h.reader.writerWaits() > wakeUps) {
        wakeUps = h.reader.writerWaits();
        h.handleAll();
      }
    };
    for (let k = 0; k < 12; k++) h.writer.put(outcomeOf(k, { error: false, bytes: 200 }));
    h.finish();
    expect(h.got).toEqual(Array.from({ length: 12 }, (_, k) => copyOf(outcomeOf(k, { error: false, bytes: 200 }))));
    // Stubs 0-3, a wake-up; 4-7, a wake-up; 8-11.
    expect(h.reader.writerWaits()).toBe(2);
    expect(h.stats).toMatchObject({ notEqual: 2, sleeps: 0, lost: 0 });
    h.close();
  });

  test("an outcome bigger than the whole ring goes whole in a message, even into an empty ring, and so does an error message that big; the room kept for stubs stays free", () => {
    // 4096 bytes: an entry of up to 1024 bytes (a quarter) goes in the ring.
    const h = harness(4096);
    let posted = 0;
    h.onPost = () => posted++;
    const steps: [OutcomeSpec, number][] = [
      [{ error: false, bytes: 5000 }, STUB_BYTES], // bigger than the ring: a stub
      [{ error: false, bytes: 1024 - ENTRY_BYTES + 1 }, STUB_BYTES], // 1032 bytes > 1024: a stub
      [{ error: false, bytes: 1024 - ENTRY_BYTES }, 1024], // exactly a quarter: in the ring
      [{ error: true, bytes: 10_000 }, STUB_BYTES],
      [{ error: true, bytes: 100 }, 160], // 56 + 100, aligned to 8: 1232 bytes used
      [{ error: false, bytes: 1024 - ENTRY_BYTES }, 1024],
      [{ error: false, bytes: 1024 - ENTRY_BYTES }, 1024], // 3280 used, 816 free
      // The room kept for stubs (1/128 of the ring, 32 bytes) stays free: a 792-byte entry
      // would fit, but not with 32 bytes after it, so it goes whole (3296 used, 800 free) ...
      [{ error: false, bytes: 792 - ENTRY_BYTES }, STUB_BYTES],
      // ... and a 768-byte one goes in the ring, leaving exactly the stubs' room,
      [{ error: false, bytes: 768 - ENTRY_BYTES }, 768],
      // which then holds stubs only, even for an empty line (a 56-byte entry).
      [{ error: false, bytes: 0 }, STUB_BYTES],
      [{ error: true, bytes: 0 }, STUB_BYTES], // the ring full: 4096 used
    ];
    let used = 0;
    steps.forEach(([spec, bytes], k) => {
      h.writer.put(outcomeOf(k, spec));
      used += bytes;
      expect(h.used()).toBe(used);
    });
    expect(used).toBe(4096);
    expect(posted).toBe(6);
    h.finish();
    expect(h.got).toEqual(steps.map(([s], k) => copyOf(outcomeOf(k, s))));
    expect(h.stats.sleeps).toBe(0);
    h.close();
  });

  test("the skip at the ring's end with the reader behind: 8 bytes left, a stub needs 8 + 16; it sleeps, then skips and goes on at 0", () => {
    // 256 bytes: a quarter is 64, the room kept for stubs 2. A line of 8 bytes makes a
    // 64-byte entry, an empty line a 56-byte one; a line of 300 bytes goes whole.
    const h = harness(256);
    const seq: OutcomeSpec[] = [];
    const put = (s: OutcomeSpec): void => {
      h.writer.put(outcomeOf(seq.length, s));
      seq.push(s);
    };
    let slept = 0;
    h.onSleep = () => {
      slept++;
      expect(h.tailAt()).toBe(248);
      expect(h.used()).toBe(248);
      return h.handleAll() > 0 ? "read" : "idle";
    };
    for (let i = 0; i < 3; i++) put({ error: false, bytes: 8 }); // 0-191
    h.tick(); // the reader catches up
    put({ error: false, bytes: 8 }); // 192-255
    expect(h.tailAt()).toBe(0);
    h.tick();
    put({ error: false, bytes: 8 }); // 0-63
    put({ error: false, bytes: 8 }); // 64-127
    put({ error: true, bytes: 8 }); // 128-191
    put({ error: false, bytes: 0 }); // 192-247
    expect(h.used()).toBe(248);
    expect(slept).toBe(0);
    put({ error: false, bytes: 300 }); // whole; its stub needs the 8 bytes at the end (a SKIP) and 16 at 0
    expect(slept).toBe(1);
    expect(h.tailAt()).toBe(STUB_BYTES);
    put({ error: true, bytes: 1 }); // 16-79
    h.finish();
    expect(h.got).toEqual(seq.map((s, k) => copyOf(outcomeOf(k, s))));
    expect(h.stats.lost).toBe(0);
    h.close();
  });

  test("property: any sizes (in the ring, at its quarter's edge, bigger than the whole ring), any ring, byte counters across 2^32, the main thread reading at any moment: every outcome once, in order, byte for byte; the ring never overrun; no lost wake-up", () => {
    const spec = (ring: number): fc.Arbitrary<OutcomeSpec> =>
      fc.record({
        error: fc.integer({ min: 0, max: 4 }).map((v) => v === 0),
        bytes: fc.oneof(
          fc.integer({ min: 0, max: ring / 4 }),
          fc.integer({ min: -9, max: 9 }).map((d) => Math.max(0, ring / 4 - ENTRY_BYTES + d)),
          fc.integer({ min: 0, max: 3 * ring }),
        ),
      });
    const cases = fc.constantFrom(64, 128, 256, 512, 4096).chain((ring) => fc.record({ ring: fc.constant(ring), startAt: fc.constantFrom(0, 2 ** 32 - ring, 2 ** 32 - 8 * 37), specs: fc.array(spec(ring), { minLength: 1, maxLength: 80, size: "max" }), tape: fc.array(fc.nat(99), { maxLength: 200 }) }));
    let sleptCases = 0;
    fc.assert(
      fc.property(cases, ({ ring, startAt, specs, tape }) => {
        const h = harness(ring, startAt);
        // The main thread's choices, the tape over and over (0 if empty: busy, or read when the writer sleeps).
        let at = 0;
        const choose = (n: number): number => (tape.length === 0 ? 0 : tape[at++ % tape.length]!) % n;
        // Right after a post, sometimes the main thread reads everything at once.
        h.onPost = () => {
          if (choose(6) === 5) h.handleAll();
        };
        // While the writer sleeps, sometimes busy (at most three sleeps in a row).
        let busyRun = 0;
        h.onSleep = () => {
          if (busyRun < 3 && choose(3) === 2) {
            busyRun++;
            return "busy";
          }
          busyRun = 0;
          return h.handleAll() > 0 ? "read" : "idle";
        };
        for (let k = 0; k < specs.length; k++) {
          h.writer.begin(k);
          h.writer.put(outcomeOf(k, specs[k]!));
          expect(h.used()).toBeLessThanOrEqual(ring);
          // Between runs: the main thread's timer, one message, every message, or busy.
          const c = choose(16);
          if (c === 1) h.tick();
          else if (c === 2) h.handle();
          else if (c === 3) h.handleAll();
        }
        h.finish();
        expect(h.got).toEqual(specs.map((s, k) => copyOf(outcomeOf(k, s))));
        expect(h.stats.maxUsed).toBeLessThanOrEqual(ring);
        expect(h.stats.lost).toBe(0);
        // Each time the writer found no room it counted a wait, then either slept or found the head moved.
        expect(h.reader.writerWaits()).toBe(h.stats.sleeps + h.stats.notEqual);
        expect(h.reader.position()).toMatchObject({ begun: specs.length, finished: specs.length });
        if (h.stats.sleeps > 0) sleptCases++;
        h.close();
      }),
      { numRuns: 150 },
    );
    // The cases reach the sleep, not just the stubs (a third of them or so).
    expect(sleptCases).toBeGreaterThan(25);
  });
});
