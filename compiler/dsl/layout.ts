// Data layout of the DSL's value types: takes struct field types and array element types and
// produces C's layout (each field at its natural alignment, a struct's size rounded up to its
// largest alignment; bool is one byte), sizes of the types that live in memory, and their BTF
// descriptions (object.ts TypeDesc: padding shows as gaps between member offsets, as clang emits).
import type * as A from "./ast.js";
import type { TypeDesc } from "../object.js";

/** The types a map key/value, struct field or array element may have. */
export type MemType = A.IntType | A.BoolType | A.StructType | A.ArrayType;

export function sizeOf(t: MemType): number {
  if (t.kind === "int") return t.bits / 8;
  if (t.kind === "bool") return 1;
  return t.size;
}

export function alignOf(t: MemType): number {
  if (t.kind === "int") return t.bits / 8;
  if (t.kind === "bool") return 1;
  return t.align;
}

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** A struct of `fields` in C layout. */
export function layoutStruct(name: string, fields: { name: string; type: A.DataType }[]): A.StructType {
  let off = 0,
    align = 1;
  const out = fields.map((f) => {
    const a = alignOf(f.type);
    off = roundUp(off, a);
    const field = { name: f.name, type: f.type, offset: off };
    off += sizeOf(f.type);
    align = Math.max(align, a);
    return field;
  });
  return { kind: "struct", name, fields: out, size: roundUp(off, align), align };
}

export function arrayOf(elem: A.ArrayType["elem"], length: number): A.ArrayType {
  return { kind: "array", elem, length, size: sizeOf(elem) * length, align: alignOf(elem) };
}

/** The byte ranges between and after t's fields (not inside them), as [offset, size] pairs in order. */
export function gapsOf(t: A.StructType): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  for (const f of t.fields) {
    if (f.offset > at) out.push([at, f.offset - at]);
    at = f.offset + sizeOf(f.type);
  }
  if (t.size > at) out.push([at, t.size - at]);
  return out;
}

/** The BTF description of a value type (structs by name, so one BTF STRUCT each). */
export function typeDesc(t: MemType): TypeDesc {
  switch (t.kind) {
    case "int":
      return { kind: "int", name: t.name, size: (t.bits / 8) as 1 | 2 | 4 | 8, signed: t.signed };
    case "bool":
      return { kind: "int", name: "bool", size: 1, signed: false, bool: true };
    case "array":
      return { kind: "array", elem: typeDesc(t.elem), len: t.length };
    case "struct":
      return {
        kind: "struct",
        name: t.name,
        size: t.size,
        members: t.fields.map((f) => ({ name: f.name, type: typeDesc(f.type), offset: f.offset })),
      };
  }
}
