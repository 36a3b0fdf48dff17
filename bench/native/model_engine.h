/* The engine's host side and LAPIC timer on cyclictest's path (the wasm engine's cyclictest
 * copies: assembly/sim/engine_host.ts, engine_lapic.ts, vcpu_timer.ts, vcpu_sw_timer.ts,
 * vcpu_hv_timer.ts); rearm-storm's are model_general.h's.
 * Part of cyclictest_model.c (one translation unit: it includes the parts in order). */

/* ---- the engine (engine_record.ts, engine_loop.ts, engine_host.ts, engine_lapic.ts) ---- */

static inline void push_hv(struct eng *e, int v) {
	clr(e, F_HV_DEFERRED);
	e->hv_seq = queue_push(e->hv_at_ns, payload_of(EV_PREEMPTION, v));
}

/* Vcpu.schedule: held back while chaining. */
static inline void schedule(struct eng *e, int v, u32 kind, double in_ns) {
	i64 at = now_ns + (i64)in_ns;
	if (!chaining) {
		e->thread_seq = queue_push(at, payload_of(kind, v));
		return;
	}
	if (has(e, F_DEFERRED)) push_deferred(e, v);
	e->next_at_ns = at;
	e->next_kind = (uint8_t)kind;
	set(e, F_DEFERRED);
}

static void drop_hv(struct eng *e) {
	e->hv_seq = -1;
	if (!has(e, F_HV_DEFERRED)) return;
	clr(e, F_HV_DEFERRED);
	i64 at = e->hv_at_ns;
	if (at > horizon_ns) return;
	events++;
	if (at > chained_until_ns) chained_until_ns = at;
}

static void leave_guest(struct eng *e) {
	drop_hv(e);
	if (e->state == S_GUEST && e->thread_seq >= 0) {
		double left = e->compute_end_ns - (double)now_ns;
		e->compute_left_ns = left > 0 ? left : 0;
		e->thread_seq = -1;
	}
}

static void run_program(struct eng *e, int v);
static void begin_entry(struct eng *e, int v, double in_ns);

/* Vcpu.kick (no guest-side idling in scope). */
static void kick(struct eng *e, int v) {
	int s = e->state;
	if (s == S_BLOCKED) {
		e->state = S_WAKING;
		schedule(e, v, EV_WAKE, delay(D_WAKEUP, v));
	} else if (s == S_POLLING) {
		e->state = S_WAKING;
		schedule(e, v, EV_WAKE, 0);
	} else if (s == S_ENTERING) {
		set(e, F_KICK_AT_ENTRY);
	} else if (s == S_GUEST) {
		leave_guest(e);
		e->state = S_EXIT;
		schedule(e, v, EV_KICK_EXIT, delay(D_VM_EXIT, v));
	}
}

static inline void unblock(struct eng *e, int v) {
	if (e->state == S_BLOCKED || e->state == S_POLLING) kick(e, v);
}

/* LapicTimer.expired (apic_timer_expired), deadline mode, no posted interrupts. */
static void expired(struct eng *e, int v, int from_timer_fn) {
	if (has(e, F_PENDING)) {
		met[v].coalesced++;
		return;
	}
	tim[v].expired_tscdeadline = tim[v].tscdeadline;
	if (!from_timer_fn && apicv) {
		inject_timer_irq(e, v);
		unblock(e, v);
		return;
	}
	set(e, F_PENDING);
	unblock(e, v);
	if (from_timer_fn) kick(e, v);
}

/* vmx_cancel_hv_timer. */
static void cancel_hv_timer(struct eng *e, int v) {
	tim[v].hv_deadline_tsc = UINT64_MAX;
	clr(e, F_HV_IN_USE);
	drop_hv(e);
}

static void start_sw_timer(struct eng *e, int v);

/* LapicTimer.startHvTimer (kvm_can_use_hv_timer, start_hv_timer). */
static int start_hv_timer(struct eng *e, int v) {
	if (!hv_timer || vm_cell(e, VM_HV_TIMER) == 0 || tim[v].tscdeadline == 0) return 0;
	int expired_now = 0;
	if (hv_arm(&tim[v], &expired_now) != 0) {
		met[v].hv_fallbacks++;
		return 0;
	}
	set(e, F_HV_IN_USE);
	met[v].hv_arms++;
	e->hrtimer_seq = -1;
	if (has(e, F_PENDING)) {
		cancel_hv_timer(e, v);
	} else if (expired_now) {
		expired(e, v, 0);
		cancel_hv_timer(e, v);
	}
	return 1;
}

/* start_sw_tscdeadline, then the hrtimer (LapicTimer.startSwTimer). */
static void start_sw_timer(struct eng *e, int v) {
	if (has(e, F_HV_IN_USE)) cancel_hv_timer(e, v);
	if (has(e, F_PENDING)) return;
	struct timer *t = &tim[v];
	u64 guest = guest_tsc_now(t);
	if (t->tscdeadline == 0 || t->tsc_khz == 0) return;
	u64 ns = cycles_to_ns(t->tscdeadline - guest, t->tsc_khz);
	if (t->tscdeadline > guest && (!expire_within || ns > t->advance_ns)) {
		t->sw_expiry_ns = now_ns + (i64)ns - (i64)t->advance_ns;
		double d = delay(D_HRTIMER, v);
		i64 at = (t->sw_expiry_ns > now_ns ? t->sw_expiry_ns : now_ns) + (i64)d;
		e->hrtimer_seq = queue_push(at, payload_of(EV_HRTIMER, v));
		e->hrtimer_at_ns = at;
		met[v].sw_arms++;
	} else {
		expired(e, v, 0);
	}
}

static void restart_apic_timer(struct eng *e, int v) {
	if (has(e, F_PENDING)) return;
	if (!start_hv_timer(e, v)) start_sw_timer(e, v);
}

/* vmx_update_hv_timer's value at entry, as a host time (preemptionAtNs). */
static i64 preemption_at_ns(int v, double entry_in_ns) {
	u64 deadline = tim[v].hv_deadline_tsc;
	u64 entry = host_tsc_at(now_ns + (i64)entry_in_ns);
	u64 loaded_at = hv_before_wait ? host_tsc_now() : entry;
	u64 value = deadline > loaded_at ? (u64)(u32)((deadline - loaded_at) >> rate) : 0;
	return ns_when_host_tsc_reaches(entry + (value << rate));
}

static void begin_entry(struct eng *e, int v, double in_ns) {
	inject_pending(e, v);
	e->state = S_ENTERING;
	schedule(e, v, EV_ENTRY_WAIT, in_ns);
}

/* Vcpu.reenter. */
static void reenter(struct eng *e, int v) {
	clr(e, F_KICK_AT_ENTRY);
	inject_pending(e, v);
	double spin = wait_lapic_expire_gate(e, v);
	int deliver = has(e, F_TO_DELIVER);
	if (has(e, F_HV_IN_USE)) {
		e->hv_at_ns = preemption_at_ns(v, spin);
		if (chaining) set(e, F_HV_DEFERRED);
		else push_hv(e, v);
	}
	if (spin > 0 || deliver) {
		double dispatch = deliver ? delay(D_IRQ_DISPATCH, v) : 0;
		e->state = S_ENTERING;
		schedule(e, v, EV_ENTRY_DONE, spin + dispatch);
		return;
	}
	if (has(e, F_HV_IN_USE) && e->hv_at_ns <= now_ns) {
		e->state = S_ENTERING;
		schedule(e, v, EV_ENTRY_DONE, 0);
		return;
	}
	e->state = S_GUEST;
	run_program(e, v);
}

/* kvm_vcpu_block / kvm_vcpu_halt (Vcpu.block). */
static void block(struct eng *e, int v) {
	if (has_wake_reason(e)) {
		begin_entry(e, v, delay(D_VM_ENTRY, v));
		return;
	}
	if (has(e, F_HV_IN_USE)) {
		start_sw_timer(e, v);
		set(e, F_HV_BEFORE_BLOCK);
		met[v].hv_to_sw++;
	} else {
		clr(e, F_HV_BEFORE_BLOCK);
	}
	u32 window = e->halt_poll_ns;
	if (!poll_dynamic || window > poll_max_ns) {
		window = poll_max_ns;
		e->halt_poll_ns = window;
	}
	e->halt_start_ns = now_ns;
	e->state = S_BLOCKED;
	if (vm_cell(e, VM_POLL_ALLOWED) != 0 && window > 0) {
		set(e, F_POLLING);
		e->state = S_POLLING;
		schedule(e, v, EV_POLL_END, (double)window);
	} else {
		clr(e, F_POLLING);
	}
	if (has_wake_reason(e)) {
		e->state = S_WAKING;
		schedule(e, v, EV_WAKE, 0);
	}
}

static void wake(struct eng *e, int v) {
	if (has(e, F_HALTED) && !has_wake_reason(e)) {
		e->state = S_BLOCKED;
		return;
	}
	if (e->halt_start_ns >= 0) end_halt(e, v);
	if (has(e, F_HV_BEFORE_BLOCK)) {
		clr(e, F_HV_BEFORE_BLOCK);
		restart_apic_timer(e, v);
		if (has(e, F_HV_IN_USE)) met[v].sw_to_hv++;
	}
	begin_entry(e, v, delay(D_VM_ENTRY, v));
}

static void preemption_exit(struct eng *e, int v) {
	met[v].exit_preempt++;
	leave_guest(e);
	if (has(e, F_HV_IN_USE)) {
		if (hv_busy_wait_every_mode) {
			expired(e, v, 0);
			cancel_hv_timer(e, v);
		} else {
			cancel_hv_timer(e, v);
			expired(e, v, 0);
		}
	}
	double exit_ns = delay(D_VM_EXIT, v);
	begin_entry(e, v, exit_ns + delay(D_VM_ENTRY, v));
}

static void hrtimer_callback(struct eng *e, int v) {
	e->hrtimer_seq = -1;
	metric_callback(v, (double)(now_ns - start_ns));
	expired(e, v, 1);
}

