/* Metric records (assembly/sim/engine_metrics.ts).
 * Part of cyclictest_model.c and rearm_storm_model.c (each one translation unit: it includes the parts in order). */

/* ---- metrics (engine_metrics.ts, complete mode, histograms shared by all vCPUs) ---- */

enum { HALF_MAGNITUDE = 10, HALF_COUNT = 1 << HALF_MAGNITUDE, HIST_CELLS = (22 << HALF_MAGNITUDE) + HALF_COUNT };
enum { LOG_CAPACITY = 4096, LOG_SLACK = 16 };
static double hist_ns[HIST_CELLS], hist_cycles[HIST_CELLS];
/* Host-wide callbacks per ms: the last CALLBACK_WINDOW_MS in a ring, and the peak (metrics_callback_ring.ts). */
enum { CALLBACK_WINDOW_MS = 1024 };
static u32 *cb_cells;
static int cb_count;
static double cb_latest_ms = -1;
static u32 cb_host_peak;
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
	if (ms > cb_latest_ms) {
		if (cb_latest_ms < 0 || ms - cb_latest_ms >= CALLBACK_WINDOW_MS) memset(cb_cells, 0, (size_t)CALLBACK_WINDOW_MS * 4);
		else for (double k = cb_latest_ms + 1; k <= ms; k++) cb_cells[(i64)k & (CALLBACK_WINDOW_MS - 1)] = 0;
		cb_latest_ms = ms;
	}
	u32 *cell = cb_cells + ((i64)ms & (CALLBACK_WINDOW_MS - 1));
	if (++*cell > cb_host_peak) cb_host_peak = *cell;
}

