// Host-wide hrtimer callbacks per simulated ms: the storm detector (issue #3 §7).
//
// The host-wide peak is not the max of per-vCPU peaks: 1000 vCPUs firing once each in
// the same ms is a storm of 1000 that every per-vCPU counter sees as 1. So the host
// counts per aligned ms, [k·1 ms, (k+1)·1 ms), and keeps the largest count.
//
// Only the last WINDOW_MS ms are kept, in a ring (4 kB whatever the run's length: a
// count per ms of the whole run grew with simulated time, 84 MB at 1,000 s — issue #13).
// That is exact because both engines report callbacks in simulated-time order (their
// event loops pop events in time order, and the wasm engine's log is replayed in its
// order): a count only grows while its ms is current. A callback may still come up to
// WINDOW_MS - 1 ms behind the latest one reported and count exactly; one further behind
// is a broken invariant (RangeError), never a silent miscount. The wasm engine keeps the
// same ring (assembly/sim/metrics_callback_ring.ts) and hands it over (mergeWindow).

const NS_PER_MS = 1_000_000;
/** The ring's length in ms (a power of two). */
export const CALLBACK_WINDOW_MS = 1024;
const MASK = CALLBACK_WINDOW_MS - 1;

export class CallbacksPerMs {
  /** counts[ms & MASK]: callbacks in aligned ms number ms, for ms in (latest - WINDOW, latest]. */
  private readonly counts = new Uint32Array(CALLBACK_WINDOW_MS);
  /** The latest ms with a callback; -1 before the first. */
  private latest = -1;
  private peakCount = 0;

  /** One hrtimer callback at simulated time nowNs (>= 0). */
  record(nowNs: number): void {
    this.recordMs(Math.floor(nowNs / NS_PER_MS));
  }

  /** One callback in aligned ms number `ms` (= floor(nowNs / 10^6)). */
  recordMs(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`hrtimer callback at a negative or NaN time (ms ${ms})`);
    this.advanceTo(ms);
    const i = ms & MASK;
    const c = this.counts[i]! + 1;
    this.counts[i] = c;
    if (c > this.peakCount) this.peakCount = c;
  }

  /** The largest count in any one aligned ms; 0 with no callbacks. */
  get peak(): number {
    return this.peakCount;
  }

  /**
   * Adds another counter's window (another shard of the host, or the wasm engine's ring:
   * `cells[ms & (WINDOW - 1)]` for ms in (latestMs - WINDOW, latestMs], and its peak).
   * Exact when one side has counted nothing (the wasm engine's hand-over) or both
   * windows cover the same ms; otherwise a ms whose callbacks both sides counted but
   * that left the merged window adds up only where the windows overlap.
   */
  mergeWindow(cells: Uint32Array, latestMs: number, peak: number): void {
    if (cells.length !== CALLBACK_WINDOW_MS) throw new RangeError(`a callbacks window of ${cells.length} cells, not ${CALLBACK_WINDOW_MS}`);
    if (latestMs < 0) return;
    this.peakCount = Math.max(this.peakCount, peak);
    this.advanceTo(Math.max(this.latest, latestMs));
    for (let ms = Math.max(0, latestMs - MASK); ms <= latestMs; ms++) {
      const add = cells[ms & MASK]!;
      if (add === 0 || ms <= this.latest - CALLBACK_WINDOW_MS) continue;
      const c = this.counts[ms & MASK]! + add;
      this.counts[ms & MASK] = c;
      if (c > this.peakCount) this.peakCount = c;
    }
  }

  /** Adds another counter's window and peak (see mergeWindow). */
  mergeFrom(other: CallbacksPerMs): void {
    this.mergeWindow(other.counts, other.latest, other.peakCount);
  }

  /** Moves the window to end at ms when ms is later; rejects an ms that left it. */
  private advanceTo(ms: number): void {
    const latest = this.latest;
    if (ms <= latest) {
      if (ms <= latest - CALLBACK_WINDOW_MS) {
        throw new RangeError(`hrtimer callback in ms ${ms}, more than ${CALLBACK_WINDOW_MS - 1} ms before one already counted (ms ${latest}): callbacks must be reported in time order`);
      }
      return;
    }
    // The ms between the old latest and the new one start at 0.
    if (latest < 0 || ms - latest >= CALLBACK_WINDOW_MS) this.counts.fill(0);
    else for (let k = latest + 1; k <= ms; k++) this.counts[k & MASK] = 0;
    this.latest = ms;
  }
}
