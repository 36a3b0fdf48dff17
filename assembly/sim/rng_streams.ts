// Seeded random streams in linear memory: xoshiro128** (Blackman & Vigna), 16 bytes of
// state per stream. src/sim/rng.ts derives each stream's state from (seed, vm, vcpu,
// purpose) (architecture.md, "Determinism") and is the reference: a test checks these
// draws against its Xoshiro128ss bit for bit.

let streamsPtr: usize = 0;

const TWO_POW_M53: f64 = 1.0 / 9007199254740992.0;

/** Frees the streams (simMemoryReserve). */
export function rngStreamsRelease(): void {
  if (streamsPtr != 0) heap.free(streamsPtr);
  streamsPtr = 0;
}

/** Bytes rngStreamsInit allocates for n streams (simMemoryReserve). */
export function rngStreamsBytes(n: i32): usize {
  return usize(max(n, 1)) << 4;
}

/** Allocates n streams (zeroed) and returns their address, for the host to seed. */
export function rngStreamsInit(n: i32): usize {
  rngStreamsRelease();
  const bytes = rngStreamsBytes(n);
  streamsPtr = heap.alloc(bytes);
  memory.fill(streamsPtr, 0, bytes);
  return streamsPtr;
}

/** A uniform u32 from stream i. */
// @ts-ignore: decorator
@inline
export function rngNextU32(i: i32): u32 {
  const b = streamsPtr + (usize(i) << 4);
  const s0 = load<u32>(b);
  const s1 = load<u32>(b, 4);
  const s2 = load<u32>(b, 8) ^ s0;
  const s3 = load<u32>(b, 12) ^ s1;
  const result = rotl<u32>(s1 * 5, 7) * 9;
  store<u32>(b, s0 ^ s3);
  store<u32>(b, s1 ^ s2, 4);
  store<u32>(b, s2 ^ (s1 << 9), 8);
  store<u32>(b, rotl<u32>(s3, 11), 12);
  return result;
}

/** A uniform float in [0, 1) with 53 random bits: the top 27 and 26 bits of two draws. */
// @ts-ignore: decorator
@inline
export function rngNextFloat(i: i32): f64 {
  const hi = rngNextU32(i) >>> 5;
  const lo = rngNextU32(i) >>> 6;
  return (f64(hi) * 67108864.0 + f64(lo)) * TWO_POW_M53;
}

/** Exported form of rngNextU32, for the differential test. */
export function rngDrawU32(i: i32): u32 {
  return rngNextU32(i);
}

export function rngDrawFloat(i: i32): f64 {
  return rngNextFloat(i);
}

/** Where the streams lie (the bench's native model copies them: sim/bench_probe.ts). */
export function rngStreamsPtr(): usize {
  return streamsPtr;
}
