// A byte buffer that formats ASCII text without building strings, flushed to a file
// descriptor when full: `--trace` writes hundreds of bytes per simulated interrupt, and
// string concatenation per line would cost more than the simulation itself.

import { writeSync } from "node:fs";

const SIZE = 1 << 20;
/** Room one formatted line may need at most (the longest is kvm_exit, under 200 bytes). */
const LINE_ROOM = 512;

/** ASCII bytes of a string (the trace's fixed fragments are ASCII). */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0x7f;
  return b;
}

export class ByteOut {
  private readonly buf = new Uint8Array(SIZE);
  pos = 0;
  /** Bytes written to the descriptor so far. */
  written = 0;
  constructor(private readonly fd: number) {}

  /** Makes room for one more line. */
  room(): void {
    if (this.pos > SIZE - LINE_ROOM) this.flush();
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.written += this.pos;
    this.pos = 0;
  }

  bytes(b: Uint8Array): void {
    // A loop beats TypedArray.set for the short fragments a line is made of.
    const buf = this.buf;
    let p = this.pos;
    const n = b.length;
    if (n > 64) buf.set(b, p);
    else for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
    this.pos = p + n;
  }

  /** Copies what was written since `start` into `into` (from 0); returns its length. */
  copySince(start: number, into: Uint8Array): number {
    const n = this.pos - start;
    for (let i = 0; i < n; i++) into[i] = this.buf[start + i]!;
    return n;
  }

  /** The first `n` bytes of `b`. */
  bytesN(b: Uint8Array, n: number): void {
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
    this.pos = p + n;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A whole number >= 0 in decimal. */
  uint(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 48 + n;
      return;
    }
    if (n <= 0x7fffffff) {
      // Int32 arithmetic: several times faster than Math.floor on doubles.
      let digits = 0;
      for (let m = n | 0; m !== 0; m = (m / 10) | 0) digits++;
      let p = this.pos + digits;
      this.pos = p;
      for (let m = n | 0; m !== 0; m = (m / 10) | 0) buf[--p] = 48 + (m % 10);
      return;
    }
    let digits = 0;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) buf[--p] = 48 + (m % 10);
  }

  /** A whole number in decimal, with a minus sign when negative. */
  int(n: number): void {
    if (n < 0) {
      this.buf[this.pos++] = 45;
      this.uint(-n);
    } else this.uint(n);
  }

  /** A whole number >= 0 in exactly `width` decimal digits (zero-padded). */
  padded(n: number, width: number): void {
    const buf = this.buf;
    let p = this.pos + width;
    this.pos = p;
    let m = n | 0; // callers pass values below 10^9
    for (let i = 0; i < width; i++, m = (m / 10) | 0) buf[--p] = 48 + (m % 10);
  }

  /** A whole number >= 0 in lower-case hex. */
  hex(n: number): void {
    if (n === 0) {
      this.buf[this.pos++] = 48;
      return;
    }
    let digits = 0;
    for (let m = n; m >= 1; m = Math.floor(m / 16)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    for (let m = n; m >= 1; m = Math.floor(m / 16)) {
      const d = m % 16;
      this.buf[--p] = d < 10 ? 48 + d : 87 + d;
    }
  }
}
