// The one call from the vCPU record up into the host scheduler, as a function reference
// set once at start (engine_sched_thread.ts schedThreadBind): Vcpu's state setter tells
// the scheduler the thread's new activity (engine_record.ts setState). The record is a
// leaf every layer imports, and the scheduler's thread operations change the state, so a
// direct call would close a cycle record → scheduler → thread → record. Called only while
// a host scheduler runs (schedOn): the paths without one make no indirect call.

/** Called before schedThreadBind: a broken invariant. */
function unbound(e: usize, s: u8): void {
  unreachable();
}

/** engine_sched_thread.ts schedStateChanged, once bound. */
export let schedStateChangedHook: (e: usize, s: u8) => void = unbound;
