// The sweep runner through its API, on real worker pools (2 workers, from the TypeScript
// sources): a complete run, --resume, a torn last line, crashing and hanging workers.

import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSweep, type SweepSpec } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { runSweep } from "../src/sweep/runner.js";
import { parseLine, type ResultLine } from "../src/sweep/line.js";
import { readResults } from "../src/sweep/results-file.js";
import { FAULT_ENV } from "../src/sweep/fault-hook.js";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/sim/run.js";
import { renderJson } from "../src/report/json.js";
import { InputUnusableError } from "../src/errors.js";
import { WorkerStartError } from "../src/sweep/errors.js";
import { virtualClock } from "./virtual-clock.js";
import { TINY, canonical } from "./sweep-tiny.js";

const spec: SweepSpec = parseSweep(TINY, "tiny.json");
const grid = new Grid(spec);
const dir = mkdtempSync(join(tmpdir(), "tscsim-sweep-run-"));
let n = 0;
const fresh = (): string => join(dir, `results-${n++}.jsonl`);

function lines(file: string): ResultLine[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const p = parseLine(l);
      if (typeof p === "string") throw new Error(p);
      return p;
    });
}

/** Lines without wallMs, sorted by id: what must be identical between two runs of a sweep. */

let reference: string;

beforeAll(async () => {
  reference = fresh();
  const outcome = await runSweep({ spec, out: reference, workers: 2 });
  expect(outcome).toMatchObject({ total: 12, done: 12, failed: 0, sessionDone: 12, interrupted: false, workers: 2 });
});

afterEach(() => {
  delete process.env[FAULT_ENV];
});

describe("tscsim sweep (runner)", () => {
  test("one line per run, each the run's params, seed, id and the result that tscsim run gives", () => {
    const got = lines(reference);
    expect(got.length).toBe(12);
    expect(new Set(got.map((l) => l.id))).toEqual(new Set([...grid.runs()].map((r) => r.id)));
    const run = grid.runAt(5);
    const line = got.find((l) => l.id === run.id)!;
    expect(line).toMatchObject({ params: run.params, seed: run.seed, status: "ok" });
    expect(line.wallMs).toBeGreaterThan(0);
    expect(Object.keys(line)).toEqual(["id", "params", "seed", "status", "result", "wallMs"]);
    // The same scenario through `tscsim run --histograms`: identical result, minus wallMs
    // (results lines always carry the latency histograms).
    const config = loadScenario("cyclictest", ["duration=2ms", "vms.0.vcpus=1", `kvm.timerAdvance=${run.params["kvm.timerAdvance"]}`, `kvm.era=${run.params["kvm.era"]}`, `seed=${run.seed}`]);
    expect(line.result).toEqual(JSON.parse(renderJson(runScenario(config, { histograms: true }).result, { includeWallMs: false })));
    expect(line.result!.interrupts).toBeGreaterThan(0);
  });

  test("results are deterministic: a second sweep gives the same lines (sorted by id, wallMs aside)", async () => {
    const again = fresh();
    await runSweep({ spec, out: again, workers: 1 });
    expect(canonical(again)).toEqual(canonical(reference));
  });

  test("an existing results file is not appended to without --resume", async () => {
    await expect(runSweep({ spec, out: reference, workers: 2 })).rejects.toThrow(InputUnusableError);
    await expect(runSweep({ spec, out: reference, workers: 2 })).rejects.toThrow(/--resume/);
  });

  test("--resume recomputes nothing that is in the file", async () => {
    const out = fresh();
    writeFileSync(out, readFileSync(reference, "utf8"));
    const outcome = await runSweep({ spec, out, workers: 2, resume: true });
    expect(outcome).toMatchObject({ total: 12, skipped: 12, sessionDone: 0, done: 12, workers: 0 });
    expect(readFileSync(out, "utf8")).toBe(readFileSync(reference, "utf8"));
  });

  test("a torn last line is reported, cut off, and its run done again; nothing lost or repeated", async () => {
    const out = fresh();
    const full = readFileSync(reference, "utf8").split("\n").filter((l) => l !== "");
    // A process killed while writing line 6: five whole lines and half of the sixth.
    writeFileSync(out, full.slice(0, 5).map((l) => `${l}\n`).join("") + full[5]!.slice(0, 150));
    const read = readResults(out);
    expect(read.lines.length).toBe(5);
    expect(read.torn).toMatchObject({ bytes: 150 });
    const notices: string[] = [];
    const outcome = await runSweep({ spec, out, workers: 2, resume: true, onNotice: (m) => notices.push(m) });
    expect(notices.join("\n")).toMatch(/torn last line \(150 bytes/);
    expect(outcome).toMatchObject({ skipped: 5, sessionDone: 7, done: 12 });
    expect(outcome.torn).not.toBeNull();
    expect(canonical(out)).toEqual(canonical(reference));
  });

  test("a corrupt line in the middle of the file stops --resume (it is not a torn tail)", async () => {
    const out = fresh();
    const full = readFileSync(reference, "utf8").split("\n");
    writeFileSync(out, [full[0], "{not json", full[1], ""].join("\n"));
    await expect(runSweep({ spec, out, workers: 2, resume: true })).rejects.toThrow(/line 2/);
  });

  test("a worker that crashes on the first attempt has its run retried, and the retry's result kept", async () => {
    process.env[FAULT_ENV] = "exit-once:3";
    const out = fresh();
    const notices: string[] = [];
    const outcome = await runSweep({ spec, out, workers: 2, onNotice: (m) => notices.push(m) });
    expect(outcome).toMatchObject({ done: 12, failed: 0 });
    expect(notices.filter((m) => /attempt 1 failed/.test(m)).length).toBe(1);
    expect(notices.join("\n")).toMatch(/run 3 \([0-9a-f]{16}\): attempt 1 failed \(worker exited with code: 70\); retrying/);
    expect(canonical(out)).toEqual(canonical(reference));
  });

  test("a run that crashes its worker every time, or throws, is retried once, then recorded as failed with both errors", async () => {
    process.env[FAULT_ENV] = `exit:2,throw:${grid.runAt(7).id}`;
    const out = fresh();
    const outcome = await runSweep({ spec, out, workers: 2 });
    expect(outcome).toMatchObject({ done: 12, failed: 2, total: 12 });
    const got = lines(out);
    expect(got.length).toBe(12);
    const crashed = got.find((l) => l.id === grid.runAt(2).id)!;
    expect(crashed).toMatchObject({ status: "failed", params: grid.runAt(2).params, seed: grid.runAt(2).seed });
    expect(crashed.result).toBeUndefined();
    expect(crashed.error).toBe("attempt 1: worker exited with code: 70; attempt 2: worker exited with code: 70");
    const threw = got.find((l) => l.id === grid.runAt(7).id)!;
    expect(threw.status).toBe("failed");
    expect(threw.error).toMatch(/^attempt 1: injected fault .*; attempt 2: injected fault/);
    // The other ten are exactly the reference's.
    const okIds = new Set(got.filter((l) => l.status === "ok").map((l) => l.id));
    expect(okIds.size).toBe(10);

    // --resume keeps failed runs as they are; --retry-failed runs them again.
    delete process.env[FAULT_ENV];
    const kept = await runSweep({ spec, out, workers: 2, resume: true });
    expect(kept).toMatchObject({ skipped: 12, sessionDone: 0, failed: 2 });
    const retried = await runSweep({ spec, out, workers: 2, resume: true, retryFailed: true });
    expect(retried).toMatchObject({ skipped: 10, sessionDone: 2, failed: 0, done: 12 });
    expect(lines(out).length).toBe(14);
  });

  test("a run that hangs is stopped by the per-run timeout, retried once, then recorded as failed", async () => {
    process.env[FAULT_ENV] = "hang:0,hang-once:1";
    const out = fresh();
    const notices: string[] = [];
    // Virtual time: the hung attempts (run 0 twice, run 1 once) run out of it at once, the
    // others never do, so the outcome does not depend on the machine's speed or load.
    const clock = virtualClock((run) => run !== undefined && (run.index === 0 || (run.index === 1 && run.attempt === 1)));
    const outcome = await runSweep({ spec, out, workers: 2, timeoutMs: 1500, clock, onNotice: (m) => notices.push(m) });
    expect(outcome).toMatchObject({ done: 12, failed: 1 });
    // Time passed only for the hung attempts: run 0 twice, run 1 once.
    expect([...new Set(clock.steps)].sort()).toEqual(["0/1", "0/2", "1/1"]);
    const hung = lines(out).find((l) => l.id === grid.runAt(0).id)!;
    expect(hung.error).toBe("attempt 1: timed out after 1500 ms; attempt 2: timed out after 1500 ms");
    expect(lines(out).find((l) => l.id === grid.runAt(1).id)!.status).toBe("ok");
  });

  test("stopping keeps finished runs, abandons the ones in flight, and --resume completes the sweep", async () => {
    const out = fresh();
    const stop = new AbortController();
    const first = await runSweep({
      spec,
      out,
      workers: 2,
      stop: stop.signal,
      onProgress: (p) => {
        if (p.sessionDone === 4) stop.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.done).toBeGreaterThanOrEqual(4);
    expect(first.done).toBeLessThan(12);
    const kept = lines(out).length;
    expect(kept).toBe(first.done);
    const second = await runSweep({ spec, out, workers: 2, resume: true });
    expect(second).toMatchObject({ skipped: kept, sessionDone: 12 - kept, done: 12, interrupted: false });
    expect(canonical(out)).toEqual(canonical(reference));
  });

  describe("runs batched several per task", () => {
    test("the same lines as one run per task", async () => {
      const out = fresh();
      await runSweep({ spec, out, workers: 2, batchRuns: 5 });
      expect(canonical(out)).toEqual(canonical(reference));
    });

    test("a crash mid-batch uses up an attempt of the run in progress only; the runs after it are run normally", async () => {
      // Batches of 4 on 2 workers: run 5 is the second of its batch, runs 6 and 7 follow it.
      process.env[FAULT_ENV] = "exit-once:5";
      const out = fresh();
      const notices: string[] = [];
      const outcome = await runSweep({ spec, out, workers: 2, batchRuns: 4, onNotice: (m) => notices.push(m) });
      expect(outcome).toMatchObject({ done: 12, failed: 0 });
      expect(notices).toEqual([`run 5 (${grid.runAt(5).id}): attempt 1 failed (worker exited with code: 70); retrying`]);
      expect(canonical(out)).toEqual(canonical(reference));
    });

    test("a run that crashes every time mid-batch is recorded as failed; its batch-mates are not", async () => {
      process.env[FAULT_ENV] = "exit:5";
      const out = fresh();
      const outcome = await runSweep({ spec, out, workers: 2, batchRuns: 4 });
      expect(outcome).toMatchObject({ done: 12, failed: 1 });
      const got = lines(out);
      expect(got.length).toBe(12);
      expect(got.filter((l) => l.status === "failed").map((l) => [l.id, l.error])).toEqual([[grid.runAt(5).id, "attempt 1: worker exited with code: 70; attempt 2: worker exited with code: 70"]]);
    });

    test("stopping mid-batch keeps the batch's finished runs; --resume completes the sweep", async () => {
      const out = fresh();
      const stop = new AbortController();
      const first = await runSweep({ spec, out, workers: 2, batchRuns: 4, stop: stop.signal, onProgress: (p) => p.sessionDone === 3 && stop.abort() });
      expect(first.interrupted).toBe(true);
      expect(lines(out).length).toBe(first.done);
      const second = await runSweep({ spec, out, workers: 2, batchRuns: 4, resume: true });
      expect(second).toMatchObject({ skipped: first.done, done: 12, interrupted: false });
      expect(canonical(out)).toEqual(canonical(reference));
    });
  });

  // Runs held in the worker's outbox (src/sweep/outbox.ts): with no wake-up by time
  // (reportWindowMs Infinity) the worker wakes this thread only when a run throws, when it
  // is down to its last two runs, and at the end of its task; everything must still come
  // out exactly as with a wake-up per run.
  describe("finished runs held in the worker's outbox", () => {
    const NEVER = Number.POSITIVE_INFINITY;

    test("the same lines with a wake-up per run, with none by time and with the default window, on 1 and 2 workers", async () => {
      for (const [workers, reportWindowMs] of [[1, 0], [1, NEVER], [2, NEVER], [2, undefined]] as const) {
        const out = fresh();
        await runSweep({ spec, out, workers, reportWindowMs });
        expect(canonical(out)).toEqual(canonical(reference));
      }
    });

    test("a crash with finished runs in the outbox: only the run in progress uses up an attempt", async () => {
      // One batch of 12 on one worker: runs 0-4 finish unannounced, run 5 crashes.
      process.env[FAULT_ENV] = "exit-once:5";
      const out = fresh();
      const notices: string[] = [];
      const outcome = await runSweep({ spec, out, workers: 1, batchRuns: 12, reportWindowMs: NEVER, onNotice: (m) => notices.push(m) });
      expect(outcome).toMatchObject({ done: 12, failed: 0 });
      expect(notices).toEqual([`run 5 (${grid.runAt(5).id}): attempt 1 failed (worker exited with code: 70); retrying`]);
      expect(canonical(out)).toEqual(canonical(reference));
    });

    test("a hang with finished runs in the outbox: the hung run is timed out, the others are kept", async () => {
      process.env[FAULT_ENV] = "hang-once:5";
      const out = fresh();
      const notices: string[] = [];
      const clock = virtualClock((run) => run?.index === 5 && run.attempt === 1);
      const outcome = await runSweep({ spec, out, workers: 1, batchRuns: 12, reportWindowMs: NEVER, timeoutMs: 1000, clock, onNotice: (m) => notices.push(m) });
      expect(outcome).toMatchObject({ done: 12, failed: 0 });
      expect(notices).toEqual([`run 5 (${grid.runAt(5).id}): attempt 1 failed (timed out after 1000 ms); retrying`]);
      expect(canonical(out)).toEqual(canonical(reference));
    });

    test("stopping (SIGINT) while a run is in progress writes the runs finished before it at once; --resume completes the sweep", async () => {
      // Run 5 hangs; runs 0-4 have finished and nothing has woken this thread. The stop
      // comes from the watchdog's clock, which sees the run in progress.
      process.env[FAULT_ENV] = "hang:5";
      const out = fresh();
      const stop = new AbortController();
      const clock = { now: () => 0, arm: (_ms: number, current: () => { index: number } | undefined) => {
        const timer = setInterval(() => current()?.index === 5 && stop.abort(), 1);
        return () => clearInterval(timer);
      } };
      const first = await runSweep({ spec, out, workers: 1, batchRuns: 12, reportWindowMs: NEVER, clock, stop: stop.signal });
      expect(first).toMatchObject({ interrupted: true, done: 5, sessionDone: 5 });
      expect(lines(out).map((l) => l.id)).toEqual([0, 1, 2, 3, 4].map((i) => grid.runAt(i).id));
      delete process.env[FAULT_ENV];
      const second = await runSweep({ spec, out, workers: 2, resume: true });
      expect(second).toMatchObject({ skipped: 5, done: 12, interrupted: false });
      expect(canonical(out)).toEqual(canonical(reference));
    });
  });

  test("workers that cannot start stop the sweep at once, before any run is recorded", async () => {
    process.env[FAULT_ENV] = "load";
    const out = fresh();
    const err = await runSweep({ spec, out, workers: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect((err as Error).message).toMatch(/^the sweep's worker threads cannot start: injected fault \(TSCSIM_SWEEP_FAULT=load\): the worker module does not load; nothing was run$/);
    expect(readFileSync(out, "utf8")).toBe("");
  });

  test.runIf(existsSync("/dev/full"))("a full disk stops the sweep with an error naming --out, not a pile of failed runs", async () => {
    await expect(runSweep({ spec, out: "/dev/full", workers: 2 })).rejects.toThrow(/--out = "\/dev\/full": a write failed \(ENOSPC\); the sweep stopped with 0 of \d+ runs in it; a file that can be written to: free the space and --resume/);
  });

  test("lines written by another tool without a final newline are kept, and the newline added", async () => {
    const out = fresh();
    writeFileSync(out, readFileSync(reference, "utf8").trimEnd());
    const outcome = await runSweep({ spec, out, workers: 2, resume: true });
    expect(outcome).toMatchObject({ skipped: 12, sessionDone: 0 });
    expect(readFileSync(out, "utf8").endsWith("}\n")).toBe(true);
  });
});
