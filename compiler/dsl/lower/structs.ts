// Lowering of struct values: takes checked struct expressions (object literals, struct variables,
// `s.f` fields, map value references from `M.get`) and a LowerCtx, and produces places — a struct
// at base + off, base r10 for a stack slot or a map value pointer — with field reads, field writes
// (`+= -= |= &= ^=` on a 4- or 8-byte field of a shared map's value as one BPF atomic instruction),
// copies between places, and object literals written field by field with their padding zeroed (so
// a struct used as a map key compares by its fields only).
import type * as A from "../ast.js";
import type { AluOp, Reg, Val } from "../ir.js";
import type { ArithOp } from "../int-rule.js";
import { gapsOf, sizeOf } from "../layout.js";
import type { LowerCtx } from "./core.js";
import { compound, lowBits, narrowVal } from "./int.js";
import { type Int, type PlaceVal, U8 } from "./types.js";

type Field = A.StructField;

/** Where the struct value of expression e lives (an object literal gets a stack slot of the statement). */
export function place(L: LowerCtx, e: A.Expr): PlaceVal {
  if (e.kind === "ObjectLiteral") {
    const t = e.type as A.StructType;
    const p = stackPlace(L, t);
    fillLiteral(L, p, e);
    return p;
  }
  if (e.kind === "MemberExpr" && e.member?.kind === "structField") {
    const outer = place(L, e.object);
    const f = e.member.field;
    return { ...outer, type: f.type as A.StructType, off: outer.off + f.offset, nullable: false };
  }
  const o = L.object(e);
  if (o.k !== "place") return L.fail("expected a struct value", e.span);
  return o;
}

/** A fresh stack slot for a value of type t. */
export function stackPlace(L: LowerCtx, t: A.StructType | A.ArrayType): PlaceVal {
  return { k: "place", type: t, base: 10, off: L.scratch(t.size), atomic: false };
}

/** The address of a place, in a register (for helper arguments). */
export function addressOf(L: LowerCtx, p: PlaceVal): Reg {
  if (p.base === 10) return L.frame(p.off);
  return p.off ? L.alu("add", p.base, BigInt(p.off), false) : p.base;
}

/** Write object literal e into place p: each field (nested literals zero their own padding), then zeros in the gaps. */
export function fillLiteral(L: LowerCtx, p: PlaceVal, e: A.ObjectLiteral): void {
  const t = p.type as A.StructType;
  for (const prop of e.props) {
    const f = t.fields.find((x) => x.name === prop.name)!;
    storeInto(L, { ...p, off: p.off + f.offset }, f.type, prop.value);
  }
  for (const [off, n] of gapsOf(t)) zero(L, p, p.off + off, n);
}

/** Store the value of e (of field type t) at place p. */
function storeInto(L: LowerCtx, p: PlaceVal, t: A.DataType, e: A.Expr): void {
  if (t.kind === "int" || t.kind === "bool") {
    const it = t.kind === "int" ? t : U8;
    return L.emit({ op: "store", base: p.base, off: p.off, src: lowBits(L, e, it), size: sizeOf(t) as 1 | 2 | 4 | 8 });
  }
  if (e.kind === "ObjectLiteral") return fillLiteral(L, { ...p, type: t }, e);
  copy(L, { ...p, type: t }, place(L, e));
}

/** Copy the bytes of src into dst (same type), in the widest aligned pieces. */
export function copy(L: LowerCtx, dst: PlaceVal, src: PlaceVal): void {
  const size = dst.type.size;
  for (let done = 0; done < size; ) {
    const n = piece(size - done, dst.off + done, src.off + done);
    const v = L.load(src.base, src.off + done, n);
    L.emit({ op: "store", base: dst.base, off: dst.off + done, src: v, size: n });
    done += n;
  }
}

function zero(L: LowerCtx, p: PlaceVal, off: number, n: number): void {
  for (let done = 0; done < n; ) {
    const k = piece(n - done, off + done, off + done);
    L.emit({ op: "store", base: p.base, off: off + done, src: 0n, size: k });
    done += k;
  }
}

/** The widest of 8, 4, 2, 1 bytes that fits in `left` and is aligned at both offsets. */
function piece(left: number, a: number, b: number): 1 | 2 | 4 | 8 {
  return ([8, 4, 2, 1] as const).find((n) => n <= left && a % n === 0 && b % n === 0)!;
}

const intOfField = (f: Field): Int => (f.type.kind === "int" ? f.type : U8);

/** Read field f of the struct expression `obj`. */
export function readStructField(L: LowerCtx, obj: A.Expr, f: Field): Val {
  const p = place(L, obj);
  const t = intOfField(f);
  const v = L.load(p.base, p.off + f.offset, t.bits / 8);
  return t.signed ? narrowVal(L, v, t) : v;
}

const ATOMIC: Partial<Record<A.AssignOp, AluOp>> = { "+=": "add", "-=": "add", "|=": "or", "&=": "and", "^=": "xor" };

/** `obj.f op= value` (fields of struct or array type only take `=`: a copy). */
export function assignStructField(L: LowerCtx, s: A.Assign, obj: A.Expr, f: Field): void {
  const p = place(L, obj);
  const at: PlaceVal = { ...p, off: p.off + f.offset };
  if (f.type.kind === "struct" || f.type.kind === "array") return storeInto(L, at, f.type, s.value);
  const t = intOfField(f);
  const size = t.bits / 8;
  const aop = ATOMIC[s.op];
  if (p.atomic && aop && (size === 4 || size === 8)) return atomic(L, at, aop, s, t);
  let v: Val;
  if (s.op === "=") v = lowBits(L, s.value, t);
  else {
    const cur = readAt(L, at, t);
    v = compound(L, s.op.slice(0, -1) as ArithOp, cur, t, s.value);
  }
  L.emit({ op: "store", base: at.base, off: at.off, src: v, size: size as 1 | 2 | 4 | 8 });
}

function readAt(L: LowerCtx, at: PlaceVal, t: Int): Val {
  const v = L.load(at.base, at.off, t.bits / 8);
  return t.signed ? narrowVal(L, v, t) : v;
}

/** One BPF atomic instruction: `lock *(uN *)(base + off) op= v` (`-=` adds the negation). */
function atomic(L: LowerCtx, at: PlaceVal, aop: AluOp, s: A.Assign, t: Int): void {
  let v = lowBits(L, s.value, t);
  if (s.op === "-=") v = typeof v === "bigint" ? -v : L.alu("neg", v, 0n, false);
  const r = L.reg();
  L.emit({ op: "mov", dst: r, src: v });
  const alu = aop === "add" ? undefined : (aop as "or" | "and" | "xor");
  L.emit({ op: "xadd", base: at.base, off: at.off, src: r, size: (t.bits / 8) as 4 | 8, ...(alu && { alu }) });
}
