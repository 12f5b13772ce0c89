// CST → AST: takes the typed CST of grammar.ts (cst.ts; possibly partial after error recovery) and
// produces the AST of ast.ts, one toX per construct (expressions and types in cst-expr.ts). Missing
// pieces become placeholders (`Unsupported`/`UnsupportedExpr` with what "") that the checker types
// as errors without reporting again. No diagnostics here: unsupported constructs become nodes the
// checker reports.
import type { CstNode } from "chevrotain";
import type * as A from "../ast.js";
import type * as C from "./cst.js";
import type { Span } from "../../span.js";
import { all, first, isToken, ordered, tok, type CstContext } from "./cst-context.js";
import { toAssignment, toExpression, toFields, toNew, toTypeRef, unquote } from "./cst-expr.js";

export function toProgram(cx: CstContext, n: C.ProgramCstNode): A.Program {
  const items = all(n.children.topLevel).flatMap((t) => toTopLevel(cx, t));
  const span = { file: cx.file, line: 1, col: 1, offset: 0, length: cx.text.length };
  return { kind: "Program", file: cx.file, items, span };
}

function toTopLevel(cx: CstContext, n: C.TopLevelCstNode): A.TopLevel[] {
  const imp = first(n.children.importDecl);
  if (imp) return [toImportDecl(cx, imp)];
  const exp = first(n.children.exportDecl);
  if (exp) return toDeclaration(cx, exp, true);
  const st = first(n.children.statement);
  return st ? toDeclaration(cx, st, false) : [];
}

function toImportDecl(cx: CstContext, n: C.ImportDeclCstNode): A.ImportDecl {
  const names = all(n.children.importSpec).map((s): A.ImportSpecifier => {
    const name = tok(s.children.IdentifierName)?.image ?? "";
    return { name, local: tok(s.children.Identifier)?.image ?? name, span: cx.span(s) };
  });
  const src = tok(n.children.StringLit);
  const source = src ? unquote(src.image) : "";
  return { kind: "ImportDecl", names, source, typeOnly: !!tok(n.children.Type), span: cx.span(n) };
}

/** A top-level declaration (inside `export` or a plain statement). */
function toDeclaration(cx: CstContext, n: C.ExportDeclCstNode | C.StatementCstNode, exported: boolean): A.TopLevel[] {
  const fn = first(n.children.functionDecl);
  if (fn) return [toFunctionDecl(cx, fn, exported)];
  const vs = first(n.children.varStatement);
  if (vs) return toTopVars(cx, first(vs.children.varDeclList), exported);
  const cls = first(n.children.classDecl);
  if (cls) return [cx.unsupported("class", tok(cls.children.Class))];
  const other = first(n.children.otherDecl);
  if (other) return [toTypeDecl(cx, other, exported)];
  if (n.name === "statement" && tok(n.children.Semicolon)) return [];
  if (n.recoveredNode) return []; // a fragment left by error recovery: the syntax error says it all
  return [cx.unsupported("top-level-statement", n)];
}

/** A top-level interface or object type alias is a struct declaration. */
function toTypeDecl(cx: CstContext, n: C.OtherDeclCstNode, exported: boolean): A.StructDecl | A.Unsupported {
  const nameTok = tok(n.children.Identifier);
  const body = first(n.children.objectType);
  const alias = first(n.children.typeRef);
  const fields = body ? toFields(cx, body) : alias && toTypeRef(cx, alias).fields;
  if (!nameTok || !fields) return toOtherDecl(cx, n);
  return { kind: "StructDecl", name: nameTok.image, nameSpan: cx.span(nameTok), exported, fields, span: cx.span(n) };
}

function toOtherDecl(cx: CstContext, n: C.OtherDeclCstNode): A.Unsupported {
  if (tok(n.children.Interface)) return cx.unsupported("interface", n);
  if (tok(n.children.Enum)) return cx.unsupported("enum", n);
  return cx.unsupported("type-alias", n);
}

/** Top-level `const`s: maps (`new X<...>(...)`) and constants; `let`s: global variables; `var` is unsupported. */
function toTopVars(cx: CstContext, list: C.VarDeclListCstNode | undefined, exported: boolean): A.TopLevel[] {
  if (!list) return [];
  const mutable = !!tok(list.children.Let);
  return all(list.children.varDeclarator).map((d): A.TopLevel => {
    if (tok(list.children.Var)) return cx.unsupported("var", d);
    const nameTok = tok(d.children.Identifier);
    const name = nameTok?.image ?? "",
      nameSpan = cx.span(nameTok ?? d),
      span = cx.span(d);
    const typeNode = first(d.children.typeRef);
    const init = first(d.children.assignment);
    const newExpr = init && asNewExpr(init);
    if (newExpr) {
      const { className: mapClass, typeArgs, args } = toNew(cx, newExpr);
      return { kind: "MapDecl", name, nameSpan, exported, mapClass, typeArgs, args, span };
    }
    const typeAnn = typeNode && toTypeRef(cx, typeNode);
    const value = init ? toAssignment(cx, init) : cx.missing(d);
    return { kind: "ConstDecl", name, nameSpan, exported, typeAnn, init: value, span, ...(mutable && { mutable }) };
  });
}

/** The newExpr node when an assignment-expression is exactly `new X<...>(...)`. */
function asNewExpr(n: C.AssignmentCstNode): C.NewExprCstNode | undefined {
  const sole = <N extends CstNode>(m: N | undefined): N | undefined =>
    m && Object.keys(m.children).length === 1 ? m : undefined;
  const cond = first(sole(n)?.children.conditional);
  const bin = first(sole(cond)?.children.binary);
  const un = first(sole(bin)?.children.unary);
  const post = first(sole(un)?.children.postfix);
  const cm = first(sole(post)?.children.callMember);
  const prim = first(sole(cm)?.children.primary);
  return first(sole(prim)?.children.newExpr);
}

function toFunctionDecl(cx: CstContext, n: C.FunctionDeclCstNode, exported: boolean): A.FunctionDecl {
  const nameTok = tok(n.children.Identifier);
  const params = all(first(n.children.paramList)?.children.param).map((p): A.Param => {
    const t = first(p.children.typeRef);
    return { name: tok(p.children.Identifier)?.image ?? "", typeAnn: t && toTypeRef(cx, t), span: cx.span(p) };
  });
  const rt = first(n.children.typeRef);
  const body = first(n.children.block);
  return {
    kind: "FunctionDecl",
    name: nameTok?.image ?? "",
    nameSpan: cx.span(nameTok ?? n),
    exported,
    isAsync: !!tok(n.children.Async),
    params,
    returnTypeAnn: rt && toTypeRef(cx, rt),
    body: body ? toBlock(cx, body) : emptyBlock(cx, n),
    span: cx.span(n),
  };
}

// ------------------------------------------------------------ statements

function toBlock(cx: CstContext, n: C.BlockCstNode): A.Block {
  return { kind: "Block", body: all(n.children.statement).flatMap((s) => toStatement(cx, s)), span: cx.span(n) };
}

function toStatement(cx: CstContext, n: C.StatementCstNode): A.Stmt[] {
  const [c] = ordered(n);
  if (!c || isToken(c)) return [];
  switch (c.name) {
    case "block":
      return [toBlock(cx, c)];
    case "varStatement":
      return toLocalVars(cx, first(c.children.varDeclList));
    case "ifStatement":
      return [toIf(cx, c)];
    case "forStatement":
      return [toFor(cx, c)];
    case "whileStatement":
    case "doStatement":
      return [toWhile(cx, c)];
    case "switchStatement":
      return [toSwitch(cx, c)];
    case "labelledStatement":
      return [toLabelled(cx, c)];
    case "returnStatement":
      return [toReturn(cx, c)];
    case "jumpStatement":
      return [toJump(cx, c)];
    case "functionDecl":
      return [cx.unsupported(tok(c.children.Async) ? "async" : "nested-function", c)];
    case "classDecl":
      return [cx.unsupported("class", tok(c.children.Class) ?? c)];
    case "otherDecl":
      return [toOtherDecl(cx, c)];
    case "otherStatement":
      return [cx.unsupported("try", c)];
    case "expressionStatement": {
      const e = first(c.children.expression);
      return e ? [toExprStatement(cx, toExpression(cx, e), cx.span(c))] : [];
    }
    default:
      return [];
  }
}

function toReturn(cx: CstContext, n: C.ReturnStatementCstNode): A.Stmt {
  const e = first(n.children.expression);
  return { kind: "Return", value: e && toExpression(cx, e), span: cx.span(n) };
}

function toLocalVars(cx: CstContext, list: C.VarDeclListCstNode | undefined): A.Stmt[] {
  if (!list) return [];
  const out: A.Stmt[] = tok(list.children.Var) ? [cx.unsupported("var", tok(list.children.Var))] : [];
  for (const d of all(list.children.varDeclarator)) out.push(toVarDecl(cx, d, !tok(list.children.Const)));
  return out;
}

function toVarDecl(cx: CstContext, d: C.VarDeclaratorCstNode, mutable: boolean): A.VarDecl {
  const nameTok = tok(d.children.Identifier);
  const t = first(d.children.typeRef);
  const init = first(d.children.assignment);
  return {
    kind: "VarDecl",
    mutable,
    name: nameTok?.image ?? "",
    nameSpan: cx.span(nameTok ?? d),
    typeAnn: t && toTypeRef(cx, t),
    init: init && toAssignment(cx, init),
    span: cx.span(d),
  };
}

function toIf(cx: CstContext, n: C.IfStatementCstNode): A.If {
  const test = first(n.children.expression);
  const [st0, st1] = all(n.children.statement);
  const then = st0 ? asOne(cx, toStatement(cx, st0), st0) : emptyBlock(cx, n);
  const els = st1 ? asOne(cx, toStatement(cx, st1), st1) : undefined;
  return { kind: "If", test: test ? toExpression(cx, test) : cx.missing(n), then, else: els, span: cx.span(n) };
}

/** `for (let i = ...; test; update) body`: an init other than one let/const declaration is dropped. */
function toFor(cx: CstContext, n: C.ForStatementCstNode): A.Stmt {
  const list = first(n.children.varDeclList);
  const decls = all(list?.children.varDeclarator);
  const one = list && decls.length === 1 && !tok(list.children.Var);
  const init = one ? toVarDecl(cx, decls[0]!, !tok(list.children.Const)) : undefined;
  const iterable = first(n.children.iterable);
  if (iterable) return toForOf(cx, n, init, toExpression(cx, iterable));
  const test = first(n.children.test);
  const upd = first(n.children.update);
  const updExpr = upd && toExpression(cx, upd);
  const update = updExpr && toExprStatement(cx, updExpr, cx.span(upd));
  const bodyNode = first(n.children.statement);
  return {
    kind: "For",
    init,
    test: test && toExpression(cx, test),
    update: update?.kind === "Assign" ? update : undefined,
    body: bodyNode ? asOne(cx, toStatement(cx, bodyNode), bodyNode) : emptyBlock(cx, n),
    span: cx.span(n),
  };
}

/** `for (const x of e) body`: one declaration without an initialiser. */
function toForOf(cx: CstContext, n: C.ForStatementCstNode, decl: A.VarDecl | undefined, iterable: A.Expr): A.Stmt {
  if (!decl || decl.init) return cx.unsupported("for-of", n);
  const bodyNode = first(n.children.statement);
  const body = bodyNode ? asOne(cx, toStatement(cx, bodyNode), bodyNode) : emptyBlock(cx, n);
  return { kind: "ForOf", decl, iterable, body, span: cx.span(n) };
}

/** `while (test) body` or `do body while (test)`. */
function toWhile(cx: CstContext, n: C.WhileStatementCstNode | C.DoStatementCstNode): A.While {
  const test = first(n.children.expression);
  const bodyNode = first(n.children.statement);
  return {
    kind: "While",
    isDo: n.name === "doStatement",
    test: test ? toExpression(cx, test) : cx.missing(n),
    body: bodyNode ? asOne(cx, toStatement(cx, bodyNode), bodyNode) : emptyBlock(cx, n),
    span: cx.span(n),
  };
}

function toSwitch(cx: CstContext, n: C.SwitchStatementCstNode): A.Switch {
  const test = first(n.children.expression);
  const cases = all(n.children.caseClause).map((c): A.SwitchCase => {
    const t = first(c.children.expression);
    return {
      test: t && toExpression(cx, t),
      body: all(c.children.statement).flatMap((s) => toStatement(cx, s)),
      span: cx.span(c),
    };
  });
  return { kind: "Switch", test: test ? toExpression(cx, test) : cx.missing(n), cases, span: cx.span(n) };
}

function toLabelled(cx: CstContext, n: C.LabelledStatementCstNode): A.Stmt {
  const body = first(n.children.statement);
  return {
    kind: "Labelled",
    label: tok(n.children.Identifier)?.image ?? "",
    body: body ? asOne(cx, toStatement(cx, body), body) : emptyBlock(cx, n),
    span: cx.span(n),
  };
}

/** `break [label]` / `continue [label]`; `throw` is reported unsupported. */
function toJump(cx: CstContext, n: C.JumpStatementCstNode): A.Stmt {
  if (!tok(n.children.Break) && !tok(n.children.Continue)) return cx.unsupported("throw", n);
  const jump = tok(n.children.Break) ? "break" : "continue";
  return { kind: "Jump", jump, label: tok(n.children.label)?.image, span: cx.span(n) };
}

/** ExprStmt, or Assign for `x = e`, `x op= e`, `x++`. */
function toExprStatement(cx: CstContext, e: A.Expr, span: Span): A.Stmt {
  const p = e.kind === "UnsupportedExpr" ? cx.pending.get(e) : undefined;
  if (p) return { kind: "Assign", target: p.target, op: p.op, value: p.value, span };
  return { kind: "ExprStmt", expr: e, span };
}

function asOne(cx: CstContext, stmts: A.Stmt[], n: C.StatementCstNode): A.Stmt {
  return stmts.length === 1 ? stmts[0]! : { kind: "Block", body: stmts, span: cx.span(n) };
}

type BodyOwner =
  | C.FunctionDeclCstNode
  | C.IfStatementCstNode
  | C.ForStatementCstNode
  | C.WhileStatementCstNode
  | C.DoStatementCstNode
  | C.LabelledStatementCstNode;

function emptyBlock(cx: CstContext, n: BodyOwner): A.Block {
  return { kind: "Block", body: [], span: cx.span(n) };
}
