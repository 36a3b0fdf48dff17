/* The event queue (assembly/sim/event_queue.ts).
 * Part of cyclictest_model.c and rearm_storm_model.c (each one translation unit: it includes the parts in order). */

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

/* The sift-up of queuePush and queuePushAs (event_queue.ts insert): (t, seq) among equal times by age. */
static inline void insert(i64 t, u32 seq, u32 payload) {
	if (size == capacity) {
		struct entry *old_block = heap_block, *old = hp;
		capacity <<= 1;
		heap_alloc(capacity);
		memcpy(hp, old, (size_t)(size + 3) * sizeof(struct entry));
		free(old_block);
	}
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
}

static u32 queue_push(i64 t, u32 payload) {
	if (t == I64_MAX) t = I64_MAX - 1;
	u32 seq = next_seq++;
	insert(t, seq, payload);
	return seq;
}

/* queueReserveSeq: the next seq, taken for an event held back outside the queue. */
static inline u32 queue_reserve_seq(void) { return next_seq++; }

/* queuePushAs: an event with a seq queue_reserve_seq gave earlier (its place among equal times). */
static inline void queue_push_as(i64 t, u32 seq, u32 payload) {
	if (t == I64_MAX) t = I64_MAX - 1;
	insert(t, seq, payload);
}

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
			/* Times decide; a tie in time (rare) compares the ages (as event_queue.ts). */
			int take1 = k[1].t < k[0].t;
			if (k[1].t == k[0].t) take1 = rel(k[1].seq) < rel(k[0].seq);
			int take3 = k[3].t < k[2].t;
			if (k[3].t == k[2].t) take3 = rel(k[3].seq) < rel(k[2].seq);
			int ca = take1 ? first + 1 : first, cb = take3 ? first + 3 : first + 2;
			int take_b = hp[cb].t < hp[ca].t;
			if (hp[cb].t == hp[ca].t) take_b = rel(hp[cb].seq) < rel(hp[ca].seq);
			int c = take_b ? cb : ca;
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

