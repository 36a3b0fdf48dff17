// A sweep starts its runs when its first worker is up (runner.ts, pool.ts firstReady):
// a worker that is up does not wait for the others to load. A worker that fails to load
// after the runs have started stops the sweep as a worker that cannot start does, with
// the lines already written kept. Real pools of 2 workers from the TypeScript sources; the
// workers after the first are held in their load, or made to fail it, by the fault hook
// (fault-hook.ts) — no figure or assertion depends on time (the waits below only give up
// after 120 s, so that a broken build fails rather than hangs).

import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSweep, type SweepSpec } from "../src/sweep/file.js";
import { Grid } from "../src/sweep/grid.js";
import { runSweep } from "../src/sweep/runner.js";
import { parseLine } from "../src/sweep/line.js";
import { FAULT_ENV } from "../src/sweep/fault-hook.js";
import { WorkerStartError } from "../src/sweep/errors.js";
import { TINY, canonical } from "./sweep-tiny.js";

const spec: SweepSpec = parseSweep(TINY, "tiny.json");
const grid = new Grid(spec);
const dir = mkdtempSync(join(tmpdir(), "tscsim-sweep-start-"));
let n = 0;
const fresh = (): string => join(dir, `results-${n++}.jsonl`);
const hookDir = (): string => mkdtempSync(join(dir, "hook-"));


const lineCount = (file: string): number => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "").length : 0);

/** Resolves once `file` has a line; rejects after 120 s (a give-up, not a timing assertion). */
async function firstLine(file: string): Promise<void> {
  for (const giveUp = Date.now() + 120_000; lineCount(file) === 0; ) {
    if (Date.now() > giveUp) throw new Error(`${file}: no line after 120 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let reference: string;

beforeAll(async () => {
  reference = fresh();
  await runSweep({ spec, out: reference, workers: 1 });
});

afterEach(() => {
  delete process.env[FAULT_ENV];
});

describe("a sweep starts its runs when its first worker is up", () => {
  test("lines are written while the second worker is still held in its load; released, the sweep ends with every run's line", async () => {
    const hook = hookDir();
    process.env[FAULT_ENV] = `hold-after-first:${hook}`;
    const out = fresh();
    const sweep = runSweep({ spec, out, workers: 2 });
    // Waiting for every worker's load (as before) would never write a line here.
    await firstLine(out);
    expect(existsSync(join(hook, "go"))).toBe(false);
    writeFileSync(join(hook, "go"), "");
    const outcome = await sweep;
    expect(outcome).toMatchObject({ total: 12, done: 12, failed: 0, interrupted: false, workers: 2 });
    expect(canonical(out)).toEqual(canonical(reference));
  });

  test("a worker that fails to load after the runs began stops the sweep (WorkerStartError); the lines written are kept and --resume completes them", async () => {
    process.env[FAULT_ENV] = `load-after-first:${hookDir()}`;
    const out = fresh();
    // The hook brings the first worker up only once the second has failed to load, so the
    // failure is on its way before any run can finish. Its arrival on this thread is still
    // not ordered with the runs' (two threads): a sweep whose every run was done first has
    // no use for the second worker and ends whole, which is right too, and is checked so.
    const err = await runSweep({ spec, out, workers: 2 }).catch((e: unknown) => e);
    if (!(err instanceof WorkerStartError)) {
      expect(err).toMatchObject({ total: 12, done: 12, failed: 0, interrupted: false });
      expect(canonical(out)).toEqual(canonical(reference));
      return;
    }
    expect((err as Error).message).toMatch(
      /^the sweep's worker threads cannot start: injected fault \(TSCSIM_SWEEP_FAULT=load-after-first\): a worker after the first does not load; the sweep stopped with \d+ of 12 runs in .*results-\d+\.jsonl \(--resume goes on\)$/,
    );
    // Whatever was written is whole lines of this sweep's runs, each once.
    const written = readFileSync(out, "utf8").split("\n").filter((l) => l !== "");
    const ids = written.map((l) => {
      const p = parseLine(l);
      if (typeof p === "string") throw new Error(p);
      return p.id;
    });
    expect(new Set(ids).size).toBe(ids.length);
    const all = new Set([...grid.runs()].map((r) => r.id));
    expect(ids.every((id) => all.has(id))).toBe(true);
    delete process.env[FAULT_ENV];
    const resumed = await runSweep({ spec, out, workers: 2, resume: true });
    expect(resumed).toMatchObject({ skipped: ids.length, done: 12, interrupted: false });
    expect(canonical(out)).toEqual(canonical(reference));
  });
});
