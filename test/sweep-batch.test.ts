// Batches of runs (src/sweep/batch.ts): how many runs go in a task, and what a batch
// reports when one of its runs throws, crashes its worker or hangs — on a real
// one-worker pool from the TypeScript sources.

import { once } from "node:events";
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { afterEach, describe, expect, test } from "vitest";
import { alignCap, alignedTake, BatchSizer, BATCH_TARGET_MS, MAX_BATCH, startBatch, TimeoutError, type RunOutcome } from "../src/sweep/batch.js";
import fc from "fast-check";
import { parseSweep } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { createPool, startWorkers, type SweepPool } from "../src/sweep/pool.js";
import { FAULT_ENV } from "../src/sweep/fault-hook.js";
import { runBatchWith, type BatchTask, type RunReport, type RunTask, type RunTaskResult } from "../src/sweep/worker.js";
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

  async function poolWith(fault: string | undefined): Promise<SweepPool> {
    if (fault !== undefined) process.env[FAULT_ENV] = fault;
    // The worker reads the hook when it loads: set it before the pool starts.
    pool = createPool(1, { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set.map(([p, v]) => [p, v]) });
    await startWorkers(pool, 1);
    return pool;
  }

  afterEach(async () => {
    delete process.env[FAULT_ENV];
    await pool?.destroy();
    pool = undefined;
  });

  test("reports every run, in order, and ends without an error", async () => {
    const p = await poolWith(undefined);
    const reports: RunOutcome[] = [];
    const outcome = await startBatch(p, tasks, 60_000, (r) => reports.push(r)).done;
    expect(outcome).toMatchObject({ reported: 6, error: undefined });
    expect(reports.map((r) => r.k)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of reports) expect("ok" in r && r.ok.interrupts > 0).toBe(true);
  });

  test("each outcome says whether the worker went on to the next run: all but the last", async () => {
    const p = await poolWith(undefined);
    const reports: RunOutcome[] = [];
    const outcome = await startBatch(p, tasks.slice(0, 3), 60_000, (r) => reports.push(r)).done;
    expect(outcome).toMatchObject({ reported: 3, taken: 3, error: undefined, inProgress: false });
    expect(reports.map((r) => r.next)).toEqual([true, true, false]);
  });

  test("a run that throws is reported as failed and the batch goes on", async () => {
    const p = await poolWith("throw:2");
    const reports: RunOutcome[] = [];
    const outcome = await startBatch(p, tasks, 60_000, (r) => reports.push(r)).done;
    expect(outcome).toMatchObject({ reported: 6, error: undefined });
    expect(reports.map((r) => ("ok" in r ? "ok" : r.error))).toEqual(["ok", "ok", expect.stringMatching(/^injected fault .*run 2 throws on attempt 1$/), "ok", "ok", "ok"]);
  });

  test("a worker that crashes mid-batch: the runs before are reported, the crash is the next run's", async () => {
    const p = await poolWith("exit:3");
    const reports: RunOutcome[] = [];
    const outcome = await startBatch(p, tasks, 60_000, (r) => reports.push(r)).done;
    expect(reports.map((r) => r.k)).toEqual([0, 1, 2]);
    expect(outcome.reported).toBe(3);
    expect((outcome.error as Error).message).toBe("worker exited with code: 70");
  });

  test("a run that hangs mid-batch is stopped by the timeout; the runs before it are reported", async () => {
    const p = await poolWith("hang:1");
    const reports: RunOutcome[] = [];
    const clock = virtualClock((run) => run.index === 1);
    const outcome = await startBatch(p, tasks, 1000, (r) => reports.push(r), clock).done;
    expect(reports.map((r) => r.k)).toEqual([0]);
    expect(outcome.reported).toBe(1);
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect((outcome.error as Error).message).toBe("timed out after 1000 ms");
    // The timeout times each run from the worker's word that it begins it: armed for
    // run 0 and run 1, never for the runs after the hang; the hung run ran its 1000 ms.
    expect(clock.armed).toEqual(["0/1", "1/1"]);
    expect(outcome.inProgressMs).toBe(1000);
  });

  test("the timeout is armed by the worker beginning a run, not by the task's submission: a worker still starting is never charged", async () => {
    // No startWorkers: the task goes to a worker that is still loading its modules and
    // wasm. The clock is armed once per run the worker begins, with that run, so nothing
    // is timed while the worker loads ...
    process.env[FAULT_ENV] = "hang:5";
    pool = createPool(1, { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set.map(([p, v]) => [p, v]) });
    const reports: RunOutcome[] = [];
    const clock = virtualClock((run) => run.index === 5);
    const outcome = await startBatch(pool, tasks, 1000, (r) => reports.push(r), clock).done;
    // ... and each healthy run cancels its own timer when it reports.
    expect(reports.map((r) => r.k)).toEqual([0, 1, 2, 3, 4]);
    expect(clock.armed).toEqual(["0/1", "1/1", "2/1", "3/1", "4/1", "5/1"]);
    expect(outcome.error).toBeInstanceOf(TimeoutError);
  });

  test("abort (stopping) ends the batch with the given reason", async () => {
    const p = await poolWith("hang:2");
    const reports: RunOutcome[] = [];
    const batch = startBatch(p, tasks, 60_000, (r) => {
      reports.push(r);
      if (r.k === 1) batch.abort(new Error("sweep stopped"));
    });
    const outcome = await batch.done;
    expect(outcome.reported).toBe(2);
    expect((outcome.error as Error).message).toBe("sweep stopped");
  });
});

// Runs added while a batch runs (batch.ts's `extend`, worker.ts's runBatchWith) reach the
// worker or not depending on whether the main thread's message is on the task's port
// before the worker looks there (when the last run it has is done). A real pool leaves
// that to the machine's timing; these cases fix the order with a fake run (the worker's
// side, in this thread, on a MessageChannel) and a scripted pool (the main thread's side).
describe("extending a batch while it runs: both orders, deterministically", () => {
  const spec = parseSweep({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": [0, 1000, 2000, 3000, 4000, 5000] } }, "batch.json");
  const tasks: RunTask[] = [...new Grid(spec).runs()].map((r) => ({ index: r.index, id: r.id, params: r.params, seed: r.seed, attempt: 1 }));
  const fakeResult = (task: RunTask): RunTaskResult => ({ line: new TextEncoder().encode(`run ${task.index}\n`), wallMs: 1, interrupts: 100 + task.index, events: 1, workerHeapUsedBytes: 0, wasmMemoryBytes: 0 });
  const drain = (port: MessagePort): RunReport[] => {
    const got: RunReport[] = [];
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) got.push(m.message as RunReport);
    return got;
  };
  const summary = (reports: RunReport[]): string[] => reports.map((r) => ("begin" in r ? `begin ${r.k}` : `${r.k}${r.next ? "+" : "."}`));

  describe("the worker's loop (runBatchWith)", () => {
    test("runs that arrive while its last run in hand is running are taken, in order, by the same task", () => {
      const { port1, port2 } = new MessageChannel();
      const ran: number[] = [];
      const taken = runBatchWith(
        (task) => {
          ran.push(task.index);
          // The main thread's extension lands while run 1, the last in hand, runs.
          if (task.index === 1) port1.postMessage(tasks.slice(2));
          return fakeResult(task);
        },
        { runs: tasks.slice(0, 2), port: port2 },
      );
      expect(taken).toBe(6);
      expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
      // Run 1's outcome already says the worker goes on (to the first added run).
      expect(summary(drain(port1))).toEqual(["begin 0", "0+", "1+", "2+", "3+", "4+", "5."]);
      port1.close();
    });

    test("runs that arrive after it looked are not taken: the task ends with the runs it had", () => {
      const { port1, port2 } = new MessageChannel();
      const taken = runBatchWith(fakeResult, { runs: tasks.slice(0, 2), port: port2 });
      port1.postMessage(tasks.slice(2)); // too late: the worker has closed its end
      expect(taken).toBe(2);
      expect(summary(drain(port1))).toEqual(["begin 0", "0+", "1."]);
      port1.close();
    });
  });

  describe("the main thread's side (startBatch) against a scripted worker", () => {
    type Run = (task: BatchTask) => Promise<number>;
    const scripted = (run: Run): SweepPool => ({ run: (task: BatchTask) => run(task) }) as unknown as SweepPool;

    test("the worker takes the added runs: every run reports, in order, and extend is asked again at the new length", async () => {
      // The worker begins run 0, then waits until the main thread's extension is on its
      // port (the main thread sends it on hearing that run 0, the second-to-last, began).
      const pool = scripted(async ({ runs, port }) => {
        // A worker has its own copy of the task's runs (a real one gets them cloned).
        const mine = [...runs];
        port.postMessage({ k: 0, begin: true } satisfies RunReport);
        const [more] = (await once(port, "message")) as [RunTask[]];
        mine.push(...more);
        for (let k = 0; k < mine.length; k++) port.postMessage({ k, next: k + 1 < mine.length, ok: fakeResult(mine[k]!) } satisfies RunReport);
        port.close();
        // The task's reply after the main thread has taken every report.
        await reportedAll;
        return mine.length;
      });
      let lastReported = (): void => {};
      const reportedAll = new Promise<void>((resolve) => (lastReported = resolve));
      const runs = tasks.slice(0, 2);
      const asked: number[] = [];
      const reports: RunOutcome[] = [];
      const onReport = (r: RunOutcome): void => {
        reports.push(r);
        if (r.k === 5) lastReported();
      };
      const outcome = await startBatch(pool, runs, 60_000, onReport, undefined, () => {
        asked.push(runs.length);
        return asked.length === 1 ? tasks.slice(2) : [];
      }).done;
      expect(outcome).toEqual({ reported: 6, taken: 6, error: undefined, inProgress: false, inProgressMs: 0 });
      expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(reports.map((r) => r.k)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(reports.map((r) => ("ok" in r ? r.ok.interrupts : -1))).toEqual([100, 101, 102, 103, 104, 105]);
      // Asked when run 0 of 2 began, and once more when run 4 of 6 (the new second-to-last) began.
      expect(asked).toEqual([2, 6]);
    });

    test("the worker ends before the added runs reach it: they are left untaken as a whole, for the runner to send again", async () => {
      // The worker's loop runs to its end before the main thread hears that run 0 began;
      // the task's reply comes after the main thread has taken every report (and sent the
      // extension to a port the worker has closed).
      let lastReported = (): void => {};
      const reportedAll = new Promise<void>((resolve) => (lastReported = resolve));
      const pool = scripted(async (task) => {
        const taken = runBatchWith(fakeResult, { runs: [...task.runs], port: task.port });
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
        undefined,
        () => {
          asked.push(runs.length);
          return asked.length === 1 ? tasks.slice(2) : [];
        },
      ).done;
      expect(asked).toEqual([2]);
      expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(outcome).toEqual({ reported: 2, taken: 2, error: undefined, inProgress: false, inProgressMs: 0 });
      expect(reports.map((r) => r.k)).toEqual([0, 1]);
      expect(reports[1]!.next).toBe(false);
    });
  });
});
