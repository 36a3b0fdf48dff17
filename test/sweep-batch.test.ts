// Batches of runs (src/sweep/batch.ts): how many runs go in a task, and what a batch
// reports when one of its runs throws, crashes its worker or hangs — on a real
// one-worker pool from the TypeScript sources — with finished runs still waiting in the
// worker's outbox (src/sweep/outbox.ts) or not; and the outbox and the worker's
// wake-ups themselves, deterministically.

import { once } from "node:events";
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { afterEach, describe, expect, test } from "vitest";
import { alignCap, alignedTake, BatchSizer, BATCH_TARGET_MS, MAX_BATCH, READ_EVERY_MS, startBatch, TimeoutError, TIMEOUT_CHECKS, type RunClock, type RunOutcome } from "../src/sweep/batch.js";
import { newOutbox, OutboxReader, OutboxWriter, RING_BYTES } from "../src/sweep/outbox.js";
import fc from "fast-check";
import { parseSweep } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { createPool, startWorkers, type SweepPool } from "../src/sweep/pool.js";
import { FAULT_ENV } from "../src/sweep/fault-hook.js";
import { runBatchWith, type BatchTask, type RunTask, type RunTaskResult } from "../src/sweep/worker.js";
import { virtualClock } from "./virtual-clock.js";

describe("BatchSizer", () => {
  test("one run per task until a run has been timed", () => {
    expect(new BatchSizer(2).size(1000)).toBe(1);
  });

  test("about BATCH_TARGET_MS of work per task, from the mean run time", () => {
    const s = new BatchSizer(2);
    for (let i = 0; i < 30; i++) s.observe(BATCH_TARGET_MS / 10);
    expect(s.size(10_000)).toBe(10);
    // Runs longer than the target go one per task.
    const slow = new BatchSizer(2);
    slow.observe(BATCH_TARGET_MS * 3);
    expect(slow.size(10_000)).toBe(1);
  });

  test("never more than MAX_BATCH, nor a quarter of a worker's share of what is left", () => {
    const s = new BatchSizer(2);
    for (let i = 0; i < 30; i++) s.observe(0.01);
    expect(s.size(1_000_000)).toBe(MAX_BATCH);
    expect(s.size(40)).toBe(5); // ceil(40 / (4 × 2))
    expect(s.size(1)).toBe(1);
  });

  test("the mean follows the recent runs: slow cold-start runs stop counting", () => {
    const s = new BatchSizer(1);
    for (let i = 0; i < 5; i++) s.observe(BATCH_TARGET_MS * 2);
    expect(s.size(10_000)).toBe(1);
    for (let i = 0; i < 200; i++) s.observe(BATCH_TARGET_MS / 20);
    // 20 but for the cold runs' vanishing trace in the running mean (it rounds down).
    expect(s.size(10_000)).toBeGreaterThanOrEqual(19);
    expect(s.size(10_000)).toBeLessThanOrEqual(20);
  });

  test("a warm run after cold ones sizes the next task from it: the cold runs do not hold the tasks at one run", () => {
    const s = new BatchSizer(2);
    // The bench's first run takes ~20 times a warm one (cold JIT); the next is warm.
    s.observe(BATCH_TARGET_MS * 2);
    s.observe(BATCH_TARGET_MS / 10);
    expect(s.size(10_000)).toBe(10);
  });

  test("a run longer than the mean does not shrink the next task below the mean's size", () => {
    const s = new BatchSizer(2);
    for (let i = 0; i < 20; i++) s.observe(BATCH_TARGET_MS / 10);
    s.observe(BATCH_TARGET_MS * 3);
    // The mean over the last ~20 runs is now (19 × target/10 + 3 × target) / 20 ≈ 0.245 × target.
    expect(s.size(10_000)).toBe(4);
  });

  test("a fixed size overrides the timing", () => {
    expect(new BatchSizer(2, 7).size(3)).toBe(7);
  });
});

describe("alignedTake: a task of fresh runs ends where a parameter combination ends, when that is near", () => {
  const grid = (runs: number): Uint32Array => Uint32Array.from({ length: runs }, (_, i) => i);

  test("20 seeds a combination, tasks of 12: whole combinations, one task each", () => {
    expect(alignedTake(grid(200), 0, 200, 12, 24, 20)).toBe(20);
    expect(alignedTake(grid(200), 20, 200, 12, 24, 20)).toBe(20);
  });

  test("a task that already ends at a combination's end, or one seed a combination: n", () => {
    expect(alignedTake(grid(100), 0, 100, 10, 30, 10)).toBe(10);
    expect(alignedTake(grid(100), 3, 100, 10, 30, 1)).toBe(10);
  });

  test("tasks of 9 runs (runs of ~11 ms), 20 seeds: still whole combinations, within the cap of 3n", () => {
    expect(alignedTake(grid(400), 0, 400, 9, alignCap(9, 400, 2), 20)).toBe(20);
    expect(alignedTake(grid(400), 0, 400, 9, 18, 20)).toBe(9);
  });

  test("the cap: 3n, but never more than half a worker's fair share of what is left, nor less than n", () => {
    expect(alignCap(10, 10_000, 2)).toBe(30);
    expect(alignCap(10, 60, 2)).toBe(15);
    expect(alignCap(10, 20, 2)).toBe(10);
  });

  test("the end further than the cap (many seeds): n", () => {
    expect(alignedTake(grid(1000), 0, 1000, 12, 36, 100)).toBe(12);
  });

  test("never past the runs left", () => {
    expect(alignedTake(grid(25), 20, 25, 12, 36, 20)).toBe(5);
    // The last runs end a combination too.
    expect(alignedTake(grid(30), 10, 30, 12, 36, 20)).toBe(20);
  });

  test("runs skipped by --resume: the combinations of the runs actually pending", () => {
    // Combinations of 4 runs: pending runs 0-2 (combination 0), 5-7 (1), 20-21 (5).
    const pending = Uint32Array.from([0, 1, 2, 5, 6, 7, 20, 21]);
    expect(alignedTake(pending, 0, pending.length, 2, 6, 4)).toBe(3);
    expect(alignedTake(pending, 3, pending.length, 2, 6, 4)).toBe(3);
  });

  test("property: between n and the cap (or what is left), more than n only to end at a combination's end", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 128 }), fc.nat(), (runs, seeds, n, more, at) => {
        const pending = grid(runs);
        const from = at % runs;
        const cap = n + more;
        const m = alignedTake(pending, from, runs, n, cap, seeds);
        expect(m).toBeGreaterThanOrEqual(Math.min(n, runs - from));
        expect(m).toBeLessThanOrEqual(Math.min(cap, runs - from));
        if (m > n && from + m < runs) expect(Math.floor(pending[from + m]! / seeds)).not.toBe(Math.floor(pending[from + m - 1]! / seeds));
      }),
    );
  });
});

describe("startBatch", () => {
  const spec = parseSweep({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": [0, 1000, 2000, 3000, 4000, 5000] } }, "batch.json");
  const grid = new Grid(spec);
  const tasks: RunTask[] = [...grid.runs()].map((r) => ({ index: r.index, id: r.id, params: r.params, seed: r.seed, attempt: 1 }));
  let pool: SweepPool | undefined;
  /** No wake-up by time: the worker's finished runs wait in the outbox (but for the ones when it runs low or a run throws). */
  const NEVER = Number.POSITIVE_INFINITY;

  async function poolWith(fault: string | undefined): Promise<SweepPool> {
    if (fault !== undefined) process.env[FAULT_ENV] = fault;
    // The worker reads the hook when it loads: set it before the pool starts.
    pool = createPool(1, { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set.map(([p, v]) => [p, v]) });
    await startWorkers(pool, 1);
    return pool;
  }

  /** A clock whose time never passes; `look` is shown the run in progress every millisecond of real time. */
  const watching = (look: (run: RunTask | undefined) => void): RunClock => ({
    now: () => 0,
    arm(_ms, current) {
      const timer = setInterval(() => look(current()), 1);
      return () => clearInterval(timer);
    },
  });

  afterEach(async () => {
    delete process.env[FAULT_ENV];
    await pool?.destroy();
    pool = undefined;
  });

  test("reports every run, in order, and ends without an error", async () => {
    const p = await poolWith(undefined);
    const reports: RunOutcome[] = [];
    const outcome = await startBatch(p, tasks, 60_000, (r) => reports.push(r)).done;
    expect(outcome).toMatchObject({ reported: 6, taken: 6, error: undefined, inProgress: false });
    expect(reports.map((r) => r.k)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of reports) expect("ok" in r && r.ok.interrupts > 0).toBe(true);
  });

  test("outcomes held back in the outbox until the end all arrive, in order, with the same lines as a wake-up per run", async () => {
    const p = await poolWith(undefined);
    const text = (r: RunOutcome): string => ("ok" in r ? new TextDecoder().decode(r.ok.line).replace(/"wallMs":[^,}]+/, '"wallMs":0') : r.error);
    const perRun: string[] = [];
    await startBatch(p, tasks, 60_000, (r) => perRun.push(text(r)), { windowMs: 0 }).done;
    const held: string[] = [];
    const outcome = await startBatch(p, tasks, 60_000, (r) => held.push(text(r)), { windowMs: NEVER }).done;
    expect(outcome).toMatchObject({ reported: 6, taken: 6, error: undefined });
    expect(held).toEqual(perRun);
    expect(held.map((l) => JSON.parse(l).id)).toEqual(tasks.map((t) => t.id));
  });

  test("a run that throws is reported as failed and the batch goes on", async () => {
    const p = await poolWith("throw:2");
    const reports: RunOutcome[] = [];
    const outcome = await startBatch(p, tasks, 60_000, (r) => reports.push(r), { windowMs: NEVER }).done;
    expect(outcome).toMatchObject({ reported: 6, error: undefined });
    expect(reports.map((r) => ("ok" in r ? "ok" : r.error))).toEqual(["ok", "ok", expect.stringMatching(/^injected fault .*run 2 throws on attempt 1$/), "ok", "ok", "ok"]);
  });

  test("a worker that crashes with finished runs still in its outbox: they are kept, the crash is the run in progress's", async () => {
    // Runs 0-2 finish without a wake-up (the worker would post one only when down to its
    // last two runs, after run 3): the crash in run 3 must not be charged to them.
    const p = await poolWith("exit:3");
    const reports: RunOutcome[] = [];
    const outcome = await startBatch(p, tasks, 60_000, (r) => reports.push(r), { windowMs: NEVER }).done;
    expect(reports.map((r) => r.k)).toEqual([0, 1, 2]);
    expect(outcome).toMatchObject({ reported: 3, taken: 4, inProgress: true });
    expect((outcome.error as Error).message).toBe("worker exited with code: 70");
  });

  test("a run that hangs after finished runs still in the outbox is stopped by the timeout; the runs before it are kept", async () => {
    const p = await poolWith("hang:1");
    const reports: RunOutcome[] = [];
    const clock = virtualClock((run) => run?.index === 1);
    const outcome = await startBatch(p, tasks, 1000, (r) => reports.push(r), { clock, windowMs: NEVER }).done;
    expect(reports.map((r) => r.k)).toEqual([0]);
    expect(outcome).toMatchObject({ reported: 1, taken: 2, inProgress: true });
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect((outcome.error as Error).message).toBe("timed out after 1000 ms");
    // Time passed only while run 1 was in progress, in steps of an eighth of the timeout,
    // and the run was stopped once it had been seen in progress for the whole timeout.
    expect(new Set(clock.steps)).toEqual(new Set(["1/1"]));
    expect(clock.steps.length).toBeGreaterThanOrEqual(TIMEOUT_CHECKS);
    expect(clock.steps.length).toBeLessThanOrEqual(TIMEOUT_CHECKS + 1);
    expect(outcome.inProgressMs).toBe(1000);
  });

  test("a worker still starting is never charged: time that passes before its first run begins times no run", async () => {
    // No startWorkers: the task goes to a worker that is still loading its modules and
    // wasm. Virtual time passes at every look, whatever is (or is not) in progress, so
    // the first run is timed out as soon as it has been seen for the whole timeout; a
    // watchdog that timed the start-up would end the task with no run in progress.
    pool = createPool(1, { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set.map(([p, v]) => [p, v]) });
    const reports: RunOutcome[] = [];
    const clock = virtualClock(() => true);
    const outcome = await startBatch(pool, tasks, 1000, (r) => reports.push(r), { clock }).done;
    expect(reports).toEqual([]);
    expect(outcome).toMatchObject({ reported: 0, taken: 1, inProgress: true, inProgressMs: 1000 });
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect(clock.steps.filter((s) => s !== "-").every((s) => s === "0/1")).toBe(true);
  });

  test("abort (stopping) takes the finished runs from the outbox at once and ends the batch with the given reason", async () => {
    // Run 2 hangs and nothing has woken this thread: the runs 0 and 1 are in the outbox
    // only. Stopping must keep them without waiting for the worker.
    const p = await poolWith("hang:2");
    const reports: RunOutcome[] = [];
    let reportsAtAbort = -1;
    const batch = startBatch(p, tasks, 60_000, (r) => reports.push(r), {
      windowMs: NEVER,
      clock: watching((run) => {
        if (run?.index === 2 && reportsAtAbort < 0) {
          batch.abort(new Error("sweep stopped"));
          reportsAtAbort = reports.length;
        }
      }),
    });
    const outcome = await batch.done;
    expect(reportsAtAbort).toBe(2);
    expect(reports.map((r) => r.k)).toEqual([0, 1]);
    expect(outcome).toMatchObject({ reported: 2, inProgress: true });
    expect((outcome.error as Error).message).toBe("sweep stopped");
  });
});

// The worker's side (runBatchWith) with a fake run in this thread, on a MessageChannel,
// and the main thread's side (startBatch) against a scripted pool: the orders that a real
// pool leaves to the machine's timing, fixed.
describe("the outbox and the wake-ups, deterministically", () => {
  const spec = parseSweep({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": { from: 0, to: 9000, step: 1000 } } }, "batch.json");
  const tasks: RunTask[] = [...new Grid(spec).runs()].map((r) => ({ index: r.index, id: r.id, params: r.params, seed: r.seed, attempt: 1 }));
  const fakeResult = (task: RunTask, bytes = 0): RunTaskResult => {
    const head = `run ${task.index} `;
    const line = new Uint8Array(Math.max(bytes, head.length + 1));
    line.fill(0x2e).set(new TextEncoder().encode(head));
    line[line.length - 1] = 10;
    return { line, wallMs: 1 + task.index / 4, interrupts: 100 + task.index, events: 1, workerHeapUsedBytes: 7, wasmMemoryBytes: 65536 };
  };
  /** The wake-ups (null messages) on the port, and the outcomes posted whole. */
  const messages = (port: MessagePort): unknown[] => {
    const got: unknown[] = [];
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) got.push(m.message);
    return got;
  };
  const summary = (o: RunOutcome): string => ("ok" in o ? `${o.k}:${new TextDecoder().decode(o.ok.line.subarray(0, 8)).trim()}:${o.ok.line.length}:${o.ok.interrupts}:${o.ok.wallMs}` : `${o.k}!${o.error}`);
  /** A task on a fresh channel; the clock of its window advances 10 ms per run. */
  const channel = (runs: RunTask[], windowMs: number) => {
    const { port1, port2 } = new MessageChannel();
    const outbox = newOutbox();
    return { port1, reader: new OutboxReader(outbox, port1), task: { runs, port: port2, outbox, windowMs } satisfies BatchTask };
  };

  describe("the worker's loop (runBatchWith)", () => {
    test("a wake-up once the window has passed, not one per run; every outcome in the outbox in order", () => {
      const { port1, reader, task } = channel(tasks.slice(0, 10), 25);
      let nowMs = 0;
      const wakesBefore: number[] = [];
      const pending: unknown[] = [];
      const taken = runBatchWith(
        (t) => {
          pending.push(...messages(port1));
          wakesBefore.push(pending.length);
          nowMs += 10;
          return fakeResult(t);
        },
        task,
        () => nowMs,
      );
      pending.push(...messages(port1));
      expect(taken).toBe(10);
      // Runs of 10 ms end at 10, 20, ... ms: the window of 25 ms would pass during the next
      // run after runs 1 (20 ms), 3 (40 ms) and 5 (60 ms); after run 7 the worker is down
      // to its last two runs (a wake-up for that too), and none after the last run (the
      // task's reply follows).
      expect(pending).toEqual([null, null, null, null]);
      expect(wakesBefore).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
      const got: RunOutcome[] = [];
      expect(reader.drain((o) => got.push(o))).toBe(10);
      expect(got.map(summary)).toEqual(tasks.slice(0, 10).map((t) => summary({ k: t.index, ok: fakeResult(t) })));
      expect(reader.position()).toMatchObject({ begun: 10, finished: 10 });
      port1.close();
    });

    test("window 0: a wake-up per run but the last; a run that throws wakes the main thread at once", () => {
      const every = channel(tasks.slice(0, 4), 0);
      runBatchWith(fakeResult, every.task, () => 0);
      expect(messages(every.port1)).toEqual([null, null, null]);
      every.port1.close();
      const never = channel(tasks.slice(0, 8), Number.POSITIVE_INFINITY);
      runBatchWith((t) => {
        if (t.index === 2) throw new Error("boom");
        return fakeResult(t);
      }, never.task);
      // After run 2 (it threw) and after run 5 (two runs left).
      expect(messages(never.port1)).toEqual([null, null]);
      const got: string[] = [];
      never.reader.drain((o) => got.push("ok" in o ? String(o.k) : `${o.k}!${o.error}`));
      expect(got).toEqual(["0", "1", "2!boom", "3", "4", "5", "6", "7"]);
      never.port1.close();
    });

    test("runs that arrive while its last run in hand is running are taken, in order, by the same task", () => {
      const { port1, reader, task } = channel(tasks.slice(0, 2), Number.POSITIVE_INFINITY);
      const ran: number[] = [];
      const taken = runBatchWith((t) => {
        ran.push(t.index);
        // The main thread's extension lands while run 1, the last in hand, runs.
        if (t.index === 1) port1.postMessage(tasks.slice(2, 6));
        return fakeResult(t);
      }, task);
      expect(taken).toBe(6);
      expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
      const got: number[] = [];
      reader.drain((o) => got.push(o.k));
      expect(got).toEqual([0, 1, 2, 3, 4, 5]);
      port1.close();
    });

    test("runs that arrive after it looked are not taken: the task ends with the runs it had", () => {
      const { port1, task } = channel(tasks.slice(0, 2), 0);
      const taken = runBatchWith(fakeResult, task);
      port1.postMessage(tasks.slice(2)); // too late: the worker has closed its end
      expect(taken).toBe(2);
      port1.close();
    });

    test("the run in progress is the one after the last published: a worker that dies in run k leaves runs 0..k-1 readable", () => {
      // Mid-run, as a crash or a timeout finds it (the thread gone in run 3): an outbox written by hand.
      const { port1: p1, port2: p2 } = new MessageChannel();
      const outbox = newOutbox();
      const w = new OutboxWriter(outbox, p2);
      for (let k = 0; k < 3; k++) {
        w.begin(k);
        w.put({ k, ok: fakeResult(tasks[k]!) });
      }
      w.begin(3);
      const r = new OutboxReader(outbox, p1);
      expect(r.position()).toMatchObject({ begun: 4, finished: 3 });
      const got: number[] = [];
      r.drain((o) => got.push(o.k));
      expect(got).toEqual([0, 1, 2]);
      expect(r.position()).toMatchObject({ begun: 4, finished: 3 });
      p1.close();
      p2.close();
    });

    test("property: any line sizes (some too big for the ring), read at any moments: every outcome once, in order, byte for byte", () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ bytes: fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: Math.floor(RING_BYTES / 3) }), fc.constantFrom(RING_BYTES / 4 - 56, RING_BYTES / 4 - 55, RING_BYTES / 4 + 1)), readAfter: fc.boolean(), throws: fc.boolean() }), { minLength: 1, maxLength: 40 }),
          (runs) => {
            const { port1, reader, task } = channel(
              runs.map((_, i) => ({ ...tasks[i % tasks.length]!, index: i })),
              Number.POSITIVE_INFINITY,
            );
            const got: string[] = [];
            const take = (o: RunOutcome): void => {
              got.push("ok" in o ? `${o.k}:${o.ok.line.length}:${o.ok.line[0]}:${o.ok.line[o.ok.line.length - 1]}:${o.ok.interrupts}` : `${o.k}!${o.error}`);
            };
            const read = (): void => {
              for (const m of messages(port1)) reader.message(m);
              reader.drain(take);
            };
            runBatchWith((t) => {
              const spec = runs[t.index]!;
              if (spec.throws) throw new Error(`run ${t.index}`);
              // Read at random moments, as the main thread does while the worker runs.
              if (t.index > 0 && runs[t.index - 1]!.readAfter) read();
              return fakeResult(t, spec.bytes);
            }, task);
            read();
            expect(got).toEqual(runs.map((r, k) => (r.throws ? `${k}!run ${k}` : `${k}:${Math.max(r.bytes, `run ${k} `.length + 1)}:114:10:${100 + k}`)));
            expect(reader.position()).toMatchObject({ begun: runs.length, finished: runs.length });
            port1.close();
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  describe("the main thread's side (startBatch) against a scripted worker", () => {
    type Run = (task: BatchTask, signal: AbortSignal) => Promise<number>;
    const scripted = (run: Run): SweepPool =>
      ({
        run: (task: BatchTask, { signal }: { signal: AbortSignal }) =>
          new Promise<number>((resolve, reject) => {
            signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
            run(task, signal).then(resolve, reject);
          }),
      }) as unknown as SweepPool;

    test("the worker takes the added runs: every run reports, in order, and extend is asked again at the new length", async () => {
      // The worker begins run 0 and wakes the main thread, then waits until the main
      // thread's extension is on its port (sent because it is down to its last two runs).
      let lastReported = (): void => {};
      const reportedAll = new Promise<void>((resolve) => (lastReported = resolve));
      const pool = scripted(async ({ runs, port, outbox }) => {
        // A worker has its own copy of the task's runs (a real one gets them cloned).
        const mine = [...runs];
        const box = new OutboxWriter(outbox, port);
        box.begin(0);
        port.postMessage(null);
        const [more] = (await once(port, "message")) as [RunTask[]];
        mine.push(...more);
        for (let k = 0; k < mine.length; k++) {
          if (k > 0) box.begin(k);
          box.put({ k, ok: fakeResult(mine[k]!) });
          port.postMessage(null);
        }
        port.close();
        // The task's reply after the main thread has taken every report.
        await reportedAll;
        return mine.length;
      });
      const runs = tasks.slice(0, 2);
      const asked: number[] = [];
      const reports: RunOutcome[] = [];
      const onReport = (r: RunOutcome): void => {
        reports.push(r);
        if (r.k === 5) lastReported();
      };
      const outcome = await startBatch(pool, runs, 60_000, onReport, {
        extend: () => {
          asked.push(runs.length);
          return asked.length === 1 ? tasks.slice(2, 6) : [];
        },
      }).done;
      expect(outcome).toEqual({ reported: 6, taken: 6, error: undefined, inProgress: false, inProgressMs: 0 });
      expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(reports.map((r) => r.k)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(reports.map((r) => ("ok" in r ? r.ok.interrupts : -1))).toEqual([100, 101, 102, 103, 104, 105]);
      // Asked when run 0 of 2 began, and once more when the worker was seen within two runs of the new end.
      expect(asked).toEqual([2, 6]);
    });

    test("the worker ends before the added runs reach it: they are left untaken as a whole, for the runner to send again", async () => {
      let lastReported = (): void => {};
      const reportedAll = new Promise<void>((resolve) => (lastReported = resolve));
      const pool = scripted(async (task) => {
        const taken = runBatchWith(fakeResult, { ...task, runs: [...task.runs], windowMs: 0 });
        await reportedAll;
        return taken;
      });
      const runs = tasks.slice(0, 2);
      const asked: number[] = [];
      const reports: RunOutcome[] = [];
      const outcome = await startBatch(
        pool,
        runs,
        60_000,
        (r) => {
          reports.push(r);
          if (r.k === 1) lastReported();
        },
        {
          extend: () => {
            asked.push(runs.length);
            return asked.length === 1 ? tasks.slice(2, 6) : [];
          },
        },
      ).done;
      expect(asked).toEqual([2]);
      expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(outcome).toEqual({ reported: 2, taken: 2, error: undefined, inProgress: false, inProgressMs: 0 });
      expect(reports.map((r) => r.k)).toEqual([0, 1]);
    });

    test("a task still queued when its extension goes out (its worker replaced after a crash, still starting): the worker gets the added runs once, by the port", async () => {
      // piscina clones a task only when a worker takes it: the main thread's look (its
      // timer here) sends the extension first, then the worker takes the task.
      let look = (): void => {};
      const clock: RunClock = {
        now: () => 0,
        arm(_ms, _current, expire) {
          look = expire;
          return () => {};
        },
      };
      let queued: BatchTask | undefined;
      let reply = (_taken: number): void => {};
      const pool = {
        run: (task: BatchTask) => {
          queued = task;
          return new Promise<number>((resolve) => (reply = resolve));
        },
      } as unknown as SweepPool;
      const reports: number[] = [];
      let asked = 0;
      const batch = startBatch(pool, tasks.slice(0, 2), 60_000, (r) => reports.push(r.k), { clock, extend: () => (asked++ === 0 ? tasks.slice(2, 6) : []) });
      look();
      expect(asked).toBe(1);
      // The worker takes the task now: a copy of its runs, as a clone would be.
      const runs = queued!.runs.map((r) => ({ ...r }));
      expect(runs.map((r) => r.index)).toEqual([0, 1]);
      const taken = runBatchWith(fakeResult, { ...queued!, runs, windowMs: 0 });
      expect(taken).toBe(6);
      reply(taken);
      expect(await batch.done).toEqual({ reported: 6, taken: 6, error: undefined, inProgress: false, inProgressMs: 0 });
      expect(reports).toEqual([0, 1, 2, 3, 4, 5]);
    });

    test("a line finished before a long run is read by the main thread's own timer, at least every READ_EVERY_MS", async () => {
      const armedMs: number[] = [];
      let expire = (): void => {};
      const clock: RunClock = {
        now: () => 0,
        arm(ms, _current, e) {
          armedMs.push(ms);
          expire = e;
          return () => {};
        },
      };
      let box: OutboxWriter | undefined;
      let finish = (): void => {};
      const pool = scripted(({ port, outbox }) => {
        box = new OutboxWriter(outbox, port);
        return new Promise<number>((resolve) => (finish = () => resolve(2)));
      });
      const reports: RunOutcome[] = [];
      const batch = startBatch(pool, tasks.slice(0, 2), 600_000, (r) => reports.push(r), { clock });
      await Promise.resolve();
      // Run 0 finishes without a wake-up, and the worker goes on to a long run 1.
      box!.begin(0);
      box!.put({ k: 0, ok: fakeResult(tasks[0]!) });
      box!.begin(1);
      expect(reports).toEqual([]);
      expire();
      expect(reports.map((r) => r.k)).toEqual([0]);
      // The default timeout's eighth (75 s) would be too long a wait for a line.
      expect(armedMs.every((ms) => ms === READ_EVERY_MS)).toBe(true);
      box!.put({ k: 1, ok: fakeResult(tasks[1]!) });
      finish();
      expect(await batch.done).toMatchObject({ reported: 2, taken: 2, error: undefined });
    });

    test("the timeout: a run is never stopped before it has been seen in progress for timeoutMs, and is seen within timeoutMs / TIMEOUT_CHECKS of its start", async () => {
      // A hand-driven clock: the test fires the watchdog's timer itself.
      let nowMs = 0;
      let pendingTimer: { ms: number; expire: () => void } | undefined;
      const clock: RunClock = {
        now: () => nowMs,
        arm(ms, _current, expire) {
          pendingTimer = { ms, expire };
          return () => (pendingTimer = undefined);
        },
      };
      const fire = (): number => {
        const t = pendingTimer!;
        pendingTimer = undefined;
        nowMs += t.ms;
        t.expire();
        return t.ms;
      };
      let box: OutboxWriter | undefined;
      const pool = scripted(({ port, outbox }, signal) => {
        box = new OutboxWriter(outbox, port);
        return new Promise<number>((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
      });
      const T = 800;
      const reports: RunOutcome[] = [];
      const batch = startBatch(pool, tasks.slice(0, 3), T, (r) => reports.push(r), { clock });
      await Promise.resolve();
      // Nothing in progress (the worker is starting): looks every T/8, times nothing.
      for (let i = 0; i < 20; i++) expect(fire()).toBe(T / TIMEOUT_CHECKS);
      box!.begin(0);
      fire(); // run 0 seen at 20 T/8
      box!.put({ k: 0, ok: fakeResult(tasks[0]!) });
      box!.begin(1); // run 1 begins just after the look: it is first seen at the next
      fire();
      expect(reports.map((r) => r.k)).toEqual([0]);
      const seenAt = nowMs;
      let aborted = false;
      batch.done.then(() => (aborted = true), () => {});
      while (pendingTimer !== undefined) fire();
      const outcome = await batch.done;
      expect(aborted).toBe(true);
      // Stopped exactly when it had been seen for T (so it ran at least T), having begun
      // at most T/8 before it was seen.
      expect(nowMs - seenAt).toBe(T);
      expect(outcome).toMatchObject({ reported: 1, taken: 2, inProgress: true, inProgressMs: T });
      expect(outcome.error).toBeInstanceOf(TimeoutError);
    });
  });
});
