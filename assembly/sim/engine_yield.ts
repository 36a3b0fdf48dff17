// A periodic return from ctEngineRun to the host during a long run, for `tscsim run`'s
// progress line (src/cli/run-progress.ts). The host asks for it; nothing else does, and
// 0 (the default) never returns early. A return is the path a full metric log already
// takes: the loop's state lives in wasm memory and globals, the host drains the log and
// calls ctEngineRun again, so where the returns fall changes no result.

let yieldEveryEvents: f64 = 0;
let nextYieldAtEvents: f64 = 0;

/** Return to the host every `every` events from `fromEvents` on (0: never). */
export function ctEngineSetYieldEvery(every: f64, fromEvents: f64): void {
  yieldEveryEvents = every;
  nextYieldAtEvents = fromEvents + every;
}

/** Whether periodic returns are asked for at all (the loop skips yieldDue when not). */
export function yieldOn(): bool {
  return yieldEveryEvents != 0;
}

/** Whether the loop should return now, with `events` run so far (one compare when off). */
export function yieldDue(events: f64): bool {
  if (yieldEveryEvents == 0 || events < nextYieldAtEvents) return false;
  nextYieldAtEvents = events + yieldEveryEvents;
  return true;
}
