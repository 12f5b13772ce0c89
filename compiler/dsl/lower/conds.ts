// Lowering of conditions as control flow: takes a checked boolean expression (or a nullable
// object's null test), a LowerCtx and two blocks; emits the branches that reach the first block
// when it holds and the second when not. A header view's null test is its bounds check
// (header.ts), so the facts on the non-null edge prove the view's bytes.
import type * as A from "../ast.js";
import type { Block } from "../ir.js";
import type { LowerCtx } from "./core.js";
import { headerNullTest } from "./header.js";
import { structEqual } from "./structs.js";
import { comparison } from "./int.js";
import { lowerMapMethod } from "./maps.js";
import { isCompare, type MapValPtr } from "./types.js";

/** Lower a boolean expression as control flow: jump to t when true, f when false. */
export function cond(L: LowerCtx, e: A.Expr, t: Block, f: Block): void {
  if (e.constValue !== undefined) return e.constValue !== 0n ? L.decided(t, f) : L.decided(f, t);
  if (e.kind === "LogicalExpr" && e.op !== "??") {
    const mid = L.newBlock();
    if (e.op === "&&") L.cond(e.left, mid, f);
    else L.cond(e.left, t, mid);
    L.start(mid);
    return L.cond(e.right, t, f);
  }
  if (e.kind === "UnaryExpr" && e.op === "!") return L.cond(e.operand, f, t);
  if (e.kind === "CallExpr" && e.callee?.kind === "mapMethod" && e.callee.method === "has") {
    const p = lowerMapMethod(L, e.callee.map, "has", e, true) as MapValPtr;
    return L.branch("ne", p.ptr, 0n, t, f);
  }
  if (e.kind === "BinaryExpr" && isCompare(e.op)) return compare(L, e, t, f);
  if (e.type?.kind === "nullable" || e.type?.kind === "header") return nullTest(L, e, f, t);
  L.branch("ne", L.value(e), 0n, t, f);
}

function compare(L: LowerCtx, e: A.BinaryExpr, t: Block, f: Block): void {
  const eq = e.op === "==" || e.op === "===",
    ne = e.op === "!=" || e.op === "!==";
  const isNull = (x: A.Expr): boolean => x.kind === "NullLiteral" || x.type?.kind === "null";
  if ((eq || ne) && (isNull(e.left) || isNull(e.right))) {
    const obj = isNull(e.left) ? e.right : e.left;
    return eq ? nullTest(L, obj, t, f) : nullTest(L, obj, f, t);
  }
  if (e.left.type?.kind === "struct")
    return eq ? structEqual(L, e.left, e.right, t, f) : structEqual(L, e.left, e.right, f, t);
  const c = comparison(L, e);
  L.branch(c.cc, c.a, c.b, t, f);
}

/** Jump to ifNull when the nullable object is null, else to ifSome. */
function nullTest(L: LowerCtx, e: A.Expr, ifNull: Block, ifSome: Block): void {
  const o = L.object(e);
  if (o.k === "mapval") return L.branch("eq", o.ptr, 0n, ifNull, ifSome);
  if (o.k === "place" && o.nullable) return L.branch("eq", o.base, 0n, ifNull, ifSome);
  if (o.k !== "hdr") return L.fail("only header views and map values can be null", e.span);
  headerNullTest(L, o, ifNull, ifSome, e.span);
}
