/* The model's inputs, per-vCPU records and the kernel's 64/128-bit arithmetic.
 * Part of cyclictest_model.c and rearm_storm_model.c (each one translation unit: it includes the parts in order). */

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

