// Expression checking (the base of checker.ts): takes AST expressions, annotates each with its
// type, constant value, binding, call or member target, and records diagnostics. Holds the scope
// stack and the flow facts (which nullable bindings are known non-null at this point).
import type * as A from "../ast.js";
import type { Diagnostic } from "../../diagnostics.js";
import type { Span } from "../../span.js";
import { CONSTANTS, CTX_METHODS, CTX_PROPERTIES, FORMATS, HEADERS, HELPERS, INT_TYPES, LOG_LEVELS, MAPS, XDP_ACTIONS, isIntName, type ValueKind } from "../catalog.js";
import { ACTION, BOOL, ERROR, NULL, STRING, VOID, assignable, isError, isInt, sameType, typeName } from "./types.js";
import { type CompareOp, type ConstOp, binary, compare, constTakes, exact, fits, isShift, isU64, literalType, narrow, resultType, shiftCountOk, unary, widens } from "../int-rule.js";
import { diag, type CodeName, UNSUPPORTED } from "../codes.js";
import { tscLiteralType } from "./tsc-literals.js";

export type Facts = ReadonlySet<A.Binding>;
export interface CondFacts { t: Facts; f: Facts }

const CMP = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">="]);
const EQ = new Set(["==", "!=", "===", "!=="]);

export class ExprChecker {
  readonly diagnostics: Diagnostic[] = [];
  /** local name → catalogue name, from `import { … } from "tsebpf"`. */
  protected imports = new Map<string, string>();
  protected globals = new Map<string, A.Binding>();
  protected scopes: Map<string, A.Binding>[] = [];
  protected facts: Facts = new Set();
  /** Constant values of const locals with constant initialisers. */
  protected constLocals = new Map<A.Binding, bigint>();
  /** Header views: the adjust-call count when declared (adjustHead/Tail invalidates older views). */
  protected viewEpoch = new Map<A.Binding, number>();
  protected adjustCount = 0;
  /** Functions that (directly or through calls) call ctx.adjustHead/adjustTail. */
  protected adjusting = new Set<string>();
  protected currentFn: A.FunctionDecl | undefined;
  protected callSites = new Map<A.FunctionDecl, { callee: A.FunctionDecl; span: Span }[]>();
  protected nextId = 0;
  /** Untyped constants (literals and unannotated consts): they take the type their context needs. */
  protected flexible = new WeakSet<A.Expr>();
  protected flexLocals = new Set<A.Binding>();

  /** The constant value of an untyped constant (for assignability), else undefined. */
  protected cv(e: A.Expr): bigint | undefined {
    return this.flexible.has(e) ? e.constValue : undefined;
  }

  /** A constant stored into dst (a variable, parameter, return, map key/value) that does not fit it: the message, else undefined. */
  protected outOfRange(e: A.Expr, t: A.Type, dst: A.Type): string | undefined {
    const d = dst.kind === "nullable" ? dst.inner : dst;
    const v = e.constValue;
    if (v === undefined || !isInt(t) || !isInt(d) || fits(v, d) || !(this.flexible.has(e) || widens(t, d))) return undefined;
    return `Type '${v}' is not assignable to type '${d.name}' (out of range).`;
  }

  /** A nullable value used where a value is needed: report it. */
  protected nonNull(e: A.Expr, t: A.Type): A.Type {
    if (t.kind !== "nullable") return t;
    return e.kind === "Identifier"
      ? this.fail("possiblyNull", `'${e.name}' is possibly 'null'. Check it first: if (${e.name} === null) return …;`, e)
      : this.fail("objectPossiblyNull", "Object is possibly 'null'.", e);
  }

  protected report(code: CodeName, message: string, span: Span | undefined): void {
    this.diagnostics.push(diag(code, message, span));
  }

  protected reportUnsupported(what: string, span: Span): void {
    if (!what) return;
    const u = UNSUPPORTED[what] ?? { code: "unsupported" as const, message: `This construct is not supported (${what}).` };
    this.report(u.code, u.message, span);
  }

  // ------------------------------------------------------------ names

  protected lookup(name: string): A.Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i]!.get(name);
      if (b) return b;
    }
    const g = this.globals.get(name);
    if (g) return g;
    const cat = this.imports.get(name);
    if (cat === undefined) return undefined;
    let b = this.builtins.get(cat);
    if (!b) {
      const c = CONSTANTS[cat];
      b = c ? { kind: "const", name: cat, type: INT_TYPES[c.type], value: c.value } : { kind: "builtin", name: cat };
      this.builtins.set(cat, b);
    }
    return b;
  }

  /** One Binding object per catalogue name (bindings compare by identity). */
  private builtins = new Map<string, A.Binding>();

  protected declare(b: A.Binding, span: Span): void {
    const scope = this.scopes[this.scopes.length - 1]!;
    if (scope.has(b.name)) this.report("redeclare", `Cannot redeclare block-scoped variable '${b.name}'.`, span);
    scope.set(b.name, b);
  }

  private unknownName(name: string, span: Span): void {
    const hint = isCatalogName(name) ? ` Import it: import { ${name} } from "tsebpf".` : "";
    this.report("cannotFindName", `Cannot find name '${name}'.${hint}`, span);
  }

  // ------------------------------------------------------------ expressions

  /** Check an expression; `expected` only guides untyped constants. Sets e.type. */
  checkExpr(e: A.Expr, expected?: A.Type): A.Type {
    const t = this.exprType(e, expected);
    e.type = t;
    return t;
  }

  /** Check a value expression (not a string, namespace or void). */
  checkValue(e: A.Expr, expected?: A.Type): A.Type {
    const t = this.checkExpr(e, expected);
    return this.requireValue(e, t);
  }

  protected requireValue(e: A.Expr, t: A.Type): A.Type {
    if (t.kind === "string") return this.fail("stringValue", "String values are only allowed as log messages.", e);
    if (t.kind === "void") return this.fail("notAssignable", "An expression of type 'void' has no value.", e);
    if (t.kind === "namespace") {
      const b = e.kind === "Identifier" ? e.binding : undefined;
      if (b?.kind === "function" || (b?.kind === "builtin" && (HELPERS[b.name] || LOG_LEVELS[b.name] || FORMATS[b.name])))
        return this.fail("unsupported", `'${t.name}' is a function: call it, e.g. ${t.name}(…); functions are not values.`, e);
      return this.fail("typeAsValue", `'${t.name}' only refers to a type, but is being used as a value here.`, e);
    }
    return t;
  }

  protected fail(code: CodeName, message: string, e: { span: Span }): A.Type {
    this.report(code, message, e.span);
    return ERROR;
  }

  private exprType(e: A.Expr, expected?: A.Type): A.Type {
    switch (e.kind) {
      case "IntLiteral":
        // tsc types u8…u64 as number: `x > 5n` would not type-check there (TS2365/TS2367)
        if (e.bigint) this.report("literals", `BigInt literals are not supported: integer types are numbers for tsc; write ${e.raw.slice(0, -1)}.`, e.span);
        this.flexible.add(e);
        return this.constant(e, e.value, expected);
      case "BoolLiteral": return BOOL;
      case "NullLiteral": return NULL;
      case "StringLiteral": return STRING;
      case "TemplateLiteral":
        for (const x of e.exprs) this.checkExpr(x);
        return STRING;
      case "Identifier": return this.flexConst(e, this.identifier(e), expected);
      case "MemberExpr": return this.member(e);
      case "CallExpr": return this.call(e);
      case "UnaryExpr": return this.unaryExpr(e, expected);
      case "BinaryExpr": return this.binaryExpr(e, expected);
      case "LogicalExpr": return this.logical(e);
      case "ConditionalExpr": return this.conditionalExpr(e, expected);
      case "AsExpr": return this.asExpr(e);
      case "NewExpr": return this.fail(UNSUPPORTED["new-expr"]!.code, UNSUPPORTED["new-expr"]!.message, e);
      case "UnsupportedExpr":
        this.reportUnsupported(e.what, e.span);
        return ERROR;
    }
  }

  /** An untyped constant: exact; it takes the expected type when it fits there, else its own. */
  protected constant(e: A.Expr, v: bigint, expected?: A.Type): A.Type {
    const t = isInt(expected) && constTakes(v, expected) ? expected : literalType(v);
    if (!t) return this.fail("notAssignable", `The constant ${v} does not fit in 64 bits.`, e);
    e.constValue = v;
    return t;
  }

  /** A name for an untyped constant (`const K = 40000`) takes the expected type as its literal would. */
  private flexConst(e: A.Identifier, t: A.Type, expected?: A.Type): A.Type {
    return isInt(t) && e.constValue !== undefined && this.flexible.has(e) ? this.constant(e, e.constValue, expected) : t;
  }

  private identifier(e: A.Identifier): A.Type {
    const b = this.lookup(e.name);
    if (!b) {
      if (e.name) this.unknownName(e.name, e.span);
      return ERROR;
    }
    e.binding = b;
    switch (b.kind) {
      case "local":
      case "param": {
        const cv = this.constLocals.get(b);
        if (cv !== undefined) e.constValue = cv;
        if (this.flexLocals.has(b)) this.flexible.add(e);
        const epoch = this.viewEpoch.get(b);
        if (epoch !== undefined && epoch !== this.adjustCount)
          return this.fail("headerArg", `Header view '${b.name}' was invalidated by ctx.adjustHead()/adjustTail(); read the header again.`, e);
        return b.type.kind === "nullable" && this.facts.has(b) ? b.type.inner : b.type;
      }
      case "const":
        e.constValue = b.value;
        if (!b.decl || !b.decl.typeAnn) this.flexible.add(e);
        return b.type;
      case "map": return b.type;
      case "function": return { kind: "namespace", name: b.name };
      case "builtin": return { kind: "namespace", name: b.name }; // a type, class, helper or log function
    }
  }

  private member(e: A.MemberExpr): A.Type {
    const ot = this.checkExpr(e.object);
    if (isError(ot)) return ERROR;
    const p = e.property;
    const b = e.object.kind === "Identifier" ? e.object.binding : undefined;
    if (ot.kind === "namespace" && b?.kind === "builtin") {
      if (b.name === "XdpAction" && Object.hasOwn(XDP_ACTIONS, p)) {
        e.member = { kind: "constant", value: BigInt(XDP_ACTIONS[p]!) };
        e.constValue = BigInt(XDP_ACTIONS[p]!);
        return ACTION;
      }
      const h = HEADERS[b.name];
      if (h && p === "size") {
        e.member = { kind: "constant", value: BigInt(h.size) };
        e.constValue = BigInt(h.size);
        this.flexible.add(e);
        return INT_TYPES.u32;
      }
    }
    if (ot.kind === "header") {
      const fld = HEADERS[ot.header]?.fields[p];
      if (fld) {
        const type = INT_TYPES[fld.type];
        e.member = { kind: "headerField", header: ot.header, field: p, offset: fld.offset, size: fld.size, type, bitOffset: fld.bitOffset, bitWidth: fld.bitWidth };
        return type;
      }
    }
    if (ot.kind === "ctx" && Object.hasOwn(CTX_PROPERTIES, p)) {
      e.member = { kind: "ctxLength" };
      return INT_TYPES[CTX_PROPERTIES[p]!.type];
    }
    if (ot.kind === "nullable") {
      const name = e.object.kind === "Identifier" ? e.object.name : undefined;
      return name
        ? this.fail("possiblyNull", `'${name}' is possibly 'null'. Check it first: if (${name} === null) return …;`, e.object)
        : this.fail("objectPossiblyNull", "Object is possibly 'null'.", e.object);
    }
    return this.fail("propertyMissing", `Property '${p}' does not exist on type '${typeName(ot)}'.`, { span: e.propertySpan });
  }

  // ------------------------------------------------------------ operators

  private unaryExpr(e: A.UnaryExpr, expected?: A.Type): A.Type {
    if (e.op === "!") {
      this.checkCondition(e.operand);
      const cv = e.operand.constValue;
      if (cv !== undefined) e.constValue = cv === 0n ? 1n : 0n;
      return BOOL;
    }
    const t = this.nonNull(e.operand, this.checkValue(e.operand, expected));
    if (isError(t)) return ERROR;
    if (!isInt(t)) return this.fail("operatorTypes", `Operator '${e.op}' cannot be applied to type '${typeName(t)}'.`, e);
    const cv = e.operand.constValue;
    if (cv === undefined) return t;
    const op = e.op as "-" | "~" | "+";
    if (this.flexible.has(e.operand)) {
      this.flexible.add(e);
      return this.constant(e, op === "-" ? -cv : op === "~" ? ~cv : cv, expected);
    }
    e.constValue = unary(op, cv, t);
    return t;
  }

  private binaryExpr(e: A.BinaryExpr, expected?: A.Type): A.Type {
    if (EQ.has(e.op) && (e.left.kind === "NullLiteral" || e.right.kind === "NullLiteral")) return this.nullCompare(e);
    const hint = CMP.has(e.op) ? undefined : expected;
    let lt = this.nonNull(e.left, this.checkValue(e.left, hint));
    const lflex = this.flexible.has(e.left);
    let rt = this.nonNull(e.right, this.checkValue(e.right, isShift(e.op) || CMP.has(e.op) ? undefined : isInt(lt) && !lflex ? lt : hint));
    const rflex = this.flexible.has(e.right);
    if (isError(lt) || isError(rt)) return CMP.has(e.op) ? BOOL : ERROR;
    // an untyped constant operand takes the other operand's type when it fits (comparisons: exactly)
    const cmp = CMP.has(e.op);
    if (isInt(lt) && isInt(rt) && lflex && !rflex && !isShift(e.op)) lt = this.retype(e.left, rt, cmp);
    if (isInt(lt) && isInt(rt) && rflex && !lflex && !isShift(e.op)) rt = this.retype(e.right, lt, cmp);
    if (cmp) return this.comparison(e, lt, rt);
    if (!isInt(lt) || !isInt(rt)) return this.fail("operatorTypes", `Operator '${e.op}' cannot be applied to types '${typeName(lt)}' and '${typeName(rt)}'.`, e);
    const t = resultType(e.op, lt, rt);
    const l = e.left.constValue, r = e.right.constValue;
    if (isShift(e.op) && r !== undefined && !shiftCountOk(r)) return this.fail("intRule", `The shift count ${r} is outside 0..63.`, e.right);
    if (e.op === "**" && (l === undefined || r === undefined)) return this.fail("unsupported", "'**' is only supported between constants.", e);
    if ((e.op === "/" || e.op === "%") && r === 0n) return this.fail("unsupported", l !== undefined ? "Division by zero in a constant expression." : "Division by zero.", l !== undefined ? e : e.right);
    if (l === undefined || r === undefined) return t;
    if (lflex && rflex) {
      this.flexible.add(e);
      return this.constant(e, exact(e.op as ConstOp, l, r)!, expected);
    }
    e.constValue = binary(e.op as ConstOp, l, r, t);
    return t;
  }

  /**
   * An untyped constant next to an operand of type `other` takes that type when it fits (its value
   * stays exact), else its own literal type: only its sibling decides, never the context.
   */
  private retype(e: A.Expr, other: A.IntType, strict: boolean): A.IntType {
    const v = e.constValue!;
    const t = (strict ? fits(v, other) : constTakes(v, other)) ? other : literalType(v)!;
    e.type = t;
    this.flexible.delete(e);
    return t;
  }

  private comparison(e: A.BinaryExpr, lt: A.Type, rt: A.Type): A.Type {
    const ok = (isInt(lt) && isInt(rt)) || (EQ.has(e.op) && (sameType(lt, rt) && (lt.kind === "bool" || lt.kind === "action")))
      || (EQ.has(e.op) && ((lt.kind === "action" && isInt(rt) && this.cv(e.right) !== undefined) || (rt.kind === "action" && isInt(lt) && this.cv(e.left) !== undefined)));
    if (!ok) return this.fail("noOverlap", `This comparison appears to be unintentional because the types '${typeName(lt)}' and '${typeName(rt)}' have no overlap.`, e);
    const ll = EQ.has(e.op) ? tscLiteralType(e.left) : undefined, rl = ll === undefined ? undefined : tscLiteralType(e.right);
    if (rl !== undefined && ll !== rl) return this.fail("noOverlap", `This comparison appears to be unintentional because the types '${ll}' and '${rl}' have no overlap.`, e);
    const l = e.left.constValue, r = e.right.constValue;
    const u64 = (isInt(lt) && isU64(lt)) || (isInt(rt) && isU64(rt));
    if (u64 && isInt(lt) && isInt(rt)) {
      const bad = [e.left, e.right].find((x, i) => (i ? rt : lt).signed && !(x.constValue !== undefined && x.constValue >= 0n));
      if (bad) return this.fail("intRule", `Comparing a u64 with a signed value (${typeName(bad === e.left ? lt : rt)}) is ambiguous: convert one side with 'as' (e.g. 'as u64' or 'as i64').`, e);
    }
    if (l !== undefined && r !== undefined) e.constValue = compare(e.op as CompareOp, l, r, u64) ? 1n : 0n;
    return BOOL;
  }

  private nullCompare(e: A.BinaryExpr): A.Type {
    const other = e.left.kind === "NullLiteral" ? e.right : e.left;
    const nul = other === e.left ? e.right : e.left;
    nul.type = NULL;
    const t = this.checkValue(other);
    if (isError(t)) return BOOL;
    if (t.kind !== "nullable" && t.kind !== "header" && !(isInt(t) && other.kind === "Identifier" && other.binding && "type" in other.binding && other.binding.type.kind === "nullable"))
      return this.fail("noOverlap", `This comparison appears to be unintentional because the types '${typeName(t)}' and 'null' have no overlap.`, e);
    return BOOL;
  }

  private logical(e: A.LogicalExpr): A.Type {
    if (e.op === "??") {
      const lt = this.checkValue(e.left);
      if (isError(lt)) return this.checkValue(e.right);
      if (lt.kind !== "nullable" || !isInt(lt.inner)) return this.fail("unsupported", "'??' needs a map value (map.get(key)) on its left.", e.left);
      const rt = this.checkValue(e.right, lt.inner);
      const range = this.outOfRange(e.right, rt, lt.inner);
      if (range) this.report("notAssignable", range, e.right.span);
      else if (!assignable(rt, lt.inner, this.cv(e.right))) this.report("notAssignable", `Type '${typeName(rt)}' is not assignable to type '${typeName(lt.inner)}'.`, e.right.span);
      return lt.inner;
    }
    this.checkCond(e);
    return BOOL;
  }

  private conditionalExpr(e: A.ConditionalExpr, expected?: A.Type): A.Type {
    const c = this.checkCond(e.test);
    const saved = this.facts;
    this.facts = c.t;
    let a = this.checkValue(e.then, expected);
    this.facts = c.f;
    let b = this.checkValue(e.else, isInt(a) && !this.flexible.has(e.then) ? a : expected);
    this.facts = saved;
    if (isError(a) || isError(b)) return ERROR;
    if (isInt(a) && isInt(b)) {
      const tf = this.flexible.has(e.then), ef = this.flexible.has(e.else);
      if (tf && !ef) a = this.retype(e.then, b, false);
      else if (ef && !tf) b = this.retype(e.else, a, false);
      return resultType("?", a, b);
    }
    if (sameType(a, b) && (a.kind === "bool" || a.kind === "action")) return a;
    return this.fail("notAssignable", `Type '${typeName(b)}' is not assignable to type '${typeName(a)}'.`, e.else);
  }

  private asExpr(e: A.AsExpr): A.Type {
    const target = this.resolveType(e.typeAnn);
    // the operand keeps its own value (`(1000 + ctx.length) as u8`, `300 as u8`); `as` keeps its low bits
    const t = this.nonNull(e.expr, this.checkValue(e.expr));
    if (isError(t) || isError(target)) return ERROR;
    const cv = e.expr.constValue;
    if (isInt(target) && (isInt(t) || t.kind === "bool" || t.kind === "action")) {
      if (cv !== undefined) e.constValue = narrow(cv, target);
      return target;
    }
    if (target.kind === "action" && (isInt(t) || t.kind === "action")) {
      if (cv !== undefined) e.constValue = cv;
      return ACTION;
    }
    if (target.kind === "bool" && t.kind === "bool") return BOOL;
    return this.fail("unsupported", `Conversion of type '${typeName(t)}' to type '${typeName(target)}' is not supported.`, e);
  }

  /** Resolve a written type, reporting errors. Provided by checker.ts. */
  protected resolveType(_ref: A.TypeRef): A.Type {
    return ERROR;
  }

  // ------------------------------------------------------------ conditions and narrowing

  /** Check an expression used as a condition: bool, int (non-zero) or a header view (non-null). */
  checkCondition(e: A.Expr): void {
    this.checkCond(e);
  }

  /** Check a condition and return the facts when it is true / false. */
  checkCond(e: A.Expr): CondFacts {
    const entry = this.facts;
    if (e.kind === "LogicalExpr" && e.op !== "??") {
      const l = this.checkCond(e.left);
      this.facts = e.op === "&&" ? l.t : l.f;
      const r = this.checkCond(e.right);
      this.facts = entry;
      e.type = BOOL;
      const lc = e.left.constValue, rc = e.right.constValue;
      if (lc !== undefined && rc !== undefined) e.constValue = (e.op === "&&" ? lc !== 0n && rc !== 0n : lc !== 0n || rc !== 0n) ? 1n : 0n;
      return e.op === "&&" ? { t: r.t, f: intersect(l.f, r.f) } : { t: intersect(l.t, r.t), f: r.f };
    }
    if (e.kind === "UnaryExpr" && e.op === "!") {
      const r = this.checkCond(e.operand);
      e.type = BOOL;
      const cv = e.operand.constValue;
      if (cv !== undefined) e.constValue = cv === 0n ? 1n : 0n;
      return { t: r.f, f: r.t };
    }
    const t = this.checkExpr(e);
    const nb = nullableBinding(e);
    if (e.kind === "BinaryExpr" && EQ.has(e.op)) {
      const side = e.left.kind === "NullLiteral" ? e.right : e.right.kind === "NullLiteral" ? e.left : undefined;
      const b = side && nullableBinding(side);
      if (b) {
        const nonNull = with1(entry, b);
        return e.op === "===" || e.op === "==" ? { t: entry, f: nonNull } : { t: nonNull, f: entry };
      }
      return { t: entry, f: entry };
    }
    if (nb) return { t: with1(entry, nb), f: entry };
    if (t.kind === "nullable" && isInt(t.inner))
      this.report("unsupported", "A map value cannot be tested for truthiness; compare it with null.", e.span);
    else if (!isError(t) && t.kind !== "bool" && !isInt(t) && t.kind !== "header" && t.kind !== "nullable")
      this.report("noValue", `An expression of type '${typeName(t)}' cannot be tested for truthiness.`, e.span);
    return { t: entry, f: entry };
  }

  // ------------------------------------------------------------ calls

  private call(e: A.CallExpr): A.Type {
    const fn = e.fn;
    if (fn.kind === "MemberExpr") return this.methodCall(e, fn);
    if (fn.kind !== "Identifier") {
      this.checkExpr(fn);
      return this.fail("notCallable", "This expression is not callable.", fn);
    }
    const b = this.lookup(fn.name);
    if (!b) {
      this.checkArgsLoosely(e);
      if (fn.name) this.unknownName(fn.name, fn.span);
      return ERROR;
    }
    fn.binding = b;
    if (b.kind === "function") return this.userCall(e, b.decl);
    if (b.kind === "builtin") {
      const h = HELPERS[b.name];
      if (h) {
        e.callee = { kind: "helper", name: b.name };
        this.checkArgs(e, h.params.map((p) => INT_TYPES[p]), fn.name);
        return valueType(h.returns);
      }
      const level = LOG_LEVELS[b.name];
      if (level) return this.logCall(e, level);
      if (FORMATS[b.name]) {
        this.checkArgsLoosely(e);
        return this.fail("logArg", `'${fn.name}()' can only be used inside a log message template, e.g. info(\`\${${fn.name}(x)}\`).`, e);
      }
    }
    this.checkArgsLoosely(e);
    return this.fail("notCallable", `This expression is not callable: '${fn.name}' is not a function.`, fn);
  }

  private userCall(e: A.CallExpr, decl: A.FunctionDecl): A.Type {
    e.callee = { kind: "function", decl };
    const params = decl.params.map((p) => p.type ?? ERROR);
    this.checkArgs(e, params, decl.name);
    if (this.adjusting.has(decl.name)) this.adjustCount++;
    if (this.currentFn) {
      const list = this.callSites.get(this.currentFn) ?? [];
      list.push({ callee: decl, span: e.fn.span });
      this.callSites.set(this.currentFn, list);
    }
    return decl.returnType ?? ERROR;
  }

  protected checkArgs(e: A.CallExpr, params: A.Type[], what: string): void {
    if (e.args.length !== params.length) this.report("argCount", `Expected ${params.length} argument${params.length === 1 ? "" : "s"}, but got ${e.args.length}.`, e.span);
    e.args.forEach((a, i) => {
      const p = params[i];
      const t = this.checkValue(a, p);
      const range = p && this.outOfRange(a, t, p);
      if (range) this.report("notAssignable", range, a.span);
      else if (p && !assignable(t, p, this.cv(a))) this.report("notAssignable", `Argument of type '${typeName(t)}' is not assignable to parameter of type '${typeName(p)}' (in a call to '${what}').`, a.span);
    });
  }

  private checkArgsLoosely(e: A.CallExpr): void {
    for (const a of e.args) this.checkExpr(a);
  }

  private methodCall(e: A.CallExpr, m: A.MemberExpr): A.Type {
    const ot = this.checkExpr(m.object);
    m.member = { kind: "method" };
    if (isError(ot)) {
      this.checkArgsLoosely(e);
      return ERROR;
    }
    const b = m.object.kind === "Identifier" ? m.object.binding : undefined;
    if (ot.kind === "map" && b?.kind === "map") return this.mapCall(e, m, ot, b.decl);
    if (ot.kind === "ctx") return this.ctxCall(e, m);
    this.checkArgsLoosely(e);
    if (ot.kind === "nullable") {
      const name = m.object.kind === "Identifier" ? m.object.name : "Object";
      return this.fail("possiblyNull", `'${name}' is possibly 'null'.`, m.object);
    }
    if (ot.kind === "map") return this.fail("mapDecl", "Maps can only be used through their declared name.", m.object);
    return this.fail("propertyMissing", `Property '${m.property}' does not exist on type '${typeName(ot)}'.`, { span: m.propertySpan });
  }

  private mapCall(e: A.CallExpr, m: A.MemberExpr, t: A.MapType, decl: A.MapDecl): A.Type {
    const method = MAPS[t.mapKind]?.methods[m.property];
    if (!method) {
      this.checkArgsLoosely(e);
      if (!MAPS[t.mapKind]) return ERROR; // the map's class was reported at its declaration
      const known = Object.keys(MAPS[t.mapKind]?.methods ?? {}).join(", ");
      return this.fail("propertyMissing", `Property '${m.property}' does not exist on type '${typeName(t)}'. Map methods: ${known}.`, { span: m.propertySpan });
    }
    e.callee = { kind: "mapMethod", map: decl, method: m.property };
    const params = method.params.map((p) => (p === "key" ? t.key : p === "value" ? t.value : INT_TYPES[p]));
    this.checkArgs(e, params, `${decl.name}.${m.property}`);
    return method.returns === "value?" ? { kind: "nullable", inner: t.value } : method.returns === "bool" ? BOOL : VOID;
  }

  private ctxCall(e: A.CallExpr, m: A.MemberExpr): A.Type {
    const def = CTX_METHODS[m.property];
    if (!def) {
      this.checkArgsLoosely(e);
      return this.fail("propertyMissing", `Property '${m.property}' does not exist on type 'XdpContext'.`, { span: m.propertySpan });
    }
    if (m.property !== "header") {
      e.callee = { kind: "ctxMethod", method: m.property };
      this.checkArgs(e, def.params.map((p) => (p === "header" ? ERROR : INT_TYPES[p])), `ctx.${m.property}`);
      this.adjustCount++;
      return valueType(def.returns as ValueKind);
    }
    if (e.args.length !== 2) {
      this.checkArgsLoosely(e);
      return this.fail("argCount", `Expected 2 arguments, but got ${e.args.length}.`, e);
    }
    const [h, off] = e.args as [A.Expr, A.Expr];
    const ht = this.checkExpr(h);
    const hb = h.kind === "Identifier" ? h.binding : undefined;
    const header = hb?.kind === "builtin" && Object.hasOwn(HEADERS, hb.name) ? hb.name : undefined;
    const ot = this.checkValue(off, INT_TYPES.u32);
    const range = this.outOfRange(off, ot, INT_TYPES.u32);
    if (range) this.report("notAssignable", range, off.span);
    else if (!isError(ot) && !(isInt(ot) && assignable(ot, INT_TYPES.u32, this.cv(off))))
      this.report("notAssignable", `Argument of type '${typeName(ot)}' is not assignable to parameter of type 'u32'.`, off.span);
    if (!header) {
      if (!isError(ht)) this.report("headerArg", `The first argument of ctx.header() must be a header type (${Object.keys(HEADERS).join(", ")}).`, h.span);
      return ERROR;
    }
    e.callee = { kind: "ctxMethod", method: "header", header };
    return { kind: "nullable", inner: { kind: "header", header } };
  }

  // ------------------------------------------------------------ logging

  private logCall(e: A.CallExpr, level: 1 | 2 | 3 | 4 | 5): A.Type {
    const [msg, ...extra] = e.args;
    if (!msg || extra.length) {
      this.checkArgsLoosely(e);
      return this.fail("argCount", `Expected 1 argument, but got ${e.args.length}.`, e);
    }
    msg.type = STRING;
    if (msg.kind === "StringLiteral") {
      e.callee = { kind: "log", level, pieces: [msg.value], args: [] };
      return VOID;
    }
    if (msg.kind !== "TemplateLiteral") {
      this.checkExpr(msg);
      return this.fail("logArg", "A log message must be a string literal or a template literal.", msg);
    }
    const args: A.LogArg[] = [];
    for (const x of msg.exprs) {
      const a = this.logArg(x);
      if (a) args.push(a);
    }
    if (args.length === msg.exprs.length) e.callee = { kind: "log", level, pieces: [...msg.quasis], args };
    return VOID;
  }

  private logArg(x: A.Expr): A.LogArg | undefined {
    if (x.kind === "CallExpr" && x.fn.kind === "Identifier") {
      const b = this.lookup(x.fn.name);
      const fmt = b?.kind === "builtin" ? FORMATS[b.name] : undefined;
      if (fmt && b) {
        x.fn.binding = b;
        x.callee = { kind: "format", format: fmt };
        x.type = STRING;
        if (x.args.length !== 1) {
          this.checkArgsLoosely(x);
          this.report("argCount", `Expected 1 argument, but got ${x.args.length}.`, x.span);
          return undefined;
        }
        const t = this.checkValue(x.args[0]!);
        if (isError(t)) return undefined;
        if (!isInt(t)) {
          this.report("logArg", `${x.fn.name}() takes an integer, not '${typeName(t)}'.`, x.args[0]!.span);
          return undefined;
        }
        return { expr: x.args[0]!, kind: fmt };
      }
    }
    const t = this.nonNull(x, this.checkValue(x));
    if (isError(t)) return undefined;
    if (isInt(t)) return { expr: x, kind: t.signed ? "i64" : "u64" };
    if (t.kind === "bool") return { expr: x, kind: "bool" };
    if (t.kind === "action") return { expr: x, kind: "u64" };
    this.report("logArg", `Log arguments must be integers, bool or formatter calls ipv4(x), hex(x), mac(x); got '${typeName(t)}'.`, x.span);
    return undefined;
  }
}

// ------------------------------------------------------------ helpers

/** Whether an unchecked AST subtree calls ctx.adjustHead/adjustTail or a function in `adjusting`. */
export function mayAdjust(node: unknown, adjusting: ReadonlySet<string>): boolean {
  if (!node || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some((n) => mayAdjust(n, adjusting));
  const n = node as Partial<A.CallExpr> & { kind?: string };
  if (n.kind === "CallExpr" && n.fn) {
    const f = n.fn;
    if (f.kind === "MemberExpr" && (f.property === "adjustHead" || f.property === "adjustTail")) return true;
    if (f.kind === "Identifier" && adjusting.has(f.name)) return true;
  }
  for (const [k, v] of Object.entries(node)) if (!SKIP_KEYS.has(k) && mayAdjust(v, adjusting)) return true;
  return false;
}

const SKIP_KEYS = new Set(["span", "nameSpan", "propertySpan", "type", "binding", "callee", "member", "typeAnn", "returnTypeAnn", "typeArgs", "constValue"]);

export function isCatalogName(name: string): boolean {
  return isIntName(name) || name === "XdpContext" || name === "XdpAction" || Object.hasOwn(HEADERS, name) || Object.hasOwn(CONSTANTS, name)
    || Object.hasOwn(MAPS, name) || Object.hasOwn(HELPERS, name) || Object.hasOwn(LOG_LEVELS, name) || Object.hasOwn(FORMATS, name);
}

function valueType(k: ValueKind): A.Type {
  if (k === "bool") return BOOL;
  if (k === "void") return VOID;
  if (k === "action") return ACTION;
  return INT_TYPES[k];
}

function nullableBinding(e: A.Expr): A.Binding | undefined {
  if (e.kind !== "Identifier" || !e.binding) return undefined;
  const b = e.binding;
  return (b.kind === "local" || b.kind === "param") && b.type.kind === "nullable" ? b : undefined;
}

export function intersect(a: Facts, b: Facts): Facts {
  const out = new Set<A.Binding>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

function with1(s: Facts, b: A.Binding): Facts {
  const out = new Set(s);
  out.add(b);
  return out;
}
