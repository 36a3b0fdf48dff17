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
//   missing wasm build would.

type FaultMode = "throw" | "exit" | "hang";

interface Fault {
  mode: FaultMode;
  once: boolean;
  run: string;
}

export const FAULT_ENV = "TSCSIM_SWEEP_FAULT";

function parseFaults(text: string | undefined): Fault[] {
  if (text === undefined || text.trim() === "" || text.trim() === "load") return [];
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

/** Throws at worker start-up when the hook says "load". */
export function injectLoadFault(): void {
  if (process.env[FAULT_ENV]?.trim() === "load") throw new Error(`injected fault (${FAULT_ENV}=load): the worker module does not load`);
}
