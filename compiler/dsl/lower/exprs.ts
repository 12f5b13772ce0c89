// Lowering of expressions to values: takes one checked expression and a LowerCtx; produces its
// 64-bit value (integers, bools, actions, by the rule of int-rule.ts), or the object it denotes
// (header view, map value, struct place, ctx), or only its side effects. Boolean operators and `?:` become
// control flow through the conditions of conds.ts (via LowerCtx.cond).
import type * as A from "../ast.js";
import type { Block, Val } from "../ir.js";
import { inDomain } from "../int-rule.js";
import type { LowerCtx } from "./core.js";
import { call } from "./calls.js";
import { ctxField, ctxLength } from "./ctx.js";
import { readField } from "./header.js";
import { binaryValue, narrowTo, unaryValue } from "./int.js";
import { loadMapVal } from "./maps.js";
import { loadOr } from "./packet-bytes.js";
import { place, readAt, readMember } from "./structs.js";
import { exprInt, isCompare, type Local } from "./types.js";

/** Lower an integer/bool/action expression to its 64-bit value (int-rule.ts). */
export function value(L: LowerCtx, e: A.Expr): Val {
  if (e.constValue !== undefined) return inDomain(e.constValue, exprInt(e));
  switch (e.kind) {
    case "IntLiteral":
      return inDomain(e.value, exprInt(e));
    case "BoolLiteral":
      return e.value ? 1n : 0n;
    case "Identifier":
      return identValue(L, e);
    case "MemberExpr":
      return member(L, e);
    case "CallExpr":
      return callValue(L, e);
    case "AsExpr":
      return narrowTo(L, e.expr, exprInt(e));
    case "UnaryExpr":
      return e.op === "!" ? materialize(L, e) : unaryValue(L, e);
    case "BinaryExpr":
      return isCompare(e.op) ? materialize(L, e) : binaryValue(L, e);
    case "LogicalExpr":
      return e.op === "??" ? nullish(L, e) : materialize(L, e);
    case "ConditionalExpr":
      return ternary(L, e);
    case "IndexExpr":
      return readMember(L, e);
    default:
      return L.fail(`unsupported expression (${e.kind})`, e.span);
  }
}

/** Evaluate for side effects only. */
export function effect(L: LowerCtx, e: A.Expr): void {
  if (e.kind === "CallExpr") {
    call(L, e);
    return;
  }
  L.value(e);
}

/** Lower an expression of a non-integer type (header view, map value, struct place, ctx). */
export function object(L: LowerCtx, e: A.Expr): Local {
  if (e.kind === "Identifier") return L.lookup(e.binding, e.span);
  const kinds = ["ObjectLiteral", "ArrayLiteral", "IndexExpr"];
  if (kinds.includes(e.kind) || (e.kind === "MemberExpr" && e.member?.kind === "structField")) return place(L, e);
  if (e.kind === "CallExpr") {
    const r = call(L, e);
    if (r && typeof r === "object") return r;
  }
  return L.fail("unsupported expression here", e.span);
}

function callValue(L: LowerCtx, e: A.CallExpr): Val {
  const r = call(L, e);
  if (r === undefined) return L.fail("this call has no value", e.span);
  if (typeof r === "object") return L.fail("expected an integer value", e.span);
  return r;
}

function identValue(L: LowerCtx, e: A.Identifier): Val {
  const b = e.binding;
  if (b?.kind === "const") return inDomain(b.value, exprInt(e));
  const l = L.lookup(b, e.span);
  if (l.k === "const") return l.v;
  if (l.k === "int") return l.mutable ? L.facts.known(l) : l.reg;
  if (l.k === "mapval") return loadMapVal(L, l);
  if (l.k === "place") return readAt(L, l); // a global variable
  return L.fail(`'${e.name}' is not an integer`, e.span);
}

function member(L: LowerCtx, e: A.MemberExpr): Val {
  const m = e.member;
  if (!m) return L.fail("internal: unresolved member", e.span);
  if (m.kind === "constant") return inDomain(m.value, exprInt(e));
  if (m.kind === "ctxLength") return ctxLength(L);
  if (m.kind === "ctxField") return ctxField(L, m.offset);
  if (m.kind === "structField") return readMember(L, e);
  if (m.kind !== "headerField") return L.fail("unsupported member access", e.span);
  const h = L.object(e.object);
  if (h.k !== "hdr") return L.fail("fields can only be read from header views", e.span);
  return readField(L, h, m, e.span);
}

/** 1 when the condition e holds, else 0. */
function materialize(L: LowerCtx, e: A.Expr): Val {
  return diamond(
    L,
    (t, f) => L.cond(e, t, f),
    () => 1n,
    () => 0n,
  );
}

function ternary(L: LowerCtx, e: A.ConditionalExpr): Val {
  if (!simple(e.then) || !simple(e.else)) {
    return diamond(
      L,
      (t, f) => L.cond(e.test, t, f),
      () => L.value(e.then),
      () => L.value(e.else),
    );
  }
  // d = then; if (!test) d = else — no jump back from the true arm
  const d = L.reg();
  const f = L.newBlock(),
    j = L.newBlock();
  L.emit({ op: "mov", dst: d, src: L.value(e.then) });
  L.cond(e.test, j, f);
  L.start(f);
  L.emit({ op: "mov", dst: d, src: L.value(e.else) });
  L.jump(j);
  L.start(j);
  return d;
}

function simple(x: A.Expr): boolean {
  if (x.kind === "MemberExpr") return x.constValue !== undefined || x.member?.kind === "constant";
  return x.constValue !== undefined || x.kind === "IntLiteral" || x.kind === "BoolLiteral";
}

/** `m.get(k) ?? v`: the map value when the lookup found one, else v (a packet load: packet-bytes.ts). */
function nullish(L: LowerCtx, e: A.LogicalExpr): Val {
  const direct = e.left.kind === "CallExpr" ? loadOr(L, e.left, () => L.value(e.right)) : undefined;
  if (direct !== undefined) return direct;
  const l = L.object(e.left);
  if (l.k !== "mapval") return L.fail("'??' needs a map value on its left", e.left.span);
  return diamond(
    L,
    (t, f) => L.branch("eq", l.ptr, 0n, t, f),
    () => L.value(e.right),
    () => loadMapVal(L, l),
    true,
  );
}

type Arm = () => Val;

/** A register set to onT() on t's path and onF() on f's, where `split` branches to t or f;
 * fFirst lowers f's arm first. */
function diamond(L: LowerCtx, split: (t: Block, f: Block) => void, onT: Arm, onF: Arm, fFirst = false): Val {
  const d = L.reg();
  const t = L.newBlock(),
    f = L.newBlock(),
    j = L.newBlock();
  split(t, f);
  const arms: [Block, Arm][] = fFirst
    ? [
        [f, onF],
        [t, onT],
      ]
    : [
        [t, onT],
        [f, onF],
      ];
  for (const [b, v] of arms) {
    L.start(b);
    L.emit({ op: "mov", dst: d, src: v() });
    L.jump(j);
  }
  L.start(j);
  return d;
}
