// `tscsim schema scenario|sweep`: JSON Schema (draft 2020-12) generated from the zod
// schemas (z.toJSONSchema, input side: what a file may contain, with its defaults), for
// editors' completion and validation. The descriptions come from the key tables of
// docs/scenario-format.md (shipped with the package), so the documentation and the
// editor's hover text are one text; a test checks that every key has one. Durations and
// frequencies also say their units.

import { readFileSync } from "node:fs";
import { z } from "zod";
import { scenarioFileSchema } from "./schema.js";
import { sweepFileSchema } from "../sweep/schema.js";
import { WORKLOAD_KINDS } from "./workloads.js";

const DOCS = new URL("../../docs/scenario-format.md", import.meta.url);

type JsonSchema = { [k: string]: unknown; properties?: Record<string, JsonSchema>; items?: JsonSchema; oneOf?: JsonSchema[]; anyOf?: JsonSchema[]; description?: string; type?: unknown };

const UNITS: Record<string, string> = {
  duration: 'A duration: a string with a unit ("250ns", "200us", "1.5ms", "2s") or an integer of ns.',
  frequency: 'A frequency: a string with a unit ("2.1GHz", "2994MHz", "2100000kHz") or an integer of kHz.',
  register: 'A register: an integer or a hex string such as "0xb".',
};

/** Plain text from a table cell (markdown emphasis and code marks dropped, links to their text). */
function plain(cell: string): string {
  return cell
    .replace(/\\\|/g, "|")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/[`*]/g, "")
    .trim();
}

/**
 * Key → description from the doc's tables of `| key | type | default | notes |`: full
 * dotted keys (`host.tscKhz`, `vms.<i>.vcpus`) under their own name, and the bare keys
 * of the workload tables under `workload.<key>` (first table wins).
 */
export function docDescriptions(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let inWorkloads = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("## ")) inWorkloads = false;
    if (line.startsWith("### Workloads")) inWorkloads = true;
    const m = /^\| `([^`]+)` \|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|$/.exec(line);
    if (m === null) continue;
    const [, key, type, dflt, notes] = m as unknown as [string, string, string, string, string];
    const units = Object.entries(UNITS).find(([k]) => plain(type).startsWith(k) || plain(type).includes(` ${k}`))?.[1];
    const sentence = (t: string): string => (t === "" || /[.!?]$/.test(t) ? t : `${t}.`);
    const text = [sentence(plain(type)), sentence(plain(notes)), sentence(`Default: ${plain(dflt)}`), units ?? ""].filter((x) => x !== "").join(" ");
    const name = !key.includes(".") && inWorkloads ? `workload.${key}` : key;
    if (!out.has(name)) out.set(name, text);
  }
  return out;
}

function docs(): Map<string, string> {
  try {
    return docDescriptions(readFileSync(DOCS, "utf8"));
  } catch {
    return new Map();
  }
}

const D = UNITS.duration!;
/** Keys inside objects the doc's key tables describe as a whole (a distribution, a stall, a pause…). */
const INNER: Record<string, string> = {
  dist: 'The distribution: "fixed", "uniform", "normal", "lognormal", "empirical" or "mixture".',
  value: `fixed: always this delay. ${D}`,
  min: `uniform: the smallest delay. ${D}`,
  max: `uniform: the largest delay (≥ min). ${D}`,
  mean: `normal: the mean (draws below 0 become 0). ${D}`,
  sd: `normal: the standard deviation. ${D}`,
  median: `lognormal: the median (≥ 1 ns). ${D}`,
  p99: `lognormal: the 99th percentile (≥ median). ${D}`,
  samples: `empirical: each draw picks one of these delays uniformly (1..1,000,000). Each ${D.charAt(0).toLowerCase()}${D.slice(1)}`,
  parts: "mixture: the parts, each a non-mixture distribution plus its weight.",
  weight: "mixture part: its weight, a finite number > 0 (weights need not sum to 1).",
  every: `host stall: one stall every this long (≥ 1 ns). ${D}`,
  length: `how long the stall or pause lasts (≥ 1 ns). ${D}`,
  at: `simulated time at which it happens. ${D}`,
  tscKhz: `the destination host's TSC rate. ${UNITS.frequency}`,
  kind: `The workload: ${WORKLOAD_KINDS.map((k) => JSON.stringify(k)).join(", ")} (docs/scenario-format.md, Workloads).`,
  delays: "Host delay distributions by name (hrtimer, wakeup, vmExit, vmEntry, irqDispatch, msrExit); each key omitted keeps its default.",
  haltPoll: "Halt polling (kvm_vcpu_halt's poll loop) module parameters.",
};

/** Walks the generated schema, giving each property the description its dotted path has. */
function describe(node: JsonSchema, path: string[], d: Map<string, string>): void {
  const key = path.join(".");
  const workloadKey = path.length >= 2 && path[path.length - 2] === "workload" ? `workload.${path[path.length - 1]}` : undefined;
  const delay = path[0] === "host" && path[1] === "delays" && path.length === 3 ? "host.delays.<name>" : undefined;
  const last = path[path.length - 1] ?? "";
  const inner = path.length >= 2 && !d.has(key) ? INNER[last] : undefined;
  const text = d.get(key) ?? (workloadKey && d.get(workloadKey)) ?? (delay && d.get(delay)) ?? inner;
  if (text && node.description === undefined) node.description = text;
  for (const [k, child] of Object.entries(node.properties ?? {})) describe(child, [...path, k], d);
  if (node.items) describe(node.items, [...path, "<i>"], d);
  for (const alt of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) describe(alt, path, d);
}

/** Every property path of a JSON Schema that has no description (for the docs test). */
export function undescribed(node: JsonSchema, path: string[] = []): string[] {
  const here = path.length > 0 && node.description === undefined ? [path.join(".")] : [];
  const kids = Object.entries(node.properties ?? {}).flatMap(([k, c]) => undescribed(c, [...path, k]));
  const items = node.items ? undescribed({ ...node.items, description: "" }, [...path, "<i>"]) : [];
  const alts = [...(node.oneOf ?? []), ...(node.anyOf ?? [])].flatMap((a) => undescribed({ ...a, description: "" }, path).filter((p) => p !== path.join(".")));
  return [...here, ...kids, ...items, ...alts];
}

export function scenarioJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(scenarioFileSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const d = docs();
  d.set("$schema", "The JSON Schema this file follows (for editors: `tscsim schema scenario > scenario.schema.json`); ignored by tscsim.");
  describe(schema, [], d);
  return { ...schema, $id: "tscsim-scenario.schema.json", title: "tscsim scenario", description: "A tscsim scenario: a host, its VMs and their guest timer workloads, a kernel era and policy (docs/scenario-format.md)." };
}

export function sweepJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(sweepFileSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return { ...schema, $id: "tscsim-sweep.schema.json", title: "tscsim sweep" };
}
