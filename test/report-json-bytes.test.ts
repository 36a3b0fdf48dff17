// The JSON writer's byte buffer (src/report/json-bytes.ts): numbers exactly as String()
// writes them, text as UTF-8, and the same bytes whatever the chunk size.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { fragment, JsonBytes, jsonBytesText } from "../src/report/json-bytes.js";

/** What `write` puts into a JsonBytes of `chunkBytes`, and the chunks it handed over. */
function written(chunkBytes: number, write: (out: JsonBytes) => void): { text: string; chunks: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  const out = new JsonBytes((c) => chunks.push(c), chunkBytes);
  write(out);
  out.end();
  return { text: Buffer.concat(chunks).toString("utf8"), chunks };
}

/** json.ts's scalar rule. */
const expected = (x: number): string => (Number.isFinite(x) ? String(x) : "null");

const EDGES = [0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 2 ** 53 + 2, 1e21, 1e-7, 123456789012345680000, 0.1, -5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity];

describe("JsonBytes", () => {
  test("numbers: String(x) for finite ones, null otherwise (edges of the digit loops included)", () => {
    for (const x of EDGES) expect(written(64, (o) => o.num(x)).text).toBe(expected(x));
    for (let p = 1; p < 1e16; p *= 10) for (const x of [p - 1, p, p + 1, -p]) expect(written(64, (o) => o.num(x)).text).toBe(expected(x));
  });

  test("any double or safe integer, as String() writes it", () => {
    const num = fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger(), fc.integer({ min: -1e6, max: 1e6 }));
    fc.assert(
      fc.property(num, (x) => {
        expect(written(64, (o) => o.num(x)).text).toBe(expected(x));
      }),
    );
  });

  test("a document of numbers, text and fragments: the same bytes in chunks of any size, each at most the chunk size unless one piece is larger", () => {
    const piece = fc.oneof(
      fc.double().map((x) => ({ num: x })),
      fc.string({ unit: "binary", maxLength: 12 }).map((s) => ({ text: JSON.stringify(s) })),
      fc.string({ maxLength: 40 }).map((s) => ({ frag: s })),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.integer({ min: 1, max: 200 }), (pieces, chunkBytes) => {
        const write = (o: JsonBytes): void => {
          for (const p of pieces) {
            if ("num" in p) o.num(p.num);
            else if ("text" in p) o.text(p.text);
            else o.frag(fragment(p.frag));
          }
        };
        const want = pieces.map((p) => ("num" in p ? expected(p.num) : "text" in p ? p.text : p.frag)).join("");
        const { text, chunks } = written(chunkBytes, write);
        expect(text).toBe(want);
        expect(jsonBytesText(write)).toBe(want);
        // A chunk is larger than asked only when one piece needs more room (a number 32 bytes, text 3 per UTF-16 unit).
        const room = Math.max(chunkBytes, 32, ...pieces.map((p) => ("text" in p ? 3 * p.text.length : "frag" in p ? fragment(p.frag).length : 0)));
        for (const c of chunks) expect(c.length).toBeLessThanOrEqual(room);
        expect(chunks.every((c) => c.length > 0)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  test("handed-over chunks are never written again", () => {
    const chunks: Uint8Array[] = [];
    const out = new JsonBytes((c) => chunks.push(c), 8);
    for (let i = 0; i < 20; i++) out.num(i);
    out.end();
    const copies = chunks.map((c) => Buffer.from(c).toString("latin1"));
    out.num(123456);
    out.end();
    expect(chunks.slice(0, copies.length).map((c) => Buffer.from(c).toString("latin1"))).toEqual(copies);
    expect(Buffer.concat(chunks).toString("latin1")).toBe(Array.from({ length: 20 }, (_, i) => String(i)).join("") + "123456");
  });
});
