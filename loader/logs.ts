// The log reader: takes a BPF_MAP_TYPE_RINGBUF fd and the object's format table, maps the ring
// (consumer page read-write, producer page + data pages read-only), and decodes the records of
// docs/log-format.md (decoding: log-format.ts) into env_logger lines.
import { libc, mapShared, PROT_READ, PROT_WRITE, viewOf } from "./sys/libc.js";

export { decodeRecord, formatArg, formatLine, parseLevel, type LogRecord } from "./log-format.js";

const BUSY = 0x80000000,
  DISCARD = 0x40000000,
  HDR = 8; // the kernel's ring buffer record header

export class RingReader {
  private cons: unknown;
  private prod: unknown;
  private consView: DataView;
  private prodView: DataView;
  private data: Uint8Array;
  private readonly page: number;
  readonly mask: number;
  fullSeen = 0;

  constructor(
    readonly fd: number,
    readonly size: number,
  ) {
    this.page = libc.getpagesize() as number;
    this.cons = mmap(this.page, PROT_READ | PROT_WRITE, fd, 0);
    this.prod = mmap(this.page + 2 * size, PROT_READ, fd, this.page);
    this.consView = new DataView(viewOf(this.cons, this.page));
    const pv = viewOf(this.prod, this.page + 2 * size);
    this.prodView = new DataView(pv, 0, this.page);
    this.data = new Uint8Array(pv, this.page, 2 * size);
    this.mask = size - 1;
  }

  /** Consume every committed record; returns how many were delivered. */
  poll(onRecord: (rec: Uint8Array) => void): number {
    let cons = this.consView.getBigUint64(0, true);
    const prod = this.prodView.getBigUint64(0, true);
    if (Number(prod - cons) >= this.size - 64) this.fullSeen++;
    let n = 0;
    while (cons < prod) {
      const off = Number(cons & BigInt(this.mask));
      const dv = new DataView(this.data.buffer, this.data.byteOffset + off, HDR);
      const len = dv.getUint32(0, true);
      if (len & BUSY) break;
      const size = (len & ~(BUSY | DISCARD)) >>> 0;
      if (!(len & DISCARD)) {
        onRecord(this.data.slice(off + HDR, off + HDR + size));
        n++;
      }
      cons += BigInt((size + HDR + 7) & ~7);
      this.consView.setBigUint64(0, cons, true);
    }
    return n;
  }

  close(): void {
    if (this.cons) libc.munmap(this.cons, this.page);
    if (this.prod) libc.munmap(this.prod, this.page + 2 * this.size);
    this.cons = this.prod = undefined;
  }
}

const mmap = (len: number, prot: number, fd: number, off: number) =>
  mapShared(fd, len, prot, off, "mapping a ring buffer");
