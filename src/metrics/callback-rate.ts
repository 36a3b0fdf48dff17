// Host-wide hrtimer callbacks per simulated ms: the storm detector (issue #3 §7).
//
// The host-wide peak is not the max of per-vCPU peaks: 1000 vCPUs firing once each in
// the same ms is a storm of 1000 that every per-vCPU counter sees as 1. So the host
// keeps a count per aligned ms, [k·1 ms, (k+1)·1 ms), for the whole run: 4 bytes per
// simulated ms (40 kB for 10 s). Keeping every bucket, rather than only the current
// one, makes the count independent of the order in which callbacks are reported, so
// shards of one host can be merged (mergeFrom) and give the same peak as one process.

const NS_PER_MS = 1_000_000;

export class CallbacksPerMs {
  private counts = new Uint32Array(1024);
  private peakCount = 0;

  /** One hrtimer callback at simulated time nowNs (>= 0). */
  record(nowNs: number): void {
    this.recordMs(Math.floor(nowNs / NS_PER_MS));
  }

  /** One callback in aligned ms number `ms` (= floor(nowNs / 10^6)). */
  recordMs(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`hrtimer callback at a negative or NaN time (ms ${ms})`);
    if (ms >= this.counts.length) this.grow(ms);
    const c = this.counts[ms]! + 1;
    this.counts[ms] = c;
    if (c > this.peakCount) this.peakCount = c;
  }

  /** Adds counts per aligned ms (index = ms), e.g. the wasm engine's. */
  addCounts(countsPerMs: Uint32Array): void {
    let last = countsPerMs.length - 1;
    while (last >= 0 && countsPerMs[last] === 0) last--;
    if (last >= this.counts.length) this.grow(last);
    for (let ms = 0; ms <= last; ms++) {
      const c = this.counts[ms]! + countsPerMs[ms]!;
      this.counts[ms] = c;
      if (c > this.peakCount) this.peakCount = c;
    }
  }

  /** The largest count in any one aligned ms; 0 with no callbacks. */
  get peak(): number {
    return this.peakCount;
  }

  /** Adds another counter's buckets (another shard of the same host). */
  mergeFrom(other: CallbacksPerMs): void {
    this.addCounts(other.counts);
  }

  private grow(ms: number): void {
    const bigger = new Uint32Array(Math.max(this.counts.length * 2, ms + 1));
    bigger.set(this.counts);
    this.counts = bigger;
  }
}
