// A virtual clock for the sweep's per-run timeout (src/sweep/batch.ts RunClock): time
// passes — by whatever the watchdog asked for, at once — only while `hangs` says so of
// the run in progress (undefined: none, the worker is starting or between runs), and
// never otherwise. A hung run (the fault hook's busy loop) never finishes, whatever the
// machine's speed, and a healthy one is never timed out, however loaded the machine: the
// tests that use it do not depend on how fast anything runs. (It looks at the run in
// progress every millisecond of real time until it hangs: that only says how soon the
// virtual time passes, never whether it does.)

import type { RunClock } from "../src/sweep/batch.js";
import type { RunTask } from "../src/sweep/worker.js";

export interface VirtualClock extends RunClock {
  /** Each step of virtual time, in order: the run in progress then, "index/attempt", or "-" for none. */
  steps: string[];
}

export function virtualClock(hangs: (run: RunTask | undefined) => boolean): VirtualClock {
  let nowMs = 0;
  const steps: string[] = [];
  return {
    steps,
    now: () => nowMs,
    arm(ms, current, expire) {
      let timer: NodeJS.Timeout | undefined;
      const look = (): void => {
        const run = current();
        if (!hangs(run)) {
          timer = setTimeout(look, 1);
          return;
        }
        timer = undefined;
        steps.push(run === undefined ? "-" : `${run.index}/${run.attempt}`);
        nowMs += ms;
        expire();
      };
      timer = setTimeout(look, 1);
      return () => clearTimeout(timer);
    },
  };
}
