// Plain JS values as BTF-typed bytes, the way back of btf-values.ts: takes an object's parsed BTF,
// a type id and a value — integers (numbers or bigints, range-checked against the field's type),
// booleans, arrays (exactly the array's length; bytes for u8 arrays), objects with exactly the
// struct's field names (bitfields included; a union takes one of its fields), IPv6 address text
// for the DSL's Ipv6Addr (integers as text too, when the caller parses them: JSON from the command
// line) — and produces the little-endian bytes the kernel stores (padding zeroed).
// A value that does not fit is a LoaderError naming the field: "value.stats.bytes: …".
import {
  memberBits,
  resolveType,
  typeSize,
  BTF_INT_SIGNED,
  BTF_INT_BOOL,
  type BtfType,
  type ParsedBtf,
} from "../compiler/elf/btf.js";
import { LoaderError, type LoaderErrorCode } from "./errors.js";
import { isIpv6Addr } from "./btf-values.js";
import { parseIpv6 } from "./ip-addr.js";

export interface EncodeWhere {
  /** The error's code ("bad-key", "bad-value"), context ("map FLOWS") and slot name ("key"). */
  code: LoaderErrorCode;
  context: string;
  what: string;
  /** Integers given as text (JSON from the command line): the text's value, undefined if none. */
  parseInt?: (text: string) => bigint | undefined;
}

interface At {
  btf: ParsedBtf;
  where: EncodeWhere;
  path: string;
  /** The type's name as the program spells it (a typedef's: u64), for messages. */
  name: string;
}

/** `value` as the bytes of BTF type `id`. */
export function encodeBtfValue(btf: ParsedBtf, id: number, value: unknown, where: EncodeWhere): Buffer {
  const out = Buffer.alloc(typeSize(btf, id));
  write({ btf, where, path: where.what, name: typeName(btf, id) }, id, value, out, 0);
  return out;
}

/** Whether values of type `id` are composite (struct, union, array): given as objects and arrays. */
export function isComposite(btf: ParsedBtf, id: number): boolean {
  const k = btf.types[resolveType(btf, id)]?.kind;
  return k === "struct" || k === "union" || k === "array";
}

function write(at: At, id: number, v: unknown, out: Buffer, byte: number): void {
  const t = at.btf.types[resolveType(at.btf, id)];
  switch (t.kind) {
    case "int":
      return writeInt(at, v, out, byte * 8, t.size * 8, intKind(t));
    case "enum":
    case "enum64":
      return writeInt(at, v, out, byte * 8, t.size * 8, t.signed ? "signed" : "unsigned");
    case "float":
      if (typeof v !== "number") fail(at, `expected a number (${at.name}), not ${shown(v)}`);
      return void (t.size === 4 ? out.writeFloatLE(v, byte) : out.writeDoubleLE(v, byte));
    case "array":
      return writeArray(at, t, v, out, byte);
    case "struct":
    case "union":
      if (isIpv6Addr(at.btf, t)) return writeIpv6(at, v, out, byte);
      return writeStruct(at, t, v, out, byte);
    default:
      if (v instanceof Uint8Array && v.length === typeSize(at.btf, id)) return void out.set(v, byte);
      fail(at, `a ${t.kind} is given as its ${typeSize(at.btf, id)} bytes (a Uint8Array)`);
  }
}

type IntKind = "signed" | "unsigned" | "bool";

const intKind = (t: BtfType & { kind: "int" }): IntKind =>
  t.encoding & BTF_INT_BOOL ? "bool" : t.encoding & BTF_INT_SIGNED ? "signed" : "unsigned";

/** An integer of `bits` bits at bit `bit` of `out` (a bitfield, or a whole field when byte-aligned). */
function writeInt(at: At, v: unknown, out: Buffer, bit: number, bits: number, kind: IntKind): void {
  if (kind === "bool" && typeof v === "boolean") v = v ? 1 : 0;
  if (typeof v === "string" && at.where.parseInt) v = at.where.parseInt(v) ?? v;
  if (typeof v === "number" && !Number.isSafeInteger(v))
    fail(at, `${v} is not ${Number.isInteger(v) ? "a safe integer (give a bigint)" : "an integer"}`);
  if (typeof v !== "number" && typeof v !== "bigint")
    fail(at, `expected ${kind === "bool" ? "a boolean" : "an integer"} (${at.name}), not ${shown(v)}`);
  const [lo, hi] = intRange(bits, kind);
  const n = BigInt(v);
  if (n < lo || n > hi) fail(at, `${v} does not fit ${at.name} (${lo}..${hi})`);
  const u = BigInt.asUintN(bits, n);
  for (let i = 0; i < bits; i++) {
    const at8 = (bit + i) >> 3;
    const mask = 1 << ((bit + i) & 7);
    out[at8] = (u >> BigInt(i)) & 1n ? out[at8] | mask : out[at8] & ~mask;
  }
}

function intRange(bits: number, kind: IntKind): [bigint, bigint] {
  const b = BigInt(bits);
  if (kind === "bool") return [0n, 1n];
  return kind === "signed" ? [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n] : [0n, (1n << b) - 1n];
}

function writeArray(at: At, t: BtfType & { kind: "array" }, v: unknown, out: Buffer, byte: number): void {
  const size = typeSize(at.btf, t.type);
  if (v instanceof Uint8Array && size === 1 && v.length === t.nelems) return void out.set(v, byte);
  if (!Array.isArray(v)) fail(at, `expected an array of ${t.nelems} ${typeName(at.btf, t.type)}, not ${shown(v)}`);
  if (v.length !== t.nelems) fail(at, `expected ${t.nelems} elements, not ${v.length}`);
  const name = typeName(at.btf, t.type);
  v.forEach((x, i) => write({ ...at, path: `${at.path}[${i}]`, name }, t.type, x, out, byte + i * size));
}

function writeIpv6(at: At, v: unknown, out: Buffer, byte: number): void {
  const b = typeof v === "string" ? parseIpv6(v) : v instanceof Uint8Array && v.length === 16 ? v : undefined;
  if (!b) fail(at, `expected an IPv6 address ('2001:db8::1'), not ${shown(v)}`);
  out.set(b, byte);
}

function writeStruct(at: At, t: BtfType & { kind: "struct" | "union" }, v: unknown, out: Buffer, byte: number): void {
  const names = t.members.map((m) => m.name);
  const what = `${t.kind} ${t.name || "(anonymous)"} {${names.join(", ")}}`;
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array)
    fail(at, `expected an object (${what}), not ${shown(v)}`);
  const given = Object.keys(v);
  const extra = given.find((k) => !names.includes(k));
  if (extra !== undefined) fail(at, `no field '${extra}' in ${what}`);
  const members = t.kind === "union" ? t.members.filter((m) => given.includes(m.name)) : t.members;
  if (t.kind === "union" && members.length !== 1) fail(at, `a union takes exactly one of its fields (${what})`);
  for (const m of members) {
    const f = (v as Record<string, unknown>)[m.name];
    const inner: At = { ...at, path: `${at.path}.${m.name}`, name: typeName(at.btf, m.type) };
    if (f === undefined) fail(inner, `missing (${what})`);
    const { offset, bits } = memberBits(m, t.kflag);
    const mt = at.btf.types[resolveType(at.btf, m.type)];
    if (bits || offset % 8) {
      const kind: IntKind = mt.kind === "int" ? intKind(mt) : "unsigned";
      writeInt(inner, f, out, byte * 8 + offset, bits || (mt.kind === "int" ? mt.bits : 8), kind);
    } else write(inner, m.type, f, out, byte + offset / 8);
  }
}

/** The name the program gives a type: the first named type on the typedef chain (u64, FlowStats). */
function typeName(btf: ParsedBtf, id: number): string {
  for (let i = 0; i < 64; i++) {
    const t = btf.types[id];
    if (t && "name" in t && t.name) return t.name;
    if (!t || !("type" in t) || t.kind === "array" || t.kind === "ptr") break;
    id = t.type;
  }
  const t = btf.types[resolveType(btf, id)];
  return t?.kind === "array" ? `${typeName(btf, t.type)}[${t.nelems}]` : (t?.kind ?? "?");
}

function shown(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return "an array";
  if (v instanceof Uint8Array) return `${v.length} byte(s)`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function fail(at: At, reason: string): never {
  throw new LoaderError(at.where.code, at.where.context, `${at.path}: ${reason}`);
}
