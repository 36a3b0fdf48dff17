// TSCSIM_SWEEP_TIMING=1: one line on stderr per step of a sweep's start and end, with the
// time since the process started (performance.now()), to see where the wait for the
// first results line goes (docs/performance.md, "What a sweep pays once"). Off by default;
// it changes nothing but stderr.

const on = process.env.TSCSIM_SWEEP_TIMING === "1";

/** Says that `step` is done, when TSCSIM_SWEEP_TIMING=1. */
export function sweepTiming(step: string): void {
  if (on) process.stderr.write(`tscsim: sweep timing ${performance.now().toFixed(1)} ms ${step}\n`);
}
