/* The engine's general path (the one every workload but plain cyclictest takes), as far as
 * the rearm-storm workload reaches it: assembly/sim/engine_record.ts schedule,
 * engine_leave_guest.ts, engine_events.ts, engine_kick.ts, engine_lapic.ts,
 * engine_lapic_start.ts and engine_host.ts, without a trace, a host scheduler, stalls,
 * pauses, migrations, deadline proposals, posted timer interrupts or guest-side idling.
 *
 * It differs from model_engine.h's cyclictest path where the wasm engine's general path
 * does: a held-back preemption timer keeps the host TSC it fires at (its ns are taken only
 * if it reaches the queue), a held-back thread event that a second schedule replaces is
 * counted as the stale pop it is for the TypeScript engine instead of being queued, and a
 * thread event behind a timer of its own vCPU is parked in the record with a reserved seq
 * (model_rearm.h's flush). Each function names the wasm function it repeats, which names
 * its kernel counterpart. Part of rearm_storm_model.c (one translation unit). */

/* THREAD_SEQ of a parked thread event: THREAD_PARKED plus its reserved seq (engine_record.ts). */
#define THREAD_PARKED ((i64)1 << 32)

/* engine_events.ts: the latest host TSC a dropped held-back preemption timer fired at. */
static u64 chained_until_tsc;
static u64 horizon_tsc;
static int horizon_tsc_exact;

/* noteHorizon: the host TSC at the horizon, when it is computed without overflow. */
static void note_horizon(void) {
	u64 q = (u64)horizon_ns / 1000000u;
	horizon_tsc_exact = horizon_ns >= 0 && q < (UINT64_MAX - host_tsc_base) / host_khz - 1;
	horizon_tsc = horizon_tsc_exact ? host_tsc_at(horizon_ns) : 0;
}

/* countDroppedAtTsc: a dropped preemption-timer event the TypeScript engine pops at fire_tsc. */
static inline void count_dropped_at_tsc(u64 fire_tsc) {
	if (horizon_tsc_exact ? fire_tsc > horizon_tsc : ns_when_host_tsc_reaches(fire_tsc) > horizon_ns) return;
	events++;
	if (fire_tsc > chained_until_tsc) chained_until_tsc = fire_tsc;
}

/* countDroppedAtNs: a dropped thread event the TypeScript engine pops at at_ns. */
static inline void count_dropped_at_ns(i64 at_ns) {
	if (at_ns > horizon_ns) return;
	events++;
	if (at_ns > chained_until_ns) chained_until_ns = at_ns;
}

/* chainedEndNs: the clock's end value for the chained steps and the dropped events. */
static i64 chained_end_ns(void) {
	i64 tsc_ns = chained_until_tsc == 0 ? 0 : ns_when_host_tsc_reaches(chained_until_tsc);
	return tsc_ns > chained_until_ns ? tsc_ns : chained_until_ns;
}

/* Held back (F_HV_DEFERRED), hv_at_ns holds the host TSC the preemption timer fires at. */
static inline u64 hv_fire_tsc(const struct eng *e) { return (u64)e->hv_at_ns; }

/* pushHv: the preemption-timer event at at_ns into the queue. */
static inline void g_push_hv(struct eng *e, int v, i64 at_ns) {
	clr(e, F_HV_DEFERRED);
	e->hv_at_ns = at_ns;
	e->hv_seq = queue_push(at_ns, payload_of(EV_PREEMPTION, v));
}

/* Vcpu.schedule (engine_record.ts schedule): a held-back event it replaces is counted as dropped. */
static inline void g_schedule(struct eng *e, int v, u32 kind, double in_ns) {
	i64 at = now_ns + (i64)in_ns;
	if (!chaining) {
		e->thread_seq = queue_push(at, payload_of(kind, v));
		return;
	}
	if (has(e, F_DEFERRED)) {
		/* Past the horizon it is queued all the same: whether the queue ends empty is a result. */
		if (e->next_at_ns > horizon_ns) {
			push_deferred(e, v);
		} else {
			count_dropped_at_ns(e->next_at_ns);
			e->thread_seq = -1;
		}
	}
	e->next_at_ns = at;
	e->next_kind = (uint8_t)kind;
	set(e, F_DEFERRED);
}

/* cancelThreadEvent: a parked thread event is dropped. */
static inline void cancel_thread_event(struct eng *e) {
	if (e->thread_seq >= THREAD_PARKED) {
		clr(e, F_DEFERRED);
		count_dropped_at_ns(e->next_at_ns);
	}
	e->thread_seq = -1;
}

/* dropHv: the preemption-timer event is no longer wanted. */
static inline void g_drop_hv(struct eng *e) {
	e->hv_seq = -1;
	if (!has(e, F_HV_DEFERRED)) return;
	clr(e, F_HV_DEFERRED);
	count_dropped_at_tsc(hv_fire_tsc(e));
}

/* Vcpu.leaveGuest: the preemption timer only counts in guest mode; interrupted work is kept. */
static inline void g_leave_guest(struct eng *e) {
	g_drop_hv(e);
	if (e->state == S_GUEST && e->thread_seq >= 0) {
		double left = e->compute_end_ns - (double)now_ns;
		e->compute_left_ns = left > 0 ? left : 0;
		cancel_thread_event(e);
	}
}

/* Vcpu.kick (kvm_vcpu_kick), no guest-side idling. */
static void g_kick(struct eng *e, int v) {
	int s = e->state;
	if (s == S_BLOCKED) {
		e->state = S_WAKING;
		g_schedule(e, v, EV_WAKE, delay(D_WAKEUP, v));
	} else if (s == S_POLLING) {
		e->state = S_WAKING;
		g_schedule(e, v, EV_WAKE, 0);
	} else if (s == S_ENTERING) {
		set(e, F_KICK_AT_ENTRY);
	} else if (s == S_GUEST) {
		g_leave_guest(e);
		e->state = S_EXIT;
		g_schedule(e, v, EV_KICK_EXIT, delay(D_VM_EXIT, v));
	}
}

static inline void g_unblock(struct eng *e, int v) {
	if (e->state == S_BLOCKED || e->state == S_POLLING) g_kick(e, v);
}

/* LapicTimer.expired (apic_timer_expired) in TSC-deadline mode, no posted interrupts. */
static void g_expired(struct eng *e, int v, int from_timer_fn) {
	if (has(e, F_PENDING)) {
		met[v].coalesced++;
		return;
	}
	tim[v].expired_tscdeadline = tim[v].tscdeadline;
	if (!from_timer_fn && apicv) {
		inject_timer_irq(e, v);
		g_unblock(e, v);
		return;
	}
	set(e, F_PENDING);
	g_unblock(e, v);
	if (from_timer_fn) g_kick(e, v);
}

/* LapicTimer.cancelHvTimer (vmx_cancel_hv_timer). */
static void g_cancel_hv_timer(struct eng *e, int v) {
	tim[v].hv_deadline_tsc = UINT64_MAX;
	clr(e, F_HV_IN_USE);
	g_drop_hv(e);
}

/* LapicTimer.startHvTimer (kvm_can_use_hv_timer, start_hv_timer; armHvTimer). */
static int g_start_hv_timer(struct eng *e, int v) {
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
		g_cancel_hv_timer(e, v);
	} else if (expired_now) {
		g_expired(e, v, 0);
		g_cancel_hv_timer(e, v);
	}
	return 1;
}

/* LapicTimer.startSwTimer: start_sw_tscdeadline, then the hrtimer. */
static void g_start_sw_timer(struct eng *e, int v) {
	if (has(e, F_HV_IN_USE)) g_cancel_hv_timer(e, v);
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
		g_expired(e, v, 0);
	}
}

/* LapicTimer.restartApicTimer (restart_apic_timer), TSC-deadline mode. */
static void g_restart_apic_timer(struct eng *e, int v) {
	if (has(e, F_PENDING)) return;
	if (!g_start_hv_timer(e, v)) g_start_sw_timer(e, v);
}

/* Vcpu.wrmsrTscDeadline + LapicTimer.writeTscDeadline (kvm_set_lapic_tscdeadline_msr) of the deadline register. */
static int g_wrmsr_tsc_deadline(struct eng *e, int v) {
	met[v].exit_msr++;
	e->hrtimer_seq = -1;
	tim[v].tscdeadline = tim[v].reg_next;
	clr(e, F_PENDING);
	g_restart_apic_timer(e, v);
	return X_MSR_WRITE;
}

/* setTscDeadlineMode: LVTT into TSC-deadline mode stops the timer (apic_update_lvtt). */
static int g_set_tsc_deadline_mode(struct eng *e, int v) {
	met[v].exit_apic++;
	e->hrtimer_seq = -1;
	clr(e, F_PENDING);
	tim[v].tscdeadline = 0;
	return X_APIC_WRITE;
}

/* GuestCtx.eoi: APICv virtualizes it; else an APIC-write exit. */
static inline int g_guest_eoi(struct eng *e, int v) {
	clr(e, F_IN_SERVICE);
	if (apicv) return X_NONE;
	met[v].exit_apic++;
	return X_APIC_WRITE;
}

/* Vcpu.beginEntry: inject now, reach kvm_wait_lapic_expire after in_ns. */
static inline void g_begin_entry(struct eng *e, int v, double in_ns) {
	inject_pending(e, v);
	e->state = S_ENTERING;
	g_schedule(e, v, EV_ENTRY_WAIT, in_ns);
}

/* preemptionFireTsc: the host TSC the preemption timer loaded at this entry fires at (vmx_update_hv_timer). */
static inline u64 preemption_fire_tsc(int v, double entry_in_ns) {
	u64 deadline = tim[v].hv_deadline_tsc;
	u64 entry = entry_in_ns == 0 ? host_tsc_now() : host_tsc_at(now_ns + (i64)entry_in_ns);
	u64 loaded_at = hv_before_wait ? host_tsc_now() : entry;
	u64 value = deadline > loaded_at ? (u64)(u32)((deadline - loaded_at) >> rate) : 0;
	return entry + (value << rate);
}

/* Vcpu.reenter: inject, busy-wait, enter; 1 when the guest runs on at once. */
static int g_reenter(struct eng *e, int v) {
	clr(e, F_KICK_AT_ENTRY);
	inject_pending(e, v);
	double spin = wait_lapic_expire_gate(e, v);
	int deliver = has(e, F_TO_DELIVER);
	if (has(e, F_HV_IN_USE)) {
		u64 fire = preemption_fire_tsc(v, spin);
		/* Held back like the thread's next event: a guest that exits at once cancels it. */
		if (chaining) {
			e->hv_at_ns = (i64)fire;
			set(e, F_HV_DEFERRED);
		} else {
			g_push_hv(e, v, ns_when_host_tsc_reaches(fire));
		}
	}
	if (spin > 0 || deliver) {
		double dispatch = deliver ? delay(D_IRQ_DISPATCH, v) : 0;
		e->state = S_ENTERING;
		g_schedule(e, v, EV_ENTRY_DONE, spin + dispatch);
		return 0;
	}
	/* A preemption timer loaded with 0 exits before the guest's first instruction. */
	if (has(e, F_HV_IN_USE) && (chaining ? hv_fire_tsc(e) <= host_tsc_now() : e->hv_at_ns <= now_ns)) {
		e->state = S_ENTERING;
		g_schedule(e, v, EV_ENTRY_DONE, 0);
		return 0;
	}
	e->state = S_GUEST;
	return 1;
}

/* Vcpu.block: kvm_vcpu_block / kvm_vcpu_halt, with halt polling. */
static void g_block(struct eng *e, int v) {
	if (has_wake_reason(e)) {
		g_begin_entry(e, v, delay(D_VM_ENTRY, v));
		return;
	}
	if (has(e, F_HV_IN_USE)) {
		g_start_sw_timer(e, v);
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
		g_schedule(e, v, EV_POLL_END, (double)window);
	} else {
		clr(e, F_POLLING);
	}
	if (has_wake_reason(e)) {
		e->state = S_WAKING;
		g_schedule(e, v, EV_WAKE, 0);
	}
}

/* Vcpu.wake. */
static void g_wake(struct eng *e, int v) {
	if (has(e, F_HALTED) && !has_wake_reason(e)) {
		e->state = S_BLOCKED;
		return;
	}
	if (e->halt_start_ns >= 0) end_halt(e, v);
	if (has(e, F_HV_BEFORE_BLOCK)) {
		clr(e, F_HV_BEFORE_BLOCK);
		g_restart_apic_timer(e, v);
		if (has(e, F_HV_IN_USE)) met[v].sw_to_hv++;
	}
	g_begin_entry(e, v, delay(D_VM_ENTRY, v));
}

/* Vcpu.preemptionExit + LapicTimer.hvTimerFired (TSC-deadline mode). */
static void g_preemption_exit(struct eng *e, int v) {
	met[v].exit_preempt++;
	g_leave_guest(e);
	if (has(e, F_HV_IN_USE)) {
		if (hv_busy_wait_every_mode) {
			g_expired(e, v, 0);
			g_cancel_hv_timer(e, v);
		} else {
			g_cancel_hv_timer(e, v);
			g_expired(e, v, 0);
		}
	}
	double exit_ns = delay(D_VM_EXIT, v);
	g_begin_entry(e, v, exit_ns + delay(D_VM_ENTRY, v));
}

/* Vcpu.hrtimerCallback + LapicTimer.hrtimerFired (apic_timer_fn), TSC-deadline mode. */
static void g_hrtimer_callback(struct eng *e, int v) {
	e->hrtimer_seq = -1;
	metric_callback(v, (double)(now_ns - start_ns));
	g_expired(e, v, 1);
}
