// Batch kernels over BigUint64Array. Arrays from u64Array() live in wasm linear memory
// and are used in place (zero-copy); any other BigUint64Array is copied in and out.
//
// The wasm memory is a shared memory, so growing it never detaches existing views:
// a view from u64Array() stays valid until freeU64Array() releases it.

import { wasm } from "../wasm.js";
import { InputRangeError } from "../errors.js";
import { fracBits as checkFracBits, int, khz, offset, u64, u64Array as checkArray } from "./validate.js";

/** The buffers wasm.memory has exposed so far (one per growth of the shared memory). */
const wasmBuffers = new WeakSet<ArrayBufferLike>();

function currentBuffer(): ArrayBufferLike {
  const buf = wasm.memory.buffer;
  wasmBuffers.add(buf);
  return buf;
}

function inWasmMemory(view: ArrayBufferView): boolean {
  return wasmBuffers.has(view.buffer);
}

const MAX_ELEMENTS = 0x0fffffff;

/**
 * A BigUint64Array of `length` zeroed elements inside wasm memory, for zero-copy batch
 * calls. It stays valid (memory growth does not detach it) until freeU64Array().
 */
export function u64Array(length: number): BigUint64Array {
  const n = int("length", length, 0, MAX_ELEMENTS, "an element count");
  const ptr = wasm.allocBytes(Math.max(n, 1) * 8);
  const view = new BigUint64Array(currentBuffer(), ptr, n);
  view.fill(0n);
  allocations.set(view, ptr);
  return view;
}

/** A Uint8Array inside wasm memory (for batchU64ShlDivU64's overflow flags). */
export function u8Array(length: number): Uint8Array {
  const n = int("length", length, 0, MAX_ELEMENTS * 8, "an element count");
  const ptr = wasm.allocBytes(Math.max(n, 1));
  const view = new Uint8Array(currentBuffer(), ptr, n);
  view.fill(0);
  allocations.set(view, ptr);
  return view;
}

const allocations = new WeakMap<ArrayBufferView, number>();

/** Release an array from u64Array()/u8Array(); using it afterwards is undefined. */
export function freeU64Array(view: BigUint64Array | Uint8Array): void {
  const ptr = allocations.get(view);
  if (ptr === undefined) throw new InputRangeError("view", "[typed array]", "an array returned by u64Array() or u8Array() and not yet freed");
  allocations.delete(view);
  wasm.freeBytes(ptr);
}

/** A view of the same element type and length as `like`, at `ptr` in wasm memory. */
function stagingView(like: BigUint64Array | Uint8Array, ptr: number): BigUint64Array | Uint8Array {
  const buf = currentBuffer();
  return like instanceof BigUint64Array ? new BigUint64Array(buf, ptr, like.length) : new Uint8Array(buf, ptr, like.length);
}

/** Runs `kernel` on wasm pointers for the given arrays, staging copies for foreign ones. */
function withPointers(inputs: readonly BigUint64Array[], outputs: readonly (BigUint64Array | Uint8Array)[], kernel: (ptrs: number[]) => number): number {
  const staged: { view: BigUint64Array | Uint8Array; ptr: number; copyBack: boolean }[] = [];
  const ptrs: number[] = [];
  const all: [BigUint64Array | Uint8Array, boolean][] = [...inputs.map((v) => [v, false] as [BigUint64Array, boolean]), ...outputs.map((v) => [v, true] as [BigUint64Array | Uint8Array, boolean])];
  for (const [view, isOut] of all) {
    if (inWasmMemory(view)) {
      ptrs.push(view.byteOffset);
      continue;
    }
    const ptr = wasm.allocBytes(Math.max(view.byteLength, 1));
    if (!isOut) stagingView(view, ptr).set(view as never);
    staged.push({ view, ptr, copyBack: isOut });
    ptrs.push(ptr);
  }
  try {
    return kernel(ptrs);
  } finally {
    for (const s of staged) {
      if (s.copyBack) {
        s.view.set(stagingView(s.view, s.ptr) as never);
      }
      wasm.freeBytes(s.ptr);
    }
  }
}

function sameLength(field: string, view: { length: number }, n: number): void {
  if (view.length !== n) throw new InputRangeError(`${field}.length`, view.length, `${n} (the input length)`);
}

/** out[i] = mul_u64_u64_shr(a[i], b[i], shift) (§1.1). */
export function batchMulU64U64Shr(a: BigUint64Array, b: BigUint64Array, shift: number, out: BigUint64Array): void {
  const n = checkArray("a", a).length;
  sameLength("b", checkArray("b", b), n);
  sameLength("out", checkArray("out", out), n);
  const s = int("shift", shift, 0, 127);
  withPointers([a, b], [out], ([pa, pb, po]) => (wasm.batchMulU64U64Shr(pa!, pb!, s, po!, n), 0));
}

/** out[i] = u64(offset + kvm_scale_tsc(tsc[i], ratio)): kvm_read_l1_tsc over an array (§2.2). */
export function batchScaleTsc(tsc: BigUint64Array, ratio: bigint, fracBits: number, tscOffset: bigint, out: BigUint64Array): void {
  const n = checkArray("tsc", tsc).length;
  sameLength("out", checkArray("out", out), n);
  const r = u64("ratio", ratio);
  const bits = checkFracBits("fracBits", fracBits);
  const off = offset("offset", tscOffset);
  withPointers([tsc], [out], ([pt, po]) => (wasm.batchScaleTsc(pt!, r, bits, off, po!, n), 0));
}

/** out[i] = floor(u64(cycles[i]*10^6) / tscKhz) (§3.3). */
export function batchCyclesToNs(cycles: BigUint64Array, tscKhz: number, out: BigUint64Array): void {
  const n = checkArray("cycles", cycles).length;
  sameLength("out", checkArray("out", out), n);
  const k = khz("tscKhz", tscKhz);
  withPointers([cycles], [out], ([pc, po]) => (wasm.batchCyclesToNs(pc!, k, po!, n), 0));
}

/** out[i] = nsec_to_cycles(ns[i]) for a guest of tscKhz (§3.2). */
export function batchNsecToCycles(ns: BigUint64Array, tscKhz: number, out: BigUint64Array): void {
  const n = checkArray("ns", ns).length;
  sameLength("out", checkArray("out", out), n);
  const k = khz("tscKhz", tscKhz);
  withPointers([ns], [out], ([pn, po]) => (wasm.batchNsecToCycles(pn!, k, po!, n), 0));
}

/**
 * out[i] = u64_shl_div_u64(a[i], shift, divisor) (§1.4). Lanes where the kernel reports
 * overflow get out[i] = 0 and, if `overflow` is given, overflow[i] = 1. Returns the
 * number of overflowing lanes.
 */
export function batchU64ShlDivU64(a: BigUint64Array, shift: number, divisor: bigint, out: BigUint64Array, overflow?: Uint8Array): number {
  const n = checkArray("a", a).length;
  sameLength("out", checkArray("out", out), n);
  const s = int("shift", shift, 1, 63);
  const d = u64("divisor", divisor);
  if (overflow !== undefined) {
    if (!(overflow instanceof Uint8Array)) throw new InputRangeError("overflow", overflow, "a Uint8Array");
    sameLength("overflow", overflow, n);
  }
  const outs: (BigUint64Array | Uint8Array)[] = overflow ? [out, overflow] : [out];
  return withPointers([a], outs, ([pa, po, pf]) => wasm.batchU64ShlDivU64(pa!, s, d, po!, pf ?? 0, n));
}
