import { newVcpuHistogram, newAggregateHistogram } from "../src/metrics/histogram.js";
import { valuesAtPercentiles } from "../src/metrics/percentiles.js";
const cases = [["tiny (5 samples)", [3070, 4175, 8000, 12000, 18558]], ["10k samples", Array.from({ length: 10000 }, (_, i) => 2000 + ((i * 7919) % 30000))]] as const;
for (let rep = 0; rep < 2; rep++)
for (const [name, vals] of cases) {
  for (const make of [newVcpuHistogram, newAggregateHistogram]) {
    const h = make(); for (const v of vals) h.recordValue(v);
    const P = [50, 90, 99, 99.9];
    const old = () => P.map((p) => h.getValueAtPercentile(p));
    const neu = () => valuesAtPercentiles(h, P);
    const times: Record<string, number[]> = { old: [], neu: [] };
    for (let r = 0; r < 9; r++) for (const [k, f] of [["old", old], ["neu", neu]] as const) { const t = performance.now(); for (let i = 0; i < 2000; i++) f(); times[k].push((performance.now() - t) / 2000 * 1000); }
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[4];
    if (rep === 1) console.log(name, make.name, "µs per summary: old", med(times.old).toFixed(2), "new", med(times.neu).toFixed(2));
  }
}
