// Where each vCPU thread (and each inner host CPU, one level down) runs: vms.<i>.pin and
// host.outer.pin, lists or "spread". "spread" puts each unpinned thread, in index order, on
// the CPU with the fewest threads so far (the lowest index on a tie), after the pinned
// ones: two VMs of 4 vCPUs on 4 CPUs share each CPU once.

/** CPU of each of `counts.length` groups' threads; `pins[g]` a list or "spread". */
export function placeThreads(cpus: number, groups: readonly { count: number; pin: readonly number[] | "spread" }[]): Int32Array {
  const total = groups.reduce((n, g) => n + g.count, 0);
  const cpuOf = new Int32Array(total);
  const load = new Float64Array(cpus);
  let at = 0;
  const spread: number[] = [];
  for (const g of groups) {
    for (let k = 0; k < g.count; k++, at++) {
      if (g.pin === "spread") spread.push(at);
      else {
        cpuOf[at] = g.pin[k]!;
        load[g.pin[k]!]!++;
      }
    }
  }
  if (spread.length === 0) return cpuOf;
  if (spread.length === total) {
    // Nothing pinned: round robin is the fewest-first rule, without a search.
    for (let i = 0; i < total; i++) cpuOf[i] = i % cpus;
    return cpuOf;
  }
  // A binary heap of CPUs keyed by (threads, index).
  const heap = Array.from({ length: cpus }, (_, c) => c).sort((a, b) => load[a]! - load[b]! || a - b);
  const less = (a: number, b: number): boolean => load[a]! < load[b]! || (load[a] === load[b] && a < b);
  for (const t of spread) {
    const c = heap[0]!;
    cpuOf[t] = c;
    load[c]!++;
    // Sift the root down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < cpus && less(heap[l]!, heap[m]!)) m = l;
      if (r < cpus && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return cpuOf;
}
