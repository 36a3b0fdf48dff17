/* The vCPU parts both workloads' paths share: event kinds, run states, exits and flags
 * (assembly/sim/engine_record.ts), the injection (engine_lapic.ts), the preemption timer's
 * arm (vmx_set_hv_timer), kvm_wait_lapic_expire's busy-wait (vcpu_timer.ts, engine_host.ts),
 * halt polling's window (engine_host.ts endHalt) and the interrupt's delivery (engine_loop.ts
 * takeInterrupt). Part of cyclictest_model.c and rearm_storm_model.c (each one translation
 * unit: it includes the parts in order). */

enum { EV_GUEST_RESUME = 1, EV_HRTIMER, EV_WAKE, EV_ENTRY_WAIT, EV_PREEMPTION = 6, EV_BLOCK, EV_KICK_EXIT, EV_ENTRY_DONE, EV_STALL, EV_POLL_END };
enum { S_GUEST, S_EXIT, S_POLLING, S_BLOCKED, S_WAKING, S_ENTERING, S_DONE };
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

/* Vcpu.takeInterrupt: deliverInterrupt at an instruction boundary; HLT returns after an interrupt. */
static inline void take_interrupt(struct eng *e) {
	if (!has(e, F_TO_DELIVER) || has(e, F_IN_HANDLER)) return;
	clr(e, F_HALTED | F_TO_DELIVER);
	set(e, F_IN_SERVICE | F_IN_HANDLER);
}
