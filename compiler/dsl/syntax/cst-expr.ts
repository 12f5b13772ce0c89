// CST → AST for expressions and type annotations: takes typed CST nodes of grammar.ts (cst.ts;
// possibly partial after error recovery), produces ast.ts expressions and TypeRefs, one toX per
// construct. The grammar parses binary operators flat; toBinary applies precedence. Missing pieces
// become `UnsupportedExpr` with what "" (see CstContext.missing).
import type { IToken } from "chevrotain";
import type * as A from "../ast.js";
import type * as C from "./cst.js";
import type { Span } from "../../span.js";
import * as T from "./lexer.js";
import { all, first, isToken, ordered, tok, type ChildOf, type CstContext } from "./cst-context.js";

export function toExpression(cx: CstContext, n: C.ExpressionCstNode): A.Expr {
  const a = first(n.children.assignment);
  return a ? toAssignment(cx, a) : cx.missing(n);
}

/** `x = e` and `x op= e` become a placeholder the statement level turns into an Assign. */
export function toAssignment(cx: CstContext, n: C.AssignmentCstNode): A.Expr {
  const c = first(n.children.conditional);
  const left = c ? toConditional(cx, c) : cx.missing(n);
  const op = tok(n.children.AssignOperator);
  if (!op) return left;
  const rhs = first(n.children.assignment);
  const value = rhs ? toAssignment(cx, rhs) : cx.missing(n);
  const u = cx.unsupportedExpr("assignment-expr", n);
  const aop = op.image as A.AssignOp;
  if (["&&=", "||=", "??=", "**="].includes(aop)) return cx.unsupportedExpr("assignment-expr", op);
  cx.pending.set(u, { target: left, op: aop, value });
  return u;
}

function toConditional(cx: CstContext, n: C.ConditionalCstNode): A.Expr {
  const b = first(n.children.binary);
  const test = b ? toBinary(cx, b) : cx.missing(n);
  if (!tok(n.children.Question)) return test;
  const t = first(n.children.then),
    e = first(n.children.else);
  const then = t ? toAssignment(cx, t) : cx.missing(n);
  return { kind: "ConditionalExpr", test, then, else: e ? toAssignment(cx, e) : cx.missing(n), span: cx.span(n) };
}

/** `unary (op unary | as type)*` by precedence climbing. */
function toBinary(cx: CstContext, n: C.BinaryCstNode): A.Expr {
  const items = ordered(n);
  let i = 0;
  const operand = (): A.Expr => {
    const c = items[i];
    if (c && !isToken(c) && c.name === "unary") {
      i++;
      return toUnary(cx, c);
    }
    return cx.missing(c ?? n);
  };
  const climb = (minPrec: number): A.Expr => {
    let left = operand();
    for (;;) {
      const t = items[i];
      if (!t || !isToken(t)) return left;
      const op = t.tokenType === T.As ? "as" : t.image;
      const prec = PREC[op];
      if (prec === undefined || prec < minPrec) return left;
      i++;
      if (op === "as") {
        const ty = items[i];
        const typeRef = ty && !isToken(ty) && ty.name === "typeRef" ? ty : undefined;
        if (typeRef) i++;
        const typeAnn = typeRef ? toTypeRef(cx, typeRef) : badType(cx, t);
        left = { kind: "AsExpr", expr: left, typeAnn, span: joinSpan(left.span, typeAnn.span) };
        continue;
      }
      const right = climb(op === "**" ? prec : prec + 1);
      const span = joinSpan(left.span, right.span);
      left =
        op === "&&" || op === "||" || op === "??"
          ? { kind: "LogicalExpr", op, left, right, span }
          : { kind: "BinaryExpr", op: op as A.BinaryOp, left, right, span };
    }
  };
  return climb(0);
}

function toUnary(cx: CstContext, n: C.UnaryCstNode): A.Expr {
  const inner = first(n.children.unary);
  if (inner) {
    const opTok = ordered(n).find(isToken);
    const operand = toUnary(cx, inner);
    const op = opTok?.image ?? "";
    const span = cx.span(n);
    if (op === "++" || op === "--") return toUpdate(cx, operand, op, span);
    if (op === "await" || op === "typeof" || op === "void") return cx.unsupportedExpr(op, opTok);
    if (op === "-" && operand.kind === "IntLiteral") {
      return { ...operand, value: -operand.value, raw: "-" + operand.raw, span };
    }
    return { kind: "UnaryExpr", op: op as A.UnaryOp, operand, span };
  }
  const p = first(n.children.postfix);
  return p ? toPostfix(cx, p) : cx.missing(n);
}

function toPostfix(cx: CstContext, p: C.PostfixCstNode): A.Expr {
  const cm = first(p.children.callMember);
  const e = cm ? toCallMember(cx, cm) : cx.missing(p);
  const post = tok(p.children.PlusPlus) ?? tok(p.children.MinusMinus);
  return post ? toUpdate(cx, e, post.image as "++" | "--", cx.span(p)) : e;
}

/** `x++` / `--x`: a placeholder the statement level turns into `x += 1` / `x -= 1`. */
function toUpdate(cx: CstContext, target: A.Expr, op: "++" | "--", span: Span): A.Expr {
  const u = cx.unsupportedExpr("update-expr", span);
  const one: A.IntLiteral = { kind: "IntLiteral", value: 1n, bigint: false, raw: "1", span };
  cx.pending.set(u, { target, op: op === "++" ? "+=" : "-=", value: one });
  return u;
}

/** `primary` followed by `.name`, `?.name`, `(args)`, `[index]` and `!` suffixes. */
function toCallMember(cx: CstContext, n: C.CallMemberCstNode): A.Expr {
  const items = ordered(n);
  const prim = items[0];
  let e: A.Expr = prim && !isToken(prim) && prim.name === "primary" ? toPrimary(cx, prim) : cx.missing(n);
  let typeArgs: A.TypeRef[] = [];
  for (let i = 1; i < items.length; i++) {
    const c = items[i]!;
    if (!isToken(c)) {
      if (c.name === "typeArgs") typeArgs = toTypeArgs(cx, c);
      if (c.name === "args") {
        e = { kind: "CallExpr", fn: e, typeArgs, args: toArgs(cx, c), span: joinSpan(e.span, cx.span(c)) };
        typeArgs = [];
      }
      continue;
    }
    const type = c.tokenType;
    if (type === T.Dot || type === T.QuestionDot) {
      const prop = items[i + 1];
      const propTok = prop && isToken(prop) ? prop : undefined;
      if (propTok && !SUFFIX_STARTS.has(propTok.tokenType)) i++;
      const propertySpan = cx.span(propTok ?? c);
      const span = joinSpan(e.span, propertySpan);
      e =
        type === T.QuestionDot
          ? cx.unsupportedExpr("optional-chain", c)
          : { kind: "MemberExpr", object: e, property: propTok?.image ?? "", propertySpan, span };
    } else if (type === T.LBracket) {
      const x = items[i + 1];
      const index = x && !isToken(x) && x.name === "expression" ? toExpression(cx, x) : cx.missing(c);
      while (i + 1 < items.length && !isRBracket(items[i + 1]!)) i++;
      const close = items[++i];
      const end = close && isToken(close) ? cx.span(close) : index.span;
      e = { kind: "IndexExpr", object: e, index, span: joinSpan(e.span, end) };
    } else if (type === T.Bang) {
      e = cx.unsupportedExpr("non-null", c);
    }
  }
  return e;
}

/** Tokens that open the next suffix (after a `.` whose name is missing). */
const SUFFIX_STARTS = new Set([T.Dot, T.QuestionDot, T.LBracket, T.Bang]);
const isRBracket = (c: ChildOf<C.CallMemberCstNode>): boolean => isToken(c) && c.tokenType === T.RBracket;

export function toArgs(cx: CstContext, n: C.ArgsCstNode | undefined): A.Expr[] {
  return all(n?.children.assignment).map((a) => toAssignment(cx, a));
}

function toPrimary(cx: CstContext, n: C.PrimaryCstNode): A.Expr {
  const [c] = ordered(n);
  if (!c) return cx.missing(n);
  if (isToken(c)) return toLiteral(cx, c);
  switch (c.name) {
    case "template":
      return toTemplate(cx, c);
    case "arrowOrIdent":
      if (tok(c.children.Arrow)) return cx.unsupportedExpr("arrow", c);
      return { kind: "Identifier", name: tok(c.children.Identifier)?.image ?? "", span: cx.span(c) };
    case "parenOrArrow":
      return toParenthesized(cx, c);
    case "newExpr":
      return toNew(cx, c);
    case "arrayLiteral":
      return {
        kind: "ArrayLiteral",
        elements: all(c.children.assignment).map((a) => toAssignment(cx, a)),
        span: cx.span(c),
      };
    case "objectLiteral":
      return toObjectLiteral(cx, c);
    case "functionExpr":
      return cx.unsupportedExpr("function-expr", c);
    default:
      return cx.missing(c);
  }
}

function toLiteral(cx: CstContext, t: IToken): A.Expr {
  const span = cx.span(t);
  switch (t.tokenType) {
    case T.True:
      return { kind: "BoolLiteral", value: true, span };
    case T.False:
      return { kind: "BoolLiteral", value: false, span };
    case T.Null:
      return { kind: "NullLiteral", span };
    case T.This:
      return cx.unsupportedExpr("this", t);
    case T.StringLit:
      return { kind: "StringLiteral", value: unquote(t.image), span };
    default:
      return toNumber(cx, t);
  }
}

/** `( e )`; an arrow function, a typed or empty list, or a comma expression is not an expression here. */
function toParenthesized(cx: CstContext, n: C.ParenOrArrowCstNode): A.Expr {
  if (tok(n.children.Arrow)) return cx.unsupportedExpr("arrow", n);
  const inner = all(n.children.assignment);
  if (inner.length === 1 && !tok(n.children.Colon)) return toAssignment(cx, inner[0]!);
  return inner.length === 0 ? cx.missing(n) : cx.unsupportedExpr("comma-expr", n);
}

export function toNew(cx: CstContext, n: C.NewExprCstNode): A.NewExpr {
  const className = tok(n.children.Identifier)?.image ?? "";
  const typeArgs = toTypeArgs(cx, first(n.children.typeArgs));
  return { kind: "NewExpr", className, typeArgs, args: toArgs(cx, first(n.children.args)), span: cx.span(n) };
}

function toNumber(cx: CstContext, t: IToken): A.Expr {
  const raw = t.image;
  const isBig = raw.endsWith("n");
  const body = (isBig ? raw.slice(0, -1) : raw).replace(/_/g, "");
  if (!/^0[xXbBoO]/.test(body) && /[.eE]/.test(body)) return cx.unsupportedExpr("float", t);
  try {
    const value = /^0\d/.test(body) ? BigInt("0o" + body.slice(1)) : BigInt(body);
    return { kind: "IntLiteral", value, bigint: isBig, raw, span: cx.span(t) };
  } catch {
    return cx.unsupportedExpr("float", t);
  }
}

function toTemplate(cx: CstContext, n: C.TemplateCstNode): A.TemplateLiteral {
  const quasis: string[] = [];
  const exprs: A.Expr[] = [];
  for (const c of ordered(n)) {
    if (!isToken(c)) exprs.push(toExpression(cx, c));
    else {
      const whole = c.tokenType === T.TemplateNoSub || c.tokenType === T.TemplateTail;
      quasis.push(cook(whole ? c.image.slice(1, -1) : c.image.slice(1, -2)));
    }
  }
  while (quasis.length < exprs.length + 1) quasis.push("");
  return { kind: "TemplateLiteral", quasis, exprs, span: cx.span(n) };
}

// ------------------------------------------------------------ types

export function toTypeArgs(cx: CstContext, n: C.TypeArgsCstNode | undefined): A.TypeRef[] {
  return all(n?.children.typeRef).map((t) => toTypeRef(cx, t));
}

/** `A | B | null`: one type, nullable when a member is `null` (other unions are not types here). */
export function toTypeRef(cx: CstContext, n: C.TypeRefCstNode): A.TypeRef {
  const span = cx.span(n);
  const seps = n.children.OtherBinaryOp ?? [];
  if (seps.some((s) => s.image !== "|")) return { kind: "TypeRef", name: "<invalid>", args: [], nullable: false, span };
  const atoms = all(n.children.typeAtom).map((a) => toTypeAtom(cx, a));
  const nonNull = atoms.filter((a) => a.name !== "null");
  const nullable = nonNull.length < atoms.length;
  if (nonNull.length === 1) return { ...nonNull[0]!, nullable, span };
  return { kind: "TypeRef", name: nonNull.length === 0 ? "null" : "<union>", args: [], nullable, span };
}

function toTypeAtom(cx: CstContext, n: C.TypeAtomCstNode): A.TypeRef {
  const t = tok(n.children.Identifier) ?? tok(n.children.Null) ?? tok(n.children.Void) ?? tok(n.children.NumberLiteral);
  const obj = first(n.children.objectType);
  const base = obj ? "{}" : (t?.image ?? "<invalid>");
  const name = base + "[]".repeat((n.children.LBracket ?? []).length);
  const args = toTypeArgs(cx, first(n.children.typeArgs));
  const fields = obj && name === "{}" ? toFields(cx, obj) : undefined;
  return { kind: "TypeRef", name, args, nullable: false, span: cx.span(n), ...(fields && { fields }) };
}

/** The members of `{ a: T; b?: U }`, in order. */
export function toFields(cx: CstContext, n: C.ObjectTypeCstNode): A.FieldDecl[] {
  const out: A.FieldDecl[] = [];
  const names = new Set(n.children.IdentifierName ?? []);
  for (const c of ordered(n)) {
    if (isToken(c) && names.has(c)) {
      out.push({ name: c.image, optional: false, typeAnn: badType(cx, c), span: cx.span(c) });
    } else if (isToken(c) && c.tokenType === T.Question && out.length) out[out.length - 1]!.optional = true;
    else if (!isToken(c) && c.name === "typeRef" && out.length) {
      const f = out[out.length - 1]!;
      f.typeAnn = toTypeRef(cx, c);
      f.span = joinSpan(f.span, f.typeAnn.span);
    }
  }
  return out;
}

/** `{ a: e, b }`: properties in order (`b` is `b: b`); a spread makes it unsupported. */
function toObjectLiteral(cx: CstContext, n: C.ObjectLiteralCstNode): A.Expr {
  const props: A.ObjectLiteral["props"] = [];
  for (const p of all(n.children.property)) {
    if (tok(p.children.Ellipsis)) return cx.unsupportedExpr("spread", p);
    const nameTok = tok(p.children.IdentifierName);
    if (!nameTok) continue;
    const nameSpan = cx.span(nameTok);
    const v = first(p.children.assignment);
    const value: A.Expr = v ? toAssignment(cx, v) : { kind: "Identifier", name: nameTok.image, span: nameSpan };
    props.push({ name: nameTok.image, nameSpan, value });
  }
  return { kind: "ObjectLiteral", props, span: cx.span(n) };
}

function badType(cx: CstContext, t: IToken): A.TypeRef {
  return { kind: "TypeRef", name: "<invalid>", args: [], nullable: false, span: cx.span(t) };
}

// ------------------------------------------------------------ helpers

const PREC: Record<string, number> = {
  "??": 1,
  "||": 2,
  "&&": 3,
  "|": 4,
  "^": 5,
  "&": 6,
  "==": 7,
  "!=": 7,
  "===": 7,
  "!==": 7,
  "<": 8,
  ">": 8,
  "<=": 8,
  ">=": 8,
  as: 8,
  "<<": 9,
  ">>": 9,
  ">>>": 9,
  "+": 10,
  "-": 10,
  "*": 11,
  "/": 11,
  "%": 11,
  "**": 12,
};

function joinSpan(a: Span, b: Span): Span {
  if (a.offset === undefined || b.offset === undefined || b.offset + (b.length ?? 0) < a.offset) return a;
  const end = b.offset + (b.length ?? 0);
  return { ...a, endLine: b.endLine ?? b.line, endCol: b.endCol, length: end - a.offset };
}

/** Unquote a '...' or "..." literal. */
export function unquote(s: string): string {
  return cook(s.slice(1, -1));
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
  "\n": "",
  "\r\n": "",
};

/** Process JavaScript escapes. */
function cook(s: string): string {
  return s.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_, e: string) => {
    if (e[0] === "u") return String.fromCodePoint(parseInt(e.replace(/[u{}]/g, ""), 16));
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    return SIMPLE_ESCAPES[e] ?? e;
  });
}
