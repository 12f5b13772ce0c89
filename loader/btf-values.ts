// BTF-typed bytes as plain JS values: takes an object's parsed BTF, a type id and the bytes a map
// slot or ring-buffer record holds, and produces integers (numbers; bigints beyond 2^53), booleans,
// arrays, objects with the struct's field names (bitfields included) or, for a global data
// section's DATASEC, its variables' names; jsonLine() writes such a
// value as one JSON line with bigints as decimal strings (exact). Bytes of a type it cannot
// describe (no BTF, pointers, forward declarations) come back as a hex string.
import {
  memberBits,
  resolveType,
  typeSize,
  BTF_INT_SIGNED,
  BTF_INT_BOOL,
  type ParsedBtf,
} from "../compiler/elf/btf.js";

export type PlainValue = number | bigint | boolean | string | PlainValue[] | { [field: string]: PlainValue };

const MAX_DEPTH = 16;

/** The value of BTF type `id` stored in `bytes` (little-endian, as the kernel stores it). */
export function decodeBtfValue(btf: ParsedBtf, id: number, bytes: Uint8Array, depth = 0): PlainValue {
  const t = btf.types[resolveType(btf, id)];
  if (depth > MAX_DEPTH) return hex(bytes);
  switch (t.kind) {
    case "int":
      return intValue(bytes, 0, t.size * 8, (t.encoding & BTF_INT_SIGNED) !== 0, (t.encoding & BTF_INT_BOOL) !== 0);
    case "enum":
    case "enum64":
      return intValue(bytes, 0, t.size * 8, t.signed === true, false);
    case "float":
      return floatValue(bytes, t.size);
    case "array": {
      const size = typeSize(btf, t.type);
      const out: PlainValue[] = [];
      for (let i = 0; i < t.nelems && size > 0; i++)
        out.push(decodeBtfValue(btf, t.type, bytes.subarray(i * size, (i + 1) * size), depth + 1));
      return out;
    }
    case "struct":
    case "union": {
      const out: { [field: string]: PlainValue } = {};
      t.members.forEach((m, i) => (out[m.name || `#${i}`] = member(btf, m, t.kflag, bytes, depth)));
      return out;
    }
    case "datasec":
      return datasecValue(btf, t.vars, bytes, depth);
    default:
      return hex(bytes);
  }
}

/** A global data section's value (a DATASEC): its variables by name. */
function datasecValue(
  btf: ParsedBtf,
  vars: { type: number; offset: number; size: number }[],
  bytes: Uint8Array,
  depth: number,
): PlainValue {
  const out: { [name: string]: PlainValue } = {};
  for (const v of vars) {
    const vt = btf.types[v.type];
    if (vt?.kind === "var" && v.offset + v.size <= bytes.length)
      out[vt.name] = decodeBtfValue(btf, vt.type, bytes.subarray(v.offset, v.offset + v.size), depth + 1);
  }
  return out;
}

function member(
  btf: ParsedBtf,
  m: { type: number; bitOffset: number },
  kflag: boolean | undefined,
  bytes: Uint8Array,
  depth: number,
): PlainValue {
  const { offset, bits } = memberBits(m, kflag);
  const mt = btf.types[resolveType(btf, m.type)];
  if (bits || offset % 8) {
    const signed = mt.kind === "int" ? (mt.encoding & BTF_INT_SIGNED) !== 0 : false;
    const width = bits || (mt.kind === "int" ? mt.bits : 8);
    return bitfield(bytes, offset, width, signed);
  }
  const size = typeSize(btf, m.type);
  return decodeBtfValue(btf, m.type, bytes.subarray(offset / 8, offset / 8 + size), depth + 1);
}

/** An integer of `bits` bits at byte `at`: a number when exact, else a bigint. */
function intValue(bytes: Uint8Array, at: number, bits: number, signed: boolean, bool: boolean): PlainValue {
  let v = 0n;
  for (let i = Math.min(bits / 8, bytes.length - at) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return fromBig(signed ? BigInt.asIntN(bits, v) : v, bool);
}

function bitfield(bytes: Uint8Array, bitOffset: number, bits: number, signed: boolean): PlainValue {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  const field = (v >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n);
  return fromBig(signed ? BigInt.asIntN(bits, field) : field, false);
}

function fromBig(v: bigint, bool: boolean): PlainValue {
  if (bool) return v !== 0n;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
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
  if ([1, 2, 4, 8].includes(b.length)) return intValue(b, 0, b.length * 8, false, false);
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
