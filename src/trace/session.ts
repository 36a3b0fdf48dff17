// The one trace being written, if any: the engines call drainTrace() when the wasm trace
// buffer needs room (assembly/sim/trace_log.ts traceFull), and at the end of their run.

import { wasm } from "../wasm.js";

export interface TraceDrain {
  drain(): void;
}

let active: TraceDrain | null = null;

/** A trace is being written (the TypeScript engine then writes its records). */
export function traceActive(): boolean {
  return active !== null;
}

/** Empties the wasm trace buffer into the active trace (a no-op when none is). */
export function drainTrace(): void {
  if (active !== null) active.drain();
}

/** Records every traced event into `sink` while `body` runs. */
export function withTrace<T>(sink: TraceDrain, body: () => T): T {
  active = sink;
  wasm.traceEnable(true);
  try {
    return body();
  } finally {
    drainTrace();
    wasm.traceEnable(false);
    active = null;
  }
}
