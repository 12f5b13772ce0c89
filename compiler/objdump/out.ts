// The listing's output buffer: takes text, integers and raw bytes and produces UTF-8 chunks of
// about 64 KiB for a `write` callback, so a 10^5-instruction listing never becomes one string and
// its lines are not built as intermediate strings.
import type { TextSink } from "../isa/print.js";

const HEXDIGITS = "0123456789abcdef";
/** Byte → its two hex digits' character codes, at [2b] and [2b+1]. */
const HEX2 = new Uint8Array(512).map((_, k) => HEXDIGITS.charCodeAt(k & 1 ? (k >> 1) & 15 : k >> 5));
const CHUNK = 1 << 16;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class ByteOut implements TextSink {
  private buf = new Uint8Array(CHUNK * 2);
  private len = 0;

  constructor(private readonly write: (s: string) => void) {}

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Hands what is buffered to `write` once it holds a chunk (or always, with `all`). */
  flush(all = false): void {
    if (this.len < CHUNK && !(all && this.len > 0)) return;
    this.write(decoder.decode(this.buf.subarray(0, this.len)));
    this.len = 0;
  }

  text(s: string): void {
    const n = s.length;
    this.room(n * 3);
    const b = this.buf;
    let at = this.len;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) {
        this.len = at + encoder.encodeInto(s.slice(k), b.subarray(at)).written!;
        return;
      }
      b[at++] = c;
    }
    this.len = at;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  /** As print.ts `num` prints a safe integer: decimal, or `0x…` / `-0x…` in hex. */
  num(v: number, hex: boolean): void {
    if (!Number.isSafeInteger(v))
      return this.text(hex ? (v < 0 ? "-0x" + (-v).toString(16) : "0x" + v.toString(16)) : String(v));
    this.room(24);
    const b = this.buf;
    if (v < 0) {
      b[this.len++] = 45; // -
      v = -v;
    }
    if (hex) {
      b[this.len++] = 48; // 0
      b[this.len++] = 120; // x
    }
    const base = hex ? 16 : 10;
    let digits = 1;
    for (let x = v; x >= base; x = Math.floor(x / base)) digits++;
    let at = this.len + digits;
    this.len = at;
    do {
      b[--at] = HEXDIGITS.charCodeAt(v % base);
      v = Math.floor(v / base);
    } while (v > 0);
  }

  /** `n` right-aligned in `width` columns (objdump's slot column). */
  padded(n: number, width: number): void {
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.room(width + digits);
    for (let k = digits; k < width; k++) this.buf[this.len++] = 32;
    this.num(n, false);
  }

  /** `n` as 16 hex digits (addresses). */
  hex16(n: number): void {
    this.text(n.toString(16).padStart(16, "0"));
  }

  /** Raw bytes as `xx xx …`. */
  hexBytes(data: Uint8Array, start: number, end: number): void {
    this.room((end - start) * 3);
    const b = this.buf;
    let at = this.len;
    for (let k = start; k < end; k++) {
      if (k > start) b[at++] = 32;
      const x = data[k] << 1;
      b[at++] = HEX2[x];
      b[at++] = HEX2[x + 1];
    }
    this.len = at;
  }
}
