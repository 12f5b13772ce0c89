// Type helpers for the checker: names for messages, assignability (integer widening comes from
// int-rule.ts), and resolving written types (TypeRef) against the catalogue and the program's
// struct types (`FixedArray<T, N>` is an array). Pure functions.
import type { IntType, StructType, Type, TypeRef } from "../ast.js";
import { HEADERS, INT_TYPES, IPV6_ADDR, MAPS, isIntName } from "../catalog.js";
import { FIB_RESULT } from "../fib-defs.js";
import { fits, widens } from "../int-rule.js";
import { arrayOf } from "../layout.js";

export const ERROR: Type = { kind: "error" };
export const BOOL: Type = { kind: "bool" };
export const VOID: Type = { kind: "void" };
export const NULL: Type = { kind: "null" };
export const ACTION: Type = { kind: "action" };
export const CTX: Type = { kind: "ctx" };
export const STRING: Type = { kind: "string" };

export function typeName(t: Type): string {
  switch (t.kind) {
    case "int":
      return t.name;
    case "bool":
      return "bool";
    case "void":
      return "void";
    case "null":
      return "null";
    case "header":
      return t.header;
    case "map":
      if (MAPS[t.mapKind]?.typeArgs === 0) return t.mapKind;
      return MAPS[t.mapKind]?.typeArgs === 1
        ? `${t.mapKind}<${t.value.name}>`
        : `${t.mapKind}<${t.key.name}, ${t.value.name}>`;
    case "struct":
      return t.name;
    case "array":
      return `FixedArray<${typeName(t.elem)}, ${t.length}>`;
    case "ctx":
      return t.frags ? "XdpFragsContext" : "XdpContext";
    case "action":
      return "XdpAction";
    case "nullable":
      return `${typeName(t.inner)} | null`;
    case "string":
      return "string";
    case "namespace":
      return `typeof ${t.name}`;
    case "error":
      return "error";
  }
}

export const isInt = (t: Type | undefined): t is IntType => t?.kind === "int";
export const isError = (t: Type | undefined): boolean => t === undefined || t.kind === "error";

export function sameType(a: Type, b: Type): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "int" && b.kind === "int") return a.name === b.name;
  if (a.kind === "header" && b.kind === "header") return a.header === b.header;
  if (a.kind === "nullable" && b.kind === "nullable") return sameType(a.inner, b.inner);
  if (a.kind === "struct" && b.kind === "struct") return a === b;
  if (a.kind === "array" && b.kind === "array") return a.length === b.length && sameType(a.elem, b.elem);
  return true;
}

/** Assignability of a value of type src to dst; flexConst: the value of an untyped constant (it need only fit). */
export function assignable(src: Type, dst: Type, flexConst?: bigint): boolean {
  if (isError(src) || isError(dst)) return true;
  if (dst.kind === "int" && src.kind === "int")
    return flexConst !== undefined ? fits(flexConst, dst) : widens(src, dst);
  if (dst.kind === "nullable")
    return src.kind === "null" || sameType(src, dst) || assignable(src, dst.inner, flexConst);
  return sameType(src, dst);
}

/** tsc's TS2322 message, with a hint when `as` would convert between integer types. */
export function notAssignableMessage(src: Type, dst: Type): string {
  const base = `Type '${typeName(src)}' is not assignable to type '${typeName(dst)}'.`;
  return src.kind === "int" && dst.kind === "int" ? `${base} Convert explicitly with 'as ${dst.name}'.` : base;
}

export type ResolvedName =
  | { kind: "type"; type: Type }
  | {
      kind: "error";
      code: "cannotFindName" | "anyType" | "stringValue" | "unsupported" | "arrayType";
      message: string;
    };

/**
 * Resolve a written type. `lookup(name)` says whether a catalogue name is imported (and as what):
 * it returns the catalogue name for a local name, or undefined.
 */
export function resolveTypeRef(
  ref: TypeRef,
  lookup: (local: string) => string | undefined,
  struct: (name: string) => StructType | undefined = () => undefined,
): ResolvedName {
  const base = resolveBase(ref, lookup, struct);
  if (base.kind === "error" || !ref.nullable) return base;
  const t = base.type;
  if (t.kind === "header" || t.kind === "int" || t.kind === "struct")
    return { kind: "type", type: { kind: "nullable", inner: t } };
  return {
    kind: "error",
    code: "unsupported",
    message: `Type '${typeName(t)} | null' is not supported; only header views and map values may be null.`,
  };
}

type Lookups = [(local: string) => string | undefined, (name: string) => StructType | undefined];

function resolveBase(ref: TypeRef, ...[lookup, struct]: Lookups): ResolvedName {
  const n = ref.name;
  const s = struct(n);
  if (s) return { kind: "type", type: s };
  if (n === "{}")
    return {
      kind: "error",
      code: "unsupported",
      message: "Object types must be named: declare 'interface Name { … }' and use Name.",
    };
  if (n === "boolean") return { kind: "type", type: BOOL };
  if (n === "void") return { kind: "type", type: VOID };
  if (n === "null") return { kind: "type", type: NULL };
  if (n === "any" || n === "unknown")
    return {
      kind: "error",
      code: "anyType",
      message: `Type '${n}' is not supported; use an integer type (u8..u64, i8..i64), bool or a header type.`,
    };
  if (n === "string")
    return { kind: "error", code: "stringValue", message: "String values are only allowed as log messages." };
  if (n === "number" || n === "bigint")
    return {
      kind: "error",
      code: "unsupported",
      message: `Type '${n}' is too vague: use an integer type (u8..u64, i8..i64).`,
    };
  if (n.endsWith("[]") || n === "<union>" || n === "<invalid>")
    return {
      kind: "error",
      code: "unsupported",
      message: n.endsWith("[]") ? "Arrays are not supported." : "This type is not supported.",
    };
  const cat = lookup(n);
  if (cat === undefined) return { kind: "error", code: "cannotFindName", message: `Cannot find name '${n}'.` };
  if (isIntName(cat)) return { kind: "type", type: INT_TYPES[cat] };
  if (cat === "bool") return { kind: "type", type: BOOL };
  if (cat === "XdpContext") return { kind: "type", type: CTX };
  if (cat === "XdpFragsContext") return { kind: "type", type: { kind: "ctx", frags: true } };
  if (cat === "XdpAction") return { kind: "type", type: ACTION };
  if (cat === "Ipv6Addr") return { kind: "type", type: IPV6_ADDR };
  if (cat === "FibResult") return { kind: "type", type: FIB_RESULT };
  if (Object.hasOwn(HEADERS, cat)) return { kind: "type", type: { kind: "header", header: cat } };
  if (cat === "FixedArray") return fixedArray(ref, lookup, struct);
  return { kind: "error", code: "unsupported", message: `'${n}' cannot be used as a type here.` };
}

/** The largest array the DSL lays out (the stack is 512 bytes; map values may be larger). */
const MAX_ARRAY_BYTES = 1 << 16;

/** `FixedArray<T, N>`: N (a positive integer literal) elements of an integer, bool or struct type T. */
function fixedArray(ref: TypeRef, ...[lookup, struct]: Lookups): ResolvedName {
  const [et, nt] = ref.args;
  const bad = (message: string): ResolvedName => ({ kind: "error", code: "arrayType", message });
  if (!et || !nt || ref.args.length !== 2) return bad("FixedArray takes two type arguments, e.g. FixedArray<u8, 4>.");
  const elem = resolveTypeRef(et, lookup, struct);
  if (elem.kind === "error") return elem;
  const e = elem.type;
  if (e.kind !== "int" && e.kind !== "bool" && e.kind !== "struct")
    return bad(`Array elements must be integers, bool or structs, not '${typeName(e)}'.`);
  const n = /^[0-9]+$/.test(nt.name) ? Number(nt.name) : 0;
  const size = n * (e.kind === "int" ? e.bits / 8 : e.kind === "bool" ? 1 : e.size);
  if (n < 1 || size > MAX_ARRAY_BYTES)
    return bad(
      `The length of a FixedArray must be a decimal integer literal from 1 to ${MAX_ARRAY_BYTES} bytes' worth.`,
    );
  return { kind: "type", type: arrayOf(e, n) };
}
