// Type helpers for the checker: names for messages, assignability (integer widening comes from
// int-rule.ts), and resolving written types (TypeRef) against the catalogue. Pure functions.
import type { IntType, Type, TypeRef } from "../ast.js";
import { HEADERS, INT_TYPES, MAPS, isIntName } from "../catalog.js";
import { fits, widens } from "../int-rule.js";

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
      return MAPS[t.mapKind]?.typeArgs === 1
        ? `${t.mapKind}<${t.value.name}>`
        : `${t.mapKind}<${t.key.name}, ${t.value.name}>`;
    case "ctx":
      return "XdpContext";
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
  | { kind: "error"; code: "cannotFindName" | "anyType" | "stringValue" | "unsupported"; message: string };

/**
 * Resolve a written type. `lookup(name)` says whether a catalogue name is imported (and as what):
 * it returns the catalogue name for a local name, or undefined.
 */
export function resolveTypeRef(ref: TypeRef, lookup: (local: string) => string | undefined): ResolvedName {
  const base = resolveBase(ref, lookup);
  if (base.kind === "error" || !ref.nullable) return base;
  const t = base.type;
  if (t.kind === "header" || t.kind === "int") return { kind: "type", type: { kind: "nullable", inner: t } };
  return {
    kind: "error",
    code: "unsupported",
    message: `Type '${typeName(t)} | null' is not supported; only header views and map values may be null.`,
  };
}

function resolveBase(ref: TypeRef, lookup: (local: string) => string | undefined): ResolvedName {
  const n = ref.name;
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
  if (cat === "XdpAction") return { kind: "type", type: ACTION };
  if (Object.hasOwn(HEADERS, cat)) return { kind: "type", type: { kind: "header", header: cat } };
  return { kind: "error", code: "unsupported", message: `'${n}' cannot be used as a type here.` };
}
