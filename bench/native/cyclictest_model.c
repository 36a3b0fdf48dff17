/*
 * A native C model of the wasm engine's work for the cyclictest workload (issue #13,
 * target 2): the yardstick the wasm engine's ns per interrupt is held to.
 *
 * It runs the same simulation, not a sketch of it: the bench copies the inputs out of
 * wasm once a Simulation is built (vCPU records, per-VM cells, the seeded xoshiro128**
 * streams, the compiled delay program and the ziggurat tables: assembly/sim/bench_probe.ts)
 * and this program runs them with the same event-queue discipline (a 4-ary min-heap on
 * (time, seq), the same sequence numbers), the same chaining of a vCPU's own next steps,
 * the same draws (ziggurat normal, exp for the lognormal), the same 64/128-bit kernel
 * arithmetic (unsigned __int128 multiplies, the x86 divq for 128/64 divides, as the
 * kernel), and the same metric records (HdrHistogram buckets, callbacks per ms, the
 * advance series). It prints the events, interrupts, latency sums and a checksum of the
 * histograms, which the bench compares with the wasm engine's before it reports a ratio.
 *
 * Scope: the paths a cyclictest scenario without host stalls, posted timer interrupts,
 * guest-side idling, extra work, or a global (v4.0/v4.20) timer advance takes. The
 * configuration is checked up front and anything outside that scope exits with status 3
 * (the bench then reports the case as not comparable). Each function names the wasm
 * function it repeats (assembly/sim/...), which names its kernel counterpart.
 *
 * Usage: cyclictest_model INPUT REPS   (INPUT: the bench's snapshot, little-endian)
 * Output: one JSON object on stdout.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef int32_t i32;
typedef unsigned __int128 u128;

#define I64_MAX INT64_MAX

static void die(int code, const char *msg) {
	fprintf(stderr, "cyclictest_model: %s\n", msg);
	exit(code);
}

/* ---- kernel arithmetic (assembly/math64.ts, time_scale.ts, tsc_scaling.ts) ---- */

/* 128/64 -> 64 divide, hi < d: the divq of mul_u64_u64_div_u64 / u64_shl_div_u64. */
static inline u64 divq(u64 hi, u64 lo, u64 d) {
	u64 q, r;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
	(void)r;
	return q;
}

static inline u64 mul_u64_u64_shr(u64 a, u64 b, u32 shift) { return (u64)(((u128)a * b) >> shift); }

static inline u64 pvclock_scale_delta(u64 delta, u32 mul, i32 shift) {
	if (shift < 0) delta >>= -shift;
	else delta <<= shift;
	return (u64)(((u128)delta * mul) >> 32);
}

static inline u64 cycles_to_ns(u64 cycles, u32 khz) { return (cycles * 1000000u) / khz; }

/* ---- inputs ---- */

enum { HDR_SLOTS = 40, VM_CELLS = 36, ZIG_CELLS = 2 * 129 + 128, KINDS = 7 };
enum { VM_INTERVAL_CYCLES = 0, VM_LOOPS, VM_BOOT_KHZ, VM_POLL_ALLOWED, VM_WORK_NS, VM_IDLE_POLL, VM_IDLE_IN_GUEST, VM_CAN_POST, VM_HV_TIMER };

static u64 nv, nvms;
static i64 horizon_ns, start_ns;
static u64 host_khz, host_tsc_base;
static u32 frac_bits;
static int era, tune, expire_within, hv_timer, hv_busy_wait_every_mode, apicv, hv_before_wait;
static u32 rate, hz;
static int poll_dynamic;
static u32 poll_max_ns, poll_grow, poll_grow_start_ns, poll_shrink;
static u32 series_cap0;
static int roots[KINDS];
static double *program;
static double zig[ZIG_CELLS];
static double *vm_cells;

/* The per-vCPU timer record (assembly/sim/vcpu_layout.ts's fields the engine uses). */
struct timer {
	u64 ratio, offset, tscdeadline, expired_tscdeadline, hv_deadline_tsc;
	i64 sw_expiry_ns, last_delta;
	u32 tsc_khz, mult, advance_ns, scaled;
	i32 shift;
	u64 reg_next, reg_now;
};

/* The per-vCPU engine record (assembly/sim/engine_record.ts). */
struct eng {
	i64 thread_seq, hrtimer_seq, hv_seq, halt_start_ns;
	u32 halt_poll_ns, vm, flags;
	uint8_t state, phase, next_kind;
	double loops, compute_end_ns, compute_left_ns;
	i64 next_at_ns, hrtimer_at_ns, hv_at_ns;
};

/* The metric block (assembly/sim/engine_metrics.ts). */
struct metrics {
	double sum_ns, sum_cycles, min_cycles, max_cycles, last_cycles, spin_ns, cb_ms, halt_poll_ns;
	u32 interrupts, early, exit_msr, exit_apic, exit_preempt, exit_ext, exit_hlt, sw_arms, hv_arms, hv_fallbacks, hv_to_sw, sw_to_hv, coalesced, adv_records, poll_ok, poll_failed;
	u32 cb_count, cb_peak, adv_initial, adv_final, adv_min, adv_max;
};

static struct timer *tim0, *tim;
static struct eng *engs;
static struct metrics *met;
static u32 *streams0, *streams;

/* ---- host clock (assembly/sim/host_clock.ts) ---- */

static i64 now_ns;

static inline u64 host_tsc_at(i64 ns) {
	u64 n = (u64)ns, q = n / 1000000u, r = n - q * 1000000u;
	return host_tsc_base + q * host_khz + (r * host_khz) / 1000000u;
}

static i64 ns_when_host_tsc_reaches(u64 tsc) {
	if (tsc <= host_tsc_base) return 0;
	u64 d = tsc - host_tsc_base;
	u128 p = (u128)d * 1000000u;
	if ((u64)(p >> 64) >= host_khz) return I64_MAX;
	u64 ns = divq((u64)(p >> 64), (u64)p, host_khz);
	if (host_tsc_at((i64)ns) < tsc) ns += 1;
	return ns > (u64)I64_MAX ? I64_MAX : (i64)ns;
}

/* hostTscNow: the host TSC at the current instant, computed once per instant. */
static i64 now_tsc_at_ns = INT64_MIN;
static u64 now_tsc;
static inline u64 host_tsc_now(void) {
	if (now_ns != now_tsc_at_ns) {
		now_tsc = host_tsc_at(now_ns);
		now_tsc_at_ns = now_ns;
	}
	return now_tsc;
}

static inline u64 guest_tsc_now(const struct timer *t) {
	u64 h = host_tsc_now();
	u64 s = t->ratio == (u64)1 << frac_bits ? h : mul_u64_u64_shr(h, t->ratio, frac_bits);
	return t->offset + s;
}

/* ---- random streams and delays (rng_streams.ts, delay_samplers.ts) ---- */

static inline u32 rotl(u32 x, int k) { return (x << k) | (x >> (32 - k)); }

static inline u32 rng_u32(int i) {
	u32 *s = streams + 4 * (size_t)i;
	u32 s0 = s[0], s1 = s[1], s2 = s[2] ^ s0, s3 = s[3] ^ s1;
	u32 result = rotl(s1 * 5, 7) * 9;
	s[0] = s0 ^ s3;
	s[1] = s1 ^ s2;
	s[2] = s2 ^ (s1 << 9);
	s[3] = rotl(s3, 11);
	return result;
}

static inline double rng_float(int i) {
	u32 hi = rng_u32(i) >> 5;
	u32 lo = rng_u32(i) >> 6;
	return ((double)hi * 67108864.0 + (double)lo) * (1.0 / 9007199254740992.0);
}

#define ZIG_R 3.442619855899
#define ZIG_RATIO 129
#define ZIG_FX 257

static double normal_tail(int stream, int negative) {
	double t, y;
	do {
		t = -log(1 - rng_float(stream)) / ZIG_R;
		y = -log(1 - rng_float(stream));
	} while (y + y < t * t);
	return negative ? -(ZIG_R + t) : ZIG_R + t;
}

static inline double standard_normal(int stream) {
	for (;;) {
		u32 a = rng_u32(stream);
		int i = (int)(a & 127);
		double u = (double)(a >> 8) * (1.0 / 16777216.0);
		double x = u * zig[i];
		int negative = (a & 128) != 0;
		if (u < zig[ZIG_RATIO + i]) return negative ? -x : x;
		if (i == 0) return normal_tail(stream, negative);
		if (zig[ZIG_FX + i] + rng_float(stream) * (zig[ZIG_FX + i + 1] - zig[ZIG_FX + i]) < exp(-0.5 * x * x)) return negative ? -x : x;
	}
}

static double sample_node(int node, int stream) {
	const double *c = program;
	switch ((int)c[node]) {
	case 0: return c[node + 1];
	case 1: return c[node + 1] + floor(rng_float(stream) * c[node + 2]);
	case 2: {
		double x = floor(c[node + 1] + c[node + 2] * standard_normal(stream) + 0.5);
		return x > 0 ? x : 0;
	}
	case 3: return floor(exp(c[node + 1] + c[node + 2] * standard_normal(stream)) + 0.5);
	case 4: return c[node + 2 + (int)floor(rng_float(stream) * c[node + 1])];
	default: {
		int n = (int)c[node + 1], last = n - 1, i = 0;
		double x = rng_float(stream) * c[node + 2 + last];
		while (i < last && x >= c[node + 2 + i]) i++;
		return sample_node((int)c[node + 2 + n + i], stream);
	}
	}
}

enum { D_HRTIMER, D_WAKEUP, D_VM_EXIT, D_VM_ENTRY, D_IRQ_DISPATCH, D_MSR_EXIT, D_CPU_IDLE_EXIT };
/* A kind whose root is a plain lognormal draws with its mu and sigma at hand (sampleDelayInline). */
static int lognormal_root[KINDS];
static double lognormal_mu[KINDS], lognormal_sigma[KINDS];
static inline double delay(int kind, int v) {
	int stream = v * KINDS + kind;
	if (lognormal_root[kind]) return floor(exp(lognormal_mu[kind] + lognormal_sigma[kind] * standard_normal(stream)) + 0.5);
	return sample_node(roots[kind], stream);
}

/* ---- the event queue (event_queue.ts): 4-ary heap, (time, seq), 16-byte entries ---- */

struct entry {
	i64 t;
	u32 seq, payload;
};
static struct entry *heap_block, *hp; /* hp[1] 64-byte aligned: each node's children share a line */
static int capacity, size;
static u32 next_seq, popped_seq;

static inline void set_sentinel(int i) {
	hp[i].t = I64_MAX;
	hp[i].seq = UINT32_MAX;
}

static void heap_alloc(int cap) {
	heap_block = aligned_alloc(64, (size_t)(cap + 3 + 4) * sizeof(struct entry));
	if (!heap_block) die(1, "out of memory");
	hp = heap_block + 3; /* entry 1 at byte 64 */
}

static void queue_reset(int cap) {
	free(heap_block);
	capacity = cap < 16 ? 16 : cap;
	heap_alloc(capacity);
	size = 0;
	next_seq = 0;
	for (int i = 0; i < 3; i++) set_sentinel(i);
}

static inline u32 rel(u32 seq) { return seq - next_seq; }
static inline int less(i64 ta, u32 sa, i64 tb, u32 sb) { return ta < tb || (ta == tb && rel(sa) < rel(sb)); }

static u32 queue_push(i64 t, u32 payload) {
	if (t == I64_MAX) t = I64_MAX - 1;
	if (size == capacity) {
		struct entry *old_block = heap_block, *old = hp;
		capacity <<= 1;
		heap_alloc(capacity);
		memcpy(hp, old, (size_t)(size + 3) * sizeof(struct entry));
		free(old_block);
	}
	u32 seq = next_seq++;
	int i = size++;
	while (i > 0) {
		int parent = (i - 1) >> 2;
		if (!less(t, seq, hp[parent].t, hp[parent].seq)) break;
		hp[i] = hp[parent];
		i = parent;
	}
	hp[i].t = t;
	hp[i].seq = seq;
	hp[i].payload = payload;
	set_sentinel(size + 2);
	return seq;
}

static inline int less_bits(i64 ta, u32 sa, i64 tb, u32 sb) { return (ta < tb) | ((ta == tb) & (rel(sa) < rel(sb))); }

/* queuePop: bottom-up, the least of four children by a tournament (as event_queue.ts). */
static i32 queue_pop(void) {
	if (size == 0) return -1;
	i64 t = hp[0].t;
	if (t > horizon_ns) return -1;
	popped_seq = hp[0].seq;
	u32 payload = hp[0].payload;
	size--;
	if (size > 0) {
		struct entry last = hp[size];
		set_sentinel(size);
		int i = 0;
		for (;;) {
			int first = (i << 2) + 1;
			if (first >= size) break;
			const struct entry *k = hp + first;
			int take1 = less_bits(k[1].t, k[1].seq, k[0].t, k[0].seq);
			int take3 = less_bits(k[3].t, k[3].seq, k[2].t, k[2].seq);
			int ca = take1 ? first + 1 : first, cb = take3 ? first + 3 : first + 2;
			int c = less_bits(hp[cb].t, hp[cb].seq, hp[ca].t, hp[ca].seq) ? cb : ca;
			hp[i] = hp[c];
			i = c;
		}
		while (i > 0) {
			int parent = (i - 1) >> 2;
			if (!less(last.t, last.seq, hp[parent].t, hp[parent].seq)) break;
			hp[i] = hp[parent];
			i = parent;
		}
		hp[i] = last;
	} else {
		set_sentinel(0);
	}
	now_ns = t;
	return (i32)payload;
}

/* ---- metrics (engine_metrics.ts, complete mode, histograms shared by all vCPUs) ---- */

enum { HALF_MAGNITUDE = 10, HALF_COUNT = 1 << HALF_MAGNITUDE, HIST_CELLS = (22 << HALF_MAGNITUDE) + HALF_COUNT };
enum { LOG_CAPACITY = 4096, LOG_SLACK = 16 };
static double hist_ns[HIST_CELLS], hist_cycles[HIST_CELLS];
static u32 *cb_cells;
static int cb_count;
static double log_records[LOG_CAPACITY * 4];
static int log_count;
static double logged_records; /* records drained in all (the host replays them) */

static inline void log_record(int v, int type, double a, double b, double c) {
	double *p = log_records + 4 * log_count++;
	p[0] = (double)v * 4 + type;
	p[1] = a;
	p[2] = b;
	p[3] = c;
}
static inline int log_full(void) { return log_count > LOG_CAPACITY - LOG_SLACK; }

static inline int hist_index(u32 value) {
	int shift = 31 - __builtin_clz(value | 1) - HALF_MAGNITUDE;
	int bucket = shift > 0 ? shift : 0;
	int sub = (int)(value >> bucket);
	return ((bucket + 1) << HALF_MAGNITUDE) + sub - HALF_COUNT;
}

static inline double cycles_to_ns_signed(int v, double cycles) {
	u32 khz = tim[v].tsc_khz;
	i64 c = (i64)cycles;
	return c < 0 ? -(double)cycles_to_ns((u64)-c, khz) : (double)cycles_to_ns((u64)c, khz);
}

static void metric_latency(int v, double cycles, double ns) {
	struct metrics *m = met + v;
	m->interrupts++;
	m->last_cycles = cycles;
	if (cycles < m->min_cycles) m->min_cycles = cycles;
	if (cycles > m->max_cycles) m->max_cycles = cycles;
	m->sum_ns += ns;
	m->sum_cycles += cycles;
	double hc = cycles < 0 ? 0 : cycles, hn = ns > 0 ? ns : 0;
	if (cycles < 0) m->early++;
	if (hc < 4294967296.0 && hn < 4294967296.0) {
		hist_cycles[hist_index((u32)hc)] += 1;
		hist_ns[hist_index((u32)hn)] += 1;
	} else {
		log_record(v, 0, hc, hn, 0);
	}
}

static inline int series_keeps(double k, u32 cap) {
	double stride = 1;
	while (k > (double)cap * stride) stride *= 2;
	return fmod(k, stride) == 0;
}

static void metric_advance(int v, double now, u32 advance) {
	struct metrics *m = met + v;
	double k = m->adv_records;
	if (k == 0) m->adv_initial = advance;
	m->adv_records++;
	m->adv_final = advance;
	if (advance < m->adv_min) m->adv_min = advance;
	if (advance > m->adv_max) m->adv_max = advance;
	if (v == 0 && series_cap0 != 0 && series_keeps(k, series_cap0)) log_record(v, 1, now, advance, k);
}

static void metric_callback(int v, double now) {
	struct metrics *m = met + v;
	double ms = floor(now / 1000000);
	u32 n = 1;
	if (ms == m->cb_ms) n = m->cb_count + 1;
	else m->cb_ms = ms;
	m->cb_count = n;
	if (n > m->cb_peak) m->cb_peak = n;
	int cell = (int)ms;
	if (cell >= cb_count) {
		int cells = cb_count;
		while (cell >= cells) cells <<= 1;
		cb_cells = realloc(cb_cells, (size_t)cells * 4);
		memset(cb_cells + cb_count, 0, (size_t)(cells - cb_count) * 4);
		cb_count = cells;
	}
	cb_cells[cell]++;
}

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

/* ---- cyclictest's thread (guest_cyclictest.ts) ---- */

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

static inline void take_interrupt(struct eng *e) {
	if (!has(e, F_TO_DELIVER) || has(e, F_IN_HANDLER)) return;
	clr(e, F_HALTED | F_TO_DELIVER);
	set(e, F_IN_SERVICE | F_IN_HANDLER);
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

/* ---- set-up from the bench's snapshot, and the report ---- */

static u64 *hdr;

static void reset_state(int queue_capacity) {
	now_ns = start_ns;
	now_tsc_at_ns = INT64_MIN;
	memcpy(tim, tim0, nv * sizeof *tim);
	memcpy(streams, streams0, nv * KINDS * 16);
	for (u64 v = 0; v < nv; v++) {
		struct eng *e = engs + v;
		memset(e, 0, sizeof *e);
		e->thread_seq = e->hrtimer_seq = e->hv_seq = e->halt_start_ns = -1;
		struct metrics *m = met + v;
		memset(m, 0, sizeof *m);
		m->min_cycles = INFINITY;
		m->max_cycles = -INFINITY;
		m->cb_ms = -1;
		m->adv_min = UINT32_MAX;
	}
	memset(hist_ns, 0, sizeof hist_ns);
	memset(hist_cycles, 0, sizeof hist_cycles);
	i64 cells = (horizon_ns - now_ns) / 1000000 + 2;
	if (cells > (1 << 24)) cells = 1 << 24;
	if (cells < 1024) cells = 1024;
	free(cb_cells);
	cb_count = (int)cells;
	cb_cells = calloc((size_t)cb_count, 4);
	log_count = 0;
	logged_records = 0;
	queue_reset(queue_capacity);
}

static u32 fnv1a(u32 h, const void *p, size_t bytes) {
	const unsigned char *b = p;
	for (size_t i = 0; i < bytes; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv) {
	if (argc != 3) die(2, "usage: cyclictest_model INPUT REPS");
	int reps = atoi(argv[2]);
	if (reps < 1) die(2, "REPS must be >= 1");
	FILE *f = fopen(argv[1], "rb");
	if (!f) die(2, "cannot open the input");
	fseek(f, 0, SEEK_END);
	long bytes = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *in = malloc((size_t)bytes);
	if (!in || fread(in, 1, (size_t)bytes, f) != (size_t)bytes) die(2, "cannot read the input");
	fclose(f);
	hdr = (u64 *)in;
	if (hdr[0] != 0x315f6c65646f6d63ull) die(2, "not a cyclictest_model input");
	nv = hdr[1];
	nvms = hdr[2];
	horizon_ns = (i64)hdr[3];
	start_ns = (i64)hdr[4];
	host_khz = hdr[5];
	host_tsc_base = hdr[6];
	frac_bits = (u32)hdr[7];
	era = (int)hdr[8];
	tune = (int)hdr[9];
	int global = (int)hdr[10];
	expire_within = (int)hdr[11];
	hv_timer = (int)hdr[12];
	hv_busy_wait_every_mode = (int)hdr[13];
	apicv = (int)hdr[14];
	rate = (u32)hdr[15];
	hz = (u32)hdr[16];
	int stalls = hdr[17] != 0;
	poll_dynamic = (int)hdr[18];
	poll_max_ns = (u32)hdr[19];
	poll_grow = (u32)hdr[20];
	poll_grow_start_ns = (u32)hdr[21];
	poll_shrink = (u32)hdr[22];
	hv_before_wait = (int)hdr[23];
	series_cap0 = (u32)hdr[24];
	u64 program_cells = hdr[25];
	for (int k = 0; k < KINDS; k++) roots[k] = (int)hdr[26 + k];
	int queue_capacity = (int)hdr[33];
	int summaries = (int)hdr[34];
	int traced = (int)hdr[35];
	/* EraCode: V5_4 = 3, Mainline = 4 share the tuner this model has. */
	if (era != 3 && era != 4) die(3, "era outside the model (v5.4 and mainline only)");
	if (global || stalls || summaries || traced) die(3, "global advance, host stalls, summaries or tracing: outside the model");
	if (host_khz == 0 || hz < 4) die(3, "host clock outside the model");

	unsigned char *p = in + HDR_SLOTS * 8;
	vm_cells = (double *)p;
	p += nvms * VM_CELLS * 8;
	for (u64 i = 0; i < nvms; i++) {
		const double *c = vm_cells + i * VM_CELLS;
		if (c[VM_WORK_NS] != 0 || c[VM_IDLE_POLL] != 0 || c[VM_IDLE_IN_GUEST] != 0 || c[VM_CAN_POST] != 0 || c[9] != 0)
			die(3, "a VM outside the model (work, idle=poll, idling in the guest, posted timer interrupts or another workload)");
	}
	/* vCPU records: ratio, offset, khz, mult, shift, advance, scaled, vm (u64 each). */
	tim0 = calloc(nv, sizeof *tim0);
	tim = calloc(nv, sizeof *tim);
	engs = calloc(nv, sizeof *engs);
	met = calloc(nv, sizeof *met);
	u32 *vm_of = calloc(nv, 4);
	for (u64 v = 0; v < nv; v++, p += 64) {
		const u64 *r = (const u64 *)p;
		struct timer *t = tim0 + v;
		t->ratio = r[0];
		t->offset = r[1];
		t->tsc_khz = (u32)r[2];
		t->mult = (u32)r[3];
		t->shift = (i32)(i64)r[4];
		t->advance_ns = (u32)r[5];
		t->scaled = (u32)r[6];
		t->hv_deadline_tsc = UINT64_MAX;
		vm_of[v] = (u32)r[7];
	}
	streams0 = (u32 *)p;
	p += nv * KINDS * 16;
	streams = malloc(nv * KINDS * 16);
	program = (double *)p;
	p += program_cells * 8;
	memcpy(zig, p, sizeof zig);
	for (int k = 0; k < KINDS; k++) {
		lognormal_root[k] = (int)program[roots[k]] == 3;
		lognormal_mu[k] = lognormal_root[k] ? program[roots[k] + 1] : 0;
		lognormal_sigma[k] = lognormal_root[k] ? program[roots[k] + 2] : 0;
	}
	p += sizeof zig;
	if (p != in + bytes) die(2, "input size mismatch");

	double *ns_per = malloc(sizeof(double) * (size_t)reps);
	double *cpu_per = malloc(sizeof(double) * (size_t)reps);
	double interrupts = 0, sum_ns = 0, sum_cycles = 0, spin = 0;
	u32 checksum = 0;
	for (int r = 0; r <= reps; r++) {
		reset_state(queue_capacity);
		for (u64 v = 0; v < nv; v++) engs[v].vm = vm_of[v];
		struct timespec t0, t1, c0, c1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		run();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		interrupts = sum_ns = sum_cycles = spin = 0;
		for (u64 v = 0; v < nv; v++) {
			interrupts += met[v].interrupts;
			sum_ns += met[v].sum_ns;
			sum_cycles += met[v].sum_cycles;
			spin += met[v].spin_ns;
		}
		double wall = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
		double cpu = (double)(c1.tv_sec - c0.tv_sec) * 1e9 + (double)(c1.tv_nsec - c0.tv_nsec);
		if (r > 0) { /* run 0: warm-up */
			ns_per[r - 1] = wall / interrupts;
			cpu_per[r - 1] = cpu / interrupts;
		}
	}
	checksum = fnv1a(2166136261u, hist_ns, sizeof hist_ns);
	checksum = fnv1a(checksum, hist_cycles, sizeof hist_cycles);
	u32 cb_sum = fnv1a(2166136261u, cb_cells, (size_t)cb_count * 4);
	double *sorted = malloc(sizeof(double) * (size_t)reps);
	memcpy(sorted, ns_per, sizeof(double) * (size_t)reps);
	qsort(sorted, (size_t)reps, sizeof(double), cmp_double);
	double median = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
	printf("{\"events\":%.0f,\"interrupts\":%.0f,\"sumNs\":%.17g,\"sumCycles\":%.17g,\"spinNs\":%.17g,\"histChecksum\":\"%08x\",\"callbacksChecksum\":\"%08x\",\"logRecords\":%.0f,\"nowNs\":%lld,",
	       events, interrupts, sum_ns, sum_cycles, spin, checksum, cb_sum, logged_records, (long long)now_ns);
	printf("\"medianNsPerInterrupt\":%.4f,\"minNsPerInterrupt\":%.4f,\"samplesNsPerInterrupt\":[", median, sorted[0]);
	for (int r = 0; r < reps; r++) printf("%s%.4f", r ? "," : "", ns_per[r]);
	qsort(cpu_per, (size_t)reps, sizeof(double), cmp_double);
	double cpu_median = reps % 2 ? cpu_per[reps / 2] : (cpu_per[reps / 2 - 1] + cpu_per[reps / 2]) / 2;
	printf("],\"medianCpuNsPerInterrupt\":%.4f}\n", cpu_median);
	return 0;
}
