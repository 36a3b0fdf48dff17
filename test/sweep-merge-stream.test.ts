// The streaming merge (issue #14 §8) against an in-memory reference of the documented
// rules: same id + same content = one run; ok supersedes failed; first failure kept;
// output sorted by id. fast-check draws the inputs; no simulation is needed.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeResults } from "../src/sweep/merge.js";
import { failedLine, okLine } from "../src/sweep/line.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-merge-stream-"));
let n = 0;

const lineArb = fc.record({
  id: fc.constantFrom("a1", "b2", "c3", "d4", "e5"),
  ok: fc.boolean(),
  wallMs: fc.integer({ min: 0, max: 99 }),
});

/** A run's content is a function of its id (one simulator): lines for one id agree. */
function text(l: { id: string; ok: boolean; wallMs: number }): string {
  return l.ok ? okLine(l.id, { x: l.id }, 1, `{"p99":${l.id.charCodeAt(0)}}`, l.wallMs) : failedLine(l.id, { x: l.id }, 1, "boom", l.wallMs);
}

function merged(files: string[]): string {
  const chunks: Buffer[] = [];
  mergeResults(files).writeTo((c) => chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks).toString("utf8");
}

describe("streaming merge", () => {
  test("equals the in-memory rules on any split of lines into files", () => {
    fc.assert(
      fc.property(fc.array(fc.array(lineArb, { maxLength: 8 }), { minLength: 1, maxLength: 4 }), (inputs) => {
        const files = inputs.map((lines) => {
          const f = join(dir, `in-${n++}.jsonl`);
          writeFileSync(f, lines.map((l) => `${text(l)}\n`).join(""));
          return f;
        });
        // Reference: the first line per id, replaced by the first ok line if the first was failed.
        const chosen = new Map<string, string>();
        for (const l of inputs.flat()) {
          const kept = chosen.get(l.id);
          if (kept === undefined || (kept.includes('"status":"failed"') && l.ok)) chosen.set(l.id, text(l));
        }
        const expected = [...chosen.keys()].sort().map((id) => `${chosen.get(id)}\n`).join("");
        expect(merged(files)).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  test("CRLF input lines come out as LF lines; a torn last line is left out", () => {
    const f = join(dir, "crlf.jsonl");
    writeFileSync(f, `${text({ id: "b2", ok: true, wallMs: 1 })}\r\n${text({ id: "a1", ok: true, wallMs: 2 })}\r\n{"id":"c3","par`);
    const r = mergeResults([f]);
    expect(r.inputs[0]!.torn).not.toBeNull();
    expect(merged([f])).toBe(`${text({ id: "a1", ok: true, wallMs: 2 })}\n${text({ id: "b2", ok: true, wallMs: 1 })}\n`);
  });

  test("two ok lines that disagree are refused, naming both places", () => {
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.jsonl");
    writeFileSync(a, `${okLine("a1", {}, 1, '{"p99":1}', 1)}\n`);
    writeFileSync(b, `${okLine("a1", {}, 1, '{"p99":2}', 1)}\n`);
    expect(() => mergeResults([a, b])).toThrow(/1 run with disagreeing results .*\n {2}a1 \(\{\} seed 1\): .*a\.jsonl:1 vs .*b\.jsonl:1/);
  });
});
