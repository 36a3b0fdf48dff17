// `tscsim bench`'s table: ns per element, one row per kernel, one column per form.

import type { BenchReport, Variant } from "./run.js";

const HEAD: Record<Variant, string> = { wasmBatch: "wasm batch", wasmPerCall: "wasm per call", jsBigInt: "JS BigInt", nativeC: "native C" };

function fmt(ns: number): string {
  return ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2);
}

export function renderBenchTable(r: BenchReport): string {
  const cols = Object.keys(HEAD) as Variant[];
  const rows = r.kernels.map((k) => [k.id, ...cols.map((v) => (k.variants[v].ok ? fmt(k.variants[v].nsPerElement) : "—"))]);
  const header = ["kernel (ns per element, median)", ...cols.map((c) => HEAD[c])];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const notes = new Map<string, string[]>();
  for (const k of r.kernels) {
    for (const v of cols) {
      const x = k.variants[v];
      if (!x.ok) notes.set(`${HEAD[v]}: ${x.reason}`, [...(notes.get(`${HEAD[v]}: ${x.reason}`) ?? []), k.id]);
    }
  }
  return [
    `tscsim bench · ${r.machine.cpu} (${r.machine.cpus} CPUs) · node ${r.machine.node} · tscsim ${r.tscsim.version} (${r.tscsim.wasm} wasm)`,
    `batch ${r.options.batch} elements, per-call and BigInt ${r.options.slice}; native C: ${r.native.compiler ?? `skipped (${r.native.skipped})`}`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    ...[...notes.entries()].map(([why, ids]) => `— ${why} (${ids.join(", ")})`),
  ].join("\n");
}
