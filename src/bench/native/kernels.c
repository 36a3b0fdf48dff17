/*
 * Native baseline for bench/math.bench.ts: the five batch kernels in C with
 * unsigned __int128, as an x86-64 kernel build computes them (spec sections cited per
 * kernel). Built by the bench with `gcc -O2 -march=x86-64`; prints JSON on stdout.
 *
 * Inputs are regenerated here with the same seeded generator and fill order as
 * bench/data.ts, and each output is checksummed with the same FNV-1a over 32-bit words,
 * so the bench can check that this baseline computed exactly what the verified wasm
 * kernels computed. Every parameter (shift, ratio, khz, divisor...) comes from argv so
 * the compiler cannot specialise on constants the kernel only knows at run time.
 *
 * Usage: kernels.bin n=10000000 reps=11 seed=1 shift=48 ratio=0x... frac_bits=48
 *        offset=0x... khz=2100000 div_shift=48 divisor=0x... bits_mul=64 bits_tsc=64
 *        bits_cycles=44 bits_ns=40 bits_div=50 [only=name,name...]
 * Without only=, every kernel is timed, in order.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef unsigned __int128 u128;

#define KERNEL __attribute__((noinline, noipa))
#define BARRIER() __asm__ __volatile__("" ::: "memory")

/* ---- data: xoshiro128** seeded through murmur3 fmix32 (bench/data.ts) ---- */

static u32 fmix32(u32 z) {
	z = (z ^ (z >> 16)) * 0x85ebca6bu;
	z = (z ^ (z >> 13)) * 0xc2b2ae35u;
	return z ^ (z >> 16);
}

static u32 rotl32(u32 x, int k) { return (x << k) | (x >> (32 - k)); }

struct rng { u32 s[4]; };

static void rng_seed(struct rng *r, u32 seed) {
	for (u32 i = 0; i < 4; i++) r->s[i] = fmix32(seed + (i + 1) * 0x9e3779b9u);
}

static u32 rng_next(struct rng *r) {
	u32 *s = r->s;
	u32 out = rotl32(s[1] * 5, 7) * 9;
	u32 t = s[1] << 9;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl32(s[3], 11);
	return out;
}

static void fill_random(u64 *v, size_t n, u32 seed, int bits) {
	struct rng r;
	u32 hi_mask = bits >= 64 ? 0xffffffffu : (u32)((1ull << (bits - 32)) - 1);
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++) {
		u64 lo = rng_next(&r);
		u64 hi = rng_next(&r) & hi_mask;
		v[i] = lo | (hi << 32);
	}
}

static u32 checksum(const u64 *v, size_t n) {
	u32 h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ (u32)v[i]) * 0x01000193u;
		h = (h ^ (u32)(v[i] >> 32)) * 0x01000193u;
	}
	return h;
}

/* ---- kernels ---- */

/* mul_u64_u64_shr (§1.1): the __int128 formula of x86-64 builds. */
KERNEL static void k_mul_u64_u64_shr(const u64 *a, const u64 *b, unsigned shift, u64 *out, size_t n) {
	for (size_t i = 0; i < n; i++) out[i] = (u64)(((u128)a[i] * b[i]) >> shift);
}

/* kvm_read_l1_tsc (§2.2): offset + kvm_scale_tsc(tsc, ratio). */
KERNEL static void k_scale_tsc(const u64 *tsc, u64 ratio, unsigned frac_bits, u64 offset, u64 *out, size_t n) {
	if (ratio == 1ull << frac_bits) {
		for (size_t i = 0; i < n; i++) out[i] = tsc[i] + offset;
		return;
	}
	for (size_t i = 0; i < n; i++) out[i] = (u64)(((u128)tsc[i] * ratio) >> frac_bits) + offset;
}

/* lapic.c guest cycles -> ns (§3.3): do_div(u64(cycles * 10^6), khz). */
KERNEL static void k_cycles_to_ns(const u64 *cycles, u32 khz, u64 *out, size_t n) {
	for (size_t i = 0; i < n; i++) out[i] = (cycles[i] * 1000000ull) / khz;
}

/* kvm_get_time_scale (§3.1), re-stated; returns mult, shift through *shift. */
static u32 get_time_scale(u64 scaled, u64 base, int *shift) {
	int s = 0;
	u64 scaled_twice = scaled << 1;
	while (base > scaled_twice || (base >> 32) != 0) {
		base >>= 1;
		s--;
	}
	u32 base32 = (u32)base;
	while ((u64)base32 <= scaled || (scaled >> 32) != 0) {
		if ((scaled >> 32) != 0 || (base32 & 0x80000000u) != 0)
			scaled >>= 1;
		else
			base32 <<= 1;
		s++;
	}
	*shift = s;
	return (u32)(((u64)(u32)scaled << 32) / base32);
}

/* nsec_to_cycles (§3.2) = pvclock_scale_delta (§1.6) with a precomputed scale. */
KERNEL static void k_nsec_to_cycles(const u64 *ns, u32 mult, int shift, u64 *out, size_t n) {
	for (size_t i = 0; i < n; i++) {
		u64 d = shift < 0 ? ns[i] >> -shift : ns[i] << shift;
		out[i] = (u64)(((u128)d * mult) >> 32);
	}
}

/* 128/64 -> 64 divide, hi < d: the `divq` the kernel's u64_shl_div_u64 issues on x86-64. */
static inline u64 div128_64(u64 hi, u64 lo, u64 d) {
#if defined(__x86_64__)
	u64 q, r;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
	(void)r;
	return q;
#else
	return (u64)((((u128)hi << 64) | lo) / d);
#endif
}

/* u64_shl_div_u64 (§1.4); overflowing lanes -> 0, counted (as the wasm batch kernel). */
KERNEL static size_t k_u64_shl_div_u64(const u64 *a, unsigned shift, u64 divisor, u64 *out, size_t n) {
	size_t overflows = 0;
	for (size_t i = 0; i < n; i++) {
		u64 hi = a[i] >> (64 - shift);
		if (hi >= divisor) {
			out[i] = 0;
			overflows++;
		} else {
			out[i] = div128_64(hi, a[i] << shift, divisor);
		}
	}
	return overflows;
}

/* The same with a plain __int128 division (libgcc __udivti3), for comparison only. */
KERNEL static size_t k_u64_shl_div_u64_int128(const u64 *a, unsigned shift, u64 divisor, u64 *out, size_t n) {
	size_t overflows = 0;
	for (size_t i = 0; i < n; i++) {
		u64 hi = a[i] >> (64 - shift);
		if (hi >= divisor) {
			out[i] = 0;
			overflows++;
		} else {
			out[i] = (u64)(((u128)a[i] << shift) / divisor);
		}
	}
	return overflows;
}

/* ---- harness ---- */

struct params {
	size_t n;
	int reps;
	u32 seed;
	unsigned shift, frac_bits, div_shift;
	u64 ratio, offset, divisor;
	u32 khz;
	int bits_mul, bits_tsc, bits_cycles, bits_ns, bits_div;
};

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y) {
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

enum kernel_id { MUL, SCALE, C2NS, NS2C, SHLDIV, SHLDIV128, NKERNELS };
static const char *const kernel_names[NKERNELS] = {
	"mul_u64_u64_shr", "scale_tsc", "cycles_to_ns", "nsec_to_cycles", "u64_shl_div_u64", "u64_shl_div_u64_int128div",
};

struct inputs { const u64 *a, *b; u32 mult; int ns_shift; };

static size_t run_kernel(enum kernel_id k, const struct params *p, const struct inputs *in, u64 *out) {
	switch (k) {
	case MUL: k_mul_u64_u64_shr(in->a, in->b, p->shift, out, p->n); return 0;
	case SCALE: k_scale_tsc(in->a, p->ratio, p->frac_bits, p->offset, out, p->n); return 0;
	case C2NS: k_cycles_to_ns(in->a, p->khz, out, p->n); return 0;
	case NS2C: k_nsec_to_cycles(in->a, in->mult, in->ns_shift, out, p->n); return 0;
	case SHLDIV: return k_u64_shl_div_u64(in->a, p->div_shift, p->divisor, out, p->n);
	case SHLDIV128: return k_u64_shl_div_u64_int128(in->a, p->div_shift, p->divisor, out, p->n);
	default: return 0;
	}
}

static void *xmalloc(size_t bytes) {
	void *p = malloc(bytes);
	if (!p) {
		fprintf(stderr, "kernels.bin: out of memory (%zu bytes)\n", bytes);
		exit(2);
	}
	memset(p, 0, bytes); /* touch every page before timing */
	return p;
}

/* Times kernel k: one untimed warm-up pass, then p->reps timed passes; prints its JSON. */
static void bench_kernel(enum kernel_id k, const struct params *p, int first) {
	u64 *a = xmalloc(p->n * 8), *b = NULL, *out = xmalloc(p->n * 8);
	struct inputs in = { a, NULL, 0, 0 };
	switch (k) {
	case MUL:
		b = xmalloc(p->n * 8);
		fill_random(a, p->n, p->seed + 0, p->bits_mul);
		fill_random(b, p->n, p->seed + 1, p->bits_mul);
		in.b = b;
		break;
	case SCALE: fill_random(a, p->n, p->seed + 16, p->bits_tsc); break;
	case C2NS: fill_random(a, p->n, p->seed + 32, p->bits_cycles); break;
	case NS2C:
		fill_random(a, p->n, p->seed + 48, p->bits_ns);
		in.mult = get_time_scale((u64)p->khz * 1000, 1000000000ull, &in.ns_shift);
		break;
	default: fill_random(a, p->n, p->seed + 64, p->bits_div); break;
	}

	double *samples = xmalloc(sizeof(double) * (size_t)p->reps);
	size_t overflows = run_kernel(k, p, &in, out);
	u32 sum = checksum(out, p->n);
	for (int r = 0; r < p->reps; r++) {
		BARRIER();
		double t0 = now_ns();
		overflows = run_kernel(k, p, &in, out);
		BARRIER();
		samples[r] = (now_ns() - t0) / (double)p->n;
		/* Every pass must produce the same output; checking it also keeps the work live. */
		if (checksum(out, p->n) != sum) {
			fprintf(stderr, "kernels.bin: %s is not deterministic across passes\n", kernel_names[k]);
			exit(3);
		}
	}
	double *sorted = xmalloc(sizeof(double) * (size_t)p->reps);
	memcpy(sorted, samples, sizeof(double) * (size_t)p->reps);
	qsort(sorted, (size_t)p->reps, sizeof(double), cmp_double);
	double median = p->reps % 2 ? sorted[p->reps / 2] : (sorted[p->reps / 2 - 1] + sorted[p->reps / 2]) / 2;

	printf("%s\n    \"%s\": {\"medianNsPerElement\": %.4f, \"minNsPerElement\": %.4f, \"samplesNsPerElement\": [",
	       first ? "" : ",", kernel_names[k], median, sorted[0]);
	for (int r = 0; r < p->reps; r++) printf("%s%.4f", r ? ", " : "", samples[r]);
	printf("], \"checksum\": \"%08x\", \"overflows\": %zu", sum, overflows);
	if (k == NS2C) printf(", \"mult\": %u, \"shift\": %d", in.mult, in.ns_shift);
	printf("}");
	fflush(stdout);
	free(sorted);
	free(samples);
	free(a);
	free(b);
	free(out);
}

static const char *arg_str(int argc, char **argv, const char *key) {
	size_t len = strlen(key);
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=') return argv[i] + len + 1;
	return NULL;
}

static u64 arg_u64(int argc, char **argv, const char *key) {
	const char *s = arg_str(argc, argv, key);
	if (s != NULL) {
		char *end;
		u64 v = strtoull(s, &end, 0);
		if (*end == '\0' && end != s) return v;
	}
	fprintf(stderr, "kernels.bin: missing or bad argument %s=<integer>\n", key);
	exit(1);
}

/* Whether `name` is an element of the comma-separated `list` (NULL: everything). */
static int selected(const char *list, const char *name) {
	if (list == NULL) return 1;
	size_t len = strlen(name);
	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == len && strncmp(p, name, len) == 0) return 1;
		if (!comma) break;
		p = comma + 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	struct params p;
	p.n = (size_t)arg_u64(argc, argv, "n");
	p.reps = (int)arg_u64(argc, argv, "reps");
	p.seed = (u32)arg_u64(argc, argv, "seed");
	p.shift = (unsigned)arg_u64(argc, argv, "shift");
	p.ratio = arg_u64(argc, argv, "ratio");
	p.frac_bits = (unsigned)arg_u64(argc, argv, "frac_bits");
	p.offset = arg_u64(argc, argv, "offset");
	p.khz = (u32)arg_u64(argc, argv, "khz");
	p.div_shift = (unsigned)arg_u64(argc, argv, "div_shift");
	p.divisor = arg_u64(argc, argv, "divisor");
	p.bits_mul = (int)arg_u64(argc, argv, "bits_mul");
	p.bits_tsc = (int)arg_u64(argc, argv, "bits_tsc");
	p.bits_cycles = (int)arg_u64(argc, argv, "bits_cycles");
	p.bits_ns = (int)arg_u64(argc, argv, "bits_ns");
	p.bits_div = (int)arg_u64(argc, argv, "bits_div");
	if (p.n == 0 || p.reps < 1 || p.shift > 127 || p.frac_bits > 63 || p.khz == 0 || p.div_shift < 1 ||
	    p.div_shift > 63 || p.divisor == 0) {
		fprintf(stderr, "kernels.bin: parameter out of range\n");
		return 1;
	}

	const char *only = arg_str(argc, argv, "only");
	int any = 0;
	for (int k = 0; k < NKERNELS; k++) any |= selected(only, kernel_names[k]);
	if (!any) {
		fprintf(stderr, "kernels.bin: only=%s selects no kernel\n", only);
		return 1;
	}

	printf("{\n  \"compiler\": \"gcc %s\",\n  \"n\": %zu,\n  \"reps\": %d,\n  \"kernels\": {", __VERSION__, p.n, p.reps);
	int first = 1;
	for (int k = 0; k < NKERNELS; k++) {
		if (!selected(only, kernel_names[k])) continue;
		bench_kernel((enum kernel_id)k, &p, first);
		first = 0;
	}
	printf("\n  }\n}\n");
	return 0;
}
