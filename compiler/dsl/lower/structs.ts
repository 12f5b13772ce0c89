// Lowering of struct and array values: takes checked struct/array expressions (object and array
// literals, variables, `s.f` fields, `a[i]` elements, map value references from `M.get`) and a
// LowerCtx, and produces places — a value at base + off, base r10 for a stack slot or a pointer
// into a map value — with reads, writes (`+= -= |= &= ^=` on a 4- or 8-byte integer of a shared
// map's value as one BPF atomic instruction), copies between places, and literals written element
// by element with their padding zeroed (so a struct used as a map key compares by its fields only).
// A variable index is bounds-checked: outside the array it selects a zeroed scratch element, so a
// read gives 0 and a write changes nothing, and the verifier sees the pointer's range.
import type * as A from "../ast.js";
import type { AluOp, Block, Reg, Val } from "../ir.js";
import { IPV6_ADDR } from "../catalog.js";
import { type Field, readField } from "./header.js";
import type { ArithOp } from "../int-rule.js";
import { gapsOf, sizeOf } from "../layout.js";
import type { LowerCtx } from "./core.js";
import { compound, lowBits, narrowVal } from "./int.js";
import { type Int, type PlaceVal, U8, U64 } from "./types.js";

type Mem = A.StructType | A.ArrayType;

/** Where the struct, array or element value of expression e lives (literals get a stack slot of the statement). */
export function place(L: LowerCtx, e: A.Expr): PlaceVal {
  if (e.kind === "ObjectLiteral" || e.kind === "ArrayLiteral") {
    const p = stackPlace(L, e.type as Mem);
    fill(L, p, e);
    return p;
  }
  if (e.kind === "MemberExpr" && e.member?.kind === "structField") {
    const outer = place(L, e.object);
    const f = e.member.field;
    return { ...outer, type: f.type, off: outer.off + f.offset, nullable: false, ...(f.mac && { mac: f.mac }) };
  }
  if (e.kind === "IndexExpr") return element(L, e);
  if (e.kind === "MemberExpr" && e.member?.kind === "headerAddr") return headerAddr(L, e, e.member.offset);
  const o = L.object(e);
  if (o.k !== "place") return L.fail("expected a struct or array value", e.span);
  return o;
}

/** `view.srcAddr` (an Ipv6Addr field): its 16 bytes copied from the packet to a stack slot (a new
 * one, or `p`), so the value stays valid after adjustHead; the view's guard is checked as for any field read. */
export function headerAddr(L: LowerCtx, e: A.MemberExpr, offset: number, into?: PlaceVal): PlaceVal {
  const h = L.object(e.object);
  if (h.k !== "hdr") return L.fail("fields can only be read from header views", e.span);
  const m = { kind: "headerField", header: "", field: "", offset, size: 8, type: U64 } as const;
  const p = into ?? stackPlace(L, IPV6_ADDR);
  for (const half of [0, 8]) {
    readField(L, h, { ...m, offset: offset + half }, e.span); // the guard (the swapped value is dropped)
    L.emit({ op: "store", base: 10, off: p.off + half, src: L.load(h.base, h.off + offset + half, 8), size: 8 });
  }
  return p;
}

/** `view.dstAddr = a` (an Ipv6Addr field): a's 16 bytes written into the packet as they are (both
 * in network order), read first (a header field's value is a copy: `ip6.srcAddr = ip6.dstAddr`
 * and a swap through a local work); the view's guard is checked as for any field write. */
export function addrAssign(L: LowerCtx, s: A.Assign, tgt: A.MemberExpr, offset: number): void {
  const src = place(L, s.value);
  const h = L.object(tgt.object);
  if (h.k !== "hdr") return L.fail("fields can only be written in header views", tgt.span);
  const m = { kind: "headerField", header: "", field: "", offset, size: 8, type: U64 } as const;
  for (const half of [0, 8]) readField(L, h, { ...m, offset: offset + half }, tgt.span); // the guard
  for (let done = 0; done < 16; ) {
    const n = piece(16 - done, src.off + done, src.off + done); // the packet takes any alignment
    const v = L.load(src.base, src.off + done, n);
    L.emit({ op: "store", base: h.base, off: h.off + offset + done, src: v, size: n });
    done += n;
  }
  L.facts.forgetLoads();
}

/** Whether `view.mac = value` copies bytes: a 6-byte field set from a MAC field (FibResult's). */
export const isMacCopy = (m: A.MemberTarget, s: A.Assign): boolean =>
  m.kind === "headerField" &&
  m.size === 6 &&
  s.op === "=" &&
  s.value.kind === "MemberExpr" &&
  s.value.member?.kind === "structField" &&
  !!s.value.member.field.mac;

/** `eth.dstMac = fib.dmac`: the MAC's 6 wire bytes copied into the packet as they are, in the
 * pieces the source's alignment allows (the packet takes any), after the view's guard. */
export function macCopy(L: LowerCtx, s: A.Assign, tgt: A.MemberExpr, m: Field): void {
  const src = place(L, s.value);
  const h = L.object(tgt.object);
  if (h.k !== "hdr") return L.fail("fields can only be written in header views", tgt.span);
  readField(L, h, m, tgt.span); // the guard (the load is dropped when unused)
  for (const [at, n] of macPieces(src.off)) {
    const v = L.load(src.base, src.off + at, n);
    L.emit({ op: "store", base: h.base, off: h.off + m.offset + at, src: v, size: n });
  }
  L.facts.forgetLoads();
}

/** `a === b` / `a !== b` of two struct values (an Ipv6Addr too): their bytes compared in the widest
 * aligned pieces, padding included (zero wherever the program wrote the struct); jump to t when
 * equal, else f. */
export function structEqual(L: LowerCtx, a: A.Expr, b: A.Expr, t: Block, f: Block): void {
  const pa = place(L, a),
    pb = place(L, b);
  const size = sizeOf(pa.type);
  for (let done = 0; done < size; ) {
    const n = piece(size - done, pa.off + done, pb.off + done);
    const next = done + n < size ? L.newBlock() : t;
    L.branch("eq", L.load(pa.base, pa.off + done, n), L.load(pb.base, pb.off + done, n), next, f);
    done += n;
    if (next !== t) L.start(next);
  }
}

/** A fresh stack slot for a value of type t. */
export function stackPlace(L: LowerCtx, t: Mem): PlaceVal {
  return { k: "place", type: t, base: 10, off: L.scratch(t.size), atomic: false };
}

/** The address of a place, in a register (for helper arguments). */
export function addressOf(L: LowerCtx, p: PlaceVal): Reg {
  if (p.base === 10) return L.frame(p.off);
  return p.off ? L.alu("add", p.base, BigInt(p.off), false) : p.base;
}

/** `a[i]`: a constant index is an offset; a variable one a pointer, to a zeroed scratch element when i >= N. */
function element(L: LowerCtx, e: A.IndexExpr): PlaceVal {
  const arr = place(L, e.object);
  const t = arr.type as A.ArrayType;
  const size = sizeOf(t.elem);
  const i = L.value(e.index);
  const inside = typeof i === "bigint" && BigInt.asUintN(64, i) < BigInt(t.length);
  if (inside) return { ...arr, type: t.elem, off: arr.off + Number(i) * size, nullable: false };
  const spare: PlaceVal = { k: "place", type: t.elem, base: 10, off: L.scratch(size), atomic: false };
  zero(L, spare, spare.off, size);
  if (typeof i === "bigint") return spare; // folded to a constant outside the array on this path
  const d = L.reg();
  L.emit({ op: "mov", dst: d, src: addressOf(L, spare) });
  const within = L.newBlock(),
    join = L.newBlock();
  L.branch("ge", i, BigInt(t.length), join, within);
  L.start(within);
  const off = size === 1 ? i : L.alu("mul", i, BigInt(size), false);
  L.emit({ op: "alu", alu: "add", dst: d, a: addressOf(L, arr), b: off, w32: false });
  L.jump(join);
  L.start(join);
  return { k: "place", type: t.elem, base: d, off: 0, atomic: arr.atomic };
}

/** Write object or array literal e into place p: each field or element, then zeros in a struct's gaps. */
function fill(L: LowerCtx, p: PlaceVal, e: A.ObjectLiteral | A.ArrayLiteral): void {
  if (e.kind === "ArrayLiteral") {
    const elem = (p.type as A.ArrayType).elem;
    const size = sizeOf(elem);
    e.elements.forEach((x, i) => storeValue(L, { ...p, type: elem, off: p.off + i * size }, x));
    return;
  }
  const t = p.type as A.StructType;
  for (const prop of e.props) {
    const f = t.fields.find((x) => x.name === prop.name)!;
    storeValue(L, { ...p, type: f.type, off: p.off + f.offset, ...(f.mac && { mac: f.mac }) }, prop.value);
  }
  for (const [off, n] of gapsOf(t)) zero(L, p, p.off + off, n);
}

/** Store the value of e at place p (of p's type). */
export function storeValue(L: LowerCtx, p: PlaceVal, e: A.Expr): void {
  const t = p.type;
  if (t.kind === "int" || t.kind === "bool") return writeAt(L, p, lowBits(L, e, t.kind === "int" ? t : U8));
  if (e.kind === "ObjectLiteral" || e.kind === "ArrayLiteral") return fill(L, p, e);
  copy(L, p, place(L, e));
}

/** Copy the bytes of src into dst (same type), in the widest aligned pieces. */
export function copy(L: LowerCtx, dst: PlaceVal, src: PlaceVal): void {
  const size = sizeOf(dst.type);
  for (let done = 0; done < size; ) {
    const n = piece(size - done, dst.off + done, src.off + done);
    const v = L.load(src.base, src.off + done, n);
    L.emit({ op: "store", base: dst.base, off: dst.off + done, src: v, size: n });
    done += n;
  }
}

export function zero(L: LowerCtx, p: PlaceVal, off: number, n: number): void {
  for (let done = 0; done < n; ) {
    const k = piece(n - done, off + done, off + done);
    L.emit({ op: "store", base: p.base, off: off + done, src: 0n, size: k });
    done += k;
  }
}

/** The integer or bool v written at place p (a MAC field as its 6 wire bytes). */
function writeAt(L: LowerCtx, p: PlaceVal, v: Val): void {
  if (!p.mac) return L.emit({ op: "store", base: p.base, off: p.off, src: v, size: sizeOf(p.type) as 1 | 2 | 4 | 8 });
  for (const [at, n] of macPieces(p.off)) {
    const part =
      typeof v === "bigint" ? v >> BigInt(48 - 8 * (at + n)) : L.alu("rsh", v, BigInt(48 - 8 * (at + n)), false);
    L.emit({ op: "store", base: p.base, off: p.off + at, src: L.swapVal(part, n * 8), size: n });
  }
}

/** The 6 bytes of a MAC at `off` as aligned pieces: [offset in the MAC, size]. */
export function macPieces(off: number): [number, 1 | 2 | 4][] {
  const out: [number, 1 | 2 | 4][] = [];
  for (let at = 0; at < 6; ) {
    const n = ([4, 2, 1] as const).find((k) => k <= 6 - at && (off + at) % k === 0)!;
    out.push([at, n]);
    at += n;
  }
  return out;
}

/** The MAC at place p as a 48-bit value: its pieces loaded, swapped to host order and joined. */
function readMac(L: LowerCtx, p: PlaceVal): Val {
  let v: Val = 0n;
  for (const [at, n] of macPieces(p.off)) {
    const part = L.swapVal(L.load(p.base, p.off + at, n), n * 8);
    const shifted = at + n < 6 ? L.alu("lsh", part, BigInt(48 - 8 * (at + n)), false) : part;
    v = v === 0n ? shifted : L.alu("or", v, shifted, false);
  }
  return v;
}

/** The widest of 8, 4, 2, 1 bytes that fits in `left` and is aligned at both offsets. */
function piece(left: number, a: number, b: number): 1 | 2 | 4 | 8 {
  return ([8, 4, 2, 1] as const).find((n) => n <= left && a % n === 0 && b % n === 0)!;
}

const intAt = (p: PlaceVal): Int => (p.type.kind === "int" ? p.type : U8);

/** The integer or bool at place p (a field or an element). */
export function readAt(L: LowerCtx, p: PlaceVal): Val {
  const t = intAt(p);
  if (p.fixed) return fixedInt(p.fixed.bytes, p.off - p.fixed.at, t);
  if (p.mac) return readMac(L, p);
  const v = L.load(p.base, p.off, t.bits / 8);
  return t.signed ? narrowVal(L, v, t) : v;
}

/** The integer of type t at byte `off` of a read-only global's bytes (little-endian). */
function fixedInt(bytes: Uint8Array, off: number, t: Int): bigint {
  let v = 0n;
  for (let i = t.bits / 8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
  return t.signed ? BigInt.asIntN(t.bits, v) : v;
}

/** The integer or bool value of a field or element expression. */
export function readMember(L: LowerCtx, e: A.Expr): Val {
  return readAt(L, place(L, e));
}

const ATOMIC: Partial<Record<A.AssignOp, AluOp>> = { "+=": "add", "-=": "add", "|=": "or", "&=": "and", "^=": "xor" };

/** `target op= value` for a field or element target (struct and array targets only take `=`: a copy). */
export function assignAt(L: LowerCtx, s: A.Assign): void {
  const at = place(L, s.target);
  if (at.type.kind === "struct" || at.type.kind === "array") return storeValue(L, at, s.value);
  const t = intAt(at);
  const size = t.bits / 8;
  const aop = ATOMIC[s.op];
  if (at.atomic && aop && !at.mac && (size === 4 || size === 8)) return atomic(L, at, aop, s, t);
  let v: Val;
  if (s.op === "=") v = lowBits(L, s.value, t);
  else v = compound(L, s.op.slice(0, -1) as ArithOp, readAt(L, at), t, s.value);
  writeAt(L, at, v);
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
