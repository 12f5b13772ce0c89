// Lowering of statements: takes one checked statement and a LowerCtx, and emits its IR into the
// current block (declarations, assignments, if, return, unrolled for-loops). Helper functions are
// inlined (calls.ts), so `return` inside one jumps to the call's join block; for-loops are
// unrolled while their test folds to a constant.
import type * as A from "../ast.js";
import type { Val } from "../ir.js";
import type { ArithOp } from "../int-rule.js";
import type { LowerCtx } from "./core.js";
import { effect } from "./exprs.js";
import { fieldAssign } from "./header.js";
import { assignAt, place, readAt } from "./structs.js";
import { compareConst, compound, narrowTo } from "./int.js";
import { intOf, type IntLocal, isCompare, isIntLike, U32 } from "./types.js";
import { MAX_LOOP_TRIPS, MAX_UNROLLED_BODIES } from "../limits.js";
import { sizeOf } from "../layout.js";

const UNDECIDED = "loop condition must be decidable at compile time (a constant-bounded counter)";

export function stmt(L: LowerCtx, s: A.Stmt): void {
  L.within(s.span, () => stmtInner(L, s));
}

function stmtInner(L: LowerCtx, s: A.Stmt): void {
  switch (s.kind) {
    case "Block":
      for (const x of s.body) L.stmt(x);
      return;
    case "VarDecl":
      return varDecl(L, s);
    case "Assign":
      return assign(L, s);
    case "If":
      return ifStmt(L, s);
    case "Return":
      return returnStmt(L, s);
    case "For":
      return forStmt(L, s);
    case "ForOf":
      return forOf(L, s);
    case "ExprStmt":
      effect(L, s.expr);
      return;
    case "Unsupported":
      L.fail(`unsupported statement: ${s.what}`, s.span);
  }
}

function varDecl(L: LowerCtx, s: A.VarDecl): void {
  if (!s.init) L.fail(`'${s.name}' needs an initial value`, s.span);
  const t = s.binding && "type" in s.binding ? s.binding.type : s.init.type;
  if (isIntLike(t)) {
    const ty = intOf(t);
    const v = narrowTo(L, s.init, ty);
    if (!s.mutable && typeof v === "bigint") return L.bind(s.binding, { k: "const", v, type: ty });
    const reg = L.reg();
    L.emit({ op: "mov", dst: reg, src: v });
    const l: IntLocal = { k: "int", reg, type: ty, mutable: s.mutable };
    L.bind(s.binding, l);
    L.facts.assigned(l, v);
    return;
  }
  if (t?.kind === "struct" || t?.kind === "array") {
    L.bind(s.binding, place(L, s.init));
    return L.keepScratch(); // an object literal's slot lives as long as the variable
  }
  if (s.mutable) L.fail(`'${s.name}' must be const: only integer variables can be reassigned`, s.span);
  L.bind(s.binding, L.object(s.init));
}

function assign(L: LowerCtx, s: A.Assign): void {
  const tgt = s.target;
  if (tgt.kind === "MemberExpr" && tgt.member?.kind === "headerField") return fieldAssign(L, s, tgt, tgt.member);
  if ((tgt.kind === "MemberExpr" && tgt.member?.kind === "structField") || tgt.kind === "IndexExpr")
    return assignAt(L, s);
  if (tgt.kind !== "Identifier") {
    L.fail("only local variables and header fields can be assigned (map writes use methods)", tgt.span);
  }
  const l = L.lookup(tgt.binding, tgt.span);
  if (l.k !== "int" || !l.mutable) L.fail(`'${tgt.name}' cannot be assigned`, tgt.span);
  let v: Val;
  if (s.op === "=") v = narrowTo(L, s.value, l.type);
  else v = compound(L, s.op.slice(0, -1) as ArithOp, L.facts.known(l), l.type, s.value);
  L.emit({ op: "mov", dst: l.reg, src: v });
  L.facts.assigned(l, v);
}

function ifStmt(L: LowerCtx, s: A.If): void {
  const t = L.newBlock(),
    join = L.newBlock();
  const e = s.else ? L.newBlock() : join;
  L.cond(s.test, t, e);
  L.start(t);
  L.stmt(s.then);
  L.jump(join);
  if (s.else) {
    L.start(e);
    L.stmt(s.else);
    L.jump(join);
  }
  L.start(join);
}

function returnStmt(L: LowerCtx, s: A.Return): void {
  if (L.ret) {
    if (s.value && L.ret.type) L.emit({ op: "mov", dst: L.ret.reg, src: narrowTo(L, s.value, L.ret.type) });
    else if (s.value) effect(L, s.value);
    L.jump(L.f.blocks[L.ret.join]!);
  } else L.returnWith(s.value ? narrowTo(L, s.value, U32) : 0n);
  L.start(L.newBlock()); // unreachable code after return
}

function forStmt(L: LowerCtx, s: A.For): void {
  if (s.init) L.stmt(s.init);
  for (let n = 0; ; n++) {
    if (L.facts.never) return; // no path gets here (code after a return, or the body always returns)
    if (n > MAX_LOOP_TRIPS) L.fail(`loop runs more than ${MAX_LOOP_TRIPS} times; the compiler unrolls loops`, s.span);
    unrolledOnce(L, s);
    if (s.test) {
      const c = constCond(L, s.test);
      if (c === undefined) L.fail(UNDECIDED, s.test.span);
      if (!c) break;
    }
    L.stmt(s.body);
    if (s.update) L.stmt(s.update);
  }
}

/** `for (const x of a)`: the body once per element, x bound to the element (a struct: its place). */
function forOf(L: LowerCtx, s: A.ForOf): void {
  const arr = place(L, s.iterable);
  const t = arr.type as A.ArrayType;
  const size = sizeOf(t.elem);
  for (let i = 0; i < t.length; i++) {
    if (L.facts.never) return;
    unrolledOnce(L, s);
    const at = { ...arr, type: t.elem, off: arr.off + i * size, nullable: false };
    if (t.elem.kind === "struct") L.bind(s.decl.binding, at);
    else {
      const reg = L.reg();
      L.emit({ op: "mov", dst: reg, src: readAt(L, at) });
      L.bind(s.decl.binding, { k: "int", reg, type: intOf(t.elem), mutable: false });
    }
    L.stmt(s.body);
  }
}

/** Count one unrolled loop body against the program's limit. */
function unrolledOnce(L: LowerCtx, s: A.Stmt): void {
  if (++L.unrolled > MAX_UNROLLED_BODIES) {
    const why =
      `nested loops run their bodies more than ${MAX_UNROLLED_BODIES} times in all; ` + "the compiler unrolls loops";
    L.fail(why, s.span);
  }
}

/** A comparison whose operands fold to constants on this path (loop tests), else undefined. */
function constCond(L: LowerCtx, e: A.Expr): boolean | undefined {
  if (e.constValue !== undefined) return e.constValue !== 0n;
  if (e.kind !== "BinaryExpr" || !isCompare(e.op)) return undefined;
  const a = L.value(e.left),
    b = L.value(e.right);
  if (typeof a !== "bigint" || typeof b !== "bigint") return undefined;
  return compareConst(e, a, b);
}
