// The bytes of a JSON document as it is written, in chunks (issue #13 target 3).
//
// A 10^5-vCPU result is ~100 MB of pretty JSON. Built as strings, each vCPU's text was
// ~150 concatenations and ~60 number strings that lived until a megabyte of them was
// joined, flattened and encoded again for the write: most of the results' CPU time was
// that garbage and the copies. Here the text goes into a byte buffer as it is made:
// fixed text (keys, indents, punctuation) as pre-encoded fragments, integers as digits
// written in place, other numbers and strings encoded once. Each full buffer is handed
// over and a new one taken (never reused: a consumer may keep it, e.g. a pending
// stream write).

/** Bytes per chunk: each write worth its call, and a chunk at most a few MB however large the document. */
const CHUNK_BYTES = 1 << 20;
/** Longest text of a number: String(-Number.MIN_VALUE) is "-5e-324"; a 17-digit mantissa with "e+308" and signs is ~25. */
const NUMBER_MAX_BYTES = 32;
/** Integers written as digits here: |x| <= 2^53 (String(x) is then its exact decimal digits, no exponent). */
const SAFE = Number.MAX_SAFE_INTEGER;

const encoder = new TextEncoder();

/** Fixed text encoded once (JSON's fixed text is ASCII; other text goes through `text`). */
export function fragment(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Fixed text around k numbers: k + 1 pre-encoded parts (JsonBytes.fill). */
export interface Template {
  parts: readonly Uint8Array[];
  /** The parts' bytes in all. */
  bytes: number;
}

/** A Template from its text, `slot` marking where each number goes. */
export function template(text: string, slot: string): Template {
  const parts = text.split(slot).map(fragment);
  return { parts, bytes: parts.reduce((n, p) => n + p.length, 0) };
}

export class JsonBytes {
  private buf: Buffer;
  private used = 0;

  /** `flush` receives each chunk, whose bytes it may keep: this writer never touches them again. */
  constructor(
    private readonly flush: (chunk: Uint8Array) => void,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Room for n more bytes: hands over what is written when they would not fit. */
  private room(n: number): void {
    if (this.used + n > this.buf.length) {
      this.end();
      if (n > this.chunkBytes) this.buf = Buffer.allocUnsafe(n);
    }
  }

  /** Pre-encoded text (fragment()). */
  frag(f: Uint8Array): void {
    const n = f.length;
    this.room(n);
    const buf = this.buf;
    let at = this.used;
    // Most fragments are a few bytes: a loop beats the native call of buf.set.
    if (n <= 32) for (let k = 0; k < n; k++) buf[at++] = f[k]!;
    else {
      buf.set(f, at);
      at += n;
    }
    this.used = at;
  }

  /** Any text, UTF-8. */
  text(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const max = 3 * s.length;
    if (max > this.chunkBytes) {
      this.end();
      this.flush(Buffer.from(s, "utf8"));
      return;
    }
    this.room(max);
    this.used += this.buf.write(s, this.used, "utf8");
  }

  /**
   * A number by json.ts's scalar rule: String(x) for finite numbers, null for NaN and
   * ±Infinity (and for anything that is not a number, as the template writer always did).
   */
  num(x: number): void {
    this.room(NUMBER_MAX_BYTES);
    this.numInRoom(x);
  }

  /** num, with the room for it made. */
  private numInRoom(x: number): void {
    const buf = this.buf;
    if (!Number.isFinite(x)) {
      // "null"
      buf[this.used] = 0x6e;
      buf[this.used + 1] = 0x75;
      buf[this.used + 2] = 0x6c;
      buf[this.used + 3] = 0x6c;
      this.used += 4;
      return;
    }
    if (!(Math.floor(x) === x && x >= -SAFE && x <= SAFE)) {
      // A fraction or a large value: V8's shortest round-trip text.
      this.used += buf.write(String(x), this.used, "latin1");
      return;
    }
    let at = this.used;
    // -0 is written "0", as String(-0) is.
    if (x < 0) {
      buf[at++] = 0x2d;
      x = -x;
    }
    let digits = 1;
    for (let p = 10; p <= x; p *= 10) digits++;
    at += digits;
    this.used = at;
    if (x <= 0x7fffffff) {
      let v = x | 0;
      do {
        const q = (v / 10) | 0;
        buf[--at] = 0x30 + v - 10 * q;
        v = q;
      } while (v !== 0);
    } else {
      do {
        const q = Math.floor(x / 10);
        buf[--at] = 0x30 + (x - 10 * q);
        x = q;
      } while (x !== 0);
    }
  }

  /**
   * parts[0], values[0], parts[1], ..., values[k-1], parts[k]: a template's fixed text
   * (pre-encoded) around its numbers (num's rule), with one check for room.
   */
  fill(t: Template, values: readonly number[]): void {
    const parts = t.parts;
    this.room(t.bytes + NUMBER_MAX_BYTES * values.length);
    const buf = this.buf;
    let at = this.used;
    for (let k = 0; ; k++) {
      const f = parts[k]!;
      for (let j = 0; j < f.length; j++) buf[at++] = f[j]!;
      if (k === values.length) break;
      this.used = at;
      this.numInRoom(values[k]!);
      at = this.used;
    }
    this.used = at;
  }

  /** Hands over what is written so far (nothing when empty); the next bytes go into a new chunk. */
  end(): void {
    if (this.used === 0) return;
    this.flush(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    this.used = 0;
  }
}

/** The text `write` produces into a JsonBytes, as one string (for documents that fit in one). */
export function jsonBytesText(write: (out: JsonBytes) => void): string {
  const chunks: Uint8Array[] = [];
  const out = new JsonBytes((c) => chunks.push(c), 1 << 16);
  write(out);
  out.end();
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength).toString("utf8") : Buffer.concat(chunks).toString("utf8");
}
