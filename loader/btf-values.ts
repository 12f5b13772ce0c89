// BTF-typed bytes as plain JS values: takes an object's parsed BTF, a type id and the bytes a map
// slot or ring-buffer record holds, and produces integers (numbers; bigints beyond 2^53, or every
// integer as a bigint, or an error beyond 2^53, as DecodeOptions asks), booleans, arrays, objects
// with the struct's field names (bitfields included), IPv6 address text for the DSL's Ipv6Addr or,
// for a global data section's DATASEC, its variables' names; jsonLine() writes such a value as one
// JSON line with bigints as decimal strings (exact). Bytes of a type it cannot describe (no BTF,
// pointers, forward declarations) come back as a hex string. btf-encode.ts is the way back.
import {
  memberBits,
  resolveType,
  typeSize,
  BTF_INT_SIGNED,
  BTF_INT_BOOL,
  type BtfType,
  type ParsedBtf,
} from "../compiler/elf/btf.js";
import { LoaderError } from "./errors.js";
import { formatIpv6 } from "./ip-addr.js";

export type PlainValue = number | bigint | boolean | string | PlainValue[] | { [field: string]: PlainValue };

export interface DecodeOptions {
  /**
   * "auto" (default): numbers, bigints beyond 2^53; "bigint": every integer a bigint; "number":
   * numbers, a LoaderError ("bad-value", naming the field and `hint`) beyond 2^53.
   */
  ints?: "auto" | "bigint" | "number";
  /** For "number"'s errors: the error's context ("map FLOWS"), the slot ("value") and hint. */
  context?: string;
  what?: string;
  hint?: string;
}

const MAX_DEPTH = 16;

/** The value of BTF type `id` stored in `bytes` (little-endian, as the kernel stores it). */
export function decodeBtfValue(btf: ParsedBtf, id: number, bytes: Uint8Array, opts: DecodeOptions = {}): PlainValue {
  return decode({ btf, opts, path: opts.what ?? "value", depth: 0 }, id, bytes);
}

interface At {
  btf: ParsedBtf;
  opts: DecodeOptions;
  /** Where in the value (for errors): "value.stats.bytes". */
  path: string;
  depth: number;
}

const inner = (at: At, field: string): At => ({ ...at, path: `${at.path}${field}`, depth: at.depth + 1 });

function decode(at: At, id: number, bytes: Uint8Array): PlainValue {
  const t = at.btf.types[resolveType(at.btf, id)];
  if (at.depth > MAX_DEPTH) return hex(bytes);
  switch (t.kind) {
    case "int":
      return intValue(at, bytes, t.size * 8, (t.encoding & BTF_INT_SIGNED) !== 0, (t.encoding & BTF_INT_BOOL) !== 0);
    case "enum":
    case "enum64":
      return intValue(at, bytes, t.size * 8, t.signed === true, false);
    case "float":
      return floatValue(bytes, t.size);
    case "array": {
      const size = typeSize(at.btf, t.type);
      const out: PlainValue[] = [];
      for (let i = 0; i < t.nelems && size > 0; i++)
        out.push(decode(inner(at, `[${i}]`), t.type, bytes.subarray(i * size, (i + 1) * size)));
      return out;
    }
    case "struct":
    case "union": {
      if (isIpv6Addr(at.btf, t) && bytes.length === 16) return formatIpv6(bytes);
      const out: { [field: string]: PlainValue } = {};
      t.members.forEach(
        (m, i) => (out[m.name || `#${i}`] = member(inner(at, `.${m.name || `#${i}`}`), m, t.kflag, bytes)),
      );
      return out;
    }
    case "datasec":
      return datasecValue(at, t.vars, bytes);
    default:
      return hex(bytes);
  }
}

/** The DSL's Ipv6Addr (struct Ipv6Addr { u8 addr[16]; }): shown and given as address text. */
export function isIpv6Addr(btf: ParsedBtf, t: BtfType): boolean {
  if (t.kind !== "struct" || t.name !== "Ipv6Addr" || t.size !== 16 || t.members.length !== 1) return false;
  const a = btf.types[resolveType(btf, t.members[0].type)];
  return a.kind === "array" && a.nelems === 16 && typeSize(btf, a.type) === 1;
}

/** A global data section's value (a DATASEC): its variables by name. */
function datasecValue(at: At, vars: { type: number; offset: number; size: number }[], bytes: Uint8Array): PlainValue {
  const out: { [name: string]: PlainValue } = {};
  for (const v of vars) {
    const vt = at.btf.types[v.type];
    if (vt?.kind === "var" && v.offset + v.size <= bytes.length)
      out[vt.name] = decode(inner(at, `.${vt.name}`), vt.type, bytes.subarray(v.offset, v.offset + v.size));
  }
  return out;
}

function member(
  at: At,
  m: { type: number; bitOffset: number },
  kflag: boolean | undefined,
  bytes: Uint8Array,
): PlainValue {
  const { offset, bits } = memberBits(m, kflag);
  const mt = at.btf.types[resolveType(at.btf, m.type)];
  if (bits || offset % 8) {
    const signed = mt.kind === "int" ? (mt.encoding & BTF_INT_SIGNED) !== 0 : false;
    const width = bits || (mt.kind === "int" ? mt.bits : 8);
    return bitfield(at, bytes, offset, width, signed);
  }
  const size = typeSize(at.btf, m.type);
  return decode(at, m.type, bytes.subarray(offset / 8, offset / 8 + size));
}

/** An integer of `bits` bits at the start of `bytes`. */
function intValue(at: At, bytes: Uint8Array, bits: number, signed: boolean, bool: boolean): PlainValue {
  let v = 0n;
  for (let i = Math.min(bits / 8, bytes.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return fromBig(at, signed ? BigInt.asIntN(bits, v) : v, bool);
}

function bitfield(at: At, bytes: Uint8Array, bitOffset: number, bits: number, signed: boolean): PlainValue {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  const field = (v >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n);
  return fromBig(at, signed ? BigInt.asIntN(bits, field) : field, false);
}

function fromBig(at: At | undefined, v: bigint, bool: boolean): PlainValue {
  if (bool) return v !== 0n;
  const mode = at?.opts.ints ?? "auto";
  if (mode === "bigint") return v;
  if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  if (mode === "auto" || !at) return v;
  throw new LoaderError(
    "bad-value",
    at.opts.context ?? "",
    `${at.path} ${v} does not fit a JS number exactly (beyond 2^53)`,
    at.opts.hint,
  );
}

function floatValue(bytes: Uint8Array, size: number): PlainValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 4 && bytes.length >= 4) return dv.getFloat32(0, true);
  if (size === 8 && bytes.length >= 8) return dv.getFloat64(0, true);
  return hex(bytes);
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** A ring-buffer record decoded by its BTF type; undefined when the object names no type for it
 * or the record's size is not the type's. */
export function decodeRecordValue(
  btf: ParsedBtf | undefined,
  typeId: number | undefined,
  bytes: Uint8Array,
): PlainValue | undefined {
  if (!btf || typeId === undefined || typeSize(btf, typeId) !== bytes.length) return undefined;
  return decodeBtfValue(btf, typeId, bytes);
}

/** By BTF type when there is one, else an unsigned integer of 1, 2, 4 or 8 bytes, else hex. */
export function typedValue(btf: ParsedBtf | undefined, id: number | undefined, b: Uint8Array): PlainValue {
  if (btf && id) return decodeBtfValue(btf, id, b);
  if ([1, 2, 4, 8].includes(b.length))
    return fromBig(
      undefined,
      b.reduceRight((v, x) => (v << 8n) | BigInt(x), 0n),
      false,
    );
  return hex(b);
}

/** One JSON line; bigints (integers beyond 2^53) as decimal strings, so they stay exact. */
export function jsonLine(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), indent);
}

/** A record decoded, or `{hex}` when its type is unknown (for JSON output). */
export function recordOrHex(btf: ParsedBtf | undefined, typeId: number | undefined, b: Uint8Array): PlainValue {
  return decodeRecordValue(btf, typeId, b) ?? { hex: hex(b) };
}

/** `tsebpf run`'s line for one record of ring buffer `map`: `{"map":…,"record":…}`, or
 * `{"map":…,"hex":…}` for a record whose type the object does not give. */
export function recordLine(map: string, btf: ParsedBtf | undefined, typeId: number | undefined, b: Uint8Array): string {
  const record = decodeRecordValue(btf, typeId, b);
  return jsonLine(record === undefined ? { map, hex: hex(b) } : { map, record });
}
