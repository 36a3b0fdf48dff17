/* The simulated host clock and the guest TSC (assembly/sim/host_clock.ts, vcpu_layout.ts).
 * Part of cyclictest_model.c and rearm_storm_model.c (each one translation unit: it includes the parts in order). */

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

