/* The engine's host side and LAPIC timer (assembly/sim/engine_host.ts, engine_lapic.ts, vcpu_timer.ts, vcpu_sw_timer.ts, vcpu_hv_timer.ts).
 * Part of cyclictest_model.c (one translation unit: it includes the parts in order). */

/* ---- the engine (engine_record.ts, engine_loop.ts, engine_host.ts, engine_lapic.ts) ---- */

enum { EV_GUEST_RESUME = 1, EV_HRTIMER, EV_WAKE, EV_ENTRY_WAIT, EV_PREEMPTION = 6, EV_BLOCK, EV_KICK_EXIT, EV_ENTRY_DONE, EV_STALL, EV_POLL_END };
enum { S_GUEST, S_EXIT, S_POLLING, S_BLOCKED, S_WAKING, S_ENTERING, S_DONE };
enum { PH_SET_MODE, PH_START, PH_ARM, PH_HALT, PH_WORK };
enum { X_NONE, X_MSR_WRITE, X_APIC_WRITE, X_HALT, X_DONE, X_IRET, X_COMPUTE };
enum {
	F_IN_HANDLER = 1, F_HANDLER_DONE = 2, F_HALTED = 4, F_POLLING = 8, F_HV_BEFORE_BLOCK = 16, F_PENDING = 32, F_HV_IN_USE = 64,
	F_TO_DELIVER = 128, F_IN_SERVICE = 256, F_DEFERRED = 1024, F_HV_DEFERRED = 2048, F_KICK_AT_ENTRY = 16384
};

static double events;
static i64 chained_until_ns;
static int chaining;

static inline int has(const struct eng *e, u32 f) { return (e->flags & f) != 0; }
static inline void set(struct eng *e, u32 f) { e->flags |= f; }
static inline void clr(struct eng *e, u32 f) { e->flags &= ~f; }
static inline double vm_cell(const struct eng *e, int c) { return vm_cells[(size_t)e->vm * VM_CELLS + c]; }
static inline u32 payload_of(u32 kind, int v) { return (kind << 24) | (u32)v; }

static inline void push_deferred(struct eng *e, int v) {
	clr(e, F_DEFERRED);
	e->thread_seq = queue_push(e->next_at_ns, payload_of(e->next_kind, v));
}

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
static inline int has_wake_reason(const struct eng *e) { return has(e, F_PENDING | F_TO_DELIVER); }

static inline void inject_timer_irq(struct eng *e, int v) {
	set(e, F_TO_DELIVER);
	tim[v].tscdeadline = 0;
}
static inline void inject_pending(struct eng *e, int v) {
	if (!has(e, F_PENDING)) return;
	inject_timer_irq(e, v);
	clr(e, F_PENDING);
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

/* vmx_set_hv_timer: 0 ok (hv_deadline_tsc set, *expired_now), else -ERANGE. */
static int hv_arm(struct timer *t, int *expired_now) {
	u64 advance_cycles = pvclock_scale_delta(t->advance_ns, t->mult, t->shift);
	u64 host = host_tsc_now();
	u64 guest = t->offset + (t->ratio == (u64)1 << frac_bits ? host : mul_u64_u64_shr(host, t->ratio, frac_bits));
	u64 delta = (t->tscdeadline > guest ? t->tscdeadline : guest) - guest;
	delta = delta > advance_cycles ? delta - advance_cycles : 0;
	if (t->ratio != (u64)1 << frac_bits && delta != 0) {
		u64 hi = delta >> (64 - frac_bits);
		if (hi >= t->ratio) return -1;
		delta = divq(hi, delta << frac_bits, t->ratio);
	}
	if ((delta >> rate) > 0xffffffffu) return -1;
	t->hv_deadline_tsc = host + delta;
	*expired_now = delta == 0;
	return 0;
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

/* __kvm_wait_lapic_expire, v5.4/mainline tuner (adjust_lapic_timer_advance); host ns spun. */
static double wait_lapic_expire(int v) {
	struct timer *t = &tim[v];
	u64 deadline = t->expired_tscdeadline;
	t->expired_tscdeadline = 0;
	u64 g = guest_tsc_now(t);
	i64 delta = (i64)(g - deadline);
	t->last_delta = delta;
	u32 khz = t->tsc_khz, advance = t->advance_ns;
	if (tune) {
		i64 mag = delta < 0 ? -delta : delta;
		if (!(mag > 10000 || mag < 100)) {
			u32 step = (u32)(cycles_to_ns((u64)mag, khz) / 8);
			advance = delta < 0 ? advance - step : advance + step;
			if (advance > 5000) advance = 1000;
		}
		t->advance_ns = advance;
	}
	if (g >= deadline) return 0;
	u64 guest_cycles = deadline - g, host = host_tsc_now(), host_cycles;
	if (!t->scaled) {
		u64 bound = pvclock_scale_delta(advance, t->mult, t->shift);
		host_cycles = guest_cycles < bound ? guest_cycles : bound;
	} else {
		u32 delay_ns = (u32)cycles_to_ns(guest_cycles, khz);
		u32 ns = delay_ns < advance ? delay_ns : advance;
		/* ndelay: loops = floor(u32(ns*20) * u32(lpj*(HZ/4)) / 2^32) + 1 */
		u64 lpj = (host_khz * 1000) / hz;
		u64 factor = (u32)(lpj * (hz / 4));
		u64 x = (u32)((u64)ns * 20);
		host_cycles = ((x * factor) >> 32) + 1;
	}
	return (double)(ns_when_host_tsc_reaches(host + host_cycles) - now_ns);
}

/* Vcpu.waitLapicExpire's gate. */
static double wait_lapic_expire_gate(struct eng *e, int v) {
	if (tim[v].expired_tscdeadline == 0 || tim[v].advance_ns == 0) return 0;
	if (!has(e, apicv ? F_TO_DELIVER : F_TO_DELIVER | F_IN_SERVICE)) return 0;
	double spin = wait_lapic_expire(v);
	met[v].spin_ns += spin;
	metric_advance(v, (double)(now_ns - start_ns), tim[v].advance_ns);
	return spin;
}

/* vmx_update_hv_timer's value at entry, as a host time (preemptionAtNs). */
static i64 preemption_at_ns(int v, double entry_in_ns) {
	u64 deadline = tim[v].hv_deadline_tsc;
	u64 entry = host_tsc_at(now_ns + (i64)entry_in_ns);
	u64 loaded_at = hv_before_wait ? host_tsc_now() : entry;
	u64 value = deadline > loaded_at ? (u64)(u32)((deadline - loaded_at) >> rate) : 0;
	return ns_when_host_tsc_reaches(entry + (value << rate));
}

static void end_halt(struct eng *e, int v) {
	i64 halt_ns = now_ns - e->halt_start_ns;
	e->halt_start_ns = -1;
	if (has(e, F_POLLING)) {
		met[v].halt_poll_ns += (double)halt_ns;
		met[v].poll_ok++;
		clr(e, F_POLLING);
	}
	if (vm_cell(e, VM_POLL_ALLOWED) == 0 || !poll_dynamic) return;
	u32 poll = e->halt_poll_ns, next = poll;
	if (poll_max_ns == 0) next = 0;
	else if (halt_ns <= (i64)poll) next = poll;
	else if (poll != 0 && halt_ns > (i64)poll_max_ns) {
		u32 val = poll_shrink == 0 ? 0 : poll / poll_shrink;
		next = val < poll_grow_start_ns ? 0 : val;
	} else if (poll < poll_max_ns && halt_ns < (i64)poll_max_ns) {
		if (poll_grow != 0) {
			u32 val = poll * poll_grow;
			next = val < poll_grow_start_ns ? poll_grow_start_ns : val;
		}
	}
	e->halt_poll_ns = next;
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

