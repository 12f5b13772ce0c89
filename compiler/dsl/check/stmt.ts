// Statements and function bodies: takes a function's body and checks its statements — variables,
// assignments, returns, if; loops, switch and break/continue through control.ts — following the
// flow (flow.ts) through them: null checks and adjustHead/adjustTail hold on the paths they are on,
// a branch that returns adds nothing after it, and a loop's body is checked from the facts that
// hold on every iteration.
import type * as A from "../ast.js";
import { checkWritable, placeRoot } from "./globals.js";
import { ERROR, VOID, assignable, isError, isInt, notAssignableMessage, typeName } from "./types.js";
import { literalType, narrow } from "../int-rule.js";
import { Flow } from "../flow.js";
import {
  type CheckCtx,
  checkStore,
  cv,
  declare,
  lookup,
  outOfRange,
  report,
  reportUnsupported,
  resolveType,
} from "./context.js";
import { checkCond, checkExpr, checkValue } from "./expr.js";
import { bindRef } from "./structs.js";
import { holdRecord, isReserve, leaveRecords } from "./records.js";
import { forOf, forStmt, jump, labelled, type StmtFns, switchStmt, whileStmt } from "./control.js";

export function body(cx: CheckCtx, f: A.FunctionDecl): void {
  cx.currentFn = f;
  cx.scopes = [new Map()];
  cx.jumps = [];
  cx.flow = Flow.start();
  f.params.forEach((p, index) => {
    const b: A.Binding = {
      kind: "param",
      id: cx.nextId++,
      name: p.name,
      index,
      type: p.type ?? ERROR,
      decl: p,
      func: f,
    };
    if (b.type.kind === "header") cx.viewEpoch.set(b, cx.flow.epoch); // stale after the function adjusts the packet
    if (p.name) declare(cx, b, p.span);
  });
  cx.returnType = f.returnType ?? ERROR;
  block(cx, f.body, false);
  leaveRecords(cx, cx.flow.held, undefined, "before the end of the function");
  if (!cx.flow.dead && cx.returnType.kind !== "void" && !isError(cx.returnType))
    report(
      cx,
      "lacksReturn",
      `Function lacks ending return statement and return type does not include 'undefined'.`,
      f.returnTypeAnn?.span ?? f.nameSpan,
    );
  cx.scopes = [];
  cx.currentFn = undefined;
}

/** Without an annotation, a helper returns void unless it has `return <value>`; then the annotation is required. */
export function inferReturn(cx: CheckCtx, f: A.FunctionDecl): A.Type {
  if (hasValueReturn(f.body)) {
    report(
      cx,
      "programShape",
      `Function '${f.name}' returns a value: declare its return type, e.g. 'function ${f.name}(…): u32'.`,
      f.nameSpan,
    );
    return ERROR;
  }
  return VOID;
}

/** Check statements; the flow is dead when control never reaches the end. */
function block(cx: CheckCtx, b: A.Block, scoped = true): void {
  if (scoped) cx.scopes.push(new Map());
  for (const s of b.body) stmt(cx, s);
  if (scoped) leaveRecords(cx, cx.scopes.pop()!.values(), undefined, "before the end of its block");
}

const FNS: StmtFns = {
  stmt: (cx, s) => stmt(cx, s),
  varDecl: (cx, d) => varDecl(cx, d),
  assign: (cx, s) => assign(cx, s),
  branch: (cx, s) => branch(cx, s),
};

function stmt(cx: CheckCtx, s: A.Stmt): void {
  switch (s.kind) {
    case "Block":
      return block(cx, s);
    case "VarDecl":
      return varDecl(cx, s);
    case "Assign":
      return assign(cx, s);
    case "ExprStmt":
      return exprStmt(cx, s);
    case "Return":
      returnStmt(cx, s);
      leaveRecords(cx, cx.flow.held, s.span, "that returns here");
      cx.flow.dead = true;
      return;
    case "If":
      return ifStmt(cx, s);
    case "For":
      return forStmt(cx, FNS, s);
    case "ForOf":
      return forOf(cx, FNS, s);
    case "While":
      return whileStmt(cx, FNS, s);
    case "Switch":
      return switchStmt(cx, FNS, s);
    case "Labelled":
      return labelled(cx, FNS, s);
    case "Jump":
      return jump(cx, s);
    case "Unsupported":
      reportUnsupported(cx, s.what, s.span);
      cx.flow.dead = true; // flow unknown: no "lacks ending return" on top
  }
}

function varDecl(cx: CheckCtx, d: A.VarDecl): void {
  const ann = d.typeAnn && resolveType(cx, d.typeAnn);
  let t: A.Type = ann ?? ERROR;
  if (!d.init) {
    report(cx, "unsupported", `Variable '${d.name}' needs an initial value.`, d.nameSpan);
  } else {
    if (isReserve(d.init)) cx.reserving = d.init;
    const it = checkValue(cx, d.init, ann?.kind === "nullable" ? ann.inner : ann);
    cx.reserving = undefined;
    if (ann) {
      checkStore(cx, d.init, it, ann);
    } else {
      t = localType(cx, d, it);
      checkStore(cx, d.init, it, t);
    }
  }
  const b: A.Binding = { kind: "local", id: cx.nextId++, name: d.name, mutable: d.mutable, type: t, decl: d };
  d.binding = b;
  if (!d.mutable && d.init?.constValue !== undefined && isInt(t)) {
    cx.constLocals.set(b, narrow(d.init.constValue, t));
    if (!ann && cx.flexible.has(d.init)) cx.flexLocals.add(b);
  }
  if (t.kind === "header" || (t.kind === "nullable" && t.inner.kind === "header")) cx.viewEpoch.set(b, cx.flow.epoch);
  if (d.init) bindRef(cx, b, d.init);
  const root = d.init && (t.kind === "struct" || t.kind === "array") ? placeRoot(cx, d.init) : undefined;
  if (root?.kind === "global" || root?.kind === "param") cx.aliasRoots.set(b, root); // names its bytes
  if (isReserve(d.init)) holdRecord(cx, b, d);
  if (d.name) declare(cx, b, d.nameSpan);
}

function localType(cx: CheckCtx, d: A.VarDecl, it: A.Type): A.Type {
  if (isError(it)) return ERROR;
  const kinds = ["bool", "action", "header", "nullable", "struct", "array"];
  if (isInt(it) || kinds.includes(it.kind)) {
    if (isInt(it) && d.init?.constValue !== undefined && cx.flexible.has(d.init))
      return literalType(d.init.constValue) ?? it;
    return it;
  }
  if (it.kind === "null")
    report(
      cx,
      "notAssignable",
      `Variable '${d.name}' cannot be only null; assign it a header view or map value, e.g. 'const ${d.name} = ctx.header(Ipv4Hdr, EthHdr.size)'.`,
      d.nameSpan,
    );
  else report(cx, "unsupported", `Values of type '${typeName(it)}' cannot be stored in variables.`, d.init!.span);
  return ERROR;
}

function assign(cx: CheckCtx, s: A.Assign): void {
  const tgt = s.target;
  let tt: A.Type;
  if (tgt.kind === "Identifier") {
    const b = lookup(cx, tgt.name);
    if (!b) {
      checkExpr(cx, tgt);
      checkExpr(cx, s.value);
      return;
    }
    tgt.binding = b;
    if ((b.kind === "local" || b.kind === "global") && !mutable(b)) {
      report(cx, "constAssign", `Cannot assign to '${b.name}' because it is a constant.`, tgt.span);
      checkExpr(cx, s.value);
      return;
    }
    if (b.kind !== "local" && b.kind !== "param" && b.kind !== "global") {
      report(
        cx,
        b.kind === "const" ? "constAssign" : "notVariable",
        b.kind === "const"
          ? `Cannot assign to '${b.name}' because it is a constant.`
          : `Cannot assign to '${b.name}' because it is not a variable.`,
        tgt.span,
      );
      checkExpr(cx, s.value);
      return;
    }
    if (cx.loopVars.has(b))
      report(cx, "loopBound", `The loop counter '${b.name}' must not be changed inside the loop.`, tgt.span);
    const inner = b.type.kind === "nullable" ? b.type.inner : b.type;
    if (inner.kind === "struct" || inner.kind === "array") {
      report(
        cx,
        "unsupported",
        `'${b.name}' names ${inner.kind === "struct" ? "a struct" : "an array"}: it cannot be reassigned ` +
          `(declare it const; its ${inner.kind === "struct" ? "fields" : "elements"} can be assigned).`,
        tgt.span,
      );
      checkValue(cx, s.value, inner);
      return;
    }
    tt = b.type;
    tgt.type = tt;
    cx.flow.nonNull.delete(b);
  } else if (tgt.kind === "MemberExpr") {
    tt = checkExpr(cx, tgt);
    const kind = tgt.member?.kind;
    if (!isError(tt) && kind !== "headerField" && kind !== "structField" && kind !== "headerAddr") {
      report(
        cx,
        "readOnly",
        `Cannot assign to '${tgt.property}' because it is a read-only property.`,
        tgt.propertySpan,
      );
      tt = ERROR;
    } else if (tgt.member?.kind === "headerField" && tgt.member.bitWidth !== undefined) {
      report(cx, "readOnly", `Cannot assign to '${tgt.property}': bit fields are read-only.`, tgt.propertySpan);
    }
  } else if (tgt.kind === "IndexExpr") {
    tt = checkExpr(cx, tgt);
  } else {
    checkExpr(cx, tgt);
    report(cx, "unsupported", "Only variables, fields and array elements can be assigned.", tgt.span);
    checkExpr(cx, s.value);
    return;
  }
  if (tgt.kind !== "Identifier" && !isError(tt) && !checkWritable(cx, tgt)) tt = ERROR;
  const target = tt.kind === "nullable" && s.op !== "=" ? ERROR : tt;
  const vt = checkValue(cx, s.value, target);
  if (s.op !== "=" && !isError(target) && !isInt(target)) {
    report(cx, "operatorTypes", `Operator '${s.op}' cannot be applied to type '${typeName(target)}'.`, s.span);
    return;
  }
  const shift = s.op === "<<=" || s.op === ">>=" || s.op === ">>>=";
  const range = s.op === "=" ? outOfRange(cx, s.value, vt, target) : undefined;
  if (range) report(cx, "notAssignable", range, s.value.span);
  else if (shift ? !isError(vt) && !isInt(vt) : !assignable(vt, target, s.op === "=" ? cv(cx, s.value) : undefined))
    report(cx, "notAssignable", notAssignableMessage(vt, target), s.value.span);
  else if (tt.kind === "nullable" && (vt.kind === "header" || isInt(vt)) && tgt.kind === "Identifier" && tgt.binding)
    cx.flow.nonNull.add(tgt.binding); // assigned a checked view: known non-null
}

const mutable = (b: A.Binding & { kind: "local" | "global" }): boolean =>
  b.kind === "local" ? b.mutable : b.global.mutable;

function exprStmt(cx: CheckCtx, s: A.ExprStmt): void {
  const t = checkExpr(cx, s.expr);
  if (t.kind === "string") report(cx, "stringValue", "String values are only allowed as log messages.", s.expr.span);
}

function returnStmt(cx: CheckCtx, s: A.Return): void {
  const rt = cx.returnType;
  if (!s.value) {
    if (rt.kind !== "void" && !isError(rt))
      report(cx, "notAssignable", `Type 'void' is not assignable to type '${typeName(rt)}'.`, s.span);
    return;
  }
  const t = checkValue(cx, s.value, isInt(rt) || rt.kind === "struct" ? rt : undefined);
  const range = outOfRange(cx, s.value, t, rt);
  if (rt.kind === "void" && !isError(t))
    report(cx, "notAssignable", `Type '${typeName(t)}' is not assignable to type 'void'.`, s.value.span);
  else if (range) report(cx, "notAssignable", range, s.value.span);
  else if (!assignable(t, rt, cv(cx, s.value))) {
    const hint = rt.kind === "action" ? " Return one of XdpAction.Pass, .Drop, .Tx, .Redirect, .Aborted." : "";
    report(
      cx,
      "notAssignable",
      `Type '${typeName(t)}' is not assignable to type '${typeName(rt)}'.${hint}`,
      s.value.span,
    );
  }
}

function ifStmt(cx: CheckCtx, s: A.If): void {
  const c = checkCond(cx, s.test);
  const afterTest = cx.flow;
  cx.flow = c.t.branch();
  branch(cx, s.then);
  const afterThen = cx.flow;
  cx.flow = c.f.branch();
  if (s.else) branch(cx, s.else);
  const afterElse = cx.flow;
  // a branch that returns adds nothing after the if (its adjustHead leaves views valid there)
  cx.flow = afterThen.dead && afterElse.dead ? afterTest.fork() : Flow.meet(afterThen, afterElse);
  cx.flow.dead ||= afterTest.dead || (afterThen.dead && afterElse.dead);
}

/** A statement in its own scope (if/for bodies). */
function branch(cx: CheckCtx, s: A.Stmt): void {
  cx.scopes.push(new Map());
  stmt(cx, s);
  cx.scopes.pop();
}

function hasValueReturn(s: A.Stmt): boolean {
  switch (s.kind) {
    case "Return":
      return s.value !== undefined;
    case "Block":
      return s.body.some(hasValueReturn);
    case "If":
      return hasValueReturn(s.then) || (s.else !== undefined && hasValueReturn(s.else));
    case "For":
    case "ForOf":
    case "While":
    case "Labelled":
      return hasValueReturn(s.body);
    case "Switch":
      return s.cases.some((c) => c.body.some(hasValueReturn));
    default:
      return false;
  }
}
