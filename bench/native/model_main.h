/* Set-up from the bench's snapshot, the timed runs and the report, for either model: its
 * main() names its workload and its run function. Part of cyclictest_model.c and
 * rearm_storm_model.c (each one translation unit: it includes the parts in order). */

/* The VM's workload code (engine_record.ts WK_*, VM cell 9), and the cells the scope checks read. */
enum { WK_CYCLICTEST = 0, WK_REARM_STORM = 2 };
enum { VM_WORKLOAD = 9, VM_TIMER_MODE = 18, VM_WAIT_BUSY = 23 };

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

/* The model's main: `workload` (WK_*) the VMs must run, run_workload the loop that runs it. */
static int model_main(int argc, char **argv, int workload, void (*run_workload)(void)) {
	if (argc != 3) die(2, "usage: " MODEL_NAME " INPUT REPS");
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
	if (hdr[0] != 0x315f6c65646f6d63ull) die(2, "not a native model input");
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
	if ((int)vm_cells[VM_WORKLOAD] != workload) die(3, workload == WK_REARM_STORM ? "a workload outside the model (this model runs rearm-storm)" : "a workload outside the model (this model runs cyclictest)");
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
		run_workload();
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
