// Expression checking: takes AST expressions and annotates each with its type, constant value,
// binding and member target, reporting diagnostics through the shared context (context.ts).
// Conditions also produce the flow on their true and false paths (nullable bindings tested against
// null). Calls are checked by calls.ts, reached through the context.
import type * as A from "../ast.js";
import {
  CTX_PROPERTIES,
  FORMATS,
  HEADERS,
  HELPERS,
  INT_TYPES,
  IPV6_ADDR,
  LOG_LEVELS,
  XDP_ACTIONS,
} from "../catalog.js";
import { ACTION, BOOL, ERROR, NULL, STRING, assignable, isError, isInt, sameType, typeName } from "./types.js";
import {
  type CompareOp,
  type ConstOp,
  binary,
  compare,
  constTakes,
  exact,
  fits,
  isShift,
  isU64,
  literalType,
  narrow,
  resultType,
  shiftCountOk,
  unary,
} from "../int-rule.js";
import { UNSUPPORTED } from "../codes.js";
import { tscLiteralType } from "./tsc-literals.js";
import { Flow } from "../flow.js";
import { checkRef, objectLiteral, structMember } from "./structs.js";
import { arrayLiteral, indexExpr } from "./arrays.js";
import { checkRecordUse } from "./records.js";
import {
  type CheckCtx,
  cv,
  fail,
  lookup,
  nonNull,
  outOfRange,
  report,
  reportUnsupported,
  resolveType,
  unknownName,
} from "./context.js";

/** The flows on the true and false paths of a condition (the caller's own copies). */
export interface CondFlows {
  t: Flow<A.Binding>;
  f: Flow<A.Binding>;
}

const CMP = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">="]);
const EQ = new Set(["==", "!=", "===", "!=="]);

/** Check an expression; `expected` only guides untyped constants. Sets e.type. */
export function checkExpr(cx: CheckCtx, e: A.Expr, expected?: A.Type): A.Type {
  const t = exprType(cx, e, expected);
  e.type = t;
  return t;
}

/** Check a value expression (not a string, namespace or void). */
export function checkValue(cx: CheckCtx, e: A.Expr, expected?: A.Type): A.Type {
  const t = checkExpr(cx, e, expected);
  return requireValue(cx, e, t);
}

function requireValue(cx: CheckCtx, e: A.Expr, t: A.Type): A.Type {
  if (t.kind === "string") return fail(cx, "stringValue", "String values are only allowed as log messages.", e);
  if (t.kind === "void") return fail(cx, "notAssignable", "An expression of type 'void' has no value.", e);
  if (t.kind === "namespace") {
    const b = e.kind === "Identifier" ? e.binding : undefined;
    if (b?.kind === "function" || (b?.kind === "builtin" && (HELPERS[b.name] || LOG_LEVELS[b.name] || FORMATS[b.name])))
      return fail(
        cx,
        "unsupported",
        `'${t.name}' is a function: call it, e.g. ${t.name}(…); functions are not values.`,
        e,
      );
    return fail(cx, "typeAsValue", `'${t.name}' only refers to a type, but is being used as a value here.`, e);
  }
  return t;
}

function exprType(cx: CheckCtx, e: A.Expr, expected?: A.Type): A.Type {
  switch (e.kind) {
    case "IntLiteral":
      // tsc types u8…u64 as number: `x > 5n` would not type-check there (TS2365/TS2367)
      if (e.bigint)
        report(
          cx,
          "literals",
          `BigInt literals are not supported: integer types are numbers for tsc; write ${e.raw.slice(0, -1)}.`,
          e.span,
        );
      cx.flexible.add(e);
      return constant(cx, e, e.value, expected);
    case "BoolLiteral":
      return BOOL;
    case "NullLiteral":
      return NULL;
    case "StringLiteral":
      return STRING;
    case "TemplateLiteral":
      for (const x of e.exprs) checkExpr(cx, x);
      return STRING;
    case "Identifier":
      return flexConst(cx, e, identifier(cx, e), expected);
    case "MemberExpr":
      return member(cx, e);
    case "CallExpr":
      return cx.call(cx, e);
    case "UnaryExpr":
      return unaryExpr(cx, e, expected);
    case "BinaryExpr":
      return binaryExpr(cx, e, expected);
    case "LogicalExpr":
      return logical(cx, e);
    case "ConditionalExpr":
      return conditionalExpr(cx, e, expected);
    case "AsExpr":
      return asExpr(cx, e);
    case "NewExpr":
      return fail(cx, UNSUPPORTED["new-expr"]!.code, UNSUPPORTED["new-expr"]!.message, e);
    case "ObjectLiteral":
      return objectLiteral(cx, e, expected, (x, t) => checkValue(cx, x, isError(t) ? undefined : t));
    case "ArrayLiteral":
      return arrayLiteral(cx, e, expected, (x, t) => checkValue(cx, x, isError(t) ? undefined : t));
    case "IndexExpr":
      return indexExpr(cx, e, (x, t) => checkValue(cx, x, t));
    case "UnsupportedExpr":
      reportUnsupported(cx, e.what, e.span);
      return ERROR;
  }
}

/** An untyped constant: exact; it takes the expected type when it fits there, else its own. */
export function constant(cx: CheckCtx, e: A.Expr, v: bigint, expected?: A.Type): A.Type {
  const t = isInt(expected) && constTakes(v, expected) ? expected : literalType(v);
  if (!t) return fail(cx, "notAssignable", `The constant ${v} does not fit in 64 bits.`, e);
  e.constValue = v;
  return t;
}

/** A name for an untyped constant (`const K = 40000`) takes the expected type as its literal would. */
function flexConst(cx: CheckCtx, e: A.Identifier, t: A.Type, expected?: A.Type): A.Type {
  return isInt(t) && e.constValue !== undefined && cx.flexible.has(e) ? constant(cx, e, e.constValue, expected) : t;
}

function identifier(cx: CheckCtx, e: A.Identifier): A.Type {
  const b = lookup(cx, e.name);
  if (!b) {
    if (e.name) unknownName(cx, e.name, e.span);
    return ERROR;
  }
  e.binding = b;
  switch (b.kind) {
    case "local":
    case "param": {
      const cv = cx.constLocals.get(b);
      if (cv !== undefined) e.constValue = cv;
      if (cx.flexLocals.has(b)) cx.flexible.add(e);
      if (!checkRef(cx, b, e) || !checkRecordUse(cx, b, e)) return ERROR;
      const epoch = cx.viewEpoch.get(b);
      if (epoch !== undefined && !cx.flow.valid(epoch))
        return fail(
          cx,
          "headerArg",
          `Header view '${b.name}' was invalidated by ctx.adjustHead()/adjustTail(); read the header again.`,
          e,
        );
      return b.type.kind === "nullable" && cx.flow.nonNull.has(b) ? b.type.inner : b.type;
    }
    case "const":
      e.constValue = b.value;
      if (!b.decl?.typeAnn) cx.flexible.add(e);
      return b.type;
    case "map":
    case "global":
      return b.type;
    case "function":
      return { kind: "namespace", name: b.name };
    case "builtin":
      return { kind: "namespace", name: b.name }; // a type, class, helper or log function
  }
}

function member(cx: CheckCtx, e: A.MemberExpr): A.Type {
  const ot = checkExpr(cx, e.object);
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
      cx.flexible.add(e);
      return INT_TYPES.u32;
    }
  }
  if (ot.kind === "header") {
    const fld = HEADERS[ot.header]?.fields[p];
    if (fld) {
      const type = INT_TYPES[fld.type];
      e.member = {
        kind: "headerField",
        header: ot.header,
        field: p,
        offset: fld.offset,
        size: fld.size,
        type,
        bitOffset: fld.bitOffset,
        bitWidth: fld.bitWidth,
      };
      return type;
    }
    const addr = HEADERS[ot.header]?.addrs?.[p];
    if (addr) {
      e.member = { kind: "headerAddr", offset: addr.offset };
      return IPV6_ADDR;
    }
  }
  if (ot.kind === "struct") return structMember(cx, e, ot);
  if (ot.kind === "ctx" && Object.hasOwn(CTX_PROPERTIES, p)) {
    const prop = CTX_PROPERTIES[p]!;
    e.member = prop.offset === undefined ? { kind: "ctxLength" } : { kind: "ctxField", offset: prop.offset };
    return INT_TYPES[prop.type];
  }
  if (ot.kind === "nullable") {
    const name = e.object.kind === "Identifier" ? e.object.name : undefined;
    return name
      ? fail(
          cx,
          "possiblyNull",
          `'${name}' is possibly 'null'. Check it first: if (${name} === null) return …;`,
          e.object,
        )
      : fail(cx, "objectPossiblyNull", "Object is possibly 'null'.", e.object);
  }
  return fail(cx, "propertyMissing", `Property '${p}' does not exist on type '${typeName(ot)}'.`, {
    span: e.propertySpan,
  });
}

// ------------------------------------------------------------ operators

function unaryExpr(cx: CheckCtx, e: A.UnaryExpr, expected?: A.Type): A.Type {
  if (e.op === "!") {
    checkCond(cx, e.operand);
    const cv = e.operand.constValue;
    if (cv !== undefined) e.constValue = cv === 0n ? 1n : 0n;
    return BOOL;
  }
  const t = nonNull(cx, e.operand, checkValue(cx, e.operand, expected));
  if (isError(t)) return ERROR;
  if (!isInt(t)) return fail(cx, "operatorTypes", `Operator '${e.op}' cannot be applied to type '${typeName(t)}'.`, e);
  const cv = e.operand.constValue;
  if (cv === undefined) return t;
  const op = e.op as "-" | "~" | "+";
  if (cx.flexible.has(e.operand)) {
    cx.flexible.add(e);
    return constant(cx, e, op === "-" ? -cv : op === "~" ? ~cv : cv, expected);
  }
  e.constValue = unary(op, cv, t);
  return t;
}

function binaryExpr(cx: CheckCtx, e: A.BinaryExpr, expected?: A.Type): A.Type {
  if (EQ.has(e.op) && (e.left.kind === "NullLiteral" || e.right.kind === "NullLiteral")) return nullCompare(cx, e);
  const hint = CMP.has(e.op) ? undefined : expected;
  let lt = nonNull(cx, e.left, checkValue(cx, e.left, hint));
  const lflex = cx.flexible.has(e.left);
  let rt = nonNull(
    cx,
    e.right,
    checkValue(cx, e.right, isShift(e.op) || CMP.has(e.op) ? undefined : isInt(lt) && !lflex ? lt : hint),
  );
  const rflex = cx.flexible.has(e.right);
  if (isError(lt) || isError(rt)) return CMP.has(e.op) ? BOOL : ERROR;
  // an untyped constant operand takes the other operand's type when it fits (comparisons: exactly)
  const cmp = CMP.has(e.op);
  if (isInt(lt) && isInt(rt) && lflex && !rflex && !isShift(e.op)) lt = retype(cx, e.left, rt, cmp);
  if (isInt(lt) && isInt(rt) && rflex && !lflex && !isShift(e.op)) rt = retype(cx, e.right, lt, cmp);
  if (cmp) return comparison(cx, e, lt, rt);
  if (!isInt(lt) || !isInt(rt))
    return fail(
      cx,
      "operatorTypes",
      `Operator '${e.op}' cannot be applied to types '${typeName(lt)}' and '${typeName(rt)}'.`,
      e,
    );
  const t = resultType(e.op, lt, rt);
  const l = e.left.constValue,
    r = e.right.constValue;
  if (isShift(e.op) && r !== undefined && !shiftCountOk(r))
    return fail(cx, "intRule", `The shift count ${r} is outside 0..63.`, e.right);
  if (e.op === "**" && (l === undefined || r === undefined))
    return fail(cx, "unsupported", "'**' is only supported between constants.", e);
  if ((e.op === "/" || e.op === "%") && r === 0n)
    return fail(
      cx,
      "unsupported",
      l !== undefined ? "Division by zero in a constant expression." : "Division by zero.",
      l !== undefined ? e : e.right,
    );
  if (l === undefined || r === undefined) return t;
  if (lflex && rflex) {
    cx.flexible.add(e);
    return constant(cx, e, exact(e.op as ConstOp, l, r)!, expected);
  }
  e.constValue = binary(e.op as ConstOp, l, r, t);
  return t;
}

/**
 * An untyped constant next to an operand of type `other` takes that type when it fits (its value
 * stays exact), else its own literal type: only its sibling decides, never the context.
 */
function retype(cx: CheckCtx, e: A.Expr, other: A.IntType, strict: boolean): A.IntType {
  const v = e.constValue!;
  const t = (strict ? fits(v, other) : constTakes(v, other)) ? other : literalType(v)!;
  e.type = t;
  cx.flexible.delete(e);
  return t;
}

function comparison(cx: CheckCtx, e: A.BinaryExpr, lt: A.Type, rt: A.Type): A.Type {
  const ok =
    (isInt(lt) && isInt(rt)) ||
    (EQ.has(e.op) && sameType(lt, rt) && (lt.kind === "bool" || lt.kind === "action" || lt.kind === "struct")) ||
    (EQ.has(e.op) &&
      ((lt.kind === "action" && isInt(rt) && cv(cx, e.right) !== undefined) ||
        (rt.kind === "action" && isInt(lt) && cv(cx, e.left) !== undefined)));
  if (!ok)
    return fail(
      cx,
      "noOverlap",
      `This comparison appears to be unintentional because the types '${typeName(lt)}' and '${typeName(rt)}' have no overlap.`,
      e,
    );
  const ll = EQ.has(e.op) ? tscLiteralType(e.left) : undefined,
    rl = ll === undefined ? undefined : tscLiteralType(e.right);
  if (rl !== undefined && ll !== rl)
    return fail(
      cx,
      "noOverlap",
      `This comparison appears to be unintentional because the types '${ll}' and '${rl}' have no overlap.`,
      e,
    );
  const l = e.left.constValue,
    r = e.right.constValue;
  const u64 = (isInt(lt) && isU64(lt)) || (isInt(rt) && isU64(rt));
  if (u64 && isInt(lt) && isInt(rt)) {
    const bad = [e.left, e.right].find(
      (x, i) => (i ? rt : lt).signed && !(x.constValue !== undefined && x.constValue >= 0n),
    );
    if (bad)
      return fail(
        cx,
        "intRule",
        `Comparing a u64 with a signed value (${typeName(bad === e.left ? lt : rt)}) is ambiguous: convert one side with 'as' (e.g. 'as u64' or 'as i64').`,
        e,
      );
  }
  if (l !== undefined && r !== undefined) e.constValue = compare(e.op as CompareOp, l, r, u64) ? 1n : 0n;
  return BOOL;
}

function nullCompare(cx: CheckCtx, e: A.BinaryExpr): A.Type {
  const other = e.left.kind === "NullLiteral" ? e.right : e.left;
  const nul = other === e.left ? e.right : e.left;
  nul.type = NULL;
  const t = checkValue(cx, other);
  if (isError(t)) return BOOL;
  if (
    t.kind !== "nullable" &&
    t.kind !== "header" &&
    !(
      isInt(t) &&
      other.kind === "Identifier" &&
      other.binding &&
      "type" in other.binding &&
      other.binding.type.kind === "nullable"
    )
  )
    return fail(
      cx,
      "noOverlap",
      `This comparison appears to be unintentional because the types '${typeName(t)}' and 'null' have no overlap.`,
      e,
    );
  return BOOL;
}

function logical(cx: CheckCtx, e: A.LogicalExpr): A.Type {
  if (e.op === "??") {
    const lt = checkValue(cx, e.left);
    if (isError(lt)) return checkValue(cx, e.right);
    if (lt.kind !== "nullable" || !isInt(lt.inner))
      return fail(
        cx,
        "unsupported",
        "'??' needs a map value (map.get(key)) or a packet load (ctx.loadU16(off)) on its left.",
        e.left,
      );
    const rt = checkValue(cx, e.right, lt.inner);
    const range = outOfRange(cx, e.right, rt, lt.inner);
    if (range) report(cx, "notAssignable", range, e.right.span);
    else if (!assignable(rt, lt.inner, cv(cx, e.right)))
      report(
        cx,
        "notAssignable",
        `Type '${typeName(rt)}' is not assignable to type '${typeName(lt.inner)}'.`,
        e.right.span,
      );
    return lt.inner;
  }
  checkCond(cx, e);
  return BOOL;
}

function conditionalExpr(cx: CheckCtx, e: A.ConditionalExpr, expected?: A.Type): A.Type {
  const c = checkCond(cx, e.test);
  cx.flow = c.t;
  let a = checkValue(cx, e.then, expected);
  const afterThen = cx.flow;
  cx.flow = c.f; // the else arm does not see what the then arm did (an adjustHead there)
  let b = checkValue(cx, e.else, isInt(a) && !cx.flexible.has(e.then) ? a : expected);
  cx.flow = Flow.meet(afterThen, cx.flow);
  if (isError(a) || isError(b)) return ERROR;
  if (isInt(a) && isInt(b)) {
    const tf = cx.flexible.has(e.then),
      ef = cx.flexible.has(e.else);
    if (tf && !ef) a = retype(cx, e.then, b, false);
    else if (ef && !tf) b = retype(cx, e.else, a, false);
    return resultType("?", a, b);
  }
  if (sameType(a, b) && (a.kind === "bool" || a.kind === "action")) return a;
  return fail(cx, "notAssignable", `Type '${typeName(b)}' is not assignable to type '${typeName(a)}'.`, e.else);
}

function asExpr(cx: CheckCtx, e: A.AsExpr): A.Type {
  const target = resolveType(cx, e.typeAnn);
  // the operand keeps its own value (`(1000 + ctx.length) as u8`, `300 as u8`); `as` keeps its low bits
  const t = nonNull(cx, e.expr, checkValue(cx, e.expr));
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
  return fail(
    cx,
    "unsupported",
    `Conversion of type '${typeName(t)}' to type '${typeName(target)}' is not supported.`,
    e,
  );
}
// ------------------------------------------------------------ conditions and narrowing

/**
 * Check a condition (bool, int: non-zero, header view: non-null) and produce the flows when it is
 * true and when it is false; the current flow becomes the one after it either way.
 */
export function checkCond(cx: CheckCtx, e: A.Expr): CondFlows {
  const c = condFlows(cx, e);
  cx.flow = Flow.meet(c.t, c.f);
  return c;
}

function condFlows(cx: CheckCtx, e: A.Expr): CondFlows {
  if (e.kind === "LogicalExpr" && e.op !== "??") {
    const l = checkCond(cx, e.left);
    cx.flow = e.op === "&&" ? l.t : l.f;
    const r = checkCond(cx, e.right);
    e.type = BOOL;
    const lc = e.left.constValue,
      rc = e.right.constValue;
    if (lc !== undefined && rc !== undefined)
      e.constValue = (e.op === "&&" ? lc !== 0n && rc !== 0n : lc !== 0n || rc !== 0n) ? 1n : 0n;
    return e.op === "&&" ? { t: r.t, f: Flow.meet(l.f, r.f) } : { t: Flow.meet(l.t, r.t), f: r.f };
  }
  if (e.kind === "UnaryExpr" && e.op === "!") {
    const r = checkCond(cx, e.operand);
    e.type = BOOL;
    const cv = e.operand.constValue;
    if (cv !== undefined) e.constValue = cv === 0n ? 1n : 0n;
    return { t: r.f, f: r.t };
  }
  const t = checkExpr(cx, e);
  const here = cx.flow;
  if (e.kind === "BinaryExpr" && EQ.has(e.op)) {
    const side = e.left.kind === "NullLiteral" ? e.right : e.right.kind === "NullLiteral" ? e.left : undefined;
    const b = side && nullableBinding(side);
    if (b)
      return e.op === "===" || e.op === "=="
        ? { t: here.without(b), f: here.with(b) }
        : { t: here.with(b), f: here.without(b) };
    return { t: here.fork(), f: here.fork() };
  }
  const nb = nullableBinding(e);
  if (nb) return { t: here.with(nb), f: here.without(nb) };
  if (t.kind === "nullable" && isInt(t.inner))
    report(cx, "unsupported", "A map value cannot be tested for truthiness; compare it with null.", e.span);
  else if (!isError(t) && t.kind !== "bool" && !isInt(t) && t.kind !== "header" && t.kind !== "nullable")
    report(cx, "noValue", `An expression of type '${typeName(t)}' cannot be tested for truthiness.`, e.span);
  return { t: here.fork(), f: here.fork() };
}

// ------------------------------------------------------------ helpers

function nullableBinding(e: A.Expr): A.Binding | undefined {
  if (e.kind !== "Identifier" || !e.binding) return undefined;
  const b = e.binding;
  return (b.kind === "local" || b.kind === "param") && b.type.kind === "nullable" ? b : undefined;
}
