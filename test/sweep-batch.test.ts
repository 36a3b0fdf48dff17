// Batches of runs (src/sweep/batch.ts): how many runs go in a task, and what a batch
// reports when one of its runs throws, crashes its worker or hangs — on a real
// one-worker pool from the TypeScript sources.

import { afterEach, describe, expect, test } from "vitest";
import { BatchSizer, BATCH_TARGET_MS, MAX_BATCH, startBatch, TimeoutError, type RunOutcome } from "../src/sweep/batch.js";
import { parseSweep } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { createPool, startWorkers, type SweepPool } from "../src/sweep/pool.js";
import { FAULT_ENV } from "../src/sweep/fault-hook.js";
import type { RunTask } from "../src/sweep/worker.js";
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

  test("runs added while a batch runs are taken by the same task, in order, or left untaken as a whole", async () => {
    const p = await poolWith(undefined);
    const reports: RunOutcome[] = [];
    const asked: number[] = [];
    const runs = tasks.slice(0, 2);
    const outcome = await startBatch(p, runs, 60_000, (r) => reports.push(r), undefined, () => {
      asked.push(runs.length);
      return asked.length === 1 ? tasks.slice(2) : [];
    }).done;
    // Asked when the worker began its second-to-last run (run 0 of 2), and again (once)
    // at the new length if the worker took the added runs.
    expect(asked[0]).toBe(2);
    expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    // Whether the added runs reached the worker before it finished run 1 depends on the
    // timing; either way the task is consistent: the runs it took all reported, in order,
    // and the rest were never begun (the runner sends them again).
    expect(outcome.error).toBeUndefined();
    expect([2, 6]).toContain(outcome.taken);
    expect(outcome.reported).toBe(outcome.taken);
    expect(reports.map((r) => r.k)).toEqual([...Array(outcome.taken).keys()]);
    for (const r of reports) expect("ok" in r && r.ok.interrupts > 0).toBe(true);
    expect(reports[reports.length - 1]!.next).toBe(false);
    expect(asked).toEqual(outcome.taken === 6 ? [2, 6] : [2]);
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
