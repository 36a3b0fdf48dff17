/*
 * A native C model of the wasm engine's work for the cyclictest workload (issue #13,
 * target 2: the yardstick the wasm engine's ns per interrupt is held to) and for the
 * rearm-storm workload (target 1: what the work per interrupt of a rearm storm costs in
 * native code, against cyclictest's).
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
 * guest-side idling, extra work, or a global (v4.0/v4.20) timer advance takes (the wasm
 * engine's cyclictest copies: model_engine.h, model_loop.h); and the same for a
 * rearm-storm scenario in TSC-deadline mode without the lazy or PV deadline proposals (the
 * wasm engine's general path: model_general.h, model_rearm.h). Every VM runs the same one
 * of the two workloads; neither a host scheduler, pauses nor migrations. The
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

#include "model_state.h"
#include "model_clock.h"
#include "model_draws.h"
#include "model_queue.h"
#include "model_metrics.h"
#include "model_engine.h"
#include "model_loop.h"
#include "model_general.h"
#include "model_rearm.h"

/* The VM's workload code (engine_record.ts WK_*, VM cell 9) this model runs. */
enum { WK_CYCLICTEST = 0, WK_REARM_STORM = 2 };
enum { VM_WORKLOAD = 9, VM_TIMER_MODE = 18, VM_WAIT_BUSY = 23 };
static int workload;

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
	if (rewrites) memset(rewrites, 0, nv * sizeof *rewrites);
	memset(hist_ns, 0, sizeof hist_ns);
	memset(hist_cycles, 0, sizeof hist_cycles);
	free(cb_cells);
	cb_count = CALLBACK_WINDOW_MS;
	cb_cells = calloc((size_t)cb_count, 4);
	cb_latest_ms = -1;
	cb_host_peak = 0;
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
	/* The lazy and PV deadline proposals, a host scheduler, pauses or migrations. */
	if (hdr[36] || hdr[37] || hdr[38] || hdr[39]) die(3, "a deadline proposal, a host scheduler, pauses or migrations: outside the model");
	/* EraCode: V5_4 = 3, Mainline = 4 share the tuner this model has. */
	if (era != 3 && era != 4) die(3, "era outside the model (v5.4 and mainline only)");
	if (global || stalls || summaries || traced) die(3, "global advance, host stalls, summaries or tracing: outside the model");
	if (host_khz == 0 || hz < 4) die(3, "host clock outside the model");

	unsigned char *p = in + HDR_SLOTS * 8;
	vm_cells = (double *)p;
	p += nvms * VM_CELLS * 8;
	workload = (int)vm_cells[VM_WORKLOAD];
	if (workload != WK_CYCLICTEST && workload != WK_REARM_STORM) die(3, "a workload outside the model (cyclictest and rearm-storm only)");
	for (u64 i = 0; i < nvms; i++) {
		const double *c = vm_cells + i * VM_CELLS;
		if (c[VM_WORK_NS] != 0 || c[VM_IDLE_POLL] != 0 || c[VM_IDLE_IN_GUEST] != 0 || c[VM_CAN_POST] != 0 || c[VM_TIMER_MODE] != 0 || c[VM_WAIT_BUSY] != 0 || (int)c[VM_WORKLOAD] != workload)
			die(3, "a VM outside the model (work, idle=poll, idling in the guest, posted timer interrupts, busy waits, a non-deadline timer or mixed workloads)");
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
		fixed_root_ns[k] = (int)program[roots[k]] == 0 ? program[roots[k] + 1] : -1;
	}
	p += sizeof zig;
	if (p != in + bytes) die(2, "input size mismatch");

	if (workload == WK_REARM_STORM) rewrites = calloc(nv, sizeof *rewrites);
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
		if (workload == WK_REARM_STORM) rs_run();
		else run();
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
	printf("{\"workload\":\"%s\",", workload == WK_REARM_STORM ? "rearm-storm" : "cyclictest");
	printf("\"events\":%.0f,\"interrupts\":%.0f,\"sumNs\":%.17g,\"sumCycles\":%.17g,\"spinNs\":%.17g,\"histChecksum\":\"%08x\",\"callbacksChecksum\":\"%08x\",\"logRecords\":%.0f,\"nowNs\":%lld,",
	       events, interrupts, sum_ns, sum_cycles, spin, checksum, cb_sum, logged_records, (long long)now_ns);
	printf("\"medianNsPerInterrupt\":%.4f,\"minNsPerInterrupt\":%.4f,\"samplesNsPerInterrupt\":[", median, sorted[0]);
	for (int r = 0; r < reps; r++) printf("%s%.4f", r ? "," : "", ns_per[r]);
	qsort(cpu_per, (size_t)reps, sizeof(double), cmp_double);
	double cpu_median = reps % 2 ? cpu_per[reps / 2] : (cpu_per[reps / 2 - 1] + cpu_per[reps / 2]) / 2;
	printf("],\"medianCpuNsPerInterrupt\":%.4f}\n", cpu_median);
	return 0;
}
