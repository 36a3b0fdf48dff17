// The sweep outbox's overflow path on real worker threads (src/sweep/outbox.ts,
// batch.ts, runner.ts): a worker whose ring is full of outcomes the main thread has not
// read sleeps until the main thread reads them, then goes on; stopping the batch or
// timing out its run while the worker sleeps keeps the outcome it was waiting to publish;
// and a whole sweep whose every line overflows a tiny ring gives the same results as
// with the sweep's ring, on one worker and on two.
//
// Deterministic: the rings are tiny (64 bytes: four 16-byte stubs; every results line,
// ~2 KB, is bigger than the whole ring and goes whole in a message), and the main thread
// is held inside its first report, so reading nothing, until the worker says (the
// outbox's count of its waits) that it sleeps for room. Nothing here depends on how fast
// the machine is: the hold ends when the worker sleeps, whenever that is (a bound of two
// minutes only keeps a broken build from hanging the run).

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageChannel } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startBatch, TimeoutError, type RunClock, type RunOutcome } from "../src/sweep/batch.js";
import { parseSweep } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { OutboxReader } from "../src/sweep/outbox.js";
import { createPool, startWorkers, type SweepPool } from "../src/sweep/pool.js";
import { runSweep } from "../src/sweep/runner.js";
import { runToLine } from "../src/sweep/run-task.js";
import { RunConfigMemo } from "../src/sweep/scenario-of-run.js";
import type { RunTask } from "../src/sweep/worker.js";

const TINY_RING = 64;
const NEVER = Number.POSITIVE_INFINITY;

/** The header of an outbox, read from this thread (the reader's port is never used). */
function watch(outbox: SharedArrayBuffer): OutboxReader {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  port2.close();
  return new OutboxReader(outbox, port1);
}

const nap = new Int32Array(new SharedArrayBuffer(4));
/** Holds this thread (the sweep's main thread) until `done()`: 1 ms naps, as many as it takes. */
function holdUntil(done: () => boolean, what: string): void {
  const giveUpAt = Date.now() + 120_000;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new Error(`the test gave up waiting for ${what}`);
    Atomics.wait(nap, 0, 0, 1);
  }
}

/** An outcome as text, its wall time set aside (the one thing in a line that is not deterministic). */
const text = (r: RunOutcome): string => ("ok" in r ? new TextDecoder().decode(r.ok.line).replace(/"wallMs":[^,}]+/, '"wallMs":0') : `${r.k}!${r.error}`);

describe("a batch whose worker fills its outbox (one real worker)", () => {
  const spec = parseSweep({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": { from: 0, to: 7000, step: 1000 } } }, "overflow.json");
  const tasks: RunTask[] = [...new Grid(spec).runs()].map((r) => ({ index: r.index, id: r.id, params: r.params, seed: r.seed, attempt: 1 }));
  let pool: SweepPool;
  /** The runs' outcomes through the sweep's own ring, a wake-up per run. */
  let reference: string[];

  beforeAll(async () => {
    pool = createPool(1, { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set.map(([p, v]) => [p, v]) });
    await startWorkers(pool, 1);
    reference = [];
    await startBatch(pool, [...tasks], 60_000, (r) => reference.push(text(r)), { windowMs: 0 }).done;
    expect(reference.length).toBe(tasks.length);
  });

  afterAll(async () => {
    await pool.destroy();
  });

  /**
   * A batch of every task on a 64-byte ring, the main thread held in the report of run 0
   * until the worker sleeps for room, then `then()` (still inside that report).
   */
  function overflowing(timeoutMs: number, then: (batch: ReturnType<typeof startBatch>) => void, clock?: RunClock) {
    const outboxes: SharedArrayBuffer[] = [];
    const reports: string[] = [];
    let atSleep: { begun: number; finished: number; waits: number } | undefined;
    const batch = startBatch(
      pool,
      [...tasks],
      timeoutMs,
      (r) => {
        reports.push(text(r));
        if (r.k !== 0) return;
        const box = watch(outboxes[0]!);
        // Until it sleeps, or (a broken outbox) has gone past the run whose stub could not fit.
        holdUntil(() => box.writerWaits() > 0 || box.position().finished > 4, "the worker to sleep for room in its outbox");
        const { begun, finished } = box.position();
        atSleep = { begun, finished, waits: box.writerWaits() };
        then(batch);
      },
      { windowMs: NEVER, ringBytes: TINY_RING, onOutbox: (o) => outboxes.push(o), ...(clock !== undefined ? { clock } : {}) },
    );
    return { batch, reports, atSleep: () => atSleep, outboxes };
  }

  test("the ring full of unread stubs: the worker sleeps at the fifth run's stub, goes on once the main thread reads, and every outcome arrives once, in order, as with the sweep's ring", async () => {
    const { batch, reports, atSleep, outboxes } = overflowing(60_000, () => {});
    const outcome = await batch.done;
    // Runs 0-3's stubs fill the ring (run 0's still counts: the main thread is inside its
    // report); run 4 is finished, sent whole, and its stub waits.
    expect(atSleep()).toMatchObject({ begun: 5, finished: 4 });
    expect(outcome).toEqual({ reported: tasks.length, taken: tasks.length, error: undefined, inProgress: false, inProgressMs: 0 });
    expect(reports).toEqual(reference);
    expect(watch(outboxes[0]!).writerWaits()).toBeGreaterThanOrEqual(1);
  });

  test("stopped while the worker sleeps for room: the outcome it was waiting to publish is kept with every one before it", async () => {
    const { batch, reports, atSleep } = overflowing(60_000, (b) => b.abort(new Error("sweep stopped")));
    const outcome = await batch.done;
    expect(atSleep()).toMatchObject({ begun: 5, finished: 4 });
    expect((outcome.error as Error).message).toBe("sweep stopped");
    // Runs 0-4 at least (the worker may have published run 4's stub, even begun run 5,
    // before its thread was stopped); whatever arrived is the reference's, in order.
    expect(reports.length).toBeGreaterThanOrEqual(5);
    expect(reports).toEqual(reference.slice(0, reports.length));
    expect(outcome.reported).toBe(reports.length);
    expect(outcome.taken).toBe(outcome.reported + (outcome.inProgress ? 1 : 0));
  });

  test("timed out while the worker sleeps for room: the finished run is kept and not charged; no run is in progress", async () => {
    // A hand-driven watchdog: fired twice from inside run 0's report, the ring full and the
    // worker asleep, the second time a whole timeout after the first.
    const T = 1000;
    let nowMs = 0;
    let expire: (() => void) | undefined;
    const clock: RunClock = {
      now: () => nowMs,
      arm(_ms, _current, e) {
        expire = e;
        return () => (expire = undefined);
      },
    };
    const { batch, reports } = overflowing(
      T,
      () => {
        expire!(); // sees run 4 "in progress" (begun, not published)
        nowMs += T;
        expire!(); // ... for the whole timeout: stops the worker
      },
      clock,
    );
    const outcome = await batch.done;
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect(reports.length).toBeGreaterThanOrEqual(5);
    expect(reports).toEqual(reference.slice(0, reports.length));
    // Run 4 had finished: it is not the run in progress, and no attempt is charged.
    expect(outcome).toMatchObject({ reported: reports.length, inProgress: false, inProgressMs: 0 });
  });
});

describe("a sweep whose every line overflows a 64-byte ring (runSweep, real workers)", () => {
  const spec = parseSweep({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1 }, axes: { "kvm.timerAdvance": [0, 1000, 2000], "kvm.era": ["v5.1", "v5.4"] }, seeds: 2 }, "overflow.json");
  const dir = mkdtempSync(join(tmpdir(), "tscsim-sweep-overflow-"));
  let n = 0;
  const fresh = (): string => join(dir, `results-${n++}.jsonl`);
  /** The file's lines without wallMs. */
  const lines = (file: string): string[] =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.replace(/,"wallMs":[0-9.e+-]+}$/, "}"));

  /** Each run's line as a worker makes it (run-task.ts), made in this thread, in run order: no pool to start. */
  let reference: string[];
  beforeAll(() => {
    const configs = new RunConfigMemo({ baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set.map(([p, v]) => [p, v]) });
    reference = [...new Grid(spec).runs()].map((r) => new TextDecoder().decode(runToLine(configs, r, "full").line).replace(/,"wallMs":[0-9.e+-]+}\n$/, "}"));
  });

  /** The sweep on tiny rings; the main thread held at its first line until a worker sleeps for room. */
  async function overflowingSweep(workers: number): Promise<{ out: string; waits: number }> {
    const out = fresh();
    const outboxes: SharedArrayBuffer[] = [];
    const waits = (): number => outboxes.reduce((sum, o) => sum + watch(o).writerWaits(), 0);
    let held = false;
    const outcome = await runSweep({
      spec,
      out,
      workers,
      batchRuns: 6,
      reportWindowMs: NEVER,
      outboxTest: { ringBytes: TINY_RING, onOutbox: (o) => outboxes.push(o) },
      onProgress: (p) => {
        if (held || p.sessionDone === 0) return;
        held = true;
        // Until a worker sleeps, or (a broken outbox) one has gone past the run whose stub could not fit.
        holdUntil(() => waits() > 0 || outboxes.some((o) => watch(o).position().finished > 4), "a worker to sleep for room in its outbox");
      },
    });
    expect(outcome).toMatchObject({ total: 12, done: 12, failed: 0, interrupted: false, workers });
    return { out, waits: waits() };
  }

  test("one worker: the same lines, in the same order, as a worker makes them", async () => {
    const { out, waits } = await overflowingSweep(1);
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(lines(out)).toEqual(reference);
  });

  test("two workers: the same lines (in run order per worker, so compared sorted)", async () => {
    const { out, waits } = await overflowingSweep(2);
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(lines(out).sort()).toEqual([...reference].sort());
  });
});
