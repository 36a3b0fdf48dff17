// The event loop's counters (engine_loop.ts), in a leaf: dropHv (engine_leave_guest.ts)
// counts a preemption-timer event it drops after chaining held it back, and must not
// import the loop that runs the guest.

/** Events run (ctEngineEvents), counting the TypeScript engine's stale pops the wasm engine skips. */
export let events: f64 = 0;

/** The latest time a chained step ran at (the clock's end value when it ran last). */
export let chainedUntilNs: i64 = 0;
