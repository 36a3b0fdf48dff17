// A test hook, off unless TSCSIM_SWEEP_FAULT is set: makes chosen runs fail inside their
// worker, so the tests can show that a crashing or hanging worker has its run retried
// once and then recorded as failed (issue #5 §3) without a simulator bug to hand.
//
//   TSCSIM_SWEEP_FAULT="<mode>:<run>[,<mode>:<run>...]"
//   mode: throw (the run throws), exit (the worker thread exits, as on a crash),
//         hang (the run never returns: the per-run timeout must catch it);
//         a "-once" suffix faults the first attempt only (the retry then succeeds).
//   run:  a grid index or a run id.
//   "load" (alone in the list) makes the worker module itself fail to load, as a
//   missing wasm build would. "load-after-first:<dir>" (alone) lets the first worker to
//   load (the one that creates <dir>/first) load once a later one has failed (it creates
//   <dir>/failed as it throws), and makes every later one fail;
//   "hold-after-first:<dir>" (alone) holds every later one in its load until <dir>/go
//   exists (runner.ts starts the runs when the first worker is up).

import { closeSync, existsSync, openSync } from "node:fs";
import { join } from "node:path";

type FaultMode = "throw" | "exit" | "hang";

interface Fault {
  mode: FaultMode;
  once: boolean;
  run: string;
}

export const FAULT_ENV = "TSCSIM_SWEEP_FAULT";

function parseFaults(text: string | undefined): Fault[] {
  if (text === undefined || text.trim() === "" || loadFault(text) !== undefined) return [];
  return text.split(",").map((part) => {
    const m = /^\s*(throw|exit|hang)(-once)?:(\S+)\s*$/.exec(part);
    if (!m) throw new Error(`${FAULT_ENV}: cannot parse ${JSON.stringify(part)} (mode[-once]:run, mode throw|exit|hang)`);
    return { mode: m[1] as FaultMode, once: m[2] !== undefined, run: m[3]! };
  });
}

const faults = parseFaults(process.env[FAULT_ENV]);

/** Does what the hook asks for this run and attempt (usually nothing). */
export function injectFault(run: { index: number; id: string }, attempt: number): void {
  for (const f of faults) {
    if (f.run !== String(run.index) && f.run !== run.id) continue;
    if (f.once && attempt > 1) continue;
    switch (f.mode) {
      case "throw":
        throw new Error(`injected fault (${FAULT_ENV}): run ${run.index} throws on attempt ${attempt}`);
      case "exit":
        process.exit(70);
      case "hang":
        // A busy loop, not a pending promise: a real hang does not yield to the event loop.
        for (;;);
    }
  }
}

type LoadFault = { mode: "load" } | { mode: "load-after-first" | "hold-after-first"; dir: string };

function loadFault(text: string | undefined): LoadFault | undefined {
  const t = text?.trim();
  if (t === "load") return { mode: "load" };
  const m = t === undefined ? null : /^(load-after-first|hold-after-first):(.+)$/.exec(t);
  return m === null ? undefined : { mode: m[1] as "load-after-first" | "hold-after-first", dir: m[2]! };
}

/** Whether this worker is the first to load (it creates `dir`/first; the others find it there). */
function firstToLoad(dir: string): boolean {
  try {
    closeSync(openSync(join(dir, "first"), "wx"));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Throws (or holds) at worker start-up when the hook says "load", "load-after-first:…" or "hold-after-first:…". */
export function injectLoadFault(): void {
  const f = loadFault(process.env[FAULT_ENV]);
  if (f === undefined) return;
  if (f.mode === "load") throw new Error(`injected fault (${FAULT_ENV}=load): the worker module does not load`);
  if (firstToLoad(f.dir)) {
    // The first worker comes up only once a later one has failed, so that the failure is
    // on its way before any run can finish (the sweep of a test is a few ms of runs).
    if (f.mode === "load-after-first") holdUntil(f.dir, "failed");
    return;
  }
  if (f.mode === "load-after-first") {
    closeSync(openSync(join(f.dir, "failed"), "w"));
    throw new Error(`injected fault (${FAULT_ENV}=load-after-first): a worker after the first does not load`);
  }
  holdUntil(f.dir, "go");
}

/**
 * Held until `dir`/`file` exists, as a thread still loading its code is: blocked, not
 * yielding to its event loop. A give-up, so that a broken test fails rather than hangs.
 */
function holdUntil(dir: string, file: string): void {
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (const giveUpMs = Date.now() + 120_000; !existsSync(join(dir, file)); ) {
    if (Date.now() > giveUpMs) throw new Error(`injected fault (${FAULT_ENV}): ${file} never came`);
    Atomics.wait(sleep, 0, 0, 10);
  }
}
