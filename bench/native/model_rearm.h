/* The rearm-storm workload and the general event loop that runs it
 * (assembly/sim/guest_rearm_storm.ts, engine_loop.ts runAny: runProgram, onThreadEvent,
 * onEvent, flushChain with parked thread events). Each period the guest arms a TSC deadline
 * an interval ahead, rewrites it `rewrites` times `spacing` of guest work apart, each write
 * a WRMSR exit, then HLTs until the interrupt.
 * Part of rearm_storm_model.c (one translation unit: it includes the parts in order). */

enum { VM_RS_INTERVAL_CYCLES = 12, VM_RS_REWRITES = 13, VM_RS_SPACING_NS = 14 };
enum { RS_SET_MODE, RS_ARM, RS_WORK, RS_REWRITE };

/* The rewrites of the current period, per vCPU (guest_tscdl_state.ts rewritesCell). */
static u32 *rewrites;

/* writeDeadline: the deadline register = now + interval, to IA32_TSC_DEADLINE. */
static int rs_write_deadline(struct eng *e, int v) {
	struct timer *t = &tim[v];
	t->reg_next = guest_tsc_now(t) + (u64)(i64)vm_cell(e, VM_RS_INTERVAL_CYCLES);
	return g_wrmsr_tsc_deadline(e, v);
}

/* GuestMachine.step (guest_rearm_storm.ts rearmStormStep). */
static int rearm_storm_step(struct eng *e, int v) {
	switch (e->phase) {
	case RS_SET_MODE:
		e->phase = RS_ARM;
		return g_set_tsc_deadline_mode(e, v);
	case RS_ARM:
		rewrites[v] = 0;
		e->loops += 1;
		e->phase = RS_WORK;
		return rs_write_deadline(e, v);
	case RS_WORK:
		if ((double)rewrites[v] < vm_cell(e, VM_RS_REWRITES)) {
			e->phase = RS_REWRITE;
			e->compute_left_ns = vm_cell(e, VM_RS_SPACING_NS);
			return X_COMPUTE;
		}
		e->phase = RS_ARM;
		return (double)met[v].interrupts >= e->loops ? X_NONE : X_HALT;
	default:
		rewrites[v]++;
		e->phase = RS_WORK;
		return rs_write_deadline(e, v);
	}
}

/* GuestMachine.interruptStep: the latency against the last deadline written. */
static int rearm_storm_interrupt_step(struct eng *e, int v) {
	if (has(e, F_HANDLER_DONE)) {
		clr(e, F_HANDLER_DONE);
		return X_IRET;
	}
	struct timer *t = &tim[v];
	u64 now = guest_tsc_now(t);
	t->reg_now = now;
	double latency = (double)(i64)(now - t->reg_next);
	metric_latency(v, latency, cycles_to_ns_signed(v, latency));
	set(e, F_HANDLER_DONE);
	return g_guest_eoi(e, v);
}

/* Vcpu.enterCompute: the guest works in guest mode for ns. */
static inline void enter_compute(struct eng *e, int v, double ns) {
	e->state = S_GUEST;
	e->compute_end_ns = (double)now_ns + ns;
	g_schedule(e, v, EV_GUEST_RESUME, ns);
}

/* Vcpu.runProgram (runProgramOn, the general copy) for rearm-storm. */
static void rs_run_program(struct eng *e, int v) {
	for (;;) {
		take_interrupt(e);
		if (!has(e, F_IN_HANDLER) && e->compute_left_ns > 0) {
			/* Work an exit interrupted goes on. */
			double left = e->compute_left_ns;
			e->compute_left_ns = 0;
			enter_compute(e, v, left);
			return;
		}
		int exit = has(e, F_IN_HANDLER) ? rearm_storm_interrupt_step(e, v) : rearm_storm_step(e, v);
		if (exit == X_IRET) {
			clr(e, F_IN_HANDLER);
			continue;
		}
		if (exit == X_DONE) {
			e->state = S_DONE;
			g_drop_hv(e);
			return;
		}
		if (exit == X_NONE) continue;
		if (exit == X_COMPUTE) {
			enter_compute(e, v, e->compute_left_ns);
			e->compute_left_ns = 0;
			return;
		}
		g_leave_guest(e);
		e->state = S_EXIT;
		if (exit == X_HALT) {
			met[v].exit_hlt++;
			set(e, F_HALTED);
			g_schedule(e, v, EV_BLOCK, delay(D_VM_EXIT, v));
		} else {
			g_schedule(e, v, EV_GUEST_RESUME, delay(D_MSR_EXIT, v));
		}
		return;
	}
}

/* Vcpu.onThreadEvent (onThreadEventOn, the general copy). */
static void rs_on_thread_event(struct eng *e, int v, u32 kind) {
	switch (kind) {
	case EV_GUEST_RESUME:
		if (e->state == S_GUEST || g_reenter(e, v)) rs_run_program(e, v);
		return;
	case EV_ENTRY_DONE:
		if (has(e, F_KICK_AT_ENTRY)) {
			clr(e, F_KICK_AT_ENTRY);
			take_interrupt(e);
			e->state = S_EXIT;
			g_schedule(e, v, EV_KICK_EXIT, delay(D_VM_EXIT, v));
			return;
		}
		e->state = S_GUEST;
		rs_run_program(e, v);
		return;
	case EV_BLOCK: g_block(e, v); return;
	case EV_POLL_END:
		met[v].halt_poll_ns += (double)e->halt_poll_ns;
		met[v].poll_failed++;
		clr(e, F_POLLING);
		e->state = S_BLOCKED;
		return;
	case EV_WAKE: g_wake(e, v); return;
	case EV_KICK_EXIT:
		met[v].exit_ext++;
		g_begin_entry(e, v, delay(D_VM_ENTRY, v));
		return;
	case EV_ENTRY_WAIT:
		if (g_reenter(e, v)) rs_run_program(e, v);
		return;
	}
}

/* Vcpu.onEvent (no host scheduler, stalls, pauses or migrations). */
static void rs_on_event(int v, u32 kind, i64 seq) {
	struct eng *e = engs + v;
	if (e->state == S_DONE) return;
	if (kind == EV_HRTIMER) {
		if (seq == e->hrtimer_seq) g_hrtimer_callback(e, v);
		return;
	}
	if (kind == EV_PREEMPTION) {
		if (seq == e->hv_seq) g_preemption_exit(e, v);
		return;
	}
	if (seq != e->thread_seq) return;
	e->thread_seq = -1;
	rs_on_thread_event(e, v, kind);
}

/* Queued seq s was pushed before seq p was reserved: by age from the next seq (seqBefore). */
static inline int seq_before(i64 s, u32 p) { return (u32)s - next_seq < p - next_seq; }

/*
 * ownEventAhead: some live event of vCPU e comes before its thread's next event at `at`.
 * On a tie a thread event not yet pushed (parked_seq < 0) comes after every queued one, a
 * parked one after those queued before its seq was reserved. The held-back preemption
 * timer fires by `at` when the host TSC at `at` has reached its TSC.
 */
static inline int own_event_ahead(const struct eng *e, i64 at, i64 parked_seq) {
	if (e->hrtimer_seq >= 0) {
		i64 t = e->hrtimer_at_ns;
		if (t < at || (t == at && (parked_seq < 0 || seq_before(e->hrtimer_seq, (u32)parked_seq)))) return 1;
	}
	if (has(e, F_HV_DEFERRED)) {
		if (host_tsc_at(at) >= hv_fire_tsc(e)) return 1;
	} else if (e->hv_seq >= 0) {
		i64 t = e->hv_at_ns;
		if (t < at || (t == at && (parked_seq < 0 || seq_before(e->hv_seq, (u32)parked_seq)))) return 1;
	}
	return 0;
}

/*
 * flushChain: while the thread's next event comes before anything else of its own, run it
 * now instead of queueing it. Behind a timer of its own it is parked with the seq a push
 * now would take; each later event of the vCPU flushes again.
 */
static void rs_flush_chain(int v) {
	struct eng *e = engs + v;
	int park = 0;
	while (has(e, F_DEFERRED)) {
		i64 at = e->next_at_ns;
		if (at > horizon_ns || log_full()) break;
		i64 thread_seq = e->thread_seq;
		if (own_event_ahead(e, at, thread_seq >= THREAD_PARKED ? (i64)(u32)thread_seq : -1)) {
			park = 1;
			break;
		}
		clr(e, F_DEFERRED);
		now_ns = at;
		if (at > chained_until_ns) chained_until_ns = at;
		events++;
		e->thread_seq = -1;
		if (e->state == S_DONE) break;
		rs_on_thread_event(e, v, e->next_kind);
	}
	/* Into the queue in the TypeScript engine's order: the preemption timer first. */
	if (has(e, F_HV_DEFERRED)) g_push_hv(e, v, ns_when_host_tsc_reaches(hv_fire_tsc(e)));
	if (!has(e, F_DEFERRED)) return;
	i64 thread_seq = e->thread_seq;
	if (thread_seq >= THREAD_PARKED) {
		if (park) return;
		/* Parked, but the log must be drained first: into the queue in its place. */
		clr(e, F_DEFERRED);
		e->thread_seq = (i64)(u32)thread_seq;
		queue_push_as(e->next_at_ns, (u32)thread_seq, payload_of(e->next_kind, v));
	} else if (park) {
		e->thread_seq = THREAD_PARKED + (i64)queue_reserve_seq();
	} else {
		push_deferred(e, v);
	}
}

/* ctEngineStart + ctEngineRun (runAny) until the horizon, draining the log as the host does. */
static void rs_run(void) {
	events = 0;
	chained_until_ns = 0;
	chained_until_tsc = 0;
	chaining = 0;
	if (!rewrites) rewrites = malloc(nv * sizeof *rewrites);
	memset(rewrites, 0, nv * sizeof *rewrites);
	for (u64 v = 0; v < nv; v++) {
		engs[v].state = S_GUEST;
		g_schedule(engs + v, (int)v, EV_GUEST_RESUME, 0);
	}
	chaining = 1;
	note_horizon();
	for (;;) {
		if (log_full()) {
			logged_records += log_count;
			log_count = 0;
		}
		i32 p = queue_pop();
		if (p < 0) {
			i64 end = chained_end_ns();
			if (end > now_ns) now_ns = end;
			break;
		}
		events++;
		int v = p & 0xffffff;
		rs_on_event(v, (u32)p >> 24, (i64)popped_seq);
		if (has(engs + v, F_DEFERRED | F_HV_DEFERRED)) rs_flush_chain(v);
	}
	logged_records += log_count;
	log_count = 0;
}
