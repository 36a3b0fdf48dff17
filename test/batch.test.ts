// Batch kernels: element-wise equal to the scalar API (and the reference), for
// zero-copy arrays from u64Array() and for plain (copied) BigUint64Arrays; views
// survive memory growth; freeU64Array only takes arrays it handed out.

import { afterEach, describe, expect, test } from "vitest";
import fc from "fast-check";
import * as api from "../src/index.js";
import * as ref from "./reference/index.js";
import { RUNS, fracBitsAndRatio, khz, s64, shift, u64, vmxRatio } from "./arbitraries.js";
import { same } from "./helpers.js";

type Mode = "wasm" | "plain";
const mode = fc.constantFrom<Mode>("wasm", "plain");

/** Views from u64Array()/u8Array() made by the current test, freed after it. */
let owned: (BigUint64Array | Uint8Array)[] = [];
afterEach(() => {
  for (const v of owned) api.freeU64Array(v);
  owned = [];
});

function array(values: readonly bigint[], m: Mode): BigUint64Array {
  if (m === "plain") return BigUint64Array.from(values);
  const v = api.u64Array(values.length);
  v.set(values);
  owned.push(v);
  return v;
}

function outArray(n: number, m: Mode): BigUint64Array {
  return array(new Array<bigint>(n).fill(0xdeadn), m); // stale contents must be overwritten
}

/** Frees the wasm arrays of one property run (100k runs must not leak). */
function release(): void {
  for (const v of owned) api.freeU64Array(v);
  owned = [];
}

const values = fc.array(u64, { minLength: 0, maxLength: 12 });
/** Runs per function and array mode: the two modes add up to RUNS (100k), plus the 100k-element arrays below. */
const PROPERTY_RUNS = RUNS / 2;

/** Deterministic pseudo-random u64s (xorshift64*), with edge values sprinkled in. */
function bulk(n: number, seed: bigint): bigint[] {
  let x = seed;
  const edges = [0n, 1n, 2n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
  return Array.from({ length: n }, (_, i) => {
    x ^= x >> 12n;
    x = BigInt.asUintN(64, x ^ (x << 25n));
    x ^= x >> 27n;
    const r = BigInt.asUintN(64, x * 0x2545f4914f6cdd1dn);
    if (i % 17 === 0) return edges[i % edges.length]!;
    return i % 3 === 0 ? r >> BigInt(i % 64) : r; // mix of magnitudes
  });
}
const BULK = 100_003; // not a multiple of the SIMD width

describe.each(["wasm", "plain"] as const)("batch forms on %s arrays", (m) => {
  test("batchMulU64U64Shr equals mulU64U64Shr element-wise (property + 100k-element array)", () => {
    fc.assert(
      fc.property(values, fc.array(u64, { minLength: 12, maxLength: 12 }), shift(0, 127), mode, (a, bPool, s, mo) => {
        const b = bPool.slice(0, a.length);
        const out = outArray(a.length, mo);
        api.batchMulU64U64Shr(array(a, m), array(b, mo), s, out);
        same([...out], a.map((x, i) => api.mulU64U64Shr(x, b[i]!, s)), "batch vs scalar");
        same([...out], ref.batchMulU64U64Shr(a, b, s), "batch vs reference");
        release();
      }),
      { numRuns: PROPERTY_RUNS },
    );
    const a = bulk(BULK, 1n);
    const b = bulk(BULK, 2n);
    for (const s of [0, 32, 48, 64, 127]) {
      const out = outArray(BULK, m);
      api.batchMulU64U64Shr(array(a, m), array(b, m), s, out);
      expect([...out]).toEqual(ref.batchMulU64U64Shr(a, b, s));
    }
  });

  test("batchScaleTsc equals readL1Tsc element-wise (property + 100k-element array)", () => {
    fc.assert(
      fc.property(values, fracBitsAndRatio, fc.oneof(s64, u64), mode, (t, { fracBits, ratio }, off, mo) => {
        const out = outArray(t.length, mo);
        api.batchScaleTsc(array(t, m), ratio, fracBits, off, out);
        same([...out], t.map((x) => api.readL1Tsc(x, ratio, off, fracBits)), "batch vs scalar");
        same([...out], ref.batchScaleTsc(t, ratio, fracBits, off), "batch vs reference");
        release();
      }),
      { numRuns: PROPERTY_RUNS },
    );
    const t = bulk(BULK, 3n);
    for (const [ratio, bits, off] of [[0xb33333333333n, 48, -5n], [1n << 48n, 48, 123n], [0xb3333333n, 32, 0n], [(1n << 64n) - 1n, 48, (1n << 64n) - 1n]] as const) {
      const out = outArray(BULK, m);
      api.batchScaleTsc(array(t, m), ratio, bits, off, out);
      expect([...out]).toEqual(ref.batchScaleTsc(t, ratio, bits, off));
    }
  });

  test("batchCyclesToNs equals cyclesToNs element-wise (property + 100k-element array)", () => {
    fc.assert(
      fc.property(values, khz, mode, (c, k, mo) => {
        const out = outArray(c.length, mo);
        api.batchCyclesToNs(array(c, m), k, out);
        same([...out], c.map((x) => api.cyclesToNs(x, k)), "batch vs scalar");
        same([...out], ref.batchCyclesToNs(c, k), "batch vs reference");
        release();
      }),
      { numRuns: PROPERTY_RUNS },
    );
    const c = bulk(BULK, 4n);
    for (const k of [1, 2_100_000, 3_000_000, 0xffffffff]) {
      const out = outArray(BULK, m);
      api.batchCyclesToNs(array(c, m), k, out);
      expect([...out]).toEqual(ref.batchCyclesToNs(c, k));
    }
  });

  test("batchNsecToCycles equals nsecToCycles element-wise (property + 100k-element array)", () => {
    fc.assert(
      fc.property(values, khz, mode, (ns, k, mo) => {
        const out = outArray(ns.length, mo);
        api.batchNsecToCycles(array(ns, m), k, out);
        same([...out], ns.map((x) => api.nsecToCycles(x, k)), "batch vs scalar");
        same([...out], ref.batchNsecToCycles(ns, k), "batch vs reference");
        release();
      }),
      { numRuns: PROPERTY_RUNS },
    );
    const ns = bulk(BULK, 5n);
    for (const k of [1, 2_100_000, 2_345_678, 0xffffffff]) {
      const out = outArray(BULK, m);
      api.batchNsecToCycles(array(ns, m), k, out);
      expect([...out]).toEqual(ref.batchNsecToCycles(ns, k));
    }
  });

  test("batchU64ShlDivU64 equals u64ShlDivU64 element-wise, flags and counts overflows (property + 100k-element array)", () => {
    fc.assert(
      fc.property(values, shift(1, 63), fc.oneof(vmxRatio, u64), mode, fc.boolean(), (a, s, d, mo, withFlags) => {
        const out = outArray(a.length, mo);
        let flags: Uint8Array | undefined;
        if (withFlags) {
          flags = mo === "wasm" ? api.u8Array(a.length) : new Uint8Array(a.length);
          if (mo === "wasm") owned.push(flags);
          flags.fill(7); // stale contents must be overwritten
        }
        const count = api.batchU64ShlDivU64(array(a, m), s, d, out, flags);
        const scalar = a.map((x) => api.u64ShlDivU64(x, s, d));
        same([...out], scalar.map((r) => r ?? 0n), "batch vs scalar");
        same(count, scalar.filter((r) => r === undefined).length, "overflow count");
        if (flags) same([...flags], scalar.map((r) => (r === undefined ? 1 : 0)), "overflow flags");
        const expected = ref.batchU64ShlDivU64(a, s, d);
        same({ out: [...out], count }, { out: expected.out, count: expected.count }, "batch vs reference");
        release();
      }),
      { numRuns: PROPERTY_RUNS },
    );
    const a = bulk(BULK, 6n);
    for (const d of [0xb33333333333n, 1n << 48n, 1n, (1n << 64n) - 1n]) {
      const out = outArray(BULK, m);
      const flags = m === "wasm" ? api.u8Array(BULK) : new Uint8Array(BULK);
      if (m === "wasm") owned.push(flags);
      const count = api.batchU64ShlDivU64(array(a, m), 48, d, out, flags);
      const expected = ref.batchU64ShlDivU64(a, 48, d);
      expect(count).toBe(expected.count);
      expect([...out]).toEqual(expected.out);
      expect([...flags]).toEqual(expected.overflow);
    }
  });

  test("empty arrays are fine", () => {
    const out = outArray(0, m);
    api.batchNsecToCycles(array([], m), 2_100_000, out);
    expect(out.length).toBe(0);
    expect(api.batchU64ShlDivU64(array([], m), 48, 1n, outArray(0, m))).toBe(0);
  });
});

describe("u64Array memory (zero-copy views)", () => {
  test("views stay valid after 64 MiB of further allocations (memory growth)", () => {
    const early = api.u64Array(1000);
    owned.push(early);
    const pattern = bulk(1000, 7n);
    early.set(pattern);
    const bufferBefore = early.buffer.byteLength;

    const big: BigUint64Array[] = [];
    for (let i = 0; i < 8; i++) {
      const chunk = api.u64Array(1 << 20); // 8 MiB each, 64 MiB in all
      chunk[0] = BigInt(i);
      chunk[chunk.length - 1] = BigInt(i) << 32n;
      big.push(chunk);
      owned.push(chunk);
    }
    const late = api.u64Array(16);
    owned.push(late);
    expect(late.buffer.byteLength).toBeGreaterThan(bufferBefore); // the memory really grew
    expect(late.buffer.byteLength).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(new Set([early, ...big, late].map((v) => v.byteOffset)).size).toBe(10); // distinct blocks

    // old views still read what was written, and still write through
    expect([...early]).toEqual(pattern);
    big.forEach((chunk, i) => {
      expect(chunk[0]).toBe(BigInt(i));
      expect(chunk[chunk.length - 1]).toBe(BigInt(i) << 32n);
    });
    early[3] = 0x1234_5678_9abc_def0n;
    expect(early[3]).toBe(0x1234_5678_9abc_def0n);

    // and old views are still zero-copy operands of the batch kernels
    const out = api.u64Array(1000);
    owned.push(out);
    api.batchCyclesToNs(early, 2_100_000, out);
    expect([...out]).toEqual(ref.batchCyclesToNs([...early], 2_100_000));
    api.batchNsecToCycles(early, 3_000_000, early); // in place, on a pre-growth view
    expect([...early]).toEqual(ref.batchNsecToCycles([...pattern.slice(0, 3), 0x1234_5678_9abc_def0n, ...pattern.slice(4)], 3_000_000));
  });

  test("allocations are zeroed and distinct", () => {
    const a = api.u64Array(8);
    const b = api.u64Array(8);
    owned.push(a, b);
    expect([...a]).toEqual(new Array(8).fill(0n));
    a.fill(5n);
    expect([...b]).toEqual(new Array(8).fill(0n));
    const f = api.u8Array(5);
    owned.push(f);
    expect([...f]).toEqual([0, 0, 0, 0, 0]);
  });

  test("freed memory is reused without corrupting live views", () => {
    const keep = api.u64Array(64);
    owned.push(keep);
    keep.fill(42n);
    for (let i = 0; i < 1000; i++) api.freeU64Array(api.u64Array(1 + (i % 97)));
    expect([...keep]).toEqual(new Array(64).fill(42n));
  });

  test("freeU64Array rejects a foreign array and a double free", () => {
    expect(() => api.freeU64Array(new BigUint64Array(4))).toThrow(api.InputRangeError);
    expect(() => api.freeU64Array(new BigUint64Array(4))).toThrow(/view/);
    expect(() => api.freeU64Array(new Uint8Array(4))).toThrow(api.InputRangeError);
    const v = api.u64Array(4);
    api.freeU64Array(v);
    expect(() => api.freeU64Array(v)).toThrow(api.InputRangeError);
    // a subarray of a wasm array is not itself an allocation
    const w = api.u64Array(8);
    owned.push(w);
    expect(() => api.freeU64Array(w.subarray(2))).toThrow(api.InputRangeError);
  });

  test("length mismatches and wrong array types are rejected, naming the argument", () => {
    const a = BigUint64Array.of(1n, 2n, 3n);
    expect(() => api.batchMulU64U64Shr(a, BigUint64Array.of(1n), 0, new BigUint64Array(3))).toThrow(/^b\.length = 1 /);
    expect(() => api.batchCyclesToNs(a, 1000, new BigUint64Array(2))).toThrow(/^out\.length = 2 /);
    expect(() => api.batchNsecToCycles([1n, 2n] as never, 1000, new BigUint64Array(2))).toThrow(api.InputTypeError);
    expect(() => api.batchNsecToCycles([1n, 2n] as never, 1000, new BigUint64Array(2))).toThrow(/^ns = /);
    expect(() => api.batchScaleTsc(a, 1n << 48n, 48, 0n, new BigInt64Array(3) as never)).toThrow(api.InputTypeError);
    expect(() => api.batchU64ShlDivU64(a, 48, 1n, new BigUint64Array(3), new Uint8Array(2))).toThrow(/^overflow\.length = 2 /);
    expect(() => api.batchU64ShlDivU64(a, 0, 1n, new BigUint64Array(3))).toThrow(/^shift = 0 /);
    expect(() => api.batchScaleTsc(a, 1n << 48n, 40, 0n, new BigUint64Array(3))).toThrow(/^fracBits = 40 /);
    expect(() => api.u64Array(-1)).toThrow(api.InputRangeError);
    expect(() => api.u64Array(1.5)).toThrow(/^length = 1.5 /);
  });
});
