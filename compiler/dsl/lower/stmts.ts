// Lowering of statements: takes one checked statement and a LowerCtx, and emits its IR into the
// current block (declarations, assignments, if, return; loops, switch and break/continue through
// control.ts). Helper functions are inlined (calls.ts), so `return` inside one jumps to the call's
// join block.
import type * as A from "../ast.js";
import type { Val } from "../ir.js";
import type { ArithOp } from "../int-rule.js";
import type { LowerCtx } from "./core.js";
import { effect } from "./exprs.js";
import { fieldAssign } from "./header.js";
import { addrAssign, assignAt, isMacCopy, macCopy, place, storeValue } from "./structs.js";
import { compound, narrowTo } from "./int.js";
import { intOf, type IntLocal, isIntLike } from "./types.js";
import { forOf, forStmt, jump, labelled, switchStmt, whileStmt } from "./control.js";

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
      return forStmt(L, s, []);
    case "ForOf":
      return forOf(L, s, []);
    case "While":
      return whileStmt(L, s, []);
    case "Switch":
      return switchStmt(L, s, []);
    case "Labelled":
      return labelled(L, s);
    case "Jump":
      return jump(L, s);
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
  if (tgt.kind === "MemberExpr" && tgt.member?.kind === "headerField")
    return isMacCopy(tgt.member, s) ? macCopy(L, s, tgt, tgt.member) : fieldAssign(L, s, tgt, tgt.member);
  if (tgt.kind === "MemberExpr" && tgt.member?.kind === "headerAddr") return addrAssign(L, s, tgt, tgt.member.offset);
  if ((tgt.kind === "MemberExpr" && tgt.member?.kind === "structField") || tgt.kind === "IndexExpr")
    return assignAt(L, s);
  if (tgt.kind !== "Identifier") {
    L.fail("only local variables and header fields can be assigned (map writes use methods)", tgt.span);
  }
  if (tgt.binding?.kind === "global") return assignAt(L, s);
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
    if (s.value && L.ret.place) storeValue(L, L.ret.place, s.value);
    else if (s.value && L.ret.type) L.emit({ op: "mov", dst: L.ret.reg, src: narrowTo(L, s.value, L.ret.type) });
    else if (s.value) effect(L, s.value);
    L.jump(L.f.blocks[L.ret.join]!);
  } else if (s.value && L.retType) L.returnWith(narrowTo(L, s.value, L.retType));
  else {
    if (s.value) effect(L, s.value);
    L.returnWith(0n);
  }
  L.start(L.newBlock()); // unreachable code after return
}
