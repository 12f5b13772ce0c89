// CST → AST: takes the Chevrotain CST of grammar.ts (possibly partial after error recovery) and
// produces the AST of ast.ts. Missing pieces become placeholders (`Unsupported`/`UnsupportedExpr`
// with what "") that the checker types as errors without reporting again. No diagnostics here:
// unsupported constructs become nodes the checker reports.
import type { CstNode, IToken } from "chevrotain";
import type * as A from "../ast.js";
import type { Span } from "../../span.js";

type Child = CstNode | IToken;

const isToken = (c: Child): c is IToken => (c as IToken).tokenType !== undefined;

export class CstToAst {
  /** `x++` / `x = e` parsed inside an expression: kept so statement level can turn them into Assign. */
  private pending = new WeakMap<A.UnsupportedExpr, { target: A.Expr; op: A.AssignOp; value: A.Expr }>();

  constructor(private file: string, private text: string) {}

  // ------------------------------------------------------------ spans

  tokenSpan(t: IToken): Span {
    if (Number.isNaN(t.startOffset) || t.isInsertedInRecovery) return this.endSpan();
    const endCol = (t.endColumn ?? t.startColumn ?? 1) + 1;
    return {
      file: this.file, line: t.startLine ?? 1, col: t.startColumn ?? 1, endLine: t.endLine ?? t.startLine, endCol,
      offset: t.startOffset, length: (t.endOffset ?? t.startOffset) - t.startOffset + 1,
    };
  }

  endSpan(): Span {
    const lines = this.text.split("\n");
    const last = lines[lines.length - 1] ?? "";
    return { file: this.file, line: lines.length, col: last.length + 1, offset: this.text.length, length: 0 };
  }

  span(n: Child | undefined): Span {
    if (!n) return this.endSpan();
    if (isToken(n)) return this.tokenSpan(n);
    const l = n.location;
    if (l && !Number.isNaN(l.startOffset) && l.startLine !== undefined && !Number.isNaN(l.startLine)) {
      const endOffset = l.endOffset !== undefined && !Number.isNaN(l.endOffset) ? l.endOffset : l.startOffset;
      return {
        file: this.file, line: l.startLine, col: l.startColumn ?? 1,
        endLine: Number.isNaN(l.endLine ?? NaN) ? l.startLine : l.endLine, endCol: Number.isNaN(l.endColumn ?? NaN) ? undefined : (l.endColumn ?? 0) + 1,
        offset: l.startOffset, length: endOffset - l.startOffset + 1,
      };
    }
    const first = this.ordered(n)[0];
    return first ? this.span(first) : this.endSpan();
  }

  // ------------------------------------------------------------ CST access

  tok(n: CstNode | undefined, name: string, i = 0): IToken | undefined {
    const t = n?.children[name]?.[i] as IToken | undefined;
    return t && !t.isInsertedInRecovery ? t : undefined;
  }

  sub(n: CstNode | undefined, name: string, i = 0): CstNode | undefined {
    return n?.children[name]?.[i] as CstNode | undefined;
  }

  subs(n: CstNode | undefined, name: string): CstNode[] {
    return (n?.children[name] ?? []) as CstNode[];
  }

  private static startOf(c: Child): number {
    const o = isToken(c) ? c.startOffset : c.location?.startOffset;
    return o === undefined || Number.isNaN(o) ? Number.MAX_SAFE_INTEGER : o;
  }

  /** All children in source order (CST groups them by name). */
  ordered(n: CstNode): Child[] {
    const all: Child[] = [];
    for (const k in n.children) for (const c of n.children[k]!) if (!(isToken(c) && c.isInsertedInRecovery)) all.push(c);
    return all.sort((a, b) => CstToAst.startOf(a) - CstToAst.startOf(b));
  }

  // ------------------------------------------------------------ program

  program(n: CstNode): A.Program {
    const items: A.TopLevel[] = [];
    for (const t of this.subs(n, "topLevel")) items.push(...this.topLevel(t));
    return { kind: "Program", file: this.file, items, span: { file: this.file, line: 1, col: 1, offset: 0, length: this.text.length } };
  }

  topLevel(n: CstNode): A.TopLevel[] {
    const imp = this.sub(n, "importDecl");
    if (imp) return [this.importDecl(imp)];
    const exp = this.sub(n, "exportDecl");
    if (exp) return this.declaration(exp, true);
    const st = this.sub(n, "statement");
    return st ? this.declaration(st, false) : [];
  }

  importDecl(n: CstNode): A.ImportDecl {
    const names = this.subs(n, "importSpec").map((s): A.ImportSpecifier => {
      const name = this.tok(s, "IdentifierName")?.image ?? "";
      return { name, local: this.tok(s, "Identifier")?.image ?? name, span: this.span(s) };
    });
    const src = this.tok(n, "StringLit");
    return { kind: "ImportDecl", names, source: src ? unquote(src.image) : "", typeOnly: !!this.tok(n, "Type"), span: this.span(n) };
  }

  /** A top-level declaration (inside `export` or a plain statement). */
  declaration(n: CstNode, exported: boolean): A.TopLevel[] {
    const fn = this.sub(n, "functionDecl");
    if (fn) return [this.functionDecl(fn, exported)];
    const vs = this.sub(n, "varStatement");
    if (vs) return this.topVars(this.sub(vs, "varDeclList"), exported);
    const cls = this.sub(n, "classDecl");
    if (cls) return [this.unsupported("class", this.tok(cls, "Class"))];
    const other = this.sub(n, "otherDecl");
    if (other) return [this.otherDecl(other)];
    if (n.name === "statement" && this.tok(n, "Semicolon")) return [];
    if (n.recoveredNode) return []; // a fragment left by error recovery: the syntax error says it all
    return [this.unsupported("top-level-statement", n)];
  }

  otherDecl(n: CstNode): A.Unsupported {
    if (this.tok(n, "Interface")) return this.unsupported("interface", n);
    if (this.tok(n, "Enum")) return this.unsupported("enum", n);
    return this.unsupported("type-alias", n);
  }

  topVars(list: CstNode | undefined, exported: boolean): A.TopLevel[] {
    if (!list) return [];
    const kw = this.tok(list, "Const") ? "const" : this.tok(list, "Let") ? "let" : "var";
    const out: A.TopLevel[] = [];
    for (const d of this.subs(list, "varDeclarator")) {
      const nameTok = this.tok(d, "Identifier");
      const name = nameTok?.image ?? "";
      const nameSpan = this.span(nameTok ?? d);
      if (kw !== "const") {
        out.push(this.unsupported("top-level-let", d));
        continue;
      }
      const typeNode = this.sub(d, "typeRef");
      const init = this.sub(d, "assignment");
      const newExpr = init && this.asNewExpr(init);
      if (newExpr) {
        out.push({ kind: "MapDecl", name, nameSpan, exported, mapClass: this.tok(newExpr, "Identifier")?.image ?? "",
          typeArgs: this.typeArgs(this.sub(newExpr, "typeArgs")), args: this.argList(this.sub(newExpr, "args")), span: this.span(d) });
        continue;
      }
      out.push({ kind: "ConstDecl", name, nameSpan, exported, typeAnn: typeNode && this.typeRef(typeNode),
        init: init ? this.assignment(init) : this.missing(d), span: this.span(d) });
    }
    return out;
  }

  /** The newExpr node when an assignment-expression is exactly `new X<...>(...)`. */
  private asNewExpr(n: CstNode): CstNode | undefined {
    const chain = ["conditional", "binary", "unary", "postfix", "callMember", "primary", "newExpr"];
    let cur: CstNode | undefined = n;
    for (const name of chain) {
      if (!cur || Object.keys(cur.children).length !== 1) return undefined;
      cur = this.sub(cur, name);
    }
    return cur;
  }

  functionDecl(n: CstNode, exported: boolean): A.FunctionDecl {
    const nameTok = this.tok(n, "Identifier");
    const params = this.subs(this.sub(n, "paramList"), "param").map((p): A.Param => {
      const t = this.sub(p, "typeRef");
      return { name: this.tok(p, "Identifier")?.image ?? "", typeAnn: t && this.typeRef(t), span: this.span(p) };
    });
    const rt = this.sub(n, "typeRef");
    const body = this.sub(n, "block");
    return {
      kind: "FunctionDecl", name: nameTok?.image ?? "", nameSpan: this.span(nameTok ?? n), exported, isAsync: !!this.tok(n, "Async"),
      params, returnTypeAnn: rt && this.typeRef(rt), body: body ? this.block(body) : { kind: "Block", body: [], span: this.span(n) }, span: this.span(n),
    };
  }

  // ------------------------------------------------------------ statements

  block(n: CstNode): A.Block {
    const body: A.Stmt[] = [];
    for (const s of this.subs(n, "statement")) body.push(...this.statement(s));
    return { kind: "Block", body, span: this.span(n) };
  }

  statement(n: CstNode): A.Stmt[] {
    const [c] = this.ordered(n);
    if (!c || isToken(c)) return [];
    switch (c.name) {
      case "block": return [this.block(c)];
      case "varStatement": return this.localVars(this.sub(c, "varDeclList"));
      case "ifStatement": return [this.ifStatement(c)];
      case "forStatement": return [this.forStatement(c)];
      case "whileStatement": return [this.unsupported("while", this.tok(c, "While") ?? c)];
      case "doStatement": return [this.unsupported("do-while", this.tok(c, "Do") ?? c)];
      case "returnStatement": {
        const e = this.sub(c, "expression");
        return [{ kind: "Return", value: e && this.expression(e), span: this.span(c) }];
      }
      case "jumpStatement": {
        const k = this.tok(c, "Break") ? "break" : this.tok(c, "Continue") ? "continue" : "throw";
        return [this.unsupported(k, c)];
      }
      case "functionDecl": return [this.unsupported(this.tok(c, "Async") ? "async" : "nested-function", c)];
      case "classDecl": return [this.unsupported("class", this.tok(c, "Class") ?? c)];
      case "otherDecl": return [this.otherDecl(c)];
      case "otherStatement": return [this.unsupported(this.tok(c, "Switch") ? "switch" : "try", c)];
      case "expressionStatement": {
        const e = this.sub(c, "expression");
        return e ? [this.exprStatement(this.expression(e), this.span(c))] : [];
      }
      default: return [];
    }
  }

  localVars(list: CstNode | undefined): A.Stmt[] {
    if (!list) return [];
    const isVar = !!this.tok(list, "Var");
    const out: A.Stmt[] = isVar ? [this.unsupported("var", this.tok(list, "Var"))] : [];
    for (const d of this.subs(list, "varDeclarator")) out.push(this.varDecl(d, !this.tok(list, "Const")));
    return out;
  }

  varDecl(d: CstNode, mutable: boolean): A.VarDecl {
    const nameTok = this.tok(d, "Identifier");
    const t = this.sub(d, "typeRef");
    const init = this.sub(d, "assignment");
    return {
      kind: "VarDecl", mutable, name: nameTok?.image ?? "", nameSpan: this.span(nameTok ?? d),
      typeAnn: t && this.typeRef(t), init: init && this.assignment(init), span: this.span(d),
    };
  }

  ifStatement(n: CstNode): A.If {
    const test = this.sub(n, "expression");
    const st = this.subs(n, "statement");
    const then = st[0] ? this.asOne(this.statement(st[0]), st[0]) : this.emptyBlock(n);
    const els = st[1] ? this.asOne(this.statement(st[1]), st[1]) : undefined;
    return { kind: "If", test: test ? this.expression(test) : this.missing(n), then, else: els, span: this.span(n) };
  }

  forStatement(n: CstNode): A.Stmt {
    const list = this.sub(n, "varDeclList");
    const decls = list ? this.subs(list, "varDeclarator") : [];
    const init = list && decls.length === 1 && !this.tok(list, "Var") ? this.varDecl(decls[0]!, !this.tok(list, "Const")) : undefined;
    const test = this.sub(n, "test");
    const upd = this.sub(n, "update");
    const updExpr = upd && this.expression(upd);
    const update = updExpr && this.exprStatement(updExpr, this.span(upd));
    const bodyNode = this.sub(n, "statement");
    return {
      kind: "For", init, test: test && this.expression(test), update: update?.kind === "Assign" ? update : undefined,
      body: bodyNode ? this.asOne(this.statement(bodyNode), bodyNode) : this.emptyBlock(n), span: this.span(n),
    };
  }

  /** ExprStmt, or Assign for `x = e`, `x op= e`, `x++`. */
  exprStatement(e: A.Expr, span: Span): A.Stmt {
    const p = e.kind === "UnsupportedExpr" ? this.pending.get(e) : undefined;
    if (p) return { kind: "Assign", target: p.target, op: p.op, value: p.value, span };
    return { kind: "ExprStmt", expr: e, span };
  }

  private asOne(stmts: A.Stmt[], n: CstNode): A.Stmt {
    return stmts.length === 1 ? stmts[0]! : { kind: "Block", body: stmts, span: this.span(n) };
  }

  private emptyBlock(n: CstNode): A.Block {
    return { kind: "Block", body: [], span: this.span(n) };
  }

  unsupported(what: string, n: Child | undefined): A.Unsupported {
    return { kind: "Unsupported", what, span: this.span(n) };
  }

  // ------------------------------------------------------------ expressions

  expression(n: CstNode): A.Expr {
    const a = this.sub(n, "assignment");
    return a ? this.assignment(a) : this.missing(n);
  }

  missing(n: Child | undefined): A.UnsupportedExpr {
    return { kind: "UnsupportedExpr", what: "", span: this.span(n) };
  }

  unsupportedExpr(what: string, n: Child | undefined | Span): A.UnsupportedExpr {
    const span = n && "file" in n ? n : this.span(n as Child | undefined);
    return { kind: "UnsupportedExpr", what, span };
  }

  assignment(n: CstNode): A.Expr {
    const c = this.sub(n, "conditional");
    const left = c ? this.conditional(c) : this.missing(n);
    const op = this.tok(n, "AssignOperator");
    if (!op) return left;
    const rhs = this.sub(n, "assignment");
    const value = rhs ? this.assignment(rhs) : this.missing(n);
    const u = this.unsupportedExpr("assignment-expr", n);
    const aop = op.image as A.AssignOp;
    if (["&&=", "||=", "??=", "**="].includes(aop)) return this.unsupportedExpr("assignment-expr", op);
    this.pending.set(u, { target: left, op: aop, value });
    return u;
  }

  conditional(n: CstNode): A.Expr {
    const b = this.sub(n, "binary");
    const test = b ? this.binary(b) : this.missing(n);
    if (!this.tok(n, "Question")) return test;
    const t = this.sub(n, "then"), e = this.sub(n, "else");
    return { kind: "ConditionalExpr", test, then: t ? this.assignment(t) : this.missing(n), else: e ? this.assignment(e) : this.missing(n), span: this.span(n) };
  }

  binary(n: CstNode): A.Expr {
    const items = this.ordered(n);
    let i = 0;
    const operand = (): A.Expr => {
      const c = items[i];
      if (c && !isToken(c) && c.name === "unary") {
        i++;
        return this.unary(c);
      }
      return this.missing(c ?? n);
    };
    const climb = (minPrec: number): A.Expr => {
      let left = operand();
      for (;;) {
        const t = items[i];
        if (!t || !isToken(t)) return left;
        const op = t.tokenType.name === "As" ? "as" : t.image;
        const prec = PREC[op];
        if (prec === undefined || prec < minPrec) return left;
        i++;
        if (op === "as") {
          const ty = items[i];
          if (ty && !isToken(ty) && ty.name === "typeRef") i++;
          const typeAnn = ty && !isToken(ty) && ty.name === "typeRef" ? this.typeRef(ty) : this.badType(t);
          left = { kind: "AsExpr", expr: left, typeAnn, span: joinSpan(left.span, typeAnn.span) };
          continue;
        }
        const right = climb(op === "**" ? prec : prec + 1);
        const span = joinSpan(left.span, right.span);
        left = op === "&&" || op === "||" || op === "??"
          ? { kind: "LogicalExpr", op, left, right, span }
          : { kind: "BinaryExpr", op: op as A.BinaryOp, left, right, span };
      }
    };
    return climb(0);
  }

  unary(n: CstNode): A.Expr {
    const inner = this.sub(n, "unary");
    if (inner) {
      const opTok = this.ordered(n).find(isToken);
      const operand = this.unary(inner);
      const op = opTok?.image ?? "";
      const span = this.span(n);
      if (op === "++" || op === "--") return this.update(operand, op, span);
      if (op === "await" || op === "typeof" || op === "void") return this.unsupportedExpr(op, opTok);
      if (op === "-" && operand.kind === "IntLiteral") return { ...operand, value: -operand.value, raw: "-" + operand.raw, span };
      return { kind: "UnaryExpr", op: op as A.UnaryOp, operand, span };
    }
    const p = this.sub(n, "postfix");
    if (!p) return this.missing(n);
    const cm = this.sub(p, "callMember");
    const e = cm ? this.callMember(cm) : this.missing(p);
    const post = this.tok(p, "PlusPlus") ?? this.tok(p, "MinusMinus");
    return post ? this.update(e, post.image as "++" | "--", this.span(p)) : e;
  }

  private update(target: A.Expr, op: "++" | "--", span: Span): A.Expr {
    const u = this.unsupportedExpr("update-expr", span);
    const one: A.IntLiteral = { kind: "IntLiteral", value: 1n, bigint: false, raw: "1", span };
    this.pending.set(u, { target, op: op === "++" ? "+=" : "-=", value: one });
    return u;
  }

  callMember(n: CstNode): A.Expr {
    const items = this.ordered(n);
    const prim = items[0];
    let e: A.Expr = prim && !isToken(prim) && prim.name === "primary" ? this.primary(prim) : this.missing(n);
    for (let i = 1; i < items.length; i++) {
      const c = items[i]!;
      if (isToken(c)) {
        const name = c.tokenType.name;
        if (name === "Dot" || name === "QuestionDot") {
          const prop = items[i + 1];
          if (prop && isToken(prop) && prop.tokenType.name !== "Dot" && prop.tokenType.name !== "QuestionDot" && prop.tokenType.name !== "LBracket" && prop.tokenType.name !== "Bang") i++;
          const propTok = prop && isToken(prop) ? prop : undefined;
          const span = joinSpan(e.span, this.span(propTok ?? c));
          e = name === "QuestionDot"
            ? this.unsupportedExpr("optional-chain", c)
            : { kind: "MemberExpr", object: e, property: propTok?.image ?? "", propertySpan: this.span(propTok ?? c), span };
        } else if (name === "LBracket") {
          e = this.unsupportedExpr("index", c);
          while (i + 1 < items.length && !(isToken(items[i + 1]!) && (items[i + 1] as IToken).tokenType.name === "RBracket")) i++;
          i++;
        } else if (name === "Bang") {
          e = this.unsupportedExpr("non-null", c);
        }
      } else if (c.name === "args") {
        e = { kind: "CallExpr", fn: e, typeArgs: [], args: this.argList(c), span: joinSpan(e.span, this.span(c)) };
      }
    }
    return e;
  }

  argList(n: CstNode | undefined): A.Expr[] {
    return this.subs(n, "assignment").map((a) => this.assignment(a));
  }

  primary(n: CstNode): A.Expr {
    const [c] = this.ordered(n);
    if (!c) return this.missing(n);
    const span = this.span(c);
    if (isToken(c)) {
      switch (c.tokenType.name) {
        case "True": return { kind: "BoolLiteral", value: true, span };
        case "False": return { kind: "BoolLiteral", value: false, span };
        case "Null": return { kind: "NullLiteral", span };
        case "This": return this.unsupportedExpr("this", c);
        case "StringLit": return { kind: "StringLiteral", value: unquote(c.image), span };
        default: return this.number(c);
      }
    }
    switch (c.name) {
      case "template": return this.template(c);
      case "arrowOrIdent":
        if (this.tok(c, "Arrow")) return this.unsupportedExpr("arrow", c);
        return { kind: "Identifier", name: this.tok(c, "Identifier")?.image ?? "", span };
      case "parenOrArrow": {
        if (this.tok(c, "Arrow")) return this.unsupportedExpr("arrow", c);
        const inner = this.subs(c, "assignment");
        if (inner.length === 1 && !this.tok(c, "Colon")) return this.assignment(inner[0]!);
        return inner.length === 0 ? this.missing(c) : this.unsupportedExpr("comma-expr", c);
      }
      case "newExpr":
        return { kind: "NewExpr", className: this.tok(c, "Identifier")?.image ?? "", typeArgs: this.typeArgs(this.sub(c, "typeArgs")), args: this.argList(this.sub(c, "args")), span };
      case "arrayLiteral": return this.unsupportedExpr("array-literal", c);
      case "braced": return this.unsupportedExpr("object-literal", c);
      case "functionExpr": return this.unsupportedExpr("function-expr", c);
      default: return this.missing(c);
    }
  }

  number(t: IToken): A.Expr {
    const raw = t.image;
    const isBig = raw.endsWith("n");
    const body = (isBig ? raw.slice(0, -1) : raw).replace(/_/g, "");
    if (!/^0[xXbBoO]/.test(body) && /[.eE]/.test(body)) return this.unsupportedExpr("float", t);
    try {
      const value = /^0\d/.test(body) ? BigInt("0o" + body.slice(1)) : BigInt(body);
      return { kind: "IntLiteral", value, bigint: isBig, raw, span: this.span(t) };
    } catch {
      return this.unsupportedExpr("float", t);
    }
  }

  template(n: CstNode): A.TemplateLiteral {
    const quasis: string[] = [];
    const exprs: A.Expr[] = [];
    for (const c of this.ordered(n)) {
      if (!isToken(c)) exprs.push(this.expression(c));
      else {
        const img = c.image;
        const name = c.tokenType.name;
        const body = name === "TemplateNoSub" || name === "TemplateTail" ? img.slice(1, -1) : img.slice(1, -2);
        quasis.push(cook(body));
      }
    }
    while (quasis.length < exprs.length + 1) quasis.push("");
    return { kind: "TemplateLiteral", quasis, exprs, span: this.span(n) };
  }

  // ------------------------------------------------------------ types

  typeArgs(n: CstNode | undefined): A.TypeRef[] {
    return this.subs(n, "typeRef").map((t) => this.typeRef(t));
  }

  typeRef(n: CstNode): A.TypeRef {
    const span = this.span(n);
    const seps = (n.children.OtherBinaryOp ?? []) as IToken[];
    if (seps.some((s) => s.image !== "|")) return { kind: "TypeRef", name: "<invalid>", args: [], nullable: false, span };
    const atoms = this.subs(n, "typeAtom").map((a) => this.typeAtom(a));
    const nonNull = atoms.filter((a) => a.name !== "null");
    const nullable = nonNull.length < atoms.length;
    if (nonNull.length === 1) return { ...nonNull[0]!, nullable, span };
    return { kind: "TypeRef", name: nonNull.length === 0 ? "null" : "<union>", args: [], nullable, span };
  }

  typeAtom(n: CstNode): A.TypeRef {
    const t = this.tok(n, "Identifier") ?? this.tok(n, "Null") ?? this.tok(n, "Void");
    const arrays = (n.children.LBracket ?? []).length;
    return { kind: "TypeRef", name: (t?.image ?? "<invalid>") + "[]".repeat(arrays), args: this.typeArgs(this.sub(n, "typeArgs")), nullable: false, span: this.span(n) };
  }

  badType(t: IToken): A.TypeRef {
    return { kind: "TypeRef", name: "<invalid>", args: [], nullable: false, span: this.span(t) };
  }
}

const PREC: Record<string, number> = {
  "??": 1, "||": 2, "&&": 3, "|": 4, "^": 5, "&": 6, "==": 7, "!=": 7, "===": 7, "!==": 7,
  "<": 8, ">": 8, "<=": 8, ">=": 8, as: 8, "<<": 9, ">>": 9, ">>>": 9, "+": 10, "-": 10, "*": 11, "/": 11, "%": 11, "**": 12,
};

export function joinSpan(a: Span, b: Span): Span {
  if (a.offset === undefined || b.offset === undefined || b.offset + (b.length ?? 0) < a.offset) return a;
  const end = b.offset + (b.length ?? 0);
  return { ...a, endLine: b.endLine ?? b.line, endCol: b.endCol, length: end - a.offset };
}

/** Unquote a '...' or "..." literal. */
export function unquote(s: string): string {
  return cook(s.slice(1, -1));
}

/** Process JavaScript escapes. */
export function cook(s: string): string {
  return s.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_, e: string) => {
    if (e[0] === "u") return String.fromCodePoint(parseInt(e.replace(/[u{}]/g, ""), 16));
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", "0": "\0", "\n": "", "\r\n": "" };
    return simple[e] ?? e;
  });
}
