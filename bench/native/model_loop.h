/* cyclictest's thread and the event loop (assembly/sim/guest_cyclictest.ts, engine_loop.ts).
 * Part of cyclictest_model.c (one translation unit: it includes the parts in order). */

/* ---- cyclictest's thread (guest_cyclictest.ts) ---- */

enum { PH_SET_MODE, PH_START, PH_ARM, PH_HALT, PH_WORK };

static int cyclictest_step(struct eng *e, int v) {
	struct timer *t = &tim[v];
	switch (e->phase) {
	case PH_SET_MODE:
		e->phase = PH_START;
		met[v].exit_apic++;
		e->hrtimer_seq = -1;
		clr(e, F_PENDING);
		t->tscdeadline = 0;
		return X_APIC_WRITE;
	case PH_START:
		t->reg_next = guest_tsc_now(t);
		e->phase = PH_ARM;
		return X_NONE;
	case PH_ARM: {
		double limit = vm_cell(e, VM_LOOPS);
		if (limit != 0 && e->loops >= limit) return X_DONE;
		e->loops += 1;
		e->phase = PH_HALT;
		t->reg_next += (u64)(i64)vm_cell(e, VM_INTERVAL_CYCLES);
		met[v].exit_msr++;
		/* LapicTimer.writeTscDeadline */
		e->hrtimer_seq = -1;
		t->tscdeadline = t->reg_next;
		clr(e, F_PENDING);
		restart_apic_timer(e, v);
		return X_MSR_WRITE;
	}
	default:
		e->phase = PH_ARM;
		if ((double)met[v].interrupts >= e->loops) return X_NONE;
		return X_HALT;
	}
}

static int cyclictest_interrupt_step(struct eng *e, int v) {
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
	clr(e, F_IN_SERVICE);
	if (apicv) return X_NONE;
	met[v].exit_apic++;
	return X_APIC_WRITE;
}

/* Vcpu.runProgram. */
static void run_program(struct eng *e, int v) {
	for (;;) {
		take_interrupt(e);
		int exit = has(e, F_IN_HANDLER) ? cyclictest_interrupt_step(e, v) : cyclictest_step(e, v);
		if (exit == X_IRET) {
			clr(e, F_IN_HANDLER);
			continue;
		}
		if (exit == X_DONE) {
			e->state = S_DONE;
			drop_hv(e);
			return;
		}
		if (exit == X_NONE) continue;
		leave_guest(e);
		e->state = S_EXIT;
		if (exit == X_HALT) {
			met[v].exit_hlt++;
			set(e, F_HALTED);
			schedule(e, v, EV_BLOCK, delay(D_VM_EXIT, v));
		} else {
			schedule(e, v, EV_GUEST_RESUME, delay(D_MSR_EXIT, v));
		}
		return;
	}
}

static void on_thread_event(struct eng *e, int v, u32 kind) {
	switch (kind) {
	case EV_GUEST_RESUME:
		if (e->state == S_GUEST) run_program(e, v);
		else reenter(e, v);
		return;
	case EV_ENTRY_DONE:
		if (has(e, F_KICK_AT_ENTRY)) {
			clr(e, F_KICK_AT_ENTRY);
			take_interrupt(e);
			e->state = S_EXIT;
			schedule(e, v, EV_KICK_EXIT, delay(D_VM_EXIT, v));
			return;
		}
		e->state = S_GUEST;
		run_program(e, v);
		return;
	case EV_BLOCK: block(e, v); return;
	case EV_POLL_END:
		met[v].halt_poll_ns += (double)e->halt_poll_ns;
		met[v].poll_failed++;
		clr(e, F_POLLING);
		e->state = S_BLOCKED;
		return;
	case EV_WAKE: wake(e, v); return;
	case EV_KICK_EXIT:
		met[v].exit_ext++;
		begin_entry(e, v, delay(D_VM_ENTRY, v));
		return;
	case EV_ENTRY_WAIT: reenter(e, v); return;
	}
}

static void on_event(int v, u32 kind, i64 seq) {
	struct eng *e = engs + v;
	if (e->state == S_DONE) return;
	if (kind == EV_HRTIMER) {
		if (seq == e->hrtimer_seq) hrtimer_callback(e, v);
		return;
	}
	if (kind == EV_PREEMPTION) {
		if (seq == e->hv_seq) preemption_exit(e, v);
		return;
	}
	if (seq != e->thread_seq) return;
	e->thread_seq = -1;
	on_thread_event(e, v, kind);
}

static inline i64 own_earliest_ns(const struct eng *e) {
	i64 t = I64_MAX;
	if (e->hrtimer_seq >= 0) t = e->hrtimer_at_ns;
	if ((e->hv_seq >= 0 || has(e, F_HV_DEFERRED)) && e->hv_at_ns < t) t = e->hv_at_ns;
	return t;
}

static void flush_chain(int v) {
	struct eng *e = engs + v;
	while (has(e, F_DEFERRED)) {
		i64 at = e->next_at_ns;
		if (at >= own_earliest_ns(e) || at > horizon_ns || log_full()) break;
		clr(e, F_DEFERRED);
		now_ns = at;
		if (at > chained_until_ns) chained_until_ns = at;
		events++;
		e->thread_seq = -1;
		if (e->state == S_DONE) break;
		on_thread_event(e, v, e->next_kind);
	}
	if (has(e, F_HV_DEFERRED)) push_hv(e, v);
	if (has(e, F_DEFERRED)) push_deferred(e, v);
}

/* ctEngineStart + ctEngineRun until the horizon, draining the log as the host does. */
static void run(void) {
	events = 0;
	chained_until_ns = 0;
	chaining = 0;
	for (u64 v = 0; v < nv; v++) {
		engs[v].state = S_GUEST;
		schedule(engs + v, (int)v, EV_GUEST_RESUME, 0);
	}
	chaining = 1;
	for (;;) {
		if (log_full()) {
			logged_records += log_count;
			log_count = 0;
		}
		i32 p = queue_pop();
		if (p < 0) {
			if (chained_until_ns > now_ns) now_ns = chained_until_ns;
			break;
		}
		events++;
		int v = p & 0xffffff;
		on_event(v, (u32)p >> 24, (i64)popped_seq);
		if (has(engs + v, F_DEFERRED | F_HV_DEFERRED)) flush_chain(v);
	}
	logged_records += log_count;
	log_count = 0;
}

