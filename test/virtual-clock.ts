// A virtual clock for the sweep's per-run timeout (src/sweep/batch.ts RunClock): a run's
// time runs out at once when `hangs` says the run hangs, and never otherwise. A hung run
// (the fault hook's busy loop) never finishes, whatever the machine's speed, and a
// healthy one is never timed out, however loaded the machine: the tests that use it do
// not depend on how fast anything runs.

import type { RunClock } from "../src/sweep/batch.js";
import type { RunTask } from "../src/sweep/worker.js";

export interface VirtualClock extends RunClock {
  /** Each run the timeout was armed for, in order: "index/attempt". */
  armed: string[];
}

export function virtualClock(hangs: (run: RunTask) => boolean): VirtualClock {
  let nowMs = 0;
  const armed: string[] = [];
  return {
    armed,
    now: () => nowMs,
    arm(ms, run, expire) {
      armed.push(`${run.index}/${run.attempt}`);
      if (!hangs(run)) return () => {};
      const immediate = setImmediate(() => {
        nowMs += ms;
        expire();
      });
      return () => clearImmediate(immediate);
    },
  };
}
