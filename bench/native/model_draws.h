/* Random streams and host delays (assembly/sim/rng_streams.ts, delay_samplers.ts).
 * Part of cyclictest_model.c and rearm_storm_model.c (each one translation unit: it includes the parts in order). */

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
/* A kind whose root is a fixed value takes it without a draw (sampleDelayInline's fixedRootNs; -1: not fixed). */
static double fixed_root_ns[KINDS];
static inline double delay(int kind, int v) {
	int stream = v * KINDS + kind;
	if (lognormal_root[kind]) return floor(exp(lognormal_mu[kind] + lognormal_sigma[kind] * standard_normal(stream)) + 0.5);
	if (fixed_root_ns[kind] >= 0) return fixed_root_ns[kind];
	return sample_node(roots[kind], stream);
}

