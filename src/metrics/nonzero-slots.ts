// Finding the next slot that holds a count in a histogram's counts array. A latency
// histogram has ~8,000 slots and, in a short run, a handful of them in use: walking
// slot by slot to sum or to find percentiles was most of what a 1 ms run did after
// simulating, and enough for V8 to compile the walks with TurboFan in the middle of a
// command (docs/performance.md, start-up). Runs of zeros are skipped a block at a time
// with Buffer#compare (memcmp) against a block of zero bytes.

/** Bytes compared at a time: 128 32-bit counts or 64 float counts. */
const BLOCK_BYTES = 512;
const ZEROS = Buffer.alloc(BLOCK_BYTES);

export type CountsArray = Int32Array | Float64Array | Uint32Array | Float32Array | Int16Array | Uint16Array | Uint8Array | Int8Array;

/** A walker over one counts array: next(i) is the first index >= i whose count is not 0, or `length`. */
export function nonZeroSlots(counts: CountsArray, length: number): (i: number) => number {
  const bytes = Buffer.from(counts.buffer, counts.byteOffset, Math.min(length, counts.length) * counts.BYTES_PER_ELEMENT);
  const perBlock = BLOCK_BYTES / counts.BYTES_PER_ELEMENT;
  const end = Math.min(length, counts.length);
  return (i) => {
    while (i < end) {
      // A whole block of zeros (all bits 0: +0 counts) is passed over at once.
      if (i % perBlock === 0 && i + perBlock <= end) {
        const at = i * counts.BYTES_PER_ELEMENT;
        if (bytes.compare(ZEROS, 0, BLOCK_BYTES, at, at + BLOCK_BYTES) === 0) {
          i += perBlock;
          continue;
        }
      }
      if (counts[i] !== 0) return i;
      i++;
    }
    return length;
  };
}
