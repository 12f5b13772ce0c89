// The log reader: takes a BPF_MAP_TYPE_RINGBUF fd and the object's format table, maps the ring
// (consumer page read-write, producer page + data pages read-only), and decodes the records of
// docs/log-format.md into env_logger lines.
import type { LogFormat } from "../compiler/object.js";
import { LOG_HEADER_SIZE, LOG_LEVELS, logArgOffset, logRecordSize, readLogHeader } from "../compiler/log-record.js";
import { isNullPtr, lastErrno, libc, viewOf } from "./sys/libc.js";
import { BpfError } from "./sys/errors.js";

const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
const BUSY = 0x80000000, DISCARD = 0x40000000, HDR = 8; // the kernel's ring buffer record header

/** `--log-level` / TSEBPF_LOG value → numeric level (1 error … 5 trace); "off" is 0. */
export function parseLevel(s: string | undefined, dflt = 3): number {
  if (!s) return dflt;
  const i = LOG_LEVELS.indexOf(s.trim().toUpperCase());
  if (i > 0) return i;
  if (/^off$/i.test(s.trim())) return 0;
  throw new Error(`unknown log level '${s}' (expected error, warn, info, debug, trace or off)`);
}

export class RingReader {
  private cons: unknown;
  private prod: unknown;
  private consView: DataView;
  private prodView: DataView;
  private data: Uint8Array;
  private readonly page: number;
  readonly mask: number;
  fullSeen = 0;

  constructor(readonly fd: number, readonly size: number) {
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

function mmap(len: number, prot: number, fd: number, off: number): unknown {
  const p = libc.mmap(null, len, prot, MAP_SHARED, fd, off);
  if (isNullPtr(p)) throw new BpfError("mapping the log ring buffer", lastErrno());
  return p;
}

export interface LogRecord {
  level: number;
  program: string;
  message: string;
}

/** Decode one record with the object's format table; undefined when it is malformed. */
export function decodeRecord(rec: Uint8Array, formats: LogFormat[]): LogRecord | undefined {
  if (rec.length < LOG_HEADER_SIZE) return undefined;
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const { format, level, argc: n } = readLogHeader(dv);
  const f = formats[format];
  if (!f || rec.length < logRecordSize(n) || n !== f.args.length) return undefined;
  let message = f.pieces[0];
  for (let i = 0; i < n; i++) message += formatArg(f.args[i], dv.getBigUint64(logArgOffset(i), true)) + f.pieces[i + 1];
  return { level: level || f.level, program: f.program, message };
}

export function formatArg(kind: string, v: bigint): string {
  switch (kind) {
    case "i64": return BigInt.asIntN(64, v).toString();
    case "hex": return v.toString(16);
    case "ipv4": return [24, 16, 8, 0].map((s) => Number((v >> BigInt(s)) & 0xffn)).join(".");
    case "mac": return [40, 32, 24, 16, 8, 0].map((s) => Number((v >> BigInt(s)) & 0xffn).toString(16).padStart(2, "0")).join(":");
    case "bool": return v ? "true" : "false";
    default: return v.toString();
  }
}

/** `[2026-11-24T18:03:11Z INFO  xdp_hello] received a packet` */
export function formatLine(r: LogRecord, now = new Date()): string {
  const ts = now.toISOString().replace(/\.\d+Z$/, "Z");
  return `[${ts} ${(LOG_LEVELS[r.level] ?? "?").padEnd(5)} ${r.program}] ${r.message}`;
}
