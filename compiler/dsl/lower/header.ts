// Header view fields: takes a view from ctx.header (ctx.ts) and a checked field of its header
// type (catalog.ts), and emits the read (wire order to a host-order value, bit fields extracted)
// or the write (host order to wire order), refusing either where no bounds check dominates it on
// every path or adjustHead/adjustTail made the view stale. The view's null test is the bounds
// check `data + off + sizeof(T) > data_end`, so the verifier never sees an unchecked access.
import type * as A from "../ast.js";
import type { Span } from "../../span.js";
import type { Block, Val } from "../ir.js";
import type { ArithOp } from "../int-rule.js";
import type { LowerCtx } from "./core.js";
import { compound, lowBits, narrowVal } from "./int.js";
import type { HeaderVal } from "./types.js";

export type Field = A.MemberTarget & { kind: "headerField" };

/** Largest variable header offset: beyond any XDP packet's linear data, and + a header size <= 0xffff. */
const VAR_OFF_MAX = 0xff00n;

const STALE = "this header view was invalidated by adjustHead/adjustTail; read it again with ctx.header";

/** Jump to ifNull when the view's bytes are beyond data_end, else to ifSome. */
export function headerNullTest(L: LowerCtx, o: HeaderVal, ifNull: Block, ifSome: Block, span: Span): void {
  if (o.epoch !== L.facts.epoch) L.fail(STALE, span);
  const end = o.off + o.size;
  if (!o.varBase && L.facts.proven(end)) return L.decided(ifSome, ifNull); // already proven on this path
  L.checkBounds(o, end, ifNull, ifSome);
}

/** A header view passed to a function: its bytes must be proven on every path into the call (the
 * callee, static or global, reads them without a check of its own). */
export function checkedView(L: LowerCtx, h: HeaderVal, span: Span): HeaderVal {
  if (h.epoch !== L.facts.epoch) L.fail(STALE, span);
  if (!L.facts.guarded(h, h.off + h.size))
    L.fail("a header view passed to a function must be tested against null first, on every path", span);
  return h;
}

/** Read a header field (wire order) into a host-order canonical value. */
export function readField(L: LowerCtx, h: HeaderVal, m: Field, span: Span): Val {
  if (h.epoch !== L.facts.epoch) L.fail(STALE, span);
  if (!L.facts.guarded(h, h.off + m.offset + m.size)) {
    L.fail("header read is not guarded by a null check on every path (test the header against null first)", span);
  }
  const off = h.off + m.offset;
  const key = `${h.base}:${off}:${m.size}:${m.bitOffset}:${m.bitWidth}:${m.type.name}`;
  const cached = L.facts.cachedLoad(key);
  if (cached !== undefined) return cached;
  const v = loadField(L, h, m, off);
  L.facts.rememberLoad(key, v);
  return v;
}

function loadField(L: LowerCtx, h: HeaderVal, m: Field, off: number): Val {
  if (m.size === 6) {
    const hi = L.swapVal(L.load(h.base, off, 2), 16);
    const lo = L.swapVal(L.load(h.base, off + 2, 4), 32);
    return L.alu("or", L.alu("lsh", hi, 32n, false), lo, false);
  }
  let v: Val = L.swapVal(L.load(h.base, off, m.size), m.size * 8);
  if (m.bitWidth !== undefined) {
    if (m.bitOffset) v = L.alu("rsh", v, BigInt(m.bitOffset), true);
    if ((m.bitOffset ?? 0) + m.bitWidth < m.size * 8) v = L.alu("and", v, (1n << BigInt(m.bitWidth)) - 1n, true);
  }
  return m.type.signed ? narrowVal(L, v, m.type) : v;
}

/** `view.field = v` / `view.field op= v`: the value in the field's type, written in wire order. */
export function fieldAssign(L: LowerCtx, s: A.Assign, tgt: A.MemberExpr, m: Field): void {
  const h = L.object(tgt.object);
  if (h.k !== "hdr") return void L.fail("fields can only be written in header views", tgt.span);
  if (m.bitWidth !== undefined) return void L.fail("bit fields are read-only", tgt.span);
  let v: Val;
  if (s.op !== "=") v = compound(L, s.op.slice(0, -1) as ArithOp, readField(L, h, m, tgt.span), m.type, s.value);
  else {
    v = lowBits(L, s.value, m.type); // the store keeps the low bits
    readField(L, h, m, tgt.span); // the same guard as a read (the load is dropped when unused)
  }
  storeField(L, h, h.off + m.offset, m.size, v);
  L.facts.forgetLoads();
}

function storeField(L: LowerCtx, h: HeaderVal, off: number, size: number, v: Val): void {
  const base = h.base;
  if (size !== 6) return L.emit({ op: "store", base, off, src: L.swapVal(v, size * 8), size: size as 1 | 2 | 4 | 8 });
  const hi = typeof v === "bigint" ? (v >> 32n) & 0xffffn : L.alu("rsh", v, 32n, false);
  L.emit({ op: "store", base, off, src: L.swapVal(hi, 16), size: 2 });
  L.emit({ op: "store", base, off: off + 2, src: L.swapVal(typeof v === "bigint" ? v & 0xffffffffn : v, 32), size: 4 });
}

/** A variable offset saturated at VAR_OFF_MAX, so the verifier can bound the pointer (it needs
 * offset + header size <= 0xffff) and a huge offset still fails the bounds check (null). */
export function clampOffset(L: LowerCtx, off: Val): Val {
  const clamped = L.reg();
  L.emit({ op: "mov", dst: clamped, src: off });
  const big = L.newBlock(),
    join = L.newBlock();
  L.branch("gt", clamped, VAR_OFF_MAX, big, join);
  L.start(big);
  L.emit({ op: "mov", dst: clamped, src: VAR_OFF_MAX });
  L.jump(join);
  L.start(join);
  return clamped;
}
