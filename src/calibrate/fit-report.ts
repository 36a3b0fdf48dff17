// The fit report as a table for people (and the same facts as JSON for tools).

import type { FitResult } from "./fit-host.js";

const int = (x: number) => Math.round(x).toLocaleString("en-US");
function dur(ns: number): string {
  if (!Number.isFinite(ns)) return "—";
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${Math.round(ns)} ns`;
}

export function renderFitReport(r: FitResult, out: string | undefined): string {
  const lines: string[] = [];
  const rate = r.wallMs > 0 ? (r.stats.lines / r.wallMs) * 1000 : 0;
  lines.push(`tscsim fit: ${r.stats.files} file(s), ${int(r.stats.lines)} lines (${int(r.stats.events)} events), ${int(rate)} lines/s`);
  lines.push(`  vCPU threads: ${r.vcpuThreads} · lost-events markers: ${r.lostMarkers}${r.lostMarkers > 0 ? " (open intervals dropped at each)" : ""} · truncated last lines ignored: ${r.stats.truncatedLastLines}`);
  lines.push("");
  lines.push("fitted (written to the host profile):");
  const head = ["delay", "samples", "p1", "p50", "p90", "p99", "p99.9", "form", "KS", "KS limit", "other forms (KS)"];
  const rows: string[][] = [];
  for (const d of r.delays) {
    if (d.fit === null) continue;
    const q = d.fit.quantilesNs;
    const others = d.fit.candidates.filter((c) => c !== d.fit!.chosen).map((c) => `${c.form} ${c.ks.toFixed(3)}`).join(", ");
    rows.push([d.name, int(d.fit.n < d.samples ? d.samples : d.fit.n), dur(q.p1), dur(q.p50), dur(q.p90), dur(q.p99), dur(q.p999), d.fit.chosen.form, d.fit.chosen.ks.toFixed(4), d.fit.acceptKs.toFixed(4), others]);
  }
  if (rows.length === 0) lines.push("  (none: the trace identified no host delay)");
  else {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const fmt = (row: string[]) => `  ${row.map((c, i) => (i === 0 || i >= 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`.trimEnd();
    lines.push(fmt(head));
    for (const row of rows) lines.push(fmt(row));
    lines.push("  (µs-timestamp samples are dithered by ±½ µs; the hrtimer delay comes from the ns fields expires=/now=)");
  }
  lines.push("");
  lines.push("not identified (the scenario's own values stay):");
  for (const d of r.delays) if (d.fit === null) lines.push(`  ${d.name}: ${d.reason}`);
  if (r.exitHandling.length > 0) {
    lines.push("");
    lines.push("exit handling, kvm_exit → next kvm_entry, by reason (HLT includes the halt):");
    for (const e of r.exitHandling) lines.push(`  ${e.reason.padEnd(20)} ${int(e.n).padStart(10)}  p50 ${dur(e.p50Ns).padStart(9)}  p99 ${dur(e.p99Ns).padStart(9)}`);
  }
  if (r.waitLapicExpire !== null) {
    const w = r.waitLapicExpire;
    lines.push("");
    lines.push(`kvm_wait_lapic_expire (residual at VM entry, guest cycles): ${int(w.n)} · early ${(w.earlyShare * 100).toFixed(1)} % · delta p50 ${int(w.p50Cycles)} · p99 ${int(w.p99Cycles)}`);
  }
  if (out !== undefined) {
    lines.push("");
    lines.push(`host profile: ${out} (use: tscsim run SCENARIO --host ${out}, or "host": "${out}" in a sweep file)`);
  }
  return lines.join("\n");
}

/** The report's facts as JSON (no wall time: the same traces give the same bytes). */
export function fitReportJson(r: FitResult): unknown {
  return {
    lines: r.stats.lines,
    events: r.stats.events,
    truncatedLastLines: r.stats.truncatedLastLines,
    vcpuThreads: r.vcpuThreads,
    lostMarkers: r.lostMarkers,
    haltPollWakeups: r.haltPollSeen,
    delays: Object.fromEntries(
      r.delays.map((d) => [
        d.name,
        d.fit === null
          ? { identified: false, samples: d.samples, reason: d.reason }
          : { identified: true, samples: d.samples, resolutionNs: d.resNs, quantilesNs: d.fit.quantilesNs, form: d.fit.chosen.form, ks: d.fit.chosen.ks, acceptKs: d.fit.acceptKs, candidates: d.fit.candidates.map((c) => ({ form: c.form, ks: c.ks })) },
      ]),
    ),
    exitHandling: r.exitHandling,
    waitLapicExpire: r.waitLapicExpire,
    host: r.host,
  };
}
