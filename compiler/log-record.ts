// The log-record contract between compiled programs and `tsebpf run` (docs/log-format.md), in one
// place: the names, kinds and sizes of the ring buffer and the drop counter, the record's header
// layout, the log levels and the 16-bit format ids. The DSL's log lowering and the built-in
// programs write records with it; loader/logs.ts and loader/log-pump.ts read them with it.
// Takes nothing; produces constants, the two maps' definitions and the header's encoding.
import { MAP_TYPE, type MapDef } from "./object.js";

/** The ELF section that carries the object's log formats (JSON, docs/log-format.md). */
export const LOGFMT_SECTION = ".tsebpf.logfmt";

/** The ring buffer (BPF_MAP_TYPE_RINGBUF) every log record goes to. */
export const LOG_MAP = "TSEBPF_LOGS";
/** The per-CPU counter (BPF_MAP_TYPE_PERCPU_ARRAY, key u32 0, value u64) of records the ring refused. */
export const DROPS_MAP = "TSEBPF_DROPS";
/** Bytes of the ring buffer the compiler declares. */
export const LOG_RINGBUF_SIZE = 262144;
/** Record header: u16 format id, u8 level, u8 argument count, u32 reserved (0), little-endian. */
export const LOG_HEADER_SIZE = 8;
/** Offset of the reserved u32 in the header: it doubles as the drop counter's key 0. */
export const LOG_RESERVED_OFFSET = 4;
/** A format id is 16 bits: an object holds at most this many formats. */
export const MAX_LOG_FORMATS = 1 << 16;
/** Level names by number (1 error … 5 trace; 0 is no level). */
export const LOG_LEVELS = ["", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"];

/** 64-bit words an argument of this kind takes in a record (an ipv6 address: 16 bytes, network order). */
export function logArgWords(kind: string): number {
  return kind === "ipv6" ? 2 : 1;
}

/** Bytes of a record with `argc` argument words (each a 64-bit value after the header). */
export function logRecordSize(argc: number): number {
  return LOG_HEADER_SIZE + 8 * argc;
}

/** Offset of argument word `i` in a record. */
export function logArgOffset(i: number): number {
  return LOG_HEADER_SIZE + 8 * i;
}

/** The header as one little-endian u64 (the reserved word 0). */
export function logHeader(format: number, level: number, argc: number): bigint {
  return BigInt(format) | (BigInt(level) << 16n) | (BigInt(argc) << 24n);
}

/** The header's fields, from a record of at least LOG_HEADER_SIZE bytes. */
export function readLogHeader(dv: DataView): { format: number; level: number; argc: number } {
  return { format: dv.getUint16(0, true), level: dv.getUint8(2), argc: dv.getUint8(3) };
}

/** The maps every object with log calls carries: the ring buffer and the per-CPU drop counter. */
export function logMaps(): MapDef[] {
  const int = (name: string, size: 4 | 8) => ({ kind: "int", name, size, signed: false }) as const;
  return [
    { name: LOG_MAP, type: MAP_TYPE.RINGBUF, keySize: 0, valueSize: 0, maxEntries: LOG_RINGBUF_SIZE, flags: 0 },
    {
      name: DROPS_MAP,
      type: MAP_TYPE.PERCPU_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      flags: 0,
      key: int("u32", 4),
      value: int("u64", 8),
    },
  ];
}
