// Byte-level I/O for the ELF/BTF writers and readers. ByteWriter appends little-endian values into
// one growable buffer (reserve a field, patch it later); ByteReader does bounds-checked reads that
// throw ElfFormatError naming what was being read and where.

/** A malformed or truncated object file. The message names the offset (hex). */
export class ElfFormatError extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
  ) {
    super(`${what} at offset 0x${Math.max(0, offset).toString(16)}`);
    this.name = "ElfFormatError";
  }
}

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private grow(n: number): number {
    const at = this.len;
    const need = at + n;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.len = need;
    return at;
  }

  /** Appends `n` bytes to be filled in through `dataView` at the returned offset. */
  reserve(n: number): number {
    return this.grow(n);
  }
  get dataView(): DataView {
    return this.view;
  }

  u8(v: number): number {
    const at = this.grow(1);
    this.view.setUint8(at, v & 0xff);
    return at;
  }
  u16(v: number): number {
    const at = this.grow(2);
    this.view.setUint16(at, v & 0xffff, true);
    return at;
  }
  u32(v: number): number {
    const at = this.grow(4);
    this.view.setUint32(at, v >>> 0, true);
    return at;
  }
  i32(v: number): number {
    const at = this.grow(4);
    this.view.setInt32(at, v | 0, true);
    return at;
  }
  u64(v: number | bigint): number {
    const at = this.grow(8);
    if (typeof v === "number" && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      this.view.setUint32(at, v >>> 0, true);
      this.view.setUint32(at + 4, Math.floor(v / 0x100000000), true);
    } else this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
    return at;
  }
  bytes(b: Uint8Array): number {
    const at = this.grow(b.length);
    if (b.length <= 16)
      for (let k = 0; k < b.length; k++) this.buf[at + k] = b[k]; // cheaper than set() for an instruction
    else this.buf.set(b, at);
    return at;
  }
  /** NUL-terminated UTF-8 string. */
  cstr(s: string): number {
    if (!isAscii(s)) {
      const at = this.bytes(utf8Encoder.encode(s));
      this.u8(0);
      return at;
    }
    const at = this.grow(s.length + 1);
    for (let k = 0; k < s.length; k++) this.buf[at + k] = s.charCodeAt(k);
    this.buf[at + s.length] = 0;
    return at;
  }
  zeros(n: number): number {
    const at = this.grow(n);
    this.buf.fill(0, at, at + n);
    return at;
  }
  /** Pad with zeros to a multiple of `a`. */
  align(a: number): number {
    if (a > 1) this.zeros((a - (this.len % a)) % a);
    return this.len;
  }

  patchU16(at: number, v: number): void {
    this.view.setUint16(at, v & 0xffff, true);
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
  patchU64(at: number, v: number | bigint): void {
    this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class ByteReader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws unless [off, off+n) lies inside the buffer. */
  check(off: number, n: number, what: string): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(n) || off < 0 || n < 0 || off + n > this.bytes.length)
      throw new ElfFormatError(`truncated ${what}`, this.base + (Number.isSafeInteger(off) ? off : this.bytes.length));
  }
  u8(off: number, what: string): number {
    this.check(off, 1, what);
    return this.view.getUint8(off);
  }
  u16(off: number, what: string): number {
    this.check(off, 2, what);
    return this.view.getUint16(off, true);
  }
  u32(off: number, what: string): number {
    this.check(off, 4, what);
    return this.view.getUint32(off, true);
  }
  i32(off: number, what: string): number {
    this.check(off, 4, what);
    return this.view.getInt32(off, true);
  }
  /** A 64-bit field as a number; values above 2^53 are rejected (no real object has them). */
  u64(off: number, what: string): number {
    this.check(off, 8, what);
    const hi = this.view.getUint32(off + 4, true);
    if (hi < 0x200000) return hi * 0x100000000 + this.view.getUint32(off, true); // below 2^53
    const v = this.view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`${what} too large`, this.base + off);
    return Number(v);
  }
  u64big(off: number, what: string): bigint {
    this.check(off, 8, what);
    return this.view.getBigUint64(off, true);
  }
  slice(off: number, n: number, what: string): Uint8Array {
    this.check(off, n, what);
    return this.bytes.subarray(off, off + n);
  }
  /** NUL-terminated string starting at off (must end before the buffer does). */
  cstr(off: number, what: string): string {
    this.check(off, 0, what);
    if (off >= this.bytes.length) throw new ElfFormatError(`${what} out of bounds`, this.base + off);
    const end = this.bytes.indexOf(0, off);
    if (end < 0) throw new ElfFormatError(`unterminated ${what}`, this.base + off);
    return utf8Text(this.bytes.subarray(off, end));
  }
}

/** UTF-8 bytes as text; ASCII (licenses, names, JSON of log formats) without a TextDecoder, whose
 * first use costs a quarter of a millisecond at start-up. `fatal`: malformed UTF-8 throws. */
export function utf8Text(b: Uint8Array, fatal = false): string {
  let ascii = true;
  for (let i = 0; i < b.length && ascii; i++) ascii = b[i] < 0x80;
  if (!ascii) return new TextDecoder("utf-8", { fatal }).decode(b);
  // ASCII up to 64 KB (names, licences, a log format table) without a Buffer, whose first making
  // costs more than such text at start-up; in chunks that stay below engines' argument limits
  if (b.length > 1 << 16) return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
  let s = "";
  for (let at = 0; at < b.length; at += ASCII_CHUNK)
    s += String.fromCharCode.apply(null, b.subarray(at, at + ASCII_CHUNK) as unknown as number[]);
  return s;
}
const ASCII_CHUNK = 4096;
const utf8Encoder = new TextEncoder();

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) >= 0x80) return false;
  return true;
}
